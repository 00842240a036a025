"""Reading the deliveries (报送记录) a user may see, for the API: a department's admin its own, finance
every department it reads; a reporter none (SPEC §1). A foreign one is NotFound, as a missing one."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from tracker.auth import access
from tracker.auth.models import User
from tracker.core.errors import NotFound
from tracker.core.queries import where_given
from tracker.extensions import db
from tracker.reports.models import Delivery
from tracker.targets.reading import require_scope

__all__ = ["deliveries_query", "readable_delivery"]


def deliveries_query(
    user: User | None,
    *,
    year: int | None = None,
    month: int | None = None,
    status: str | None = None,
    kind: str | None = None,
    department_code: str | None = None,
) -> Select[Delivery]:
    """The deliveries of the departments ``user`` reads as a whole, newest first, each with its
    department and its attempts."""
    department, _unit = require_scope(user, department_code, None)
    if department is not None and not access.can_read_department_whole(user, department.id):
        raise NotFound(f"deliveries of {department.code}")
    query = where_given(
        select(Delivery).where(access.among(Delivery.department_id, access.whole_department_ids(user))),
        (Delivery.year, year),
        (Delivery.month, month),
        (Delivery.status, status),
        (Delivery.kind, kind),
        (Delivery.department_id, department.id if department else None),
    )
    options = (selectinload(Delivery.department), selectinload(Delivery.attempt_log))
    return query.options(*options).order_by(Delivery.id.desc())


def readable_delivery(user: User | None, delivery_id: int) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or not access.can_read_department_whole(user, delivery.department_id):
        raise NotFound(f"delivery {delivery_id}")
    return delivery
