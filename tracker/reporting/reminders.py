"""逾期填报提醒: the daily e-mail about monthly reports past their deadline (SPEC §1, §4, §5 "units'
reports are due on day 5 of the next month"; issue 4 §5 "daily overdue-report reminders").

One message per unit: To its active reporters (填报员), Cc its department's active admins (部门管理员);
and one per department whose 部门整体 report is overdue: To its admins, who fill it in. Each lists the
overdue months of the reporting year (in January, still last year) with deadline and the form's link.
Users without an e-mail address are skipped and counted. Mail goes through :mod:`tracker.core.mail`, the one
piece of code that speaks SMTP; a failed send raises, so the scheduler marks the run failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.auth import access
from tracker.budget.models import Department, Project, Unit
from tracker.core.mail import build_message, send_message
from tracker.extensions import db
from tracker.reporting.deadlines import deadlines_for_year, is_overdue
from tracker.reporting.models import MonthlyReport, report_scope_key
from tracker.targets.models import Indicator

__all__ = [
    "OverdueMonth",
    "Reminder",
    "ReminderResult",
    "reporting_year",
    "overdue_reminders",
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
class Reminder:
    """One message: a unit's overdue reports (``unit`` set) or its department's 部门整体 ones."""

    department: Department
    unit: Unit | None
    months: list[OverdueMonth]
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # usernames without an e-mail address

    @property
    def name(self) -> str:
        return self.unit.name if self.unit else f"{self.department.name}（部门整体）"

    @property
    def scope_key(self) -> str:
        """As in :attr:`MonthlyReport.scope_key`."""
        return report_scope_key(self.unit.code if self.unit else None, self.department.code)


@dataclass
class ReminderResult:
    """``rows`` is what the scheduler's ledger records: the messages sent."""

    rows: int = 0
    skipped_without_email: int = 0
    without_recipients: list[str] = field(default_factory=list)  # scope keys (unit:…, department:…)


def reporting_year(on: date) -> tuple[int, range]:
    """The reporting year on a day and its months that have ended: the year of the month just
    ended, so that in January it is still last year, whose December report falls due on 5 January."""
    if on.month == 1:
        return on.year - 1, range(1, 13)
    return on.year, range(1, on.month)


def overdue_reminders(on: date) -> list[Reminder]:
    """Reports of the reporting year (:func:`reporting_year`) still unsubmitted after their deadline,
    one :class:`Reminder` per unit and per department (部门整体) with any.

    Held to reporting are the units with project indicators that year and the departments with
    部门整体 indicators. Set-based: one read each of scopes, reports and users.
    """
    year, months = reporting_year(on)
    scopes = _scopes_held_to_reporting(year)
    if not scopes:
        return []
    # Each bureau's due dates (SPEC §1a), read once per bureau its departments are in.
    bureaus_of = {r.department.bureau_id: r.department.bureau for r in scopes}
    by_bureau = {key: deadlines_for_year(year, bureau) for key, bureau in bureaus_of.items()}
    due_months = sorted({m for deadlines in by_bureau.values() for m in months if on > deadlines[m]})
    if not due_months:
        return []
    status = {
        (scope_key, month): value
        for scope_key, month, value in db.session.execute(
            select(MonthlyReport.scope_key, MonthlyReport.month, MonthlyReport.status).where(
                MonthlyReport.year == year,
                MonthlyReport.department_id.in_({r.department.id for r in scopes}),
                MonthlyReport.month.in_(due_months),
            )
        )
    }
    reminders = []
    for reminder in scopes:
        deadlines = by_bureau[reminder.department.bureau_id]
        reminder.months = [
            OverdueMonth(year, m, deadlines[m], status.get((reminder.scope_key, m)))
            for m in due_months
            if is_overdue(status.get((reminder.scope_key, m)), deadlines[m], on)
        ]
        if reminder.months:
            reminders.append(reminder)
    _address(reminders)
    return reminders


def _scopes_held_to_reporting(year: int) -> list[Reminder]:
    """Empty reminders, units first then departments, each in code order."""
    units = db.session.scalars(
        select(Unit)
        .options(joinedload(Unit.department).joinedload(Department.bureau))
        .where(
            Unit.id.in_(
                select(Project.unit_id)
                .join(Indicator, Indicator.project_id == Project.id)
                .where(Indicator.year == year, Project.year == year)
            )
        )
        .order_by(Unit.code)
    ).all()
    departments = db.session.scalars(
        select(Department)
        .options(joinedload(Department.bureau))
        .where(
            Department.id.in_(
                select(Indicator.department_id).where(Indicator.year == year, Indicator.project_id.is_(None))
            )
        )
        .order_by(Department.code)
    ).all()
    return [Reminder(unit.department, unit, []) for unit in units] + [
        Reminder(department, None, []) for department in departments
    ]


def _address(reminders: list[Reminder]) -> None:
    unit_ids = {r.unit.id for r in reminders if r.unit}
    department_ids = {r.department.id for r in reminders}
    users = access.report_writers(unit_ids, department_ids)
    for reminder in reminders:
        for user in users:
            if reminder.unit and access.is_unit_reporter(user, reminder.unit.id):
                target = reminder.to
            elif access.can_manage_department(user, reminder.department.id):
                # A unit's report is copied to its department's admins; a 部门整体 report is theirs.
                target = reminder.cc if reminder.unit else reminder.to
            else:
                continue
            address = (user.email or "").strip()
            if address:
                target.append(address)
            else:
                reminder.skipped.append(user.username)


def _link(reminder: Reminder, month: OverdueMonth) -> str:
    base = (current_app.config.get("BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    scope = reminder.unit.code if reminder.unit else f"department/{reminder.department.code}"
    return f"{base}/reports/{scope}/{month.year}/{month.month}"


def _subject(reminder: Reminder) -> str:
    months = "、".join(f"{m.month}月" for m in reminder.months)
    return f"【逾期提醒】{reminder.name} {reminder.months[0].year}年{months}绩效监控月报未报送"


def _body(reminder: Reminder, on: date) -> str:
    if reminder.unit:
        greeting = f"{reminder.unit.name}（单位编码 {reminder.unit.code}）填报员："
    else:
        greeting = f"{reminder.department.name}（部门编码 {reminder.department.code}）部门管理员："
    lines = [
        greeting,
        "",
        f"截至 {on.isoformat()}，以下月份的绩效运行监控月报已过填报截止日期，尚未提交：",
        "",
    ]
    for month in reminder.months:
        state = "草稿未提交" if month.status == "draft" else "未填报"
        lines.append(
            f"· {month.year}年{month.month}月（截止日期 {month.due.isoformat()}，{state}）：{_link(reminder, month)}"
        )
    lines += [
        "",
        "请尽快登录系统填报并提交；如已提交，请忽略本邮件。",
        "",
        "本邮件由绩效目标跟踪系统自动发送" + ("，抄送本部门管理员。" if reminder.unit else "。"),
    ]
    return "\n".join(lines) + "\n"


def send_overdue_reminders(on: date) -> ReminderResult:
    """Send the day's reminders; raises :class:`tracker.core.mail.MailError` on the first
    failed send (the run is then failed, and a re-run sends every message again)."""
    result = ReminderResult()
    for reminder in overdue_reminders(on):
        result.skipped_without_email += len(reminder.skipped)
        recipients = reminder.to or reminder.cc
        if not recipients:
            result.without_recipients.append(reminder.scope_key)
            log.warning("%s has overdue reports but nobody with an e-mail address", reminder.scope_key)
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
