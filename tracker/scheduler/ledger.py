"""The run ledger: claim a (job, period) atomically, keep the claim alive, mark it succeeded or failed.

The claim is ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (SQLite ≥ 3.35 and PostgreSQL, through
SQLAlchemy's dialect-specific insert); only the process that gets an id runs the period. A failed or
abandoned period, or — for "run now" — a succeeded one, is re-claimed with one conditional
UPDATE … RETURNING, equally atomic.

A running claim names its owner, who proves it is alive: its heartbeat (:func:`heartbeat`, every
``SCHEDULER_HEARTBEAT_SECONDS``) and, on PostgreSQL, the backend of the owner's own connection. A
claim whose heartbeat is older than the stale window, or whose backend is gone (the owner was
killed: the server ends a dead client's session at once), is marked ``abandoned`` by whoever looks
next (:func:`abandon_dead`; every claim looks at its own period first) and may be claimed again. The
claim's lease token fences a late owner: :func:`finish` changes only the row its lease still holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Integer, and_, column, func, or_, select, table, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, scoped_session

from tracker.scheduler.models import JobLedger, JobRun
from tracker.types import utcnow

__all__ = ["claim", "abandon_dead", "heartbeat", "finish", "succeeded", "abandoned", "STALE"]

#: A running claim without a heartbeat for this long belongs to a process that died.
STALE = timedelta(seconds=60)

AnySession = Session | scoped_session
_PG_STAT_ACTIVITY = table("pg_stat_activity", column("pid", Integer))


def _is_postgresql(session: AnySession | Connection) -> bool:
    bind = session if isinstance(session, Connection) else session.get_bind()
    return bind.dialect.name == "postgresql"


def _dead(session: AnySession, now: datetime, stale: timedelta) -> ColumnElement[bool]:
    """A running row whose owner is gone: no heartbeat within ``stale`` (rows of older versions have
    none: their claim time counts), or on PostgreSQL its owner's backend no longer exists."""
    silent = func.coalesce(JobLedger.heartbeat_at, JobLedger.claimed_at) < now - stale
    if not _is_postgresql(session):
        return silent
    backends = select(_PG_STAT_ACTIVITY.c.pid).where(_PG_STAT_ACTIVITY.c.pid.is_not(None))
    gone = and_(JobLedger.owner_backend.is_not(None), JobLedger.owner_backend.not_in(backends))
    return or_(silent, gone)


def abandon_dead(
    session: AnySession,
    stale: timedelta = STALE,
    *,
    job: str | None = None,
    period: str | None = None,
    now: datetime | None = None,
) -> list[tuple[str, str]]:
    """Mark running claims of dead owners (of ``job``/``period`` when given) and their running
    JobRun rows ``abandoned``; the (job, period) pairs, which may be claimed again. No commit."""
    now = now or utcnow()
    if _is_postgresql(session):  # pg_stat_activity is read once per transaction, unless cleared
        session.execute(select(func.pg_stat_clear_snapshot()))
    where = [JobLedger.status == "running", _dead(session, now, stale)]
    if job is not None:
        where.append(JobLedger.job == job)
    if period is not None:
        where.append(JobLedger.period == period)
    rows = session.execute(
        update(JobLedger)
        .where(*where)
        .values(status="abandoned", finished_at=now)
        .returning(JobLedger.job, JobLedger.period, JobLedger.owner, JobLedger.heartbeat_at)
    ).all()
    for dead_job, dead_period, owner, beat in rows:
        last = f"最后心跳 {beat:%Y-%m-%d %H:%M:%S} UTC" if beat else "无心跳"
        runs = [JobRun.job == dead_job, JobRun.period == dead_period, JobRun.status == "running"]
        if owner:
            runs.append(JobRun.host == owner)
        session.execute(
            update(JobRun)
            .where(*runs)
            .values(
                status="abandoned",
                finished_at=now,
                error=f"运行进程 {owner or '?'} 已中断（{last}），本次运行作废，该周期重新运行。",
            )
        )
    return [(dead_job, dead_period) for dead_job, dead_period, _, _ in rows]


def claim(
    session: AnySession,
    job: str,
    period: str,
    *,
    force: bool = False,
    owner: str | None = None,
    lease: str | None = None,
    backend: int | None = None,
    stale: timedelta = STALE,
) -> int | None:
    """Claim (job, period) for ``owner`` and commit; the ledger id, or None when a live run has it
    (or, without ``force``, when the period already succeeded). A dead owner's run of the period is
    abandoned first."""
    now = utcnow()
    abandon_dead(session, stale, job=job, period=period, now=now)
    holder = {"owner": owner, "lease": lease, "owner_backend": backend, "heartbeat_at": now}
    insert = pg_insert if _is_postgresql(session) else sqlite_insert
    statement = (
        insert(JobLedger)
        .values(job=job, period=period, status="running", attempts=1, claimed_at=now, **holder)
        .on_conflict_do_nothing(index_elements=["job", "period"])
        .returning(JobLedger.id)
    )
    ledger_id = session.execute(statement).scalar()
    if ledger_id is None:
        reclaimable: list[ColumnElement[bool]] = [JobLedger.status.in_(("failed", "abandoned"))]
        if force:
            reclaimable.append(JobLedger.status == "succeeded")
        ledger_id = session.execute(
            update(JobLedger)
            .where(JobLedger.job == job, JobLedger.period == period, or_(*reclaimable))
            .values(
                status="running",
                claimed_at=now,
                finished_at=None,
                attempts=JobLedger.attempts + 1,
                **holder,
            )
            .returning(JobLedger.id)
        ).scalar()
    session.commit()
    return ledger_id


def _held(ledger_id: int, lease: str | None) -> list[ColumnElement[bool]]:
    where = [JobLedger.id == ledger_id, JobLedger.status == "running"]
    if lease is not None:
        where.append(JobLedger.lease == lease)
    return where


def heartbeat(connection: Connection, ledger_id: int, lease: str, backend: int | None = None) -> bool:
    """The owner is alive (no commit); False when the claim is no longer its own (abandoned)."""
    values: dict[str, object] = {"heartbeat_at": utcnow()}
    if backend is not None:
        values["owner_backend"] = backend
    result = connection.execute(update(JobLedger).where(*_held(ledger_id, lease)).values(**values))
    return result.rowcount == 1


def finish(session: AnySession, ledger_id: int, status: str, lease: str | None = None) -> bool:
    """Mark a claimed period succeeded or failed (no commit: the caller commits with the run row and
    the job's writes); False — nothing changed — when ``lease`` no longer holds the claim."""
    result = session.execute(
        update(JobLedger).where(*_held(ledger_id, lease)).values(status=status, finished_at=utcnow())
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def succeeded(session: AnySession, job: str, period: str) -> bool:
    return (
        session.scalar(
            select(JobLedger.id).where(
                JobLedger.job == job, JobLedger.period == period, JobLedger.status == "succeeded"
            )
        )
        is not None
    )


def abandoned(session: AnySession) -> list[tuple[str, str]]:
    """The (job, period) pairs left abandoned: to be run again."""
    return [
        (job, period)
        for job, period in session.execute(
            select(JobLedger.job, JobLedger.period)
            .where(JobLedger.status == "abandoned")
            .order_by(JobLedger.claimed_at)
        )
    ]
