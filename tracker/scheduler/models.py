"""The scheduler's run ledger and run history (issue 4 §5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import Model
from tracker.types import Timestamp

__all__ = ["JobLedger", "JobRun", "JobRunBureau", "LEDGER_STATUSES"]

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

    bureau_lines: Mapped[list[JobRunBureau]] = relationship(
        order_by="JobRunBureau.id", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class JobRunBureau(Model):
    """One bureau's line of a run of a job over many bureaus (issue 15 §5): its departments, the
    rows written for them, and what else the job counted (``detail``: rule packs, lamps, grades,
    packages sent, failed or refused, the recipients). Written in the transaction that records the
    run succeeded; code and name as they were then. A finance user reads its subtree's lines only."""

    __tablename__ = "job_run_bureau"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("job_run.id", ondelete="CASCADE"), index=True)
    #: None: an installation without a bureau tree (every department the root's).
    bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureau.id", ondelete="SET NULL"))
    bureau_code: Mapped[str] = mapped_column(String(32), default="")
    bureau_name: Mapped[str] = mapped_column(String(200), default="")
    departments: Mapped[int] = mapped_column(default=0)
    rows: Mapped[int] = mapped_column(default=0)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
