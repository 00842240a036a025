"""What the /jobs page shows and does: the registered jobs with their next firing, recent runs,
and "run now" (finance and admin only); the runs for the API too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import Select, select

from tracker.auth import access
from tracker.auth.models import User
from tracker.extensions import db
from tracker.reporting.overview import years_available
from tracker.scheduler.execution import current_jobs, last_fire_time, run_in_context, scheduler_zone
from tracker.scheduler.models import JobRun, JobRunBureau
from tracker.scheduler.registry import JobSpec

__all__ = [
    "job_overview",
    "recent_runs",
    "run_now",
    "job_runs_query",
    "job_run",
    "bureau_lines",
    "run_documents",
]


def describe_cron(cron: dict[str, Any]) -> str:
    """A schedule as a clerk reads it: ``{"day": 6, "hour": 2}`` → 每月6日 02:00 (Asia/Shanghai),
    never APScheduler's field text."""
    minute = cron.get("minute", 0)
    if isinstance(minute, str) and minute.startswith("*/"):
        return gettext("每 %(n)s 分钟", n=minute[2:])
    clock = f"{int(cron.get('hour', 0)):02d}:{int(minute):02d}"
    if "month" in cron and "day" in cron:
        return gettext(
            "每年%(month)s月%(day)s日 %(clock)s", month=cron["month"], day=cron["day"], clock=clock
        )
    if "day" in cron:
        return gettext("每月%(day)s日 %(clock)s", day=cron["day"], clock=clock)
    if "day_of_week" in cron:
        return gettext("每周（%(days)s） %(clock)s", days=cron["day_of_week"], clock=clock)
    return gettext("每日 %(clock)s", clock=clock)


def job_overview(user: User) -> list[dict[str, Any]]:
    access.require_job_operator(user)
    from apscheduler.triggers.cron import CronTrigger

    now = datetime.now(scheduler_zone())
    rows = []
    for spec in current_jobs().values():
        trigger = CronTrigger(timezone=now.tzinfo, **spec.cron)
        rows.append(
            {
                "name": spec.name,
                "description": gettext(spec.description) if spec.description else "",
                "cron": describe_cron(spec.cron),
                "next": trigger.get_next_fire_time(None, now),
                "asks": spec.asks,
                "default": _default_period(spec, now),
            }
        )
    return rows


def _default_period(spec: JobSpec, now: datetime) -> dict[str, int]:
    """The year and month 立即运行 offers first: the job's latest due period, moved to the newest
    year with targets when that one has none (a demo of 2023 opens on 2023, not on today)."""
    if not spec.asks:
        return {}
    _, params = spec.period(last_fire_time(spec, now) or now)
    year, month = int(params.get("year", now.year)), int(params.get("month", 12))
    years = years_available()
    if years and year not in years:
        year, month = years[0], 12
    return {"year": year, "month": month}


def recent_runs(user: User, limit: int = 100) -> list[JobRun]:
    return list(db.session.scalars(job_runs_query(user).limit(limit)))


def job_runs_query(user: User | None, job: str | None = None, status: str | None = None) -> Select[JobRun]:
    """定时任务运行记录, newest first (of one job, in one status, if given): finance and the
    系统管理员 only, as on the /jobs page (anyone else: Forbidden)."""
    access.require_job_operator(user)
    query = select(JobRun)
    if job:
        query = query.where(JobRun.job == job)
    if status:
        query = query.where(JobRun.status == status)
    return query.order_by(JobRun.started_at.desc(), JobRun.id.desc())


def job_run(user: User | None, run_id: int) -> JobRun:
    """One run, for finance and the 系统管理员 (anyone else: Forbidden); a missing one is NotFound."""
    access.require_job_operator(user)
    run = db.session.get(JobRun, run_id)
    if run is None:
        raise access.NotFound(f"job run {run_id}")
    return run


def bureau_lines(user: User | None, runs: list[JobRun]) -> dict[int, list[JobRunBureau]]:
    """run id → the lines of ``runs`` the user reads, in tree order: every line for the root's
    finance and the 系统管理员, a finance user's subtree's only (SPEC §1a); one query."""
    access.require_job_operator(user)
    lines: dict[int, list[JobRunBureau]] = {run.id: [] for run in runs}
    if not runs:
        return lines
    query = select(JobRunBureau).where(JobRunBureau.run_id.in_(list(lines))).order_by(JobRunBureau.id)
    readable = access.finance_bureau_ids(user) if access.is_finance(user) else None
    if readable is not None:
        query = query.where(JobRunBureau.bureau_id.in_(readable or {-1}))
    for line in db.session.scalars(query):
        lines[line.run_id].append(line)
    return lines


_RUN_FIELDS: tuple[str, ...] = ("id", "job", "period", "params", "trigger", "status", "started_at")
_RUN_FIELDS += ("finished_at", "rows", "error", "host")


def run_documents(user: User | None, runs: list[JobRun]) -> list[dict[str, Any]]:
    """The runs as the API shows them, each with the bureau lines the user reads; for a bureau below
    the root, rows are its lines' sum and the error text (which may name any department) is left out."""
    lines = bureau_lines(user, runs)
    whole = access.sees_whole_runs(user)
    return [
        {
            **{name: getattr(run, name) for name in _RUN_FIELDS},
            **({} if whole else {"rows": sum(line.rows for line in lines[run.id]), "error": None}),
            "bureaus": [
                {
                    "bureau": line.bureau_code,
                    "name": line.bureau_name,
                    "departments": line.departments,
                    "rows": line.rows,
                    "detail": line.detail,
                }
                for line in lines[run.id]
            ],
        }
        for run in runs
    ]


def run_now(user: User, name: str, year: int | None = None, month: int | None = None) -> JobRun | None:
    """Run ``name`` now for the period asked (``year``/``month``, for a job that asks them), else
    its latest due period (or the current one if it never fired), even if that period already
    succeeded; the ledger still refuses a run while another, live one is running (None). A run
    whose owner died is marked abandoned and this one runs the period."""
    access.require_job_operator(user)
    if not access.can_run_jobs_now(user):
        raise access.refuse(user, f"run job {name} for the whole installation")
    jobs = current_jobs()
    if name not in jobs:
        raise access.NotFound(name)
    spec = jobs[name]
    now = datetime.now(scheduler_zone())
    if spec.chosen is not None and year is not None:
        period, params = spec.chosen(year, month or 12)
    else:
        period, params = spec.period(last_fire_time(spec, now) or now)
    run_id = run_in_context(
        name, period=period, params=params, trigger="manual", user_id=getattr(user, "id", None)
    )
    return db.session.get(JobRun, run_id) if run_id is not None else None
