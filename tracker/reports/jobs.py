"""Scheduled 报送 jobs: named functions with plain arguments, for the scheduler's job registry.

Defaults (issue 5): the mid-year 双监控 package (1–7月) on Aug 15, the 绩效自评 package of last year on
Feb 28, the monthly 预算执行进度表 of the month before on day 8, and the delivery retry every 5 minutes.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select

from tracker.budget.models import Department, Project
from tracker.core.text import N_
from tracker.extensions import db
from tracker.reports.delivery import NoRecipients, retry_failed_deliveries, send_package

__all__ = [
    "send_midyear_monitoring_packages",
    "send_self_assessment_packages",
    "send_monthly_execution_reports",
    "retry_deliveries",
    "retry_failed_deliveries",
    "SCHEDULE",
    "send_for_all",
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


def _departments_with_projects(year: int) -> list[str]:
    return list(
        db.session.scalars(
            select(Department.code)
            .where(Department.id.in_(select(Project.department_id).where(Project.year == year)))
            .order_by(Department.code)
        )
    )


def send_for_all(
    kind: str, year: int, month: int | None, department_code: str | None = None, *, resend: bool = False
) -> list[int]:
    """Send a package for one department, or for every department with projects that year (each
    once: see :func:`tracker.reports.delivery.deliver`). A department that fails does not stop the
    others; returns the delivery ids."""
    codes = [department_code] if department_code else _departments_with_projects(year)
    ids = []
    for code in codes:
        try:
            ids.append(send_package(kind, year, month, code, resend=resend).id)
        except (LookupError, NoRecipients) as exc:
            log.error("send %s %s/%s for %s refused: %s", kind, year, month, code, exc)
    return ids


def send_midyear_monitoring_packages(today: date | None = None) -> list[int]:
    """8月15日：向财政局报送1–7月双监控报表（全部部门）。"""
    year = (today or date.today()).year
    return send_for_all("monitoring", year, 7)


def send_self_assessment_packages(today: date | None = None) -> list[int]:
    """2月28日：向财政局报送上一年度绩效自评报表（全部部门）。"""
    return send_for_all("self-assessment", (today or date.today()).year - 1, None)


def send_monthly_execution_reports(today: date | None = None) -> list[int]:
    """每月8日：向财政局报送上月预算执行进度表（全部部门）。"""
    today = today or date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return send_for_all("execution", year, month)


def retry_deliveries(today: date | None = None) -> int:
    """报送重试：每5分钟重发退避期已过的失败报送。"""
    return retry_failed_deliveries()
