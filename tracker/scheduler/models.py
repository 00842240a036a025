"""The scheduler's run ledger and run history (issue 4 §5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import Model
from tracker.types import Timestamp

__all__ = ["JobLedger", "JobRun", "LEDGER_STATUSES"]

#: running → succeeded | failed | abandoned (its owner died: no heartbeat, or on PostgreSQL its
#: database session gone). A failed or abandoned period may be claimed again; a succeeded one only by
#: "run now".
LEDGER_STATUSES = ("running", "succeeded", "failed", "abandoned")


class JobLedger(Model):
    """One row per (job, period): claimed with INSERT … ON CONFLICT DO NOTHING RETURNING, so a period
    runs once even when two scheduler processes race for it. A running row names its owner: the
    process (``host:pid``), the claim's ``lease`` token (only its holder may finish the row), the
    PostgreSQL backend of the owner's own connection, and the heartbeat the owner writes while the
    job runs."""

    __tablename__ = "job_ledger"
    __table_args__ = (UniqueConstraint("job", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(default=1)
    claimed_at: Mapped[Timestamp]
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    owner: Mapped[str | None] = mapped_column(String(100))
    lease: Mapped[str | None] = mapped_column(String(32))
    owner_backend: Mapped[int | None]
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobRun(Model):
    """Every run of a job: parameters, start, finish, status, rows written, error text."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    trigger: Mapped[str] = mapped_column(String(12))  # schedule | catch-up | manual
    status: Mapped[str] = mapped_column(String(12))  # running | succeeded | failed | abandoned
    started_at: Mapped[Timestamp]
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rows: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(100), default="")
    user_id: Mapped[int | None]
