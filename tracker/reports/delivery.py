"""报送: packages e-mailed to the finance bureau, each package a :class:`Delivery` with its attempts,
failed sends retried with backoff (issue 5), and none sent twice (issue 12 §6).

One record per package — (department, kind, period, content): sending the same data again finds
the delivered record and sends nothing, unless a resend is asked for on purpose (the 重新发送
button, ``send-reports --resend``). Every attempt is claimed in the database first
(:mod:`tracker.reports.sending`), so concurrent clicks, re-runs and the retry job make one send.
Of one period's packages only the newest goes out: a newer one stops an older one still retrying.

Job functions take plain arguments (ids, years, codes) so the scheduler can call them by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from flask_babel import gettext
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth import access
from tracker.budget.models import Department
from tracker.extensions import db
from tracker.reports import storage
from tracker.reports.fonts import require_cjk_font
from tracker.reports.forms import KIND_TITLES, period_label
from tracker.reports.models import Delivery
from tracker.reports.recipients import (
    InvalidAddress,
    NoRecipients,
    parse_addresses,
    recipient_settings,
    recipients_for,
    set_recipients,
)
from tracker.reports.sending import (
    MAX_ATTEMPTS,
    attempt,
    now_utc,
    retry_delay,
    retry_failed_deliveries,
    supersede_older,
)
from tracker.reports.service import FORMATS, RenderedPackage, build_package, render_package

__all__ = [
    "NoRecipients",
    "InvalidAddress",
    "recipients_for",
    "parse_addresses",
    "set_recipients",
    "recipient_settings",
    "Sent",
    "deliver",
    "send_package",
    "attempt",
    "resend",
    "retry_failed_deliveries",
    "visible_deliveries",
    "delivery_file",
    "retry_delay",
    "MAX_ATTEMPTS",
]


@dataclass(frozen=True)
class Sent:
    """What a send or resend did: ``tried`` is False when nothing was sent — the package had been
    delivered already, or another click, process or the retry job had its attempt."""

    delivery: Delivery
    tried: bool


class _Actor(NamedTuple):
    """Who asked, as the audit entry names them (read before the claim's commits expire the user)."""

    id: int | None
    username: str | None


def _subject(kind: str, department: Department, year: int, month: int | None) -> str:
    return f"【{KIND_TITLES[kind]}】{department.name} {period_label(year, month)}{KIND_TITLES[kind]}报告"


def _find(rendered: RenderedPackage, department: Department) -> Delivery | None:
    package = rendered.package
    same_files = (Delivery.xlsx_sha256 == rendered.xlsx_sha256) & (Delivery.pdf_sha256 == rendered.pdf_sha256)
    return db.session.scalar(
        select(Delivery).where(
            Delivery.kind == package.kind,
            Delivery.department_id == department.id,
            Delivery.year == package.year,
            Delivery.month == (package.month or 0),
            or_(Delivery.content_sha256 == rendered.content_sha256, same_files),
        )
    )


def _record(rendered: RenderedPackage, department: Department, recipients: list[str], user: Any) -> int:
    """The id of the record of exactly this package: the existing one, or a new one (committed)."""
    storage.store(rendered.xlsx, "xlsx")
    storage.store(rendered.pdf, "pdf")
    db.session.commit()
    existing = _find(rendered, department)
    if existing is not None:
        return existing.id
    package = rendered.package
    values = {
        "kind": package.kind,
        "department_id": department.id,
        "year": package.year,
        "month": package.month or 0,
        "subject": _subject(package.kind, department, package.year, package.month),
        "xlsx_name": rendered.xlsx_name,
        "xlsx_sha256": rendered.xlsx_sha256,
        "pdf_name": rendered.pdf_name,
        "pdf_sha256": rendered.pdf_sha256,
        "content_sha256": rendered.content_sha256,
        "recipients": ",".join(recipients),
        "status": "pending",
        "attempts": 0,
        "created_by_id": getattr(user, "id", None),
    }
    db.session.commit()  # the insert is its transaction's first statement (SQLite, see sending)
    try:
        delivery = Delivery(**values)
        db.session.add(delivery)
        db.session.commit()
        return delivery.id
    except IntegrityError:  # recorded by a concurrent send a moment ago
        db.session.rollback()
        found = _find(rendered, department)
        assert found is not None
        return found.id


def _take_turn(department_id: int) -> None:
    """Concurrent sends of one department take turns until the evaluation they build from is stored
    (it commits): a no-op UPDATE of the department's row, the first statement of that transaction,
    holds its row lock (PostgreSQL) or the write lock (SQLite)."""
    db.session.commit()
    db.session.execute(
        update(Department)
        .where(Department.id == department_id)
        .values(code=Department.code)
        .execution_options(synchronize_session=False)
    )


def deliver(
    kind: str,
    year: int,
    month: int | None,
    department_code: str,
    *,
    user: Any = None,
    resend: bool = False,
    report_date: Any = None,
    now: datetime | None = None,
) -> Sent:
    """Build and store a department's package and e-mail it, once: a package already delivered is
    sent again only when ``resend`` asks for it; one not yet delivered gets one claimed try at the
    recipients it has not reached. A failure is recorded and left for :func:`retry_failed_deliveries`.
    Without a Chinese font nothing is built: :class:`~tracker.reports.fonts.MissingFont`."""
    require_cjk_font()  # before anything is evaluated, recorded or sent
    now = now or now_utc()
    department = db.session.scalar(select(Department).where(Department.code == department_code))
    if department is None:
        raise LookupError(gettext("部门“%(code)s”不存在。", code=department_code))
    recipients = recipients_for(department)
    if not recipients:
        raise NoRecipients(gettext("未设置财政局收件邮箱（/deliveries/settings 或 FINANCE_BUREAU_EMAIL）"))
    _take_turn(department.id)
    package = build_package(kind, year, month, department.code, report_date=report_date)
    db.session.commit()  # no transaction held open while the files render
    rendered = render_package(package)
    delivery_id = _record(rendered, department, recipients, user)
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery is not None
    if delivery.status == "sent" and not resend:
        return Sent(delivery, tried=False)
    trigger = "resend" if delivery.status == "sent" else "send"
    seen = delivery.attempts
    supersede_older(delivery_id, now)
    outcome = attempt(delivery_id, trigger=trigger, seen_attempts=seen, recipients=recipients, now=now)
    return Sent(_reloaded(delivery_id), tried=outcome is not None)


def send_package(kind: str, year: int, month: int | None, department_code: str, **options: Any) -> Delivery:
    """:func:`deliver`, for callers that need only the record (the jobs, ``send-reports``)."""
    return deliver(kind, year, month, department_code, **options).delivery


def _reloaded(delivery_id: int) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery is not None
    db.session.refresh(delivery)
    return delivery


def resend(user: Any, delivery_id: int, *, seen_attempts: int | None, now: datetime | None = None) -> Sent:
    """Send a recorded package again on purpose (same files, same record, every recipient): finance,
    or the department's admin for its own. ``seen_attempts`` is the attempts count the clicked page
    showed: a click on a page from before the latest attempt, or one of several at once, sends nothing."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or not access.can_read_department_whole(user, delivery.department_id):
        raise access.NotFound(f"delivery {delivery_id}")
    if not access.can_send_delivery(user, delivery.department_id):
        raise access.refuse(user, "resend")
    if seen_attempts is None:
        return Sent(delivery, tried=False)
    audit = {
        "action": "resend",
        "entity": "delivery",
        "user": _Actor(getattr(user, "id", None), getattr(user, "username", None)),
        "entity_id": delivery.id,
        "department_code": delivery.department.code,
        "year": delivery.year,
        "month": delivery.month or None,
    }
    outcome = attempt(delivery.id, trigger="resend", seen_attempts=seen_attempts, audit=audit, now=now)
    return Sent(_reloaded(delivery_id), tried=outcome is not None)


def visible_deliveries(user: Any, limit: int = 200) -> list[Delivery]:
    # The page shows each one's department and attempts: loaded with the list, not row by row.
    query = (
        select(Delivery)
        .options(joinedload(Delivery.department), selectinload(Delivery.attempt_log))
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    visible = access.visible_department_ids(user)
    if not access.can_see_deliveries(user):
        return []
    if visible is not None:
        query = query.where(Delivery.department_id.in_(visible or {-1}))
    return list(db.session.scalars(query))


def delivery_file(user: Any, delivery_id: int, fmt: str) -> tuple[str, bytes]:
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
