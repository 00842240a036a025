"""What a user may read of the catalogue — 部门, 预算单位, 项目 with their 绩效指标 — and of the spending
rows (SPEC §1, §8), for the API's lists and items.

Each list is a query narrowed through :mod:`tracker.auth.access`, in its order, with what its readers
show loaded up front, a fixed number of statements whatever the page (the caller pages it). A
department, unit or project named that the user may not read is :class:`~tracker.core.errors.NotFound`,
exactly as one that does not exist.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth import access
from tracker.auth.models import User
from tracker.budget.models import Department, Project, SpendingEntry, Unit
from tracker.core.errors import NotFound
from tracker.core.queries import where_given
from tracker.core.request_memo import remembered
from tracker.extensions import db
from tracker.targets.models import Indicator

__all__ = [
    "require_scope",
    "departments_query",
    "units_query",
    "projects_query",
    "readable_project",
    "indicators_query",
    "readable_indicator",
    "spending_query",
    "unit_codes",
    "department_codes",
]


def require_scope(
    user: User | None, department_code: str | None, unit_code: str | None
) -> tuple[Department | None, Unit | None]:
    """The department and unit a list is narrowed to, each checked: a foreign one is NotFound, and so
    is a unit of another department than the one named."""
    department = access.require_department(user, department_code) if department_code else None
    unit = access.require_unit(user, unit_code) if unit_code else None
    if department is not None and unit is not None and unit.department_id != department.id:
        raise NotFound(f"unit {unit.code} in department {department.code}")
    return department, unit


# ---------------------------------------------------------------- departments and units


def departments_query(user: User | None) -> Select[Department]:
    """The departments ``user`` reads, by code."""
    query = select(Department).where(access.among(Department.id, access.visible_department_ids(user)))
    return query.order_by(Department.code)


def units_query(user: User | None, department_code: str | None = None) -> Select[Unit]:
    """The units ``user`` reads (of one department if named), by code, each with its department."""
    department, _unit = require_scope(user, department_code, None)
    query = select(Unit).where(access.among(Unit.id, access.visible_unit_ids(user)))
    if department is not None:
        query = query.where(Unit.department_id == department.id)
    return query.options(joinedload(Unit.department)).order_by(Unit.code)


# ---------------------------------------------------------------- projects and indicators


#: What a project's readers show: its unit, department and indicators. An indicator outlives its
#: project object once the page's list is gone (the identity map is weak): loaded with its project,
#: it keeps it, and reading ``indicator.project`` is no statement per row.
_PROJECT_SHOWN = (
    joinedload(Project.unit),
    joinedload(Project.department),
    selectinload(Project.indicators).options(joinedload(Indicator.project), joinedload(Indicator.department)),
)


def projects_query(
    user: User | None,
    *,
    year: int | None = None,
    department_code: str | None = None,
    unit_code: str | None = None,
) -> Select[Project]:
    """The projects of the units ``user`` reads, latest year first, then by 项目编码; each with its unit,
    department and indicators, every indicator holding its project and department."""
    department, unit = require_scope(user, department_code, unit_code)
    query = where_given(
        select(Project).where(access.among(Project.unit_id, access.visible_unit_ids(user))),
        (Project.year, year),
        (Project.department_id, department.id if department else None),
        (Project.unit_id, unit.id if unit else None),
    )
    return query.options(*_PROJECT_SHOWN).order_by(Project.year.desc(), Project.code)


def readable_project(user: User | None, code: str, year: int | None) -> Project:
    """A project by 项目编码, loaded as :func:`projects_query` loads it; without ``year`` the latest
    year the user can see it in."""
    if year is None:
        year = db.session.scalar(
            select(func.max(Project.year)).where(
                Project.code == code, access.among(Project.unit_id, access.visible_unit_ids(user))
            )
        )
        if year is None:
            raise NotFound(f"project {code}")
    project = access.require_project(user, year, code)
    return db.session.scalars(select(Project).where(Project.id == project.id).options(*_PROJECT_SHOWN)).one()


def _readable_indicators(user: User | None) -> Select[Indicator]:
    """Project indicators of the units ``user`` reads, and 部门整体 indicators of the departments it
    reads as a whole (not reporters)."""
    own = (
        select(Indicator.id)
        .join(Project, Indicator.project_id == Project.id)
        .where(access.among(Project.unit_id, access.visible_unit_ids(user)))
    )
    whole = and_(
        Indicator.project_id.is_(None),
        access.among(Indicator.department_id, access.whole_department_ids(user)),
    )
    return select(Indicator).where(or_(whole, Indicator.id.in_(own)))


def indicators_query(
    user: User | None,
    *,
    year: int | None = None,
    department_code: str | None = None,
    unit_code: str | None = None,
    project_code: str | None = None,
) -> Select[Indicator]:
    """The indicators ``user`` reads, latest year first, then in target-file order within each
    department and project; each with its department, project and the project's unit."""
    department, unit = require_scope(user, department_code, unit_code)
    query = _readable_indicators(user)
    if year is not None:
        query = query.where(Indicator.year == year)
    if department is not None:
        query = query.where(Indicator.department_id == department.id)
    if unit is not None:
        query = query.where(Indicator.project_id.in_(select(Project.id).where(Project.unit_id == unit.id)))
    if project_code:
        query = query.where(Indicator.scope_code == project_code, Indicator.project_id.is_not(None))
    return query.options(
        joinedload(Indicator.project).joinedload(Project.unit), joinedload(Indicator.department)
    ).order_by(
        Indicator.year.desc(),
        Indicator.department_id,
        Indicator.scope_code,
        Indicator.position,
        Indicator.id,
    )


def readable_indicator(user: User | None, indicator_id: int) -> Indicator:
    indicator = db.session.scalar(_readable_indicators(user).where(Indicator.id == indicator_id))
    if indicator is None:
        raise NotFound(f"indicator {indicator_id}")
    return indicator


# ---------------------------------------------------------------- spending


def spending_query(
    user: User | None,
    *,
    year: int | None = None,
    month: int | None = None,
    department_code: str | None = None,
    unit_code: str | None = None,
    project_code: str | None = None,
    category: str | None = None,
) -> Select[SpendingEntry]:
    """The spending rows of the units ``user`` reads (``project_code`` ``""``: 基本支出), latest year
    first, then by month, unit, project and 类别."""
    department, unit = require_scope(user, department_code, unit_code)
    query = where_given(
        select(SpendingEntry).where(access.among(SpendingEntry.unit_id, access.visible_unit_ids(user))),
        (SpendingEntry.year, year),
        (SpendingEntry.month, month),
        (SpendingEntry.department_id, department.id if department else None),
        (SpendingEntry.unit_id, unit.id if unit else None),
        (SpendingEntry.project_code, project_code),
        (SpendingEntry.category, category),
    )
    return query.order_by(
        SpendingEntry.year.desc(),
        SpendingEntry.month,
        SpendingEntry.unit_id,
        SpendingEntry.project_code,
        SpendingEntry.category,
    )


def unit_codes(ids: set[int]) -> dict[int, str]:
    """unit id → 单位编码, in one statement (none for no ids)."""
    if not ids:
        return {}
    return {uid: code for uid, code in db.session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(ids)))}


def department_codes(ids: set[int]) -> dict[int, str]:
    """department id → 部门编码, in one statement (none for no ids)."""
    if not ids:
        return {}

    def read() -> dict[int, str]:
        rows = db.session.execute(select(Department.id, Department.code).where(Department.id.in_(ids)))
        return {did: code for did, code in rows}

    return dict(remembered(("department_codes", frozenset(ids)), read))
