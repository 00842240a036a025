"""Review of a monthly report (SPEC §4): 审核通过 approve, 退回 return with a reason, 解锁 unlock
(finance only). Which status each action needs is the table of :mod:`tracker.reporting.transitions`.

Every action checks access through :mod:`tracker.auth.access`, owns the transaction and writes the
audit log.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext

from tracker.auth import access
from tracker.auth.models import User
from tracker.budget.models import Department, Unit
from tracker.core.errors import ValidationFailed
from tracker.reporting.models import MonthlyReport
from tracker.reporting.reading import scope_key
from tracker.reporting.transitions import next_status
from tracker.reporting.writing import apply_transition, commit_report, load_for_write, refused_transition
from tracker.types import utcnow

__all__ = ["approve_report", "return_report", "unlock_report"]


def _load_for_review(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    department_code: str | None,
    version: int | None,
    action: str,
) -> tuple[Department, Unit | None, MonthlyReport]:
    """The report an ``action`` of review applies to, when the user may take it and its status allows it."""
    department, unit, report = load_for_write(user, unit_code, year, month, department_code, version)
    allowed = (
        access.can_unlock_report(user, department.id)
        if action == "unlock"
        else access.can_review_report(user, department.id, unit.id if unit else None)
    )
    if not allowed:
        raise access.refuse(user, f"{action} report {scope_key(department, unit)}")
    if report is None or next_status(report.status, action) is None:
        raise refused_transition(report)
    return department, unit, report


def _stamp_approve(report: MonthlyReport, user: User, reason: str | None) -> None:
    report.approved_at = utcnow()
    report.approved_by_id = user.id


def _stamp_return(report: MonthlyReport, user: User, reason: str | None) -> None:
    report.return_reason = reason


def _stamp_unlock(report: MonthlyReport, user: User, reason: str | None) -> None:
    report.approved_at = None
    report.approved_by_id = None


#: What each review action writes on the report besides its status (transitions.TRANSITIONS).
_STAMPS: dict[str, Callable[[MonthlyReport, User, str | None], None]] = {
    "approve": _stamp_approve,
    "return": _stamp_return,
    "unlock": _stamp_unlock,
}


def _review(
    user: User,
    action: str,
    scope: tuple[str | None, str | None],
    year: int,
    month: int,
    version: int | None,
    reason: str | None = None,
) -> MonthlyReport:
    """One review ``action`` on the report of ``scope`` (unit code, department code), in its own
    unit of work: access, the status the table allows, the audit entries, the action's stamps."""
    unit_code, department_code = scope
    department, unit, report = _load_for_review(
        user, unit_code, year, month, department_code, version, action
    )
    apply_transition(
        user,
        report,
        action,
        department,
        unit,
        reason=reason,
        stamp=lambda r: _STAMPS[action](r, user, reason),
    )
    commit_report(report)
    return report


def approve_report(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    version: int | None,
    *,
    department_code: str | None = None,
) -> MonthlyReport:
    """审核通过: a submitted report becomes approved, and its month is locked."""
    return _review(user, "approve", (unit_code, department_code), year, month, version)


def return_report(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    version: int | None,
    reason: str,
    *,
    department_code: str | None = None,
) -> MonthlyReport:
    """退回: a submitted report goes back to draft with the reviewer's reason (shown to the reporter)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [gettext("请填写退回原因")]})
    if len(reason) > 2000:
        raise ValidationFailed({"reason": [gettext("退回原因最多 2000 个字")]})
    return _review(user, "return", (unit_code, department_code), year, month, version, reason)


def unlock_report(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    version: int | None,
    *,
    department_code: str | None = None,
    reason: str | None = None,
) -> MonthlyReport:
    """解锁 (finance only): an approved report goes back to draft so it can be corrected; the
    optional ``reason`` goes into the audit log."""
    reason = (reason or "").strip() or None
    if reason and len(reason) > 2000:
        raise ValidationFailed({"reason": [gettext("解锁原因最多 2000 个字")]})
    return _review(user, "unlock", (unit_code, department_code), year, month, version, reason)
