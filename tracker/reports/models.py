"""报送: who receives the compliance packages and the record of every send (issue 5, SPEC §5, §6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import Model
from tracker.types import Timestamp

__all__ = [
    "ReportRecipient",
    "Delivery",
    "DeliveryAttempt",
    "REPORT_KINDS",
    "DELIVERY_STATUSES",
    "UNFINISHED",
    "BUREAU_SCOPE",
]

#: 绩效自评 (annual), 绩效监控 (1–M月), 预算执行进度 (monthly).
REPORT_KINDS = ("self-assessment", "monitoring", "execution")
#: pending → sent, or → retrying (with backoff) → sent | failed (gave up); pending or retrying →
#: superseded when a newer package of the same period was recorded (only the newest goes out).
DELIVERY_STATUSES = ("pending", "retrying", "sent", "failed", "superseded")
#: Not delivered yet, and still to be tried by the retry job.
UNFINISHED = ("pending", "retrying")
#: ``ReportRecipient.scope_key`` of the finance bureau's own addresses.
BUREAU_SCOPE = "bureau"


class ReportRecipient(Model):
    """A recipient address set by finance: the bureau's (``scope_key`` ``bureau``) or a
    department's (``department:<code>``, a copy for the department itself)."""

    __tablename__ = "report_recipient"
    __table_args__ = (UniqueConstraint("scope_key", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(48), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    email: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[Timestamp]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class Delivery(Model):
    """One package (XLSX + PDF) of a department for a period, and its sending.

    The files are stored under ``REPORT_DIR`` by SHA-256; a retry or a resend sends exactly these
    bytes again as a new attempt on this record. ``month`` is 0 for the annual 绩效自评.

    One record per package: (department, kind, period, ``content_sha256``) — the content apart
    from its 编制日期, so sending the same data again on another day finds this record. An attempt
    is claimed first (``sending_since``, ``attempts``; see :mod:`tracker.reports.sending`).
    """

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("kind", "department_id", "year", "month", "xlsx_sha256", "pdf_sha256"),
        UniqueConstraint("kind", "department_id", "year", "month", "content_sha256"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    year: Mapped[int]
    month: Mapped[int] = mapped_column(default=0)
    subject: Mapped[str] = mapped_column(String(300))
    xlsx_name: Mapped[str] = mapped_column(String(200))
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    pdf_name: Mapped[str] = mapped_column(String(200))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of what the package says, its 编制日期 left out (null on records older than it).
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated, as sent
    #: Comma-separated: the recipients whose server accepted the message since the last send or
    #: resend; a retry goes only to the others, so nobody gets the package twice.
    delivered_to: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Set by the claim of an attempt while its message is being sent; cleared when it is recorded.
    sending_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[Timestamp]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    department = relationship("Department")
    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="delivery", order_by="DeliveryAttempt.number", cascade="all, delete-orphan"
    )

    @property
    def recipient_list(self) -> list[str]:
        return [address for address in self.recipients.split(",") if address]

    @property
    def undelivered(self) -> list[str]:
        """The recipients a retry still has to reach."""
        delivered = set((self.delivered_to or "").split(","))
        return [address for address in self.recipient_list if address not in delivered]


class DeliveryAttempt(Model):
    """One try at sending a :class:`Delivery` over SMTP."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    at: Mapped[Timestamp]
    ok: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text)
    #: send | retry | resend, or interrupted (its process died before it recorded the result)
    trigger: Mapped[str] = mapped_column(String(16), default="send")

    delivery: Mapped[Delivery] = relationship(back_populates="attempt_log")
