"""Running jobs: :func:`run_job` (what APScheduler calls, by text, with plain arguments),
:func:`catch_up` at start, and :func:`serve` — the ``flask tracker scheduler`` process.

A run: claim (job, period) in the ledger → record a ``running`` JobRun → call the job (it writes
without committing) → commit and mark succeeded; on an exception roll the job's writes back and
mark the run and the period failed with the error text. The next run of a failed period claims it
again.
"""

from __future__ import annotations

import logging
import socket
import time
import traceback
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import update

from tracker.extensions import db
from tracker.scheduler import ledger
from tracker.scheduler.lock import LeaderLock
from tracker.scheduler.models import JobRun
from tracker.scheduler.registry import JobSpec, configured_jobs, from_json, jsonable, resolve
from tracker.types import utcnow

__all__ = ["run_job", "run_in_context", "catch_up", "last_fire_time", "serve", "JOB_DEFAULTS"]

log = logging.getLogger("tracker.scheduler")

#: coalesce: one run for many missed firings; misfire grace an hour (APScheduler's 1 s default
#: silently skips a job that starts late).
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
_APP: Flask | None = None


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))


def _jobs() -> dict[str, JobSpec]:
    return configured_jobs(current_app.config.get("SCHEDULER_JOBS"))


def _rows(result: Any) -> int | None:
    if result is None:
        return None
    if isinstance(result, int):
        return result
    if hasattr(result, "rows"):
        return int(result.rows)
    try:
        return len(result)
    except TypeError:
        return None


def run_in_context(
    name: str,
    *,
    period: str | None = None,
    params: dict[str, Any] | None = None,
    trigger: str = "schedule",
    fired: datetime | None = None,
    user_id: int | None = None,
) -> int | None:
    """Run job ``name`` inside the current app context; the JobRun id, or None when another run
    holds the period (or it already succeeded and ``trigger`` is not ``manual``)."""
    spec = _jobs()[name]
    if period is None or params is None:
        period, params = spec.period(fired or datetime.now(_tz()))
    session = db.session
    ledger_id = ledger.claim(session, name, period, force=trigger == "manual")
    if ledger_id is None:
        log.info("job %s %s: already done or running elsewhere", name, period)
        return None
    run = JobRun(
        job=name,
        period=period,
        params=jsonable(params),
        trigger=trigger,
        status="running",
        started_at=utcnow(),
        host=f"{socket.gethostname()}:{_pid()}",
        user_id=user_id,
    )
    session.add(run)
    session.commit()
    run_id = run.id
    try:
        rows = _rows(resolve(spec.func)(**from_json(params)))
        session.commit()
    except Exception as exc:  # noqa: BLE001 — any failure is recorded, none half-written
        session.rollback()
        log.exception("job %s %s failed", name, period)
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(status="failed", finished_at=utcnow(), error=error[:8000])
        )
        ledger.finish(session, ledger_id, "failed")
        session.commit()
        return run_id
    session.execute(
        update(JobRun).where(JobRun.id == run_id).values(status="succeeded", finished_at=utcnow(), rows=rows)
    )
    ledger.finish(session, ledger_id, "succeeded")
    session.commit()
    log.info("job %s %s succeeded: %s rows", name, period, rows)
    return run_id


def _pid() -> int:
    import os

    return os.getpid()


def _app() -> Flask:
    global _APP
    if _APP is None:
        from tracker import create_app

        _APP = create_app(web=False)
    return _APP


def run_job(name: str, trigger: str = "schedule") -> int | None:
    """The APScheduler entry point (referenced as ``tracker.scheduler.runner:run_job``): opens its
    own app context and runs the period of this firing."""
    with _app().app_context():
        try:
            return run_in_context(name, trigger=trigger)
        finally:
            db.session.remove()


def last_fire_time(
    spec: JobSpec, now: datetime, lookback: timedelta = timedelta(days=400)
) -> datetime | None:
    """The latest scheduled firing of ``spec`` at or before ``now``."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger(timezone=now.tzinfo, **spec.cron)
    fired, last = trigger.get_next_fire_time(None, now - lookback), None
    while fired is not None and fired <= now:
        last = fired
        fired = trigger.get_next_fire_time(fired, fired + timedelta(seconds=1))
    return last


def catch_up(now: datetime | None = None, *, only: set[str] | None = None) -> list[int]:
    """At start: run the latest due period of every job whose ledger shows no success for it, if
    that firing is within ``SCHEDULER_CATCH_UP_DAYS`` (default 35: a fresh installation does not
    send last year's packages)."""
    now = now or datetime.now(_tz())
    lookback = timedelta(days=int(current_app.config.get("SCHEDULER_CATCH_UP_DAYS", 35)))
    runs = []
    for spec in _jobs().values():
        if not spec.catch_up or (only is not None and spec.name not in only):
            continue
        fired = last_fire_time(spec, now, lookback)
        if fired is None:
            continue
        period, params = spec.period(fired)
        if ledger.succeeded(db.session, spec.name, period):
            continue
        run_id = run_in_context(spec.name, period=period, params=params, trigger="catch-up")
        if run_id is not None:
            runs.append(run_id)
    return runs


def leader_lock(app: Flask) -> LeaderLock:
    return LeaderLock(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path)


def serve(app: Flask, *, standby_poll: float = 30.0) -> None:
    """The scheduler process: wait to become leader, catch up, then run jobs on their schedules."""
    global _APP
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    _APP = app
    lock = leader_lock(app)
    while not lock.acquire():
        log.info("another scheduler is the leader; standing by")
        time.sleep(standby_poll)
    try:
        with app.app_context():
            tz = _tz()
            jobs = _jobs()
            catch_up()
            db.session.remove()
        scheduler = BlockingScheduler(timezone=tz, job_defaults=JOB_DEFAULTS)
        for spec in jobs.values():
            scheduler.add_job(
                "tracker.scheduler.runner:run_job",
                CronTrigger(timezone=tz, **spec.cron),
                args=[spec.name],
                id=spec.name,
                name=spec.description or spec.name,
                replace_existing=True,
            )
        log.info("scheduler leader: %d jobs", len(jobs))
        scheduler.start()
    finally:
        lock.release()
