"""填报截止日期: day 5 of the next month unless a finance bureau sets another date (SPEC §5, issue 3 §4).

Each bureau sets the dates of its subtree (SPEC §1a, issue 15 §3); a month it leaves unset takes
the nearest bureau's above it that set one, then the root's, then the day its rule pack names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext
from sqlalchemy import or_, select

from tracker.auth import access
from tracker.auth.models import User
from tracker.budget import bureaus
from tracker.budget.models import Bureau, Department
from tracker.budget.packs import bureau_rule_pack
from tracker.core import audit
from tracker.core.errors import ValidationFailed
from tracker.core.request_memo import remembered
from tracker.extensions import db
from tracker.reporting.models import ReportingDeadline
from tracker.rules.deadlines import default_deadline, is_overdue

__all__ = [
    "default_deadline",
    "deadline_for",
    "is_overdue",
    "today",
    "set_deadline",
    "deadlines_for_year",
    "deadline_sources",
    "MonthDeadline",
]


def today() -> date:
    """Today where the users are (Asia/Shanghai by default), not where the server's clock is."""
    return datetime.now(ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))).date()


@dataclass(frozen=True)
class MonthDeadline:
    """A month's due date and where it comes from: ``set_by`` the bureau that set it (its name; the
    root's rows say so), or None when the rule pack's day applies."""

    month: int
    due: date
    set_by: str | None
    here: bool  # set by the bureau asked about itself


def _key(bureau: Bureau | None) -> int | None:
    """The root's rows carry no bureau (they were there before the tree)."""
    return None if bureau is None or bureaus.is_root(bureau) else bureau.id


def _codes_below_root(bureau: Bureau | None) -> list[str]:
    """The codes on ``bureau``'s path below the root, the root's child first, ``bureau`` last."""
    if bureau is None:
        return []
    return [code for code in bureau.path.split("/") if code][1:]


def deadline_sources(year: int, bureau: Bureau | None = None) -> list[MonthDeadline]:
    """Every month of ``year`` as held for the departments of ``bureau`` (None: the root), in one query."""
    codes = _codes_below_root(bureau)
    rows = db.session.execute(
        select(ReportingDeadline.month, ReportingDeadline.due_date, Bureau.code, Bureau.name)
        .outerjoin(Bureau, Bureau.id == ReportingDeadline.bureau_id)
        .where(
            ReportingDeadline.year == year,
            or_(ReportingDeadline.bureau_id.is_(None), Bureau.code.in_(codes or ["-"])),
        )
    )
    nearness = {code: depth for depth, code in enumerate(codes, start=1)}
    best: dict[int, tuple[int, date, str | None]] = {}
    for month, due, code, name in rows:
        rank = nearness.get(code, 0) if code else 0
        if month not in best or rank > best[month][0]:
            best[month] = (rank, due, name if code else _root_name())
    due_day = bureau_rule_pack(bureau).report_due_day
    own_rank = len(codes)
    result = []
    for month in range(1, 13):
        if month in best:
            rank, due, set_by = best[month]
            result.append(MonthDeadline(month, due, set_by, rank == own_rank))
        else:
            result.append(MonthDeadline(month, default_deadline(year, month, due_day), None, False))
    return result


def _root_name() -> str:
    def read() -> str:
        root = bureaus.root_bureau()
        return root.name if root is not None else ""

    return remembered("root_bureau_name", read)


def deadlines_for_year(year: int, bureau: Bureau | None = None) -> dict[int, date]:
    """Every month's due date of ``year`` for the departments of ``bureau`` (None: the root)."""
    return {item.month: item.due for item in deadline_sources(year, bureau)}


def deadline_for(year: int, month: int, department: Department | None = None) -> date:
    """The due date of ``department``'s reports of that month (its bureau's, inherited)."""
    return deadlines_for_year(year, department.bureau if department is not None else None)[month]


def set_deadline(user: User, year: int, month: int, due_date: date) -> None:
    """A finance user sets the due date of a month's reports for its bureau's subtree (audited)."""
    if not access.can_set_deadlines(user):
        raise access.refuse(user, "set deadline")
    if not 2000 <= year <= 2100:
        raise ValidationFailed({"year": [gettext("年度应为 2000–2100，收到 %(year)s", year=year)]})
    if not 1 <= month <= 12:
        raise ValidationFailed({"month": ["月份应为 1–12"]})
    if due_date <= date(year, month, 1):
        raise ValidationFailed({"due_date": ["截止日期应晚于所填报月份的开始"]})
    bureau = user.bureau
    key = _key(bureau)
    row = db.session.scalar(
        select(ReportingDeadline).where(
            ReportingDeadline.year == year,
            ReportingDeadline.month == month,
            ReportingDeadline.bureau_id.is_(None) if key is None else ReportingDeadline.bureau_id == key,
        )
    )
    old = deadlines_for_year(year, bureau)[month]
    if row is None:
        row = ReportingDeadline(bureau_id=key, year=year, month=month, due_date=due_date, set_by_id=user.id)
        db.session.add(row)
    else:
        row.due_date = due_date
        row.set_by_id = user.id
    audit.record(
        "update",
        "reporting_deadline",
        user=user,
        entity_id=key,  # the bureau whose date it is (None: the root's)
        field="due_date",
        old=old,
        new=due_date,
        year=year,
        month=month,
    )
    db.session.commit()
