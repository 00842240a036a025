"""One run of a job: :func:`run_in_context` claims (job, period) in the ledger, records a
``running`` JobRun, calls the job (it writes without committing) while a :class:`Lease` writes the
claim's heartbeat, then commits the job's writes together with "succeeded" if the claim is still
this run's; on an exception it rolls the job's writes back and marks the run and the period failed
with the error text. :func:`last_fire_time` finds the firing a run is for."""

from __future__ import annotations

import logging
import traceback
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import update

from tracker.core.log_ids import bound_log_id
from tracker.extensions import db
from tracker.scheduler import ledger
from tracker.scheduler.lease import Lease, heartbeat_seconds, stale_window
from tracker.scheduler.models import JobRun, JobRunBureau
from tracker.scheduler.registry import JobSpec, configured_jobs, from_json, jsonable, resolve
from tracker.types import utcnow

__all__ = ["run_in_context", "last_fire_time", "scheduler_zone", "current_jobs"]

log = logging.getLogger("tracker.scheduler")


def scheduler_zone() -> ZoneInfo:
    """The zone the jobs' cron fields are read in (``TIMEZONE``, Asia/Shanghai)."""
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))


def current_jobs() -> dict[str, JobSpec]:
    """The configured jobs (the registry, as ``SCHEDULER_JOBS`` adjusts it)."""
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


def _record_lines(session: Any, run_id: int, result: Any) -> None:
    """A job over many bureaus returns its lines (:class:`tracker.budget.bureau_lines.JobOutcome`):
    stored with the run, in the transaction that marks it succeeded."""
    for line in getattr(result, "lines", None) or []:
        session.add(
            JobRunBureau(
                run_id=run_id,
                bureau_id=line.bureau_id,
                bureau_code=line.code,
                bureau_name=line.name,
                departments=line.departments,
                rows=line.rows,
                detail=line.detail,
            )
        )


def _end_run(session: Any, run_id: int, status: str, **values: Any) -> None:
    session.execute(
        update(JobRun).where(JobRun.id == run_id).values(status=status, finished_at=utcnow(), **values)
    )


def run_in_context(
    name: str,
    *,
    period: str | None = None,
    params: dict[str, Any] | None = None,
    trigger: str = "schedule",
    fired: datetime | None = None,
    user_id: int | None = None,
) -> int | None:
    """Run job ``name`` inside the current app context; the JobRun id, or None when a live run
    holds the period (or it already succeeded and ``trigger`` is not ``manual``). A run of the
    period whose owner died is marked abandoned first, and this one runs it. Every line the run
    logs carries an id of its own (``job-…``), as a web request's lines carry the request's."""
    with bound_log_id(f"job-{uuid.uuid4().hex[:16]}"):
        return _run(name, period, params, trigger, fired, user_id)


def _run(
    name: str,
    period: str | None,
    params: dict[str, Any] | None,
    trigger: str,
    fired: datetime | None,
    user_id: int | None,
) -> int | None:
    spec = current_jobs()[name]
    if period is None or params is None:
        period, params = spec.period(fired or datetime.now(scheduler_zone()))
    session = db.session
    lease = Lease(db.engine, heartbeat_seconds(), busy=session().in_transaction).open()
    try:
        ledger_id = ledger.claim(
            session,
            name,
            period,
            force=trigger == "manual",
            owner=lease.owner,
            lease=lease.token,
            backend=lease.backend,
            stale=stale_window(),
        )
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
            host=lease.owner,
            user_id=user_id,
        )
        session.add(run)
        session.flush()
        run_id = run.id
        session.commit()  # and no transaction left open by reading the run back
        log.info("job %s %s: run %s started (%s)", name, period, run_id, trigger)
        lease.start(ledger_id)
        try:
            result = resolve(spec.func)(**from_json(params))
            rows = _rows(result)
            lease.stop()
            held = ledger.finish(session, ledger_id, "succeeded", lease.token)
            if held:
                _record_lines(session, run_id, result)
                _end_run(session, run_id, "succeeded", rows=rows)
                session.commit()
        except Exception as exc:  # noqa: BLE001 — any failure is recorded, none half-written
            session.rollback()
            lease.stop()
            log.exception("job %s %s failed", name, period)
            error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
            held = ledger.finish(session, ledger_id, "failed", lease.token)
            if held:
                _end_run(session, run_id, "failed", error=error[:8000])
                session.commit()
                return run_id
        if not held:  # another process took the period over: this run's writes must not stay
            session.rollback()
            log.warning(
                "job %s %s: its claim was abandoned while it ran; its writes are rolled back", name, period
            )
            _end_run(
                session,
                run_id,
                "abandoned",
                error="本次运行的认领已被其他进程判定作废并接管（心跳中断），写入已撤销。",
            )
            session.commit()
            return run_id
        log.info("job %s %s succeeded: %s rows", name, period, rows)
        return run_id
    finally:
        lease.close()


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
