"""The workflow's one table (SPEC §4): every (status, action) pair, allowed or refused, both as the
pure table and through the services that obey it."""

from __future__ import annotations

import pytest

from tracker.core.errors import InvalidState
from tracker.extensions import db
from tracker.reporting import review, writing
from tracker.reporting.models import MonthlyReport
from tracker.reporting.transitions import ACTIONS, STATUS_LABELS, TRANSITIONS, next_status

STATUSES = ("draft", "submitted", "approved")

#: The whole table, written out: anything not here is refused.
EXPECTED = {
    ("draft", "save"): "draft",
    ("draft", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "return"): "draft",
    ("approved", "unlock"): "draft",
}

PAIRS = [(status, action) for status in STATUSES for action in sorted(ACTIONS)]


def test_the_table_is_the_expected_one() -> None:
    assert TRANSITIONS == EXPECTED
    assert set(STATUS_LABELS) == set(STATUSES)
    assert {status for status, _ in TRANSITIONS} | set(TRANSITIONS.values()) <= set(STATUSES)


@pytest.mark.parametrize(("status", "action"), PAIRS)
def test_next_status(status: str, action: str) -> None:
    assert next_status(status, action) == EXPECTED.get((status, action))


def _report_in(world, status: str) -> MonthlyReport:
    values = {
        world.count.id: {"actual": "70"},
        world.rate.id: {"actual": "95"},
        world.quality.id: {"actual": "达成"},
    }
    report = writing.save_report(world.reporter, world.unit.code, 2023, 7, values, 0)
    report.status = status
    db.session.commit()
    return report


def _act(world, report: MonthlyReport, action: str) -> None:
    code, version = world.unit.code, report.version
    if action == "save":
        writing.save_report(world.reporter, code, 2023, 7, {world.count.id: {"actual": "71"}}, version)
    elif action == "submit":
        writing.submit_report(world.reporter, code, 2023, 7, version)
    elif action == "approve":
        review.approve_report(world.department_user, code, 2023, 7, version)
    elif action == "return":
        review.return_report(world.department_user, code, 2023, 7, version, "请补充")
    else:
        review.unlock_report(world.finance, code, 2023, 7, version)


@pytest.mark.parametrize(("status", "action"), PAIRS)
def test_the_services_follow_the_table(world, session, status: str, action: str) -> None:
    report = _report_in(world, status)
    expected = EXPECTED.get((status, action))
    if expected is None:
        with pytest.raises(InvalidState):
            _act(world, report, action)
        session.expire_all()
        assert session.get(MonthlyReport, report.id).status == status
    else:
        _act(world, report, action)
        session.expire_all()
        assert session.get(MonthlyReport, report.id).status == expected
