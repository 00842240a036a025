"""Reporting deadlines (SPEC §5 default timing): when a month's report is due and when it is late.
Pure: the due day comes from the rule pack, today's date from the caller."""

from __future__ import annotations

from datetime import date

__all__ = ["default_deadline", "is_overdue"]


def default_deadline(year: int, month: int, due_day: int) -> date:
    """Reports of month ``month`` are due on ``due_day`` of the following month (默认次月5日)."""
    return date(year + 1, 1, due_day) if month == 12 else date(year, month + 1, due_day)


def is_overdue(status: str | None, due: date, on: date) -> bool:
    """逾期: past the due date and not yet submitted (a returned report is a draft again)."""
    return status not in ("submitted", "approved") and on > due
