"""Scheduled 报送 jobs: named functions with plain arguments, for the scheduler's job registry.

Defaults (issue 5): the mid-year 双监控 package (1–7月) on Aug 15, the 绩效自评 package of last year on
Feb 28, the monthly 预算执行进度表 of the month before on day 8, and the delivery retry every 5 minutes.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import select

from tracker.budget.bureau_lines import JobOutcome, bureau_lines
from tracker.budget.models import Bureau, Department, Project
from tracker.core.text import N_
from tracker.extensions import db
from tracker.reports.delivery import NoRecipients, retry_failed_deliveries, send_package
from tracker.reports.recipients import bureau_addresses

__all__ = [
    "send_midyear_monitoring_packages",
    "send_self_assessment_packages",
    "send_monthly_execution_reports",
    "retry_deliveries",
    "retry_failed_deliveries",
    "SCHEDULE",
    "send_for_all",
    "send_for_all_bureaus",
]

log = logging.getLogger("tracker.reports.jobs")

#: name → (function, APScheduler cron fields, description).
SCHEDULE = {
    "reports.midyear_monitoring": (
        "send_midyear_monitoring_packages",
        {"month": 8, "day": 15, "hour": 9},
        N_("向财政局报送1–7月双监控报表（全部部门）"),
    ),
    "reports.self_assessment": (
        "send_self_assessment_packages",
        {"month": 2, "day": 28, "hour": 9},
        N_("向财政局报送上一年度绩效自评报表（全部部门）"),
    ),
    "reports.monthly_execution": (
        "send_monthly_execution_reports",
        {"day": 8, "hour": 9},
        N_("向财政局报送上月预算执行进度表（全部部门）"),
    ),
    "reports.retry_deliveries": ("retry_deliveries", {"minute": "*/5"}, N_("重发退避期已过的失败报送")),
}


def _departments_with_projects(year: int) -> list[tuple[int, str]]:
    query = select(Department.id, Department.code).order_by(Department.code)
    return [
        (row.id, row.code)
        for row in db.session.execute(
            query.where(Department.id.in_(select(Project.department_id).where(Project.year == year)))
        )
    ]


def send_for_all_bureaus(
    kind: str, year: int, month: int | None, department_code: str | None = None, *, resend: bool = False
) -> JobOutcome:
    """Send a package for one department, or for every department with projects that year, of
    every bureau in one pass: each to its own bureau's recipients (inherited up the tree,
    :func:`tracker.reports.recipients.recipients_for`), each once (see
    :func:`tracker.reports.delivery.deliver`). A department that fails does not stop the others.
    Returns the delivery ids and, per bureau, the packages sent, failed (to be retried) and
    refused (nothing to send, nobody to send to) and the bureau's recipients."""
    if department_code:
        named = select(Department.id, Department.code).where(Department.code == department_code)
        departments = [(row.id, row.code) for row in db.session.execute(named)]
        departments = departments or [(0, department_code)]  # refused below: no such department
    else:
        departments = _departments_with_projects(year)
    ids: list[int] = []
    counts: dict[int, tuple[int, dict[str, Any]]] = {}
    for department_id, code in departments:
        try:
            delivery = send_package(kind, year, month, code, resend=resend)
        except (LookupError, NoRecipients) as exc:
            log.error("send %s %s/%s for %s refused: %s", kind, year, month, code, exc)
            counts[department_id] = (0, {"refused": 1, "refusals": {type(exc).__name__: 1}})
            continue
        ids.append(delivery.id)
        counts[department_id] = (1, {"sent" if delivery.status == "sent" else "failed": 1})
    return JobOutcome(len(ids), bureau_lines(db.session.connection(), counts, _recipients), ids)


def _recipients(bureau_id: int | None) -> dict[str, Any]:
    bureau = db.session.get(Bureau, bureau_id) if bureau_id is not None else None
    addresses, _whose = bureau_addresses(bureau)
    return {"recipients": addresses}


def send_for_all(
    kind: str, year: int, month: int | None, department_code: str | None = None, *, resend: bool = False
) -> list[int]:
    """:func:`send_for_all_bureaus`, the delivery ids only (``tracker send-reports``)."""
    return send_for_all_bureaus(kind, year, month, department_code, resend=resend).ids


def send_midyear_monitoring_packages(today: date | None = None) -> JobOutcome:
    """8月15日：向各财政局报送1–7月双监控报表（全部部门）。"""
    year = (today or date.today()).year
    return send_for_all_bureaus("monitoring", year, 7)


def send_self_assessment_packages(today: date | None = None) -> JobOutcome:
    """2月28日：向各财政局报送上一年度绩效自评报表（全部部门）。"""
    return send_for_all_bureaus("self-assessment", (today or date.today()).year - 1, None)


def send_monthly_execution_reports(today: date | None = None) -> JobOutcome:
    """每月8日：向各财政局报送上月预算执行进度表（全部部门）。"""
    today = today or date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return send_for_all_bureaus("execution", year, month)


def retry_deliveries(today: date | None = None) -> int:
    """报送重试：每5分钟重发退避期已过的失败报送。"""
    return retry_failed_deliveries()
