"""逾期填报提醒: the daily reminder job, against a real SMTP server on loopback (issue 4 §5, SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from tests.factories import DepartmentFactory, IndicatorFactory, UnitFactory, UserFactory, monthly_report
from tracker.reporting import reminders
from tracker.scheduler import runner
from tracker.scheduler.models import JobRun
from tracker.scheduler.registry import configured_jobs

SHANGHAI = ZoneInfo("Asia/Shanghai")
JOB = "reporting.overdue_reminders"
#: 2023-08-07 09:00 in Shanghai: July's reports were due on Aug 5.
MORNING = datetime(2023, 8, 7, 9, 0, tzinfo=SHANGHAI)


@dataclass
class Units:
    late: object
    done: object


@pytest.fixture
def units(session) -> Units:
    """``late`` has no May report and a July draft; ``done`` submitted everything through July."""
    department = DepartmentFactory(name="测试部门")
    late = UnitFactory(department=department, name="迟报单位")
    done = UnitFactory(department=department, name="按时单位")
    late_indicator = IndicatorFactory(project__unit=late)
    done_indicator = IndicatorFactory(project__unit=done)
    for month in range(1, 8):
        if month != 5:
            status = "draft" if month == 7 else "approved"
            monthly_report(department, late, 2023, month, {late_indicator: 1}, status=status)
        monthly_report(department, done, 2023, month, {done_indicator: 1}, status="submitted")
    UserFactory(role="reporter", unit=late, email="late@example.invalid")
    UserFactory(role="reporter", unit=late, email=None)
    UserFactory(role="reporter", unit=late, email="gone@example.invalid", active=False)
    UserFactory(role="reporter", unit=done, email="done@example.invalid")
    UserFactory(role="department", department=department, email="admin@example.invalid")
    return Units(late, done)


def _recipients(smtp) -> list[list[str]]:
    return [sorted(envelope) for envelope, _ in smtp.inbox.messages]


def test_the_overdue_units_reporter_gets_one_message_naming_its_overdue_months(units, smtp):
    reminders.send_overdue_reminders(date(2023, 8, 7))

    [(envelope, message)] = smtp.inbox.messages
    body = message.get_content()
    assert sorted(envelope) == ["admin@example.invalid", "late@example.invalid"]
    assert message["Cc"] == "admin@example.invalid"
    assert "5月、7月" in message["Subject"] and "迟报单位" in message["Subject"]
    assert "2023年5月（截止日期 2023-06-05，未填报）" in body
    assert "2023年7月（截止日期 2023-08-05，草稿未提交）" in body
    assert f"http://127.0.0.1:5000/reports/{units.late.code}/2023/7" in body


def test_a_unit_that_submitted_gets_no_reminder(units, smtp):
    reminders.send_overdue_reminders(date(2023, 8, 7))

    assert all("done@example.invalid" not in envelope for envelope in _recipients(smtp))


def test_users_without_an_address_are_skipped_and_counted(units, smtp):
    result = reminders.send_overdue_reminders(date(2023, 8, 7))

    assert (result.rows, result.skipped_without_email) == (1, 1)


@pytest.mark.parametrize(
    ("on", "months"),
    [
        (date(2023, 8, 5), [5]),  # July is due today, not yet overdue
        (date(2023, 8, 6), [5, 7]),
        (date(2023, 1, 20), []),  # in January the reporting year is 2022, which this world has not
        (date(2024, 1, 5), [5, 7, 8, 9, 10, 11]),  # December 2023 is due today
        (date(2024, 1, 6), [5, 7, 8, 9, 10, 11, 12]),
        (date(2024, 2, 6), []),  # 2024 now; January 2024 has no indicators here
    ],
)
def test_a_month_is_overdue_only_after_its_deadline(units, on, months):
    found = next((r for r in reminders.overdue_reminders(on) if r.unit.id == units.late.id), None)

    assert ([m.month for m in found.months] if found else []) == months


def test_the_department_admins_are_reminded_of_their_own_department_report(units, smtp):
    department = units.late.department
    own = IndicatorFactory(project=None, department=department, name="预算执行率", target="≥95%")
    for month in range(1, 8):
        if month != 6:
            monthly_report(department, None, 2023, month, {own: 50}, status="submitted")

    reminders.send_overdue_reminders(date(2023, 8, 7))

    [(envelope, message)] = [(e, m) for e, m in smtp.inbox.messages if "部门整体" in m["Subject"]]
    assert envelope == ["admin@example.invalid"] and message["Cc"] is None
    assert message["Subject"] == "【逾期提醒】测试部门（部门整体） 2023年6月绩效监控月报未报送"
    body = message.get_content()
    assert body.startswith(f"测试部门（部门编码 {department.code}）部门管理员：")
    assert f"http://127.0.0.1:5000/reports/department/{department.code}/2023/6" in body
    assert "抄送" not in body


def test_a_department_without_its_own_indicators_gets_no_department_reminder(units, smtp):
    assert [r.unit is not None for r in reminders.overdue_reminders(date(2023, 8, 7))] == [True]


def test_the_december_reminder_names_last_year(units, smtp):
    reminders.send_overdue_reminders(date(2024, 1, 8))

    [message] = [m for envelope, m in smtp.inbox.messages if "late@example.invalid" in envelope]
    assert "2023年5月、7月、8月、9月、10月、11月、12月" in message["Subject"]
    assert "2023年12月（截止日期 2024-01-05，未填报）" in message.get_content()


@pytest.mark.parametrize(
    ("on", "year", "months"),
    [
        (date(2024, 1, 1), 2023, range(1, 13)),
        (date(2024, 2, 1), 2024, range(1, 2)),
        (date(2024, 12, 31), 2024, range(1, 12)),
    ],
)
def test_the_reporting_year_is_that_of_the_month_just_ended(on, year, months):
    assert reminders.reporting_year(on) == (year, months)


def test_the_job_is_registered_daily_at_half_past_eight():
    assert configured_jobs()[JOB].cron == {"hour": 8, "minute": 30}


def test_the_scheduler_records_the_messages_sent_and_a_second_claim_of_the_day_sends_nothing(
    units, smtp, session
):
    with time_machine.travel(MORNING, tick=False):
        first = runner.run_in_context(JOB)
        second = runner.run_in_context(JOB)

    run = session.get(JobRun, first)
    assert (run.status, run.period, run.rows) == ("succeeded", "2023-08-07", 1)
    assert second is None
    assert len(smtp.inbox.messages) == 1


def test_a_forced_rerun_of_the_day_sends_again(units, smtp, session):
    with time_machine.travel(MORNING, tick=False):
        runner.run_in_context(JOB)
        runner.run_in_context(JOB, trigger="manual")

    assert len(smtp.inbox.messages) == 2


def test_a_failed_send_marks_the_run_failed_and_the_next_run_sends(units, smtp, session):
    smtp.stop()
    with time_machine.travel(MORNING, tick=False):
        failed = runner.run_in_context(JOB)
        smtp.start()
        retried = runner.run_in_context(JOB)

    statuses = dict(session.execute(select(JobRun.id, JobRun.status).where(JobRun.job == JOB)).all())
    assert (statuses[failed], statuses[retried]) == ("failed", "succeeded")
    assert len(smtp.inbox.messages) == 1
