"""The ``flask tracker scheduler`` process: :func:`serve` waits to lead, :func:`catch_up` at
start, :func:`run_job` (what APScheduler calls, by text, with plain arguments), :func:`recover`
(a dead owner's runs) and the leader's :func:`watch`. One run is :mod:`tracker.scheduler.execution`,
its heartbeat :mod:`tracker.scheduler.lease`.

The next run of a failed period claims it again, and so does the next look at a period whose owner
died (``abandoned``). ``SCHEDULER_STANDBY_SECONDS`` (30: app config, else the environment) is how
often a standby tries to become the leader; the leader looks for dead runs and checks its lock every
``SCHEDULER_HEARTBEAT_SECONDS``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from tracker.extensions import db
from tracker.scheduler import ledger
from tracker.scheduler.execution import current_jobs, last_fire_time, run_in_context, scheduler_zone
from tracker.scheduler.lease import Lease, heartbeat_seconds, setting, stale_window
from tracker.scheduler.lock import LeaderLock
from tracker.scheduler.models import JobRun

__all__ = [
    "run_job",
    "run_period",
    "run_in_context",
    "catch_up",
    "recover",
    "watch",
    "last_fire_time",
    "serve",
    "Lease",
    "JOB_DEFAULTS",
]

log = logging.getLogger("tracker.scheduler")

#: coalesce: one run for many missed firings; misfire grace an hour (APScheduler's 1 s default
#: silently skips a job that starts late).
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
_APP: Flask | None = None


def _app() -> Flask:
    global _APP
    if _APP is None:
        from tracker import create_app

        _APP = create_app(web=False)
    return _APP


class _Term:
    """One leadership of this process: the lock, and the scheduler that runs jobs while it holds."""

    def __init__(self, lock: LeaderLock) -> None:
        self.lock = lock
        self.scheduler: Any = None
        self.stood_down = threading.Event()
        self._guard = threading.Lock()

    def leading(self, before: str) -> bool:
        if self.stood_down.is_set():
            return False
        if self.lock.check():
            return True
        with self._guard:
            if not self.stood_down.is_set():
                self.stood_down.set()
                log.warning(
                    "lost the leader lock (checked before %s): standing down, no more jobs here", before
                )
                if self.scheduler is not None and self.scheduler.running:
                    self.scheduler.shutdown(wait=False)
        return False


#: The leadership of this process while :func:`serve` leads (None elsewhere: tests, commands).
_TERM: _Term | None = None


def _leading(before: str) -> bool:
    """Before each job: whether this process may run it (it is the leader, or no scheduler at all)."""
    term = _TERM
    return term is None or term.leading(before)


def run_job(name: str, trigger: str = "schedule") -> int | None:
    """The APScheduler entry point (referenced as ``tracker.scheduler.runner:run_job``): opens its
    own app context and runs the period of this firing — if this process is still the leader."""
    if not _leading(f"job {name}"):
        return None
    with _app().app_context():
        try:
            return run_in_context(name, trigger=trigger)
        finally:
            db.session.remove()


def run_period(name: str, period: str, params: dict[str, Any]) -> int | None:
    """Run ``period`` of ``name`` again (an abandoned one, submitted by :func:`watch`)."""
    if not _leading(f"job {name} {period}"):
        return None
    with _app().app_context():
        try:
            return run_in_context(name, period=period, params=params, trigger="catch-up")
        finally:
            db.session.remove()


def recover(submit: Any = None) -> list[int]:
    """Mark dead owners' runs abandoned, then run every abandoned period of a configured job again
    (with the parameters of its last run) — here, or through ``submit(name, period, params)``."""
    session = db.session
    for job, period in ledger.abandon_dead(session, stale_window()):
        log.warning("job %s %s: its owner is gone (no heartbeat or no session); run abandoned", job, period)
    session.commit()
    jobs, runs = current_jobs(), []
    for job, period in ledger.abandoned(session):
        params = session.scalar(
            select(JobRun.params)
            .where(JobRun.job == job, JobRun.period == period)
            .order_by(JobRun.id.desc())
            .limit(1)
        )
        if job not in jobs or params is None:
            continue
        if submit is not None:
            submit(job, period, params)
        elif _leading(f"job {job} {period}"):
            run_id = run_in_context(job, period=period, params=params, trigger="catch-up")
            if run_id is not None:
                runs.append(run_id)
    return runs


def watch(term: _Term) -> None:
    """One look of the leader's watch: still the leader? Then abandon dead owners' runs and submit
    their periods to the scheduler as one-off jobs."""
    if not term.leading("the watch"):
        return

    def submit(name: str, period: str, params: dict[str, Any]) -> None:
        from apscheduler.jobstores.base import ConflictingIdError

        if term.scheduler is not None:
            with contextlib.suppress(ConflictingIdError):  # already submitted, not started yet
                term.scheduler.add_job(run_period, args=[name, period, params], id=f"rerun:{name}:{period}")

    with _app().app_context():
        try:
            recover(submit)
        finally:
            db.session.remove()


def _watch_loop(term: _Term, interval: float) -> None:
    while not term.stood_down.wait(interval):
        try:
            watch(term)
        except Exception:  # noqa: BLE001 — the next look tries again
            log.exception("the scheduler's watch failed")


def catch_up(now: datetime | None = None, *, only: set[str] | None = None) -> list[int]:
    """At start: run again the periods dead owners abandoned (:func:`recover`), then the latest due
    period of every job whose ledger shows no success for it, if that firing is within
    ``SCHEDULER_CATCH_UP_DAYS`` (default 35: a fresh installation does not send last year's
    packages)."""
    runs = recover() if only is None else []
    now = now or datetime.now(scheduler_zone())
    lookback = timedelta(days=int(current_app.config.get("SCHEDULER_CATCH_UP_DAYS", 35)))
    for spec in current_jobs().values():
        if not spec.catch_up or (only is not None and spec.name not in only):
            continue
        fired = last_fire_time(spec, now, lookback)
        if fired is None:
            continue
        period, params = spec.period(fired)
        if ledger.succeeded(db.session, spec.name, period):
            continue
        if not _leading(f"job {spec.name}"):
            break
        run_id = run_in_context(spec.name, period=period, params=params, trigger="catch-up")
        if run_id is not None:
            runs.append(run_id)
    return runs


def leader_lock(app: Flask) -> LeaderLock:
    return LeaderLock(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path)


def _lead(app: Flask, lock: LeaderLock) -> None:
    """Lead until the lock is lost: catch up, then run jobs on their schedules, and every heartbeat
    interval :func:`watch` (a thread). Returns when this process stood down."""
    global _TERM
    from apscheduler.events import EVENT_SCHEDULER_STARTED
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    term = _TERM = _Term(lock)
    try:
        with app.app_context():
            tz = scheduler_zone()
            jobs = current_jobs()
            log.info("scheduler leader (lock backend %s): %d jobs", lock.backend_pid or "-", len(jobs))
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
        watch_thread = threading.Thread(
            target=_watch_loop, args=(term, heartbeat_seconds(app)), name="scheduler-watch", daemon=True
        )
        # Started once the scheduler runs, so that a stand-down always finds it running to stop.
        scheduler.add_listener(lambda event: watch_thread.start(), EVENT_SCHEDULER_STARTED)
        term.scheduler = scheduler
        if not term.stood_down.is_set():
            scheduler.start()
    finally:
        term.stood_down.set()  # this leadership is over: the watch ends
        _TERM = None
        if term.scheduler is not None and term.scheduler.running:
            term.scheduler.shutdown(wait=False)


def serve(app: Flask, *, standby_poll: float | None = None) -> None:
    """The scheduler process: wait to become leader, lead; when the lock is lost, stand by again."""
    global _APP
    _APP = app
    poll = setting("SCHEDULER_STANDBY_SECONDS", 30, app) if standby_poll is None else standby_poll
    while True:
        lock = leader_lock(app)
        if not lock.acquire():
            log.info("another scheduler is the leader; standing by")
            while not lock.acquire():
                time.sleep(poll)
        try:
            _lead(app, lock)
        finally:
            lock.release()
        log.info("stood down; standing by (trying for the lock every %s s)", poll)
        time.sleep(poll)  # the standby that took the lock over goes first
