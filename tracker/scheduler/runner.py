"""Running jobs: :func:`run_job` (what APScheduler calls, by text, with plain arguments),
:func:`catch_up` at start, :func:`recover` (a dead owner's runs), and :func:`serve` — the
``flask tracker scheduler`` process.

A run: claim (job, period) in the ledger → record a ``running`` JobRun → call the job (it writes
without committing) while a :class:`Lease` thread writes the claim's heartbeat → commit the job's
writes together with "succeeded", if the claim is still this run's; on an exception roll the job's
writes back and mark the run and the period failed with the error text. The next run of a failed
period claims it again, and so does the next look at a period whose owner died (``abandoned``).

Settings (app config, else the environment): ``SCHEDULER_HEARTBEAT_SECONDS`` (15: how often a
running job's heartbeat is written, and how often the leader looks for dead runs and checks its
lock), ``SCHEDULER_STALE_SECONDS`` (60: a running claim without a heartbeat this long is abandoned;
on PostgreSQL one whose owner's database session is gone is abandoned at once),
``SCHEDULER_STANDBY_SECONDS`` (30: how often a standby tries to become the leader).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, create_engine, select, text, update
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from tracker.extensions import db
from tracker.scheduler import ledger
from tracker.scheduler.lock import LeaderLock
from tracker.scheduler.models import JobRun
from tracker.scheduler.registry import JobSpec, configured_jobs, from_json, jsonable, resolve
from tracker.types import utcnow

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


def _setting(name: str, default: float, app: Flask | None = None) -> float:
    value = (app or current_app).config.get(name)
    return float(os.environ.get(name, default) if value is None else value)


def heartbeat_seconds(app: Flask | None = None) -> float:
    return _setting("SCHEDULER_HEARTBEAT_SECONDS", 15, app)


def stale_window(app: Flask | None = None) -> timedelta:
    return timedelta(seconds=_setting("SCHEDULER_STALE_SECONDS", ledger.STALE.total_seconds(), app))


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


_LEASE_ENGINES: dict[URL, Engine] = {}


def _lease_engine(engine: Engine) -> Engine:
    """Unpooled connections of a lease: on PostgreSQL a backend of its own, on SQLite one that
    never waits for a lock (a heartbeat waiting with the write lock taken would make the job's own
    first write fail: SQLite does not wait for a lock when the waiter already reads)."""
    if engine.url not in _LEASE_ENGINES:
        options = {} if engine.dialect.name == "postgresql" else {"connect_args": {"timeout": 0}}
        _LEASE_ENGINES[engine.url] = create_engine(engine.url, poolclass=NullPool, **options)
    return _LEASE_ENGINES[engine.url]


class Lease:
    """A run's hold on its claim: ``owner`` (``host:pid``), a ``token`` of its own, and on
    PostgreSQL a connection of its own, whose backend the ledger records — the server ends it when
    this process dies, so the claim is seen dead at once. A daemon thread writes the heartbeat every
    ``interval`` seconds until :meth:`stop`; ``lost`` is set when the claim was abandoned meanwhile.

    On SQLite a beat is skipped while ``busy()`` (the job's session is inside a transaction: its
    read lock would refuse the beat's commit anyway), and a refused beat is tried again a second
    later. While the job holds a transaction open no other process can commit an abandonment
    either; once it is dead its locks are gone and its heartbeat goes stale."""

    def __init__(self, engine: Engine, interval: float, busy: Callable[[], bool] | None = None) -> None:
        self.owner = f"{socket.gethostname()}:{os.getpid()}"[-100:]
        self.token = uuid.uuid4().hex
        self.interval = interval
        self.backend: int | None = None
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: Connection | None = None
        self._postgresql = engine.dialect.name == "postgresql"
        self._busy = busy if busy is not None and not self._postgresql else (lambda: False)
        self._engine = _lease_engine(engine)

    def open(self) -> Lease:
        if self._postgresql:
            self._connect()
        return self

    def _connect(self) -> Connection:
        connection = self._engine.connect()
        self.backend = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        connection.commit()
        self._connection = connection
        return connection

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 — a broken connection is closed as it is
                log.debug("closing a lease connection", exc_info=True)

    def start(self, ledger_id: int) -> None:
        self._thread = threading.Thread(
            target=self._beat, args=(ledger_id,), name=f"heartbeat-{ledger_id}", daemon=True
        )
        self._thread.start()

    def _write(self, ledger_id: int) -> bool:
        if not self._postgresql:
            with self._engine.begin() as connection:
                return ledger.heartbeat(connection, ledger_id, self.token)
        reconnected = self._connection is None
        lease_connection = self._connect() if self._connection is None else self._connection
        ours = ledger.heartbeat(
            lease_connection, ledger_id, self.token, self.backend if reconnected else None
        )
        lease_connection.commit()
        return ours

    def _beat(self, ledger_id: int) -> None:
        wait = self.interval
        try:
            while not self._stop.wait(wait):
                wait = self.interval
                if self._busy():
                    wait = min(self.interval, 1.0)
                    continue
                try:
                    ours = self._write(ledger_id)
                except Exception as error:  # noqa: BLE001 — a missed beat is retried; the job goes on
                    level = logging.WARNING if self._postgresql else logging.DEBUG
                    log.log(level, "heartbeat of claim %s failed: %s", ledger_id, str(error).splitlines()[0])
                    self._disconnect()
                    wait = min(self.interval, 1.0)
                    continue
                if not ours and not self._stop.is_set():
                    log.warning("claim %s is no longer this run's (abandoned by another process)", ledger_id)
                    self.lost.set()
                    return
        finally:
            self._disconnect()

    def stop(self) -> None:
        """No more heartbeats (before the run finishes its claim)."""
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        if self._thread is None:
            self._disconnect()
        else:  # the thread closes its connection; a beat stuck on the network is not waited for
            self._thread.join(timeout=5)


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
    period whose owner died is marked abandoned first, and this one runs it."""
    spec = _jobs()[name]
    if period is None or params is None:
        period, params = spec.period(fired or datetime.now(_tz()))
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
        lease.start(ledger_id)
        try:
            rows = _rows(resolve(spec.func)(**from_json(params)))
            lease.stop()
            held = ledger.finish(session, ledger_id, "succeeded", lease.token)
            if held:
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
    jobs, runs = _jobs(), []
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
    """At start: run again the periods dead owners abandoned (:func:`recover`), then the latest due
    period of every job whose ledger shows no success for it, if that firing is within
    ``SCHEDULER_CATCH_UP_DAYS`` (default 35: a fresh installation does not send last year's
    packages)."""
    runs = recover() if only is None else []
    now = now or datetime.now(_tz())
    lookback = timedelta(days=int(current_app.config.get("SCHEDULER_CATCH_UP_DAYS", 35)))
    for spec in _jobs().values():
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
            tz = _tz()
            jobs = _jobs()
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
    poll = _setting("SCHEDULER_STANDBY_SECONDS", 30, app) if standby_poll is None else standby_poll
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
