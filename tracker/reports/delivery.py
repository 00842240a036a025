"""报送: packages e-mailed to the finance bureau, each send a :class:`Delivery` with its attempts,
failed sends retried with backoff (issue 5).

Job functions take plain arguments (ids, years, codes) so the scheduler can call them by name.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from tracker.auth import access
from tracker.auth.models import User
from tracker.budget.models import Department
from tracker.core.audit import record
from tracker.core.mail import MailError, build_message, send_message
from tracker.extensions import db
from tracker.reports import storage
from tracker.reports.forms import KIND_TITLES, period_label
from tracker.reports.models import BUREAU_SCOPE, Delivery, DeliveryAttempt, ReportRecipient
from tracker.reports.service import FORMATS, RenderedPackage, build_package, render_package

__all__ = [
    "NoRecipients",
    "InvalidAddress",
    "recipients_for",
    "set_recipients",
    "recipient_settings",
    "send_package",
    "attempt",
    "resend",
    "retry_failed_deliveries",
    "visible_deliveries",
    "retry_delay",
    "MAX_ATTEMPTS",
]

log = logging.getLogger("tracker.reports.delivery")

#: After this many failed attempts a delivery is marked failed and left for a person to resend.
MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=6)
_ADDRESS = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")


class NoRecipients(Exception):
    """Neither finance nor the environment names anyone to send to."""


class InvalidAddress(ValueError):
    def __init__(self, addresses: list[str]) -> None:
        super().__init__("无效的邮箱地址：" + "、".join(addresses))
        self.addresses = addresses


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the ``attempts``-th failure: 5, 10, 20 … minutes, at most 6 hours."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_CAP)


# --- recipients --------------------------------------------------------------------------------


def _scope(department: Department | None) -> str:
    return BUREAU_SCOPE if department is None else f"department:{department.code}"


def _addresses(scope_key: str) -> list[str]:
    return list(
        db.session.scalars(
            select(ReportRecipient.email)
            .where(ReportRecipient.scope_key == scope_key)
            .order_by(ReportRecipient.id)
        )
    )


def recipients_for(department: Department) -> list[str]:
    """财政局 (set by finance, else ``FINANCE_BUREAU_EMAIL``) and the department's own addresses."""
    bureau = _addresses(BUREAU_SCOPE)
    if not bureau and current_app.config.get("FINANCE_BUREAU_EMAIL"):
        bureau = [
            address.strip()
            for address in current_app.config["FINANCE_BUREAU_EMAIL"].split(",")
            if address.strip()
        ]
    result: list[str] = []
    for address in bureau + _addresses(_scope(department)):
        if address.lower() not in {known.lower() for known in result}:
            result.append(address)
    return result


def parse_addresses(text: str) -> list[str]:
    addresses = [part.strip() for part in re.split(r"[,;，；\s]+", text or "") if part.strip()]
    bad = [address for address in addresses if not _ADDRESS.match(address)]
    if bad:
        raise InvalidAddress(bad)
    return addresses


def set_recipients(user: User, department_code: str | None, text: str) -> list[str]:
    """Replace the bureau's (``department_code`` None) or a department's addresses. Finance only."""
    if not access.can_set_recipients(user):
        raise access.refuse(user, "delivery recipients")
    department = None
    if department_code:
        department = access.require_department(user, department_code)
    addresses = parse_addresses(text)
    scope_key = _scope(department)
    for row in db.session.scalars(select(ReportRecipient).where(ReportRecipient.scope_key == scope_key)):
        db.session.delete(row)
    db.session.flush()
    seen: set[str] = set()
    for address in addresses:
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        db.session.add(
            ReportRecipient(
                scope_key=scope_key,
                department_id=department.id if department else None,
                email=address,
                created_by_id=user.id,
            )
        )
    _audit(user, "set_recipients", "report_recipient", department, new=", ".join(addresses))
    db.session.commit()
    return addresses


def recipient_settings(user: User) -> dict[str, Any]:
    """What the settings form shows: the bureau's addresses and each visible department's."""
    if not access.can_set_recipients(user):
        raise access.refuse(user, "delivery settings")
    departments = db.session.scalars(select(Department).order_by(Department.code)).all()
    return {
        "bureau": _addresses(BUREAU_SCOPE),
        "bureau_default": current_app.config.get("FINANCE_BUREAU_EMAIL", ""),
        "departments": [(department, _addresses(_scope(department))) for department in departments],
    }


def _audit(
    user: User | None,
    action: str,
    entity: str,
    department: Department | None,
    *,
    entity_id: int | None = None,
    new: str | None = None,
    year: int | None = None,
    month: int | None = None,
) -> None:
    record(
        action,
        entity,
        entity_id=entity_id,
        new=new,
        user=user,
        department_code=department.code if department else None,
        year=year,
        month=month,
    )


# --- sending -----------------------------------------------------------------------------------


def _subject(kind: str, department: Department, year: int, month: int | None) -> str:
    return f"【{KIND_TITLES[kind]}】{department.name} {period_label(year, month)}{KIND_TITLES[kind]}报告"


def _body(delivery: Delivery, department: Department) -> str:
    return (
        f"财政局：\n\n{department.name}（部门编码 {department.code}）报送"
        f"{period_label(delivery.year, delivery.month or None)}{KIND_TITLES[delivery.kind]}报告，"
        f"附件为 Excel 与 PDF 各一份。\n\n"
        f"{delivery.xlsx_name}  SHA-256 {delivery.xlsx_sha256}\n"
        f"{delivery.pdf_name}  SHA-256 {delivery.pdf_sha256}\n\n"
        "本邮件由绩效目标跟踪系统自动发送。\n"
    )


def _record(
    rendered: RenderedPackage, department: Department, recipients: list[str], user: User | None
) -> Delivery:
    """The delivery of exactly these files: an existing record when the same package was sent before."""
    package = rendered.package
    month = package.month or 0
    existing = db.session.scalar(
        select(Delivery).where(
            Delivery.kind == package.kind,
            Delivery.department_id == department.id,
            Delivery.year == package.year,
            Delivery.month == month,
            Delivery.xlsx_sha256 == rendered.xlsx_sha256,
            Delivery.pdf_sha256 == rendered.pdf_sha256,
        )
    )
    storage.store(rendered.xlsx, "xlsx")
    storage.store(rendered.pdf, "pdf")
    if existing is not None:
        existing.recipients = ",".join(recipients)
        return existing
    delivery = Delivery(
        kind=package.kind,
        department_id=department.id,
        year=package.year,
        month=month,
        subject=_subject(package.kind, department, package.year, package.month),
        xlsx_name=rendered.xlsx_name,
        xlsx_sha256=rendered.xlsx_sha256,
        pdf_name=rendered.pdf_name,
        pdf_sha256=rendered.pdf_sha256,
        recipients=",".join(recipients),
        status="pending",
        attempts=0,
        created_by_id=getattr(user, "id", None),
    )
    db.session.add(delivery)
    return delivery


def send_package(
    kind: str,
    year: int,
    month: int | None,
    department_code: str,
    *,
    user: User | None = None,
    report_date: date | None = None,
    now: datetime | None = None,
) -> Delivery:
    """Build, store and e-mail a department's package; a failure is recorded and left for
    :func:`retry_failed_deliveries`. Sending the same package again is another attempt on its record."""
    department = db.session.scalar(select(Department).where(Department.code == department_code))
    if department is None:
        raise LookupError(gettext("部门“%(code)s”不存在。", code=department_code))
    recipients = recipients_for(department)
    if not recipients:
        raise NoRecipients(gettext("未设置财政局收件邮箱（/deliveries/settings 或 FINANCE_BUREAU_EMAIL）"))
    rendered = render_package(build_package(kind, year, month, department.code, report_date=report_date))
    delivery = _record(rendered, department, recipients, user)
    db.session.commit()
    attempt(delivery.id, trigger="send" if delivery.attempts == 0 else "resend", now=now)
    return delivery


def attempt(delivery_id: int, *, trigger: str = "send", now: datetime | None = None) -> bool:
    """One try at sending a delivery's stored files; records the attempt and commits.

    A send or resend goes to every recipient; a retry only to those whose server has not accepted
    the message yet (when a server refuses some recipients it still takes the others)."""
    now = now or _now()
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise LookupError(delivery_id)
    department = delivery.department
    if trigger != "retry":
        delivery.delivered_to = ""
    pending = delivery.undelivered
    delivery.attempts += 1
    number = len(delivery.attempt_log) + 1
    error: str | None = None
    try:
        attachments = [
            (delivery.xlsx_name, storage.load(delivery.xlsx_sha256, "xlsx"), FORMATS["xlsx"]),
            (delivery.pdf_name, storage.load(delivery.pdf_sha256, "pdf"), FORMATS["pdf"]),
        ]
        message = build_message(
            delivery.subject, delivery.recipient_list, _body(delivery, department), attachments
        )
        send_message(message, pending)
        accepted = pending
    except MailError as exc:
        error, accepted = str(exc), exc.accepted
    except storage.FileMissing as exc:
        error, accepted = str(exc), []
    reached = (set(delivery.recipient_list) - set(pending)) | set(accepted)
    delivery.delivered_to = ",".join(a for a in delivery.recipient_list if a in reached)
    delivery.attempt_log.append(
        DeliveryAttempt(number=number, at=now, ok=error is None, error=error, trigger=trigger)
    )
    if error is None:
        delivery.status, delivery.sent_at, delivery.next_attempt_at = "sent", now, None
        log.info("delivery %s sent to %s", delivery.id, delivery.recipients)
    else:
        delivery.last_error = error
        failures = sum(1 for row in delivery.attempt_log if not row.ok)
        if failures >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = "failed", None
        else:
            delivery.status, delivery.next_attempt_at = "retrying", now + retry_delay(failures)
        log.warning("delivery %s attempt %s failed: %s", delivery.id, number, error)
    db.session.commit()
    return error is None


def retry_failed_deliveries(now: datetime | None = None) -> int:
    """Scheduler job: try again every delivery whose backoff has passed. Returns how many were sent."""
    now = now or _now()
    due = db.session.scalars(
        select(Delivery.id).where(Delivery.status.in_(("retrying", "pending"))).order_by(Delivery.id)
    ).all()
    sent = 0
    for delivery_id in due:
        delivery = db.session.get(Delivery, delivery_id)
        next_at = _aware(delivery.next_attempt_at) if delivery else None
        if delivery is None or (next_at is not None and next_at > now):
            continue
        sent += attempt(delivery_id, trigger="retry", now=now)
    return sent


def resend(user: User, delivery_id: int, *, now: datetime | None = None) -> Delivery:
    """Send a recorded package again (same files, same record, a new attempt). Finance, or the
    department's admin for its own deliveries."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or not access.can_read_department_whole(user, delivery.department_id):
        raise access.NotFound(f"delivery {delivery_id}")
    if not access.can_send_delivery(user, delivery.department_id):
        raise access.refuse(user, "resend")
    _audit(
        user,
        "resend",
        "delivery",
        delivery.department,
        entity_id=delivery.id,
        year=delivery.year,
        month=delivery.month or None,
    )
    attempt(delivery.id, trigger="resend", now=now)
    return delivery


def visible_deliveries(user: User | None, limit: int = 200) -> list[Delivery]:
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    visible = access.visible_department_ids(user)
    if not access.can_see_deliveries(user):
        return []
    if visible is not None:
        query = query.where(Delivery.department_id.in_(visible or {-1}))
    return list(db.session.scalars(query))


def delivery_file(user: User | None, delivery_id: int, fmt: str) -> tuple[str, bytes]:
    """A recorded attachment, for the /deliveries page."""
    delivery = db.session.get(Delivery, delivery_id)
    if (
        delivery is None
        or not access.can_read_department_whole(user, delivery.department_id)
        or fmt not in FORMATS
    ):
        raise access.NotFound(f"delivery {delivery_id}")
    if fmt == "xlsx":
        return delivery.xlsx_name, storage.load(delivery.xlsx_sha256, "xlsx")
    return delivery.pdf_name, storage.load(delivery.pdf_sha256, "pdf")
