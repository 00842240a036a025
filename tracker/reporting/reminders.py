"""逾期填报提醒: the daily e-mail to units whose monthly reports are past their deadline (SPEC §1, §4,
§5 "units' reports are due on day 5 of the next month"; issue 4 §5 "daily overdue-report reminders").

One message per unit: To its active reporters (填报员), Cc its department's active admins (部门管理员),
listing each overdue month of the reporting year (in January, still last year) with its deadline and the form's link. Users without
an e-mail address are skipped and counted. Mail goes through :mod:`tracker.reports.mailer`, the one
piece of code that speaks SMTP; a failed send raises, so the scheduler marks the run failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import select

from tracker.auth.models import User
from tracker.extensions import db
from tracker.reporting.deadlines import deadlines_for_year, is_overdue
from tracker.reporting.models import MonthlyReport
from tracker.reports.mailer import build_message, send_message
from tracker.targets.models import Indicator, Project, Unit

__all__ = [
    "OverdueMonth",
    "UnitReminder",
    "ReminderResult",
    "reporting_year",
    "overdue_units",
    "send_overdue_reminders",
]

log = logging.getLogger("tracker.reporting.reminders")

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class OverdueMonth:
    year: int
    month: int
    due: date
    status: str | None  # None: nothing filed yet (未填报); "draft" also covers a returned report


@dataclass
class UnitReminder:
    unit: Unit
    months: list[OverdueMonth]
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # usernames without an e-mail address


@dataclass
class ReminderResult:
    """``rows`` is what the scheduler's ledger records: the messages sent."""

    rows: int = 0
    skipped_without_email: int = 0
    units_without_recipients: list[str] = field(default_factory=list)


def reporting_year(on: date) -> tuple[int, range]:
    """The reporting year on a day and its months that have ended: the year of the month just
    ended, so that in January it is still last year, whose December report falls due on 5 January."""
    if on.month == 1:
        return on.year - 1, range(1, 13)
    return on.year, range(1, on.month)


def overdue_units(on: date) -> list[UnitReminder]:
    """Units with a report of the reporting year (:func:`reporting_year`) still unsubmitted after
    its deadline.

    Only units with indicators that year are held to reporting; the 部门整体 report is the department
    admins' own and is not part of this reminder. Set-based: one read each of units, reports, users.
    """
    year, months = reporting_year(on)
    deadlines = deadlines_for_year(year)
    due_months = [m for m in months if on > deadlines[m]]
    if not due_months:
        return []
    units = list(
        db.session.scalars(
            select(Unit)
            .where(
                Unit.id.in_(
                    select(Project.unit_id)
                    .join(Indicator, Indicator.project_id == Project.id)
                    .where(Indicator.year == year, Project.year == year)
                )
            )
            .order_by(Unit.code)
        )
    )
    if not units:
        return []
    status = {
        (unit_id, month): value
        for unit_id, month, value in db.session.execute(
            select(MonthlyReport.unit_id, MonthlyReport.month, MonthlyReport.status).where(
                MonthlyReport.year == year,
                MonthlyReport.unit_id.in_([u.id for u in units]),
                MonthlyReport.month.in_(due_months),
            )
        )
    }
    reminders = []
    for unit in units:
        overdue = [
            OverdueMonth(year, m, deadlines[m], status.get((unit.id, m)))
            for m in due_months
            if is_overdue(status.get((unit.id, m)), deadlines[m], on)
        ]
        if overdue:
            reminders.append(UnitReminder(unit, overdue))
    _address(reminders)
    return reminders


def _address(reminders: list[UnitReminder]) -> None:
    unit_ids = {r.unit.id for r in reminders}
    department_ids = {r.unit.department_id for r in reminders}
    users = db.session.scalars(
        select(User)
        .where(
            User.active.is_(True),
            ((User.role == "reporter") & User.unit_id.in_(unit_ids))
            | ((User.role == "department") & User.department_id.in_(department_ids)),
        )
        .order_by(User.username)
    ).all()
    for reminder in reminders:
        for user in users:
            if user.role == "reporter" and user.unit_id == reminder.unit.id:
                target = reminder.to
            elif user.role == "department" and user.department_id == reminder.unit.department_id:
                target = reminder.cc
            else:
                continue
            address = (user.email or "").strip()
            if address:
                target.append(address)
            else:
                reminder.skipped.append(user.username)


def _link(unit: Unit, month: OverdueMonth) -> str:
    base = (current_app.config.get("BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    return f"{base}/reports/{unit.code}/{month.year}/{month.month}"


def _subject(reminder: UnitReminder) -> str:
    months = "、".join(f"{m.month}月" for m in reminder.months)
    return f"【逾期提醒】{reminder.unit.name} {reminder.months[0].year}年{months}绩效监控月报未报送"


def _body(reminder: UnitReminder, on: date) -> str:
    unit = reminder.unit
    lines = [
        f"{unit.name}（单位编码 {unit.code}）填报员：",
        "",
        f"截至 {on.isoformat()}，以下月份的绩效运行监控月报已过填报截止日期，尚未提交：",
        "",
    ]
    for month in reminder.months:
        state = "草稿未提交" if month.status == "draft" else "未填报"
        lines.append(
            f"· {month.year}年{month.month}月（截止日期 {month.due.isoformat()}，{state}）：{_link(unit, month)}"
        )
    lines += [
        "",
        "请尽快登录系统填报并提交；如已提交，请忽略本邮件。",
        "",
        "本邮件由绩效目标跟踪系统自动发送，抄送本部门管理员。",
    ]
    return "\n".join(lines) + "\n"


def send_overdue_reminders(on: date) -> ReminderResult:
    """Send the day's reminders; raises :class:`tracker.reports.mailer.MailError` on the first
    failed send (the run is then failed, and a re-run sends every message again)."""
    result = ReminderResult()
    for reminder in overdue_units(on):
        result.skipped_without_email += len(reminder.skipped)
        recipients = reminder.to or reminder.cc
        if not recipients:
            result.units_without_recipients.append(reminder.unit.code)
            log.warning("unit %s has overdue reports but nobody with an e-mail address", reminder.unit.code)
            continue
        message = build_message(_subject(reminder), recipients, _body(reminder, on), [])
        cc = reminder.cc if reminder.to else []
        if cc:
            message["Cc"] = ", ".join(cc)
        send_message(message, recipients + cc)
        result.rows += 1
    if result.skipped_without_email:
        log.info("overdue reminders: %d users without e-mail skipped", result.skipped_without_email)
    return result
