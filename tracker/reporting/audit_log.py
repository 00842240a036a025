"""The 审计日志 page (SPEC §4): entries newest first, filtered by department, then one of its units,
year and month, a page at a time. A province's finance bureau has thousands of units: the page
offers the chosen department's units (or takes a typed code), never all of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select

from tracker.auth import access
from tracker.auth.models import User
from tracker.budget.models import Department, Unit
from tracker.core.audit import AuditEntry
from tracker.extensions import db

__all__ = ["PAGE_SIZE", "MAX_PAGE", "AuditPage", "UnitOfOtherDepartment", "audit_page"]

PAGE_SIZE = 100
MAX_PAGE = 10_000


class UnitOfOtherDepartment(ValueError):
    """The unit asked for is not one of the department asked for."""


#: Entries of a bureau's own settings, whose ``entity_id`` is the bureau (None: the root).
BUREAU_SETTINGS = ("reporting_deadline", "report_recipient")


@dataclass
class AuditPage:
    entries: list[AuditEntry] = field(default_factory=list)
    department: Department | None = None  # the filter's (a department user's own)
    unit: Unit | None = None
    units: list[Unit] = field(default_factory=list)  # the department's, for the unit picker
    page: int = 1
    has_next: bool = False


def _department(user: User, code: str | None) -> Department | None:
    if code:
        return access.require_department(user, code)
    if access.is_department_admin(user) and user.department_id is not None:
        return db.session.get(Department, user.department_id)
    return None


def audit_page(
    user: User,
    *,
    department_code: str | None = None,
    unit_code: str | None = None,
    year: int | None = None,
    month: int | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the entries ``user`` may read (department admins: their department's; finance:
    its bureau's subtree's, all for the root), filtered. A foreign or unknown code is NotFound; a unit outside the department asked for
    is :class:`UnitOfOtherDepartment`."""
    if not access.can_read_audit(user):
        raise access.refuse(user, "audit log")
    department = _department(user, department_code)
    unit = access.require_unit(user, unit_code) if unit_code else None
    if unit is not None:
        if department is not None and unit.department_id != department.id:
            raise UnitOfOtherDepartment(unit.code)
        department = department or db.session.get(Department, unit.department_id)
    query = select(AuditEntry)
    if department is not None:
        # Entries about users of the department carry its code too; nothing else leaks.
        query = query.where(AuditEntry.department_code == department.code)
    elif access.is_department_admin(user):
        query = query.where(AuditEntry.department_code == "-")  # a department admin without one
    elif (visible := access.visible_department_ids(user)) is not None:
        # A bureau below the root: its subtree's departments only (SPEC §1a).
        codes = select(Department.code).where(Department.id.in_(visible or {-1}))
        # And the settings its bureaus made for their subtrees (due dates, recipients).
        settings = and_(
            AuditEntry.entity.in_(BUREAU_SETTINGS),
            AuditEntry.department_code.is_(None),
            AuditEntry.entity_id.in_(access.finance_bureau_ids(user) or {-1}),
        )
        query = query.where(or_(AuditEntry.department_code.in_(codes), settings))
    if unit is not None:
        query = query.where(AuditEntry.unit_code == unit.code)
    if year:
        query = query.where(
            or_(AuditEntry.year == year, AuditEntry.year.is_(None)) if not month else AuditEntry.year == year
        )
    if month:
        query = query.where(AuditEntry.month == month)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    rows = list(db.session.scalars(query.offset((page - 1) * page_size).limit(page_size + 1)))
    units: list[Unit] = []
    if department is not None:
        units = list(
            db.session.scalars(select(Unit).where(Unit.department_id == department.id).order_by(Unit.code))
        )
    return AuditPage(rows[:page_size], department, unit, units, page, len(rows) > page_size)
