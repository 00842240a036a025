"""One try at sending a recorded package, claimed in the database before anything is sent (issue 12
§6): of concurrent callers — six clicks on 重新发送, the retry job and a re-run of ``send-reports`` —
exactly one sends, the others are told someone else has it.

A claim is one conditional UPDATE of the delivery: it takes attempt number *n + 1* only while the
attempts counter is still the *n* the caller saw and no live claim holds the record, and it is
committed before the message goes out. A claim left by a process that died mid-send is taken over
after :data:`CLAIM_TIMEOUT`; its attempt is recorded as interrupted.

On SQLite every write here is the first statement of its transaction: SQLite refuses a write of a
transaction that has read while another writer waits, at once and without waiting.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Update, insert, or_, select, update

from tracker.core.audit import record
from tracker.core.mail import MailError, build_message, send_message
from tracker.extensions import db
from tracker.reports import storage
from tracker.reports.forms import KIND_TITLES, period_label
from tracker.reports.models import UNFINISHED, Delivery, DeliveryAttempt
from tracker.reports.service import FORMATS

__all__ = [
    "MAX_ATTEMPTS",
    "CLAIM_TIMEOUT",
    "retry_delay",
    "claimable",
    "claim",
    "attempt",
    "retry_failed_deliveries",
    "supersede_older",
]

log = logging.getLogger("tracker.reports.delivery")

#: After this many failed attempts a delivery is marked failed and left for a person to resend.
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=6)
#: A claim this old belongs to a process that died while sending (``SMTP_TIMEOUT`` bounds each step
#: of a live one).
CLAIM_TIMEOUT = timedelta(minutes=15)
INTERRUPTED = "发送中断：发送它的进程在记下结果前退出，是否送达未知。"


def now_utc() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the ``attempts``-th failure: 5, 10, 20 … minutes, at most 6 hours."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_CAP)


def claimable(now: datetime) -> ColumnElement[bool]:
    """No live claim holds the delivery."""
    return or_(Delivery.sending_since.is_(None), Delivery.sending_since < now - CLAIM_TIMEOUT)


def _changed(statement: Update) -> int:
    """Run a conditional UPDATE in the session; how many rows it changed."""
    result = db.session.execute(statement.execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount or 0


def claim(delivery_id: int, seen_attempts: int, now: datetime, *, resend: bool = False) -> bool:
    """Take attempt ``seen_attempts + 1`` of the delivery for this caller, committed; False when
    another caller took that attempt or holds the delivery, or — unless ``resend`` — it has been
    delivered meanwhile."""
    db.session.commit()
    undelivered = Delivery.status != "sent" if not resend else Delivery.id == delivery_id
    taken = _changed(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.attempts == seen_attempts, claimable(now), undelivered)
        .values(attempts=seen_attempts + 1, sending_since=now)
    )
    db.session.commit()
    return taken == 1


def _body(delivery: Delivery) -> str:
    department = delivery.department
    return (
        f"财政局：\n\n{department.name}（部门编码 {department.code}）报送"
        f"{period_label(delivery.year, delivery.month or None)}{KIND_TITLES[delivery.kind]}报告，"
        f"附件为 Excel 与 PDF 各一份。\n\n"
        f"{delivery.xlsx_name}  SHA-256 {delivery.xlsx_sha256}\n"
        f"{delivery.pdf_name}  SHA-256 {delivery.pdf_sha256}\n\n"
        "本邮件由绩效目标跟踪系统自动发送。\n"
    )


def _send(delivery: Delivery, everyone: list[str], pending: list[str]) -> tuple[str | None, list[str]]:
    """Hand the stored files to the SMTP server for ``pending``: (error or None, who accepted)."""
    try:
        attachments = [
            (delivery.xlsx_name, storage.load(delivery.xlsx_sha256, "xlsx"), FORMATS["xlsx"]),
            (delivery.pdf_name, storage.load(delivery.pdf_sha256, "pdf"), FORMATS["pdf"]),
        ]
        if pending:
            send_message(build_message(delivery.subject, everyone, _body(delivery), attachments), pending)
    except MailError as exc:
        return str(exc), exc.accepted
    except storage.FileMissing as exc:
        return str(exc), []
    return None, pending


def _release(delivery_id: int, number: int) -> None:
    """Give a claim back after an unexpected error; the attempt will count as interrupted."""
    db.session.rollback()
    _changed(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.attempts == number)
        .values(sending_since=None)
    )
    db.session.commit()


def attempt(
    delivery_id: int,
    *,
    trigger: str = "send",
    seen_attempts: int | None = None,
    recipients: list[str] | None = None,
    audit: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> bool | None:
    """One claimed try at sending a delivery's stored files: True sent, False failed (recorded,
    retried with backoff), None when the claim went to someone else (nothing sent, nothing written).

    A ``resend`` goes to every recipient; a send or retry only to those whose server has not taken
    the message yet. ``recipients`` replaces the recorded list (a send with today's settings);
    ``audit`` (the fields of :func:`tracker.core.audit.record`) is written with the attempt."""
    now = now or now_utc()
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise LookupError(delivery_id)
    seen = delivery.attempts if seen_attempts is None else seen_attempts
    if not claim(delivery_id, seen, now, resend=trigger == "resend"):
        return None
    number = seen + 1
    try:
        delivery = db.session.get(Delivery, delivery_id)
        assert delivery is not None
        everyone = recipients if recipients is not None else delivery.recipient_list
        delivered = set() if trigger == "resend" else set((delivery.delivered_to or "").split(","))
        pending = [address for address in everyone if address not in delivered]
        error, accepted = _send(delivery, everyone, pending)
        _finish(delivery, number, trigger, everyone, pending, error, accepted, audit, now)
    except BaseException:
        _release(delivery_id, number)
        raise
    return error is None


def _finish(
    delivery: Delivery,
    number: int,
    trigger: str,
    everyone: list[str],
    pending: list[str],
    error: str | None,
    accepted: list[str],
    audit: dict[str, Any] | None,
    now: datetime,
) -> None:
    """Record the claimed attempt ``number`` (and any earlier one a dead process left unrecorded)."""
    reached = (set(everyone) - set(pending)) | set(accepted)
    recorded = {row.number for row in delivery.attempt_log}
    rows = [
        {"number": n, "at": now, "ok": False, "error": INTERRUPTED, "trigger": "interrupted"}
        for n in range(1, number)
        if n not in recorded
    ]
    rows.append({"number": number, "at": now, "ok": error is None, "error": error, "trigger": trigger})
    values: dict[str, Any] = {
        "recipients": ",".join(everyone),
        "delivered_to": ",".join(address for address in everyone if address in reached),
        "sending_since": None,
    }
    failures = sum(1 for row in delivery.attempt_log if not row.ok) + sum(not row["ok"] for row in rows)
    if error is None:
        values.update(status="sent", sent_at=now, next_attempt_at=None)
    elif failures >= MAX_ATTEMPTS:
        values.update(status="failed", next_attempt_at=None, last_error=error)
    else:
        values.update(status="retrying", next_attempt_at=now + retry_delay(failures), last_error=error)
    delivery_id = delivery.id
    db.session.commit()
    _changed(update(Delivery).where(Delivery.id == delivery_id, Delivery.attempts == number).values(**values))
    db.session.execute(insert(DeliveryAttempt), [{"delivery_id": delivery_id, **row} for row in rows])
    if audit is not None:
        record(**audit)
    db.session.commit()
    if error is None:
        log.info("delivery %s attempt %s (%s) sent to %s", delivery_id, number, trigger, ", ".join(pending))
    else:
        log.warning("delivery %s attempt %s (%s) failed: %s", delivery_id, number, trigger, error)


def supersede_older(delivery_id: int, now: datetime) -> int:
    """Of a period's packages only the newest goes out: older ones not yet delivered (and not being
    sent right now) stop. Returns how many were stopped."""
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery is not None
    same_period = (
        Delivery.kind == delivery.kind,
        Delivery.department_id == delivery.department_id,
        Delivery.year == delivery.year,
        Delivery.month == delivery.month,
    )
    db.session.commit()
    stopped = _changed(
        update(Delivery)
        .where(*same_period, Delivery.id < delivery_id, Delivery.status.in_(UNFINISHED), claimable(now))
        .values(status="superseded", next_attempt_at=None)
    )
    db.session.commit()
    return stopped


def _newer_exists(delivery_id: int) -> bool:
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery is not None
    newer = select(Delivery.id).where(
        Delivery.kind == delivery.kind,
        Delivery.department_id == delivery.department_id,
        Delivery.year == delivery.year,
        Delivery.month == delivery.month,
        Delivery.id > delivery_id,
    )
    return db.session.scalar(newer.limit(1)) is not None


def retry_failed_deliveries(now: datetime | None = None) -> int:
    """Scheduler job: try again every delivery whose backoff has passed (one claim each, so a run
    that overlaps a click or another run sends nothing twice). Returns how many were sent."""
    now = now or now_utc()
    due = db.session.execute(
        select(Delivery.id, Delivery.attempts, Delivery.next_attempt_at)
        .where(Delivery.status.in_(UNFINISHED), claimable(now))
        .order_by(Delivery.id)
    ).all()
    sent = 0
    for delivery_id, attempts, next_at in due:
        next_at = _aware(next_at)
        if next_at is not None and next_at > now:
            continue
        if _newer_exists(delivery_id):  # a newer package of its period replaced it
            db.session.commit()
            _changed(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.attempts == attempts, claimable(now))
                .values(status="superseded", next_attempt_at=None)
            )
            db.session.commit()
            continue
        sent += bool(attempt(delivery_id, trigger="retry", seen_attempts=attempts, now=now))
    return sent
