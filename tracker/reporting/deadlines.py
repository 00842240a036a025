"""填报截止日期: day 5 of the next month unless finance sets another date (SPEC §5, issue 3 §4)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from tracker.auth import access
from tracker.auth.models import User
from tracker.core import audit
from tracker.core.errors import ValidationFailed
from tracker.core.settings import current_rule_pack
from tracker.extensions import db
from tracker.reporting.models import ReportingDeadline
from tracker.rules.deadlines import default_deadline, is_overdue

__all__ = ["default_deadline", "deadline_for", "is_overdue", "today", "set_deadline", "deadlines_for_year"]


def today() -> date:
    """Today where the users are (Asia/Shanghai by default), not where the server's clock is."""
    return datetime.now(ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))).date()


def deadline_for(year: int, month: int) -> date:
    stored = db.session.scalar(
        select(ReportingDeadline.due_date).where(
            ReportingDeadline.year == year, ReportingDeadline.month == month
        )
    )
    if stored is not None:
        return stored
    return default_deadline(year, month, current_rule_pack().report_due_day)


def deadlines_for_year(year: int) -> dict[int, date]:
    """Every month's due date of ``year``: the stored ones in one query, the rest by the rule."""
    query = select(ReportingDeadline.month, ReportingDeadline.due_date).where(ReportingDeadline.year == year)
    stored = {row.month: row.due_date for row in db.session.execute(query)}
    due_day = current_rule_pack().report_due_day
    return {month: stored.get(month) or default_deadline(year, month, due_day) for month in range(1, 13)}


def set_deadline(user: User, year: int, month: int, due_date: date) -> None:
    """Finance sets the due date of a month's reports (audited)."""
    if not access.can_set_deadlines(user):
        raise access.refuse(user, "set deadline")
    if not 1 <= month <= 12:
        raise ValidationFailed({"month": ["月份应为 1–12"]})
    if due_date <= date(year, month, 1):
        raise ValidationFailed({"due_date": ["截止日期应晚于所填报月份的开始"]})
    row = db.session.scalar(
        select(ReportingDeadline).where(ReportingDeadline.year == year, ReportingDeadline.month == month)
    )
    old = deadline_for(year, month)
    if row is None:
        row = ReportingDeadline(year=year, month=month, due_date=due_date, set_by_id=user.id)
        db.session.add(row)
    else:
        row.due_date = due_date
        row.set_by_id = user.id
    audit.record(
        "update",
        "reporting_deadline",
        user=user,
        field="due_date",
        old=old,
        new=due_date,
        year=year,
        month=month,
    )
    db.session.commit()
