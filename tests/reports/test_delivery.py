"""报送 over a real SMTP server (aiosmtpd on a free loopback port): the received message, retries
with backoff after an outage, resends on the same record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.factories import UserFactory
from tracker.evaluation import service as evaluation
from tracker.extensions import db
from tracker.reports import delivery as deliveries
from tracker.reports import sending, storage
from tracker.reports.jobs import send_monthly_execution_reports
from tracker.reports.models import Delivery
from tracker.reports.service import build_package, render_package

REPORT_DATE = date(2024, 2, 28)
T0 = datetime(2024, 2, 28, 1, 0, tzinfo=UTC)


def _attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def test_package_arrives_with_subject_recipients_and_the_generated_files(scenario, smtp):
    record = deliveries.send_package("self-assessment", 2023, None, "801", report_date=REPORT_DATE, now=T0)
    expected = render_package(build_package("self-assessment", 2023, None, "801", report_date=REPORT_DATE))

    [(envelope, message)] = smtp.inbox.messages
    assert message["Subject"] == "【绩效自评】测试市政务服务和大数据管理局 2023年度绩效自评报告"
    assert envelope == ["czj@example.org"] and message["To"] == "czj@example.org"
    assert _attachments(message) == {
        "801-2023-self-assessment.xlsx": expected.xlsx,
        "801-2023-self-assessment.pdf": expected.pdf,
    }
    assert (record.status, record.attempts, record.xlsx_sha256, record.pdf_sha256) == (
        "sent",
        1,
        expected.xlsx_sha256,
        expected.pdf_sha256,
    )


def test_delivered_scores_equal_the_evaluation(scenario, smtp):
    import io

    import openpyxl

    deliveries.send_package("self-assessment", 2023, None, "801", report_date=REPORT_DATE, now=T0)
    document = evaluation.stored_self_assessment(2023, "801")
    book = openpyxl.load_workbook(
        io.BytesIO(_attachments(smtp.inbox.messages[0][1])["801-2023-self-assessment.xlsx"])
    )

    totals = [next(row[7] for row in sheet.iter_rows(values_only=True) if row[0] == "总分") for sheet in book]
    assert totals == [project["total"] for project in document["projects"]] + [
        document["department"]["total"]
    ]


def test_an_smtp_outage_is_retried_with_backoff_and_delivered_later_with_nothing_lost(scenario, smtp):
    first = deliveries.send_package("execution", 2023, 6, "801", report_date=REPORT_DATE, now=T0)
    smtp.stop()

    second = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    assert (second.status, second.attempts, second.next_attempt_at.replace(tzinfo=UTC)) == (
        "retrying",
        1,
        T0 + timedelta(minutes=5),
    )
    assert second.last_error
    assert deliveries.retry_failed_deliveries(now=T0 + timedelta(minutes=6)) == 0  # still down
    assert second.next_attempt_at.replace(tzinfo=UTC) == T0 + timedelta(minutes=6 + 10)
    assert deliveries.retry_failed_deliveries(now=T0 + timedelta(minutes=10)) == 0  # backoff not over: no try
    assert second.attempts == 2

    smtp.start()
    assert deliveries.retry_failed_deliveries(now=T0 + timedelta(minutes=17)) == 1

    assert (first.status, second.status, second.attempts) == ("sent", "sent", 3)
    assert [attempt.ok for attempt in second.attempt_log] == [False, False, True]
    received = [_attachments(message) for _, message in smtp.inbox.messages]
    assert received == [
        {
            first.xlsx_name: storage.load(first.xlsx_sha256, "xlsx"),
            first.pdf_name: storage.load(first.pdf_sha256, "pdf"),
        },
        {
            second.xlsx_name: storage.load(second.xlsx_sha256, "xlsx"),
            second.pdf_name: storage.load(second.pdf_sha256, "pdf"),
        },
    ]


def test_sending_the_same_package_again_sends_nothing_unless_a_resend_is_asked(scenario, smtp):
    first = deliveries.send_package("monitoring", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    again = deliveries.deliver("monitoring", 2023, 7, "801", report_date=REPORT_DATE, now=T0)

    assert (again.delivery.id, again.tried, len(smtp.inbox.messages)) == (first.id, False, 1)
    resent = deliveries.deliver("monitoring", 2023, 7, "801", report_date=REPORT_DATE, resend=True, now=T0)
    assert resent.delivery.id == first.id and resent.tried
    assert [(attempt.trigger, attempt.ok) for attempt in first.attempt_log] == [
        ("send", True),
        ("resend", True),
    ]
    assert db.session.query(Delivery).count() == 1
    assert _attachments(smtp.inbox.messages[0][1]) == _attachments(smtp.inbox.messages[1][1])


def test_the_same_data_on_another_day_is_the_same_package(scenario, smtp):
    first = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    later = date(2024, 3, 4)

    again = deliveries.deliver("execution", 2023, 7, "801", report_date=later, now=T0 + timedelta(days=5))

    rendered = render_package(build_package("execution", 2023, 7, "801", report_date=later))
    assert rendered.pdf_sha256 != first.pdf_sha256 and rendered.content_sha256 == first.content_sha256
    assert (again.delivery.id, again.tried, len(smtp.inbox.messages)) == (first.id, False, 1)


def test_a_rerun_while_a_retry_is_pending_makes_no_second_delivery(scenario, smtp):
    finance = UserFactory(role="finance")
    deliveries.set_recipients(finance, None, "jxk@czj.example.org；kj@czj.example.org")
    smtp.inbox.refuse.add("kj@czj.example.org")
    first = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    assert first.status == "retrying"
    smtp.inbox.refuse.clear()

    rerun = deliveries.send_package("execution", 2023, 7, "801", report_date=date(2024, 3, 1), now=T0)
    assert deliveries.retry_failed_deliveries(now=T0 + timedelta(hours=1)) == 0

    assert rerun.id == first.id and db.session.query(Delivery).count() == 1
    assert (first.status, first.attempts) == ("sent", 2)
    assert [envelope for envelope, _ in smtp.inbox.messages] == [
        ["jxk@czj.example.org"],
        ["kj@czj.example.org"],
    ]


def test_a_package_with_new_data_stops_the_older_one_still_retrying(scenario, smtp):
    smtp.stop()
    old = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    smtp.start()
    scenario.projects[0].name = "改名后的项目"
    db.session.flush()

    new = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    assert deliveries.retry_failed_deliveries(now=T0 + timedelta(hours=1)) == 0

    assert new.id != old.id and (old.status, new.status) == ("superseded", "sent")
    assert len(smtp.inbox.messages) == 1
    assert _attachments(smtp.inbox.messages[0][1])[new.xlsx_name] == storage.load(new.xlsx_sha256, "xlsx")


def test_an_older_package_that_failed_meanwhile_is_not_retried_after_a_newer_one(scenario, smtp):
    smtp.stop()
    old = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    scenario.projects[0].name = "改名后的项目"
    db.session.flush()
    new = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    smtp.start()
    # the older one was being sent when the newer came (its claim live): it failed afterwards
    db.session.execute(
        update(Delivery).where(Delivery.id == old.id).values(status="retrying", next_attempt_at=T0)
    )

    assert deliveries.retry_failed_deliveries(now=T0 + timedelta(hours=1)) == 1

    assert (old.status, new.status) == ("superseded", "sent")
    assert len(smtp.inbox.messages) == 1


def test_a_claim_left_by_a_process_that_died_is_taken_over_and_recorded_as_interrupted(scenario, smtp):
    smtp.stop()
    record = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    smtp.start()
    # a retry claimed attempt 2 and died before it recorded anything
    assert sending.claim(record.id, 1, T0 + timedelta(minutes=5))

    assert deliveries.retry_failed_deliveries(now=T0 + timedelta(minutes=10)) == 0  # its claim is live
    assert deliveries.retry_failed_deliveries(now=T0 + timedelta(minutes=21)) == 1

    assert [(a.number, a.trigger, a.ok) for a in record.attempt_log] == [
        (1, "send", False),
        (2, "interrupted", False),
        (3, "retry", True),
    ]
    assert (record.status, record.attempts, record.sending_since) == ("sent", 3, None)
    assert len(smtp.inbox.messages) == 1


def test_a_resend_from_a_page_older_than_the_last_attempt_sends_nothing(scenario, smtp):
    finance = UserFactory(role="finance")
    record = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)

    first = deliveries.resend(finance, record.id, seen_attempts=1, now=T0)
    second = deliveries.resend(finance, record.id, seen_attempts=1, now=T0)

    assert (first.tried, second.tried, record.attempts) == (True, False, 2)
    assert len(smtp.inbox.messages) == 2


def test_a_resend_sends_the_stored_files_even_after_the_data_changed(scenario, smtp, session):
    record = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    scenario.projects[0].name = "改名后的项目"
    finance = UserFactory(role="finance")

    deliveries.resend(finance, record.id, seen_attempts=record.attempts, now=T0)

    first, second = (_attachments(message) for _, message in smtp.inbox.messages)
    assert first == second
    assert record.attempts == 2


def test_a_delivery_gives_up_after_the_last_attempt(scenario, smtp):
    smtp.stop()
    record = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)
    moment = T0
    for _ in range(deliveries.MAX_ATTEMPTS - 1):
        moment += timedelta(hours=7)
        deliveries.retry_failed_deliveries(now=moment)

    assert (record.status, record.attempts, record.next_attempt_at) == (
        "failed",
        deliveries.MAX_ATTEMPTS,
        None,
    )
    assert deliveries.retry_failed_deliveries(now=moment + timedelta(days=1)) == 0


@pytest.mark.parametrize(
    ("failures", "minutes"), [(1, 5), (2, 10), (3, 20), (4, 40), (6, 160), (7, 320), (9, 360)]
)
def test_retry_backoff_doubles_up_to_six_hours(failures, minutes):
    assert deliveries.retry_delay(failures) == timedelta(minutes=minutes)


def test_finance_recipients_replace_the_environment_address_and_departments_get_a_copy(scenario, smtp):
    finance = UserFactory(role="finance")
    deliveries.set_recipients(finance, None, "jxk@czj.example.org；kj@czj.example.org")
    deliveries.set_recipients(finance, "801", "office@801.example.org")

    deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)

    [(envelope, _)] = smtp.inbox.messages
    assert envelope == ["jxk@czj.example.org", "kj@czj.example.org", "office@801.example.org"]


def test_a_retry_goes_only_to_the_recipients_the_server_refused(scenario, smtp):
    finance = UserFactory(role="finance")
    deliveries.set_recipients(finance, None, "jxk@czj.example.org；kj@czj.example.org")
    smtp.inbox.refuse.add("kj@czj.example.org")

    record = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)

    assert record.status == "retrying" and "kj@czj.example.org" in record.last_error
    smtp.inbox.refuse.clear()
    assert deliveries.retry_failed_deliveries(now=T0 + timedelta(minutes=6)) == 1
    assert record.status == "sent"
    assert [envelope for envelope, _ in smtp.inbox.messages] == [
        ["jxk@czj.example.org"],
        ["kj@czj.example.org"],
    ]
    assert all(m["To"] == "jxk@czj.example.org, kj@czj.example.org" for _, m in smtp.inbox.messages)


def test_a_resend_goes_to_every_recipient_again(scenario, smtp):
    finance = UserFactory(role="finance")
    deliveries.set_recipients(finance, None, "jxk@czj.example.org；kj@czj.example.org")
    record = deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE, now=T0)

    deliveries.resend(finance, record.id, seen_attempts=record.attempts, now=T0)

    assert [sorted(envelope) for envelope, _ in smtp.inbox.messages] == [
        ["jxk@czj.example.org", "kj@czj.example.org"]
    ] * 2


def test_a_department_user_cannot_set_recipients(scenario):
    user = UserFactory(role="department", department_id=scenario.department.id)

    with pytest.raises(deliveries.access.Forbidden):
        deliveries.set_recipients(user, "801", "x@example.org")


def test_an_invalid_address_is_refused_and_nothing_changes(scenario):
    finance = UserFactory(role="finance")
    deliveries.set_recipients(finance, None, "a@example.org")

    with pytest.raises(deliveries.InvalidAddress):
        deliveries.set_recipients(finance, None, "b@example.org, not-an-address")

    assert deliveries.recipients_for(scenario.department) == ["a@example.org"]


def test_without_any_recipient_nothing_is_sent(scenario, smtp, app):
    app.config["FINANCE_BUREAU_EMAIL"] = ""

    with pytest.raises(deliveries.NoRecipients):
        deliveries.send_package("execution", 2023, 7, "801", report_date=REPORT_DATE)

    assert smtp.inbox.messages == [] and db.session.query(Delivery).count() == 0


def test_the_monthly_job_sends_the_month_before(scenario, smtp):
    [delivery_id] = send_monthly_execution_reports(date(2023, 8, 8)).ids

    record = db.session.get(Delivery, delivery_id)
    assert (record.kind, record.year, record.month, record.status) == ("execution", 2023, 7, "sent")


def test_send_reports_command_reports_the_delivery(scenario, smtp, cli):
    result = cli.invoke(
        args=[
            "tracker",
            "send-reports",
            "--kind",
            "monitoring",
            "--year",
            "2023",
            "--month",
            "7",
            "--department",
            "801",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "monitoring 801 2023-07 → czj@example.org: sent" in result.output
    assert len(smtp.inbox.messages) == 1


def test_send_reports_run_twice_sends_once_and_resend_asks_for_another(scenario, smtp, cli):
    args = ["tracker", "send-reports", "--kind", "execution", "--year", "2023", "--month", "7"]
    args += ["--department", "801"]

    runs = [cli.invoke(args=args), cli.invoke(args=args), cli.invoke(args=[*args, "--resend"])]

    assert [run.exit_code for run in runs] == [0, 0, 0], [run.output for run in runs]
    assert len(smtp.inbox.messages) == 2
    assert db.session.query(Delivery).count() == 1
