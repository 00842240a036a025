"""What the /jobs page shows and does: the registered jobs with their next firing, recent runs,
and "run now" (finance and admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from tracker.auth import access
from tracker.extensions import db
from tracker.scheduler.models import JobRun
from tracker.scheduler.registry import configured_jobs
from tracker.scheduler.runner import last_fire_time, run_in_context

__all__ = ["job_overview", "recent_runs", "run_now"]


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))


def job_overview(user) -> list[dict[str, Any]]:
    access.require_role(user, "finance", "admin")
    from apscheduler.triggers.cron import CronTrigger

    now = datetime.now(_tz())
    rows = []
    for spec in configured_jobs(current_app.config.get("SCHEDULER_JOBS")).values():
        trigger = CronTrigger(timezone=now.tzinfo, **spec.cron)
        rows.append(
            {
                "name": spec.name,
                "description": spec.description,
                "cron": " ".join(f"{k}={v}" for k, v in spec.cron.items()),
                "next": trigger.get_next_fire_time(None, now),
            }
        )
    return rows


def recent_runs(user, limit: int = 100) -> list[JobRun]:
    access.require_role(user, "finance", "admin")
    return list(
        db.session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit))
    )


def run_now(user, name: str) -> JobRun | None:
    """Run ``name`` now for its latest due period (or the current one if it never fired), even if
    that period already succeeded; the ledger still refuses a run while another, live one is
    running (None). A run whose owner died is marked abandoned and this one runs the period."""
    access.require_role(user, "finance", "admin")
    jobs = configured_jobs(current_app.config.get("SCHEDULER_JOBS"))
    if name not in jobs:
        raise access.NotFound(name)
    spec = jobs[name]
    now = datetime.now(_tz())
    period, params = spec.period(last_fire_time(spec, now) or now)
    run_id = run_in_context(
        name, period=period, params=params, trigger="manual", user_id=getattr(user, "id", None)
    )
    return db.session.get(JobRun, run_id) if run_id is not None else None
