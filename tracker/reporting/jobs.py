"""Scheduled reporting jobs, picked up by :func:`tracker.scheduler.registry.load_domain_jobs`.

Default (issue 4 §5): the overdue-report reminders every day at 08:30 Asia/Shanghai, after the
day-5 deadline of SPEC §5 has passed for the month before.
"""

from __future__ import annotations

from datetime import date

from tracker.core.text import N_
from tracker.reporting.reminders import send_overdue_reminders as _send

__all__ = ["SCHEDULE", "send_overdue_reminders"]

#: name → (function, APScheduler cron fields, description).
SCHEDULE = {
    "reporting.overdue_reminders": (
        "send_overdue_reminders",
        {"hour": 8, "minute": 30},
        N_("向逾期未报送月报的单位填报员发送提醒邮件（抄送部门管理员）"),
    ),
}


def send_overdue_reminders(today: date) -> int:
    """每日 08:30：向逾期未报送月报的单位填报员发送提醒邮件（抄送部门管理员）。Returns the messages sent."""
    return _send(today).rows
