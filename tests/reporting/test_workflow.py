"""draft → submitted → approved / returned; locks, unlock, optimistic locking, deadlines (issue 3 §4)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from tests.conftest import login_as
from tests.reporting.helpers import form, report_url
from tracker.auth.access import Forbidden
from tracker.core.errors import Conflict, InvalidState, NotFound, ValidationFailed
from tracker.reporting import deadlines, review, writing
from tracker.reporting.models import MonthlyReport

COMPLETE = "complete"


def _complete(world):
    return {
        world.count.id: {"actual": "70"},
        world.rate.id: {"actual": "95"},
        world.quality.id: {"actual": "达成"},
    }


def _submitted(world, month=7) -> MonthlyReport:
    return writing.submit_report(world.reporter, world.unit.code, 2023, month, 0, _complete(world))


def _version(session, world, month=7) -> int:
    session.expire_all()
    return session.scalar(
        select(MonthlyReport.version).where(
            MonthlyReport.scope_key == f"unit:{world.unit.code}", MonthlyReport.month == month
        )
    )


def test_the_department_approves_a_submitted_report_and_it_is_locked(world, session):
    report = _submitted(world)
    review.approve_report(world.department_user, world.unit.code, 2023, 7, report.version)
    assert report.status == "approved" and report.approved_by_id == world.department_user.id
    with pytest.raises(InvalidState, match="已锁定"):
        writing.save_report(
            world.reporter, world.unit.code, 2023, 7, {world.count.id: {"actual": "1"}}, report.version
        )


def test_a_returned_report_is_a_draft_again_with_the_reason_shown_to_the_reporter(client, world, session):
    report = _submitted(world)
    login_as(client, world.department_user)
    response = client.post(
        report_url(world) + "/return",
        data={"base_version": str(report.version), "reason": "满意度数据请附调查表"},
    )
    assert response.status_code == 302
    login_as(client, world.reporter)
    page = client.get(report_url(world)).get_data(as_text=True)
    assert "已退回" in page and "满意度数据请附调查表" in page
    assert _version(session, world) is not None and session.get(MonthlyReport, report.id).status == "draft"


def test_returning_without_a_reason_is_refused(world):
    report = _submitted(world)
    with pytest.raises(ValidationFailed) as caught:
        review.return_report(world.department_user, world.unit.code, 2023, 7, report.version, "  ")
    assert caught.value.errors == {"reason": ["请填写退回原因"]}


def test_a_submitted_report_cannot_be_edited_until_returned(world):
    report = _submitted(world)
    with pytest.raises(InvalidState, match="等待审核"):
        writing.save_report(world.reporter, world.unit.code, 2023, 7, {}, report.version)


@pytest.mark.parametrize("who", ["reporter", "finance", "foreign_department", "sibling_reporter"])
def test_only_the_units_department_may_approve(world, who):
    report = _submitted(world)
    with pytest.raises((Forbidden, NotFound)):
        review.approve_report(world.users()[who], world.unit.code, 2023, 7, report.version)


def test_a_department_report_is_reviewed_by_finance(world):
    values = {world.department_indicator.id: {"actual": "7"}}
    report = writing.submit_report(
        world.department_user, None, 2023, 7, 0, values, department_code=world.department.code
    )
    with pytest.raises(Forbidden):
        review.approve_report(
            world.department_user, None, 2023, 7, report.version, department_code=world.department.code
        )
    review.approve_report(world.finance, None, 2023, 7, report.version, department_code=world.department.code)
    assert report.status == "approved"


def test_only_finance_unlocks_an_approved_month(world):
    report = _submitted(world)
    review.approve_report(world.department_user, world.unit.code, 2023, 7, report.version)
    with pytest.raises(Forbidden):
        review.unlock_report(world.department_user, world.unit.code, 2023, 7, report.version)
    review.unlock_report(world.finance, world.unit.code, 2023, 7, report.version)
    assert report.status == "draft"
    writing.save_report(
        world.reporter, world.unit.code, 2023, 7, {world.count.id: {"actual": "71"}}, report.version
    )


def test_a_stale_save_is_refused_with_who_changed_the_report(client, world, session):
    writing.save_report(
        world.department_user, world.unit.code, 2023, 7, {world.count.id: {"actual": "60"}}, 0
    )
    login_as(client, world.reporter)
    # The reporter's page was loaded before the department user's save: version 0.
    response = client.post(report_url(world), data=form({world.count: {"actual": "65"}}, 0))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "此报告已被 d801 于" in page and "您的保存未生效" in page
    assert 'value="65"' in page
    session.expire_all()
    assert session.scalar(select(MonthlyReport).where(MonthlyReport.month == 7)).actuals[0].actual == 60


def test_two_saves_from_the_same_version_conflict_in_the_service(world):
    report = writing.save_report(
        world.reporter, world.unit.code, 2023, 7, {world.count.id: {"actual": "1"}}, 0
    )
    start = report.version
    writing.save_report(
        world.department_user, world.unit.code, 2023, 7, {world.count.id: {"actual": "2"}}, start
    )
    with pytest.raises(Conflict) as caught:
        writing.save_report(
            world.reporter, world.unit.code, 2023, 7, {world.count.id: {"actual": "3"}}, start
        )
    assert caught.value.changed_by == "d801"


def test_the_default_deadline_is_day_five_of_the_next_month(world):
    assert deadlines.deadline_for(2023, 7) == date(2023, 8, 5)
    assert deadlines.deadline_for(2023, 12) == date(2024, 1, 5)


def test_finance_sets_a_deadline_and_others_cannot(world):
    deadlines.set_deadline(world.finance, 2023, 7, date(2023, 8, 10))
    assert deadlines.deadline_for(2023, 7) == date(2023, 8, 10)
    with pytest.raises(Forbidden):
        deadlines.set_deadline(world.department_user, 2023, 7, date(2023, 8, 12))


def test_finance_sets_a_deadline_through_the_page(client, world):
    login_as(client, world.finance)
    response = client.post("/deadlines", data={"year": "2023", "month": "7", "due_date": "2023-08-09"})
    assert response.status_code == 302
    assert deadlines.deadline_for(2023, 7) == date(2023, 8, 9)
    login_as(client, world.department_user)
    assert client.get("/deadlines").status_code == 403


@pytest.mark.parametrize(
    ("status", "on", "overdue"),
    [
        (None, date(2023, 8, 5), False),
        (None, date(2023, 8, 6), True),
        ("draft", date(2023, 8, 6), True),
        ("submitted", date(2023, 9, 1), False),
        ("approved", date(2023, 9, 1), False),
    ],
)
def test_a_report_is_overdue_after_its_deadline_until_submitted(status, on, overdue):
    assert deadlines.is_overdue(status, date(2023, 8, 5), on) is overdue


def test_an_overdue_month_is_flagged_on_the_form_and_home(client, world):
    with time_machine.travel(date(2023, 8, 7)):
        # Inside the travel: a session cookie signed "in the future" would be refused.
        login_as(client, world.reporter)
        form_page = client.get(report_url(world)).get_data(as_text=True)
        home = client.get("/?year=2023").get_data(as_text=True)
    assert "已逾期" in form_page
    july = home[home.index('data-month="7"') - 30 :]
    assert "cell-overdue" in july[:60]
    june_to_august = home[home.index('data-month="8"') - 30 :]
    assert "cell-overdue" not in june_to_august[:60]


def test_the_deadlines_page_picks_its_year(client, world):
    """Issue 11 §6: /deadlines has a year selector; next year can be planned before its targets."""
    login_as(client, world.finance)
    page = client.get("/deadlines").text
    picker = page[page.index('id="deadline-year"') :]
    picker = picker[: picker.index("</nav>")]
    next_year = deadlines.today().year + 1
    assert "year=2023" in picker and f"year={next_year}" in picker
    assert (
        client.post(
            "/deadlines", data={"year": str(next_year), "month": "1", "due_date": f"{next_year}-02-07"}
        ).status_code
        == 302
    )
    shown = client.get(f"/deadlines?year={next_year}").text
    assert f"{next_year}年度填报截止日期" in shown and f"{next_year}年2月7日" in shown


def test_a_conflict_shows_both_versions_so_the_later_one_can_merge(client, world, session):
    """Issue 11 §2: beside each field typed differently, the other person's saved value; the page
    carries the current version, so the merged values save on the next click."""
    writing.save_report(
        world.department_user, world.unit.code, 2023, 7,
        {world.count.id: {"actual": "60"}, world.rate.id: {"actual": "91"}}, 0,
    )  # fmt: skip
    login_as(client, world.reporter)
    typed = {world.count: {"actual": "65"}, world.rate: {"actual": "91"}}
    page = client.post(report_url(world), data=form(typed, 0)).get_data(as_text=True)
    assert 'id="conflict-merge"' in page
    assert f'data-theirs-for="i{world.count.id}.actual"' in page and "已保存的值：<strong>60</strong>" in page
    assert f'data-theirs-for="i{world.rate.id}.actual"' not in page, (
        "the same value on both sides is no conflict"
    )
    version = int(page.split('name="base_version" value="')[1].split('"')[0])
    assert version == session.scalar(select(MonthlyReport).where(MonthlyReport.month == 7)).version
    merged = client.post(report_url(world), data=form({world.count: {"actual": "62"}}, version))
    assert merged.status_code == 302
    session.expire_all()
    saved = {
        a.indicator_id: a.actual
        for a in session.scalar(select(MonthlyReport).where(MonthlyReport.month == 7)).actuals
    }
    assert saved[world.count.id] == 62 and saved[world.rate.id] == 91


def test_unlocking_asks_for_an_optional_reason_kept_in_the_audit_log(client, world, session):
    """Issue 11 §6: finance unlocks through the page's form, with a reason the audit log keeps."""
    from tracker.core.audit import AuditEntry

    report = _submitted(world)
    review.approve_report(world.department_user, world.unit.code, 2023, 7, report.version)
    login_as(client, world.finance)
    page = client.get(report_url(world)).get_data(as_text=True)
    assert 'id="unlock-reason"' in page
    version = _version(session, world)
    response = client.post(
        report_url(world) + "/unlock",
        data={"base_version": str(version), "reason": "单位申请更正7月办件数量"},
    )
    assert response.status_code == 302
    entry = session.scalar(select(AuditEntry).where(AuditEntry.field == "unlock_reason"))
    assert (entry.action, entry.new_value, entry.user_id) == (
        "unlock",
        "单位申请更正7月办件数量",
        world.finance.id,
    )
    assert _version(session, world) > version
    session.expire_all()
    assert session.scalar(select(MonthlyReport).where(MonthlyReport.month == 7)).status == "draft"


def _bump_after_the_check(monkeypatch, session):
    """Another clerk's save commits between this request's version check and its write."""
    check = writing._check_version

    def checked_then_overtaken(report, version):
        check(report, version)
        if report is not None:
            table = MonthlyReport.__table__
            session.execute(table.update().where(table.c.id == report.id).values(version=table.c.version + 1))

    monkeypatch.setattr(writing, "_check_version", checked_then_overtaken)


@pytest.mark.parametrize("action", ["submit", "approve"])
def test_a_write_overtaken_after_its_version_check_is_a_conflict_and_writes_nothing(
    world, session, monkeypatch, action
):
    # The status is written with its stamps in one UPDATE, before the audit rows: its version check
    # still turns a lost race into a Conflict, never a 500 or a half-written transition.
    if action == "submit":
        saved = writing.save_report(world.reporter, world.unit.code, 2023, 7, _complete(world), 0)
    else:
        saved = _submitted(world)
    version, status = saved.version, saved.status
    _bump_after_the_check(monkeypatch, session)
    with pytest.raises(Conflict):
        if action == "submit":
            writing.submit_report(world.reporter, world.unit.code, 2023, 7, version, _complete(world))
        else:
            review.approve_report(world.department_user, world.unit.code, 2023, 7, version)
    session.expire_all()
    stored = session.scalar(select(MonthlyReport).where(MonthlyReport.month == 7))
    assert (stored.status, stored.version) == (status, version)
