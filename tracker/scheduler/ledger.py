"""The run ledger: claim a (job, period) atomically, then mark it succeeded or failed.

The claim is ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (SQLite ≥ 3.35 and PostgreSQL, through
SQLAlchemy's dialect-specific insert); only the process that gets an id runs the period. A failed
period, a claim left ``running`` by a process that died (older than ``STALE``), or — for "run now" —
a succeeded period is re-claimed with one conditional UPDATE … RETURNING, equally atomic.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, scoped_session

from tracker.scheduler.models import JobLedger
from tracker.types import utcnow

__all__ = ["claim", "finish", "succeeded", "STALE"]

#: A claim still "running" after this long belongs to a process that died.
STALE = timedelta(hours=6)


def claim(session: Session | scoped_session, job: str, period: str, *, force: bool = False) -> int | None:
    """Claim (job, period) and commit; the ledger id, or None when another run has it (or, without
    ``force``, when the period already succeeded)."""
    now = utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(JobLedger)
        .values(job=job, period=period, status="running", attempts=1, claimed_at=now)
        .on_conflict_do_nothing(index_elements=["job", "period"])
        .returning(JobLedger.id)
    )
    ledger_id = session.execute(statement).scalar()
    if ledger_id is None:
        reclaimable = [
            JobLedger.status == "failed",
            and_(JobLedger.status == "running", JobLedger.claimed_at < now - STALE),
        ]
        if force:
            reclaimable.append(JobLedger.status == "succeeded")
        ledger_id = session.execute(
            update(JobLedger)
            .where(JobLedger.job == job, JobLedger.period == period, or_(*reclaimable))
            .values(status="running", claimed_at=now, finished_at=None, attempts=JobLedger.attempts + 1)
            .returning(JobLedger.id)
        ).scalar()
    session.commit()
    return ledger_id


def finish(session: Session | scoped_session, ledger_id: int, status: str) -> None:
    """Mark a claimed period succeeded or failed (no commit: the caller commits with the run row)."""
    session.execute(
        update(JobLedger).where(JobLedger.id == ledger_id).values(status=status, finished_at=utcnow())
    )


def succeeded(session: Session | scoped_session, job: str, period: str) -> bool:
    return (
        session.scalar(
            select(JobLedger.id).where(
                JobLedger.job == job, JobLedger.period == period, JobLedger.status == "succeeded"
            )
        )
        is not None
    )
