"""Read services of the JSON API: lists and single resources, filtered by what the user may read.

Every query is narrowed through :mod:`tracker.auth.access` (visible units and departments); a
resource or filter outside them raises :class:`~tracker.auth.access.NotFound`, exactly as if it
did not exist. Writes go through the domains' own services (reporting, imports).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import selectinload

from tracker.auth import access
from tracker.budget.models import Department, Project, SpendingEntry, Unit
from tracker.extensions import db
from tracker.reporting.models import MonthlyReport
from tracker.reports.models import Delivery
from tracker.scheduler.models import JobRun
from tracker.targets.models import Indicator

__all__ = [
    "Filters",
    "page",
    "list_departments",
    "get_department",
    "list_units",
    "get_unit",
    "list_projects",
    "get_project",
    "project_money",
    "list_indicators",
    "get_indicator",
    "list_spending",
    "list_reports",
    "list_deliveries",
    "get_delivery",
    "unit_codes",
    "list_job_runs",
    "get_job_run",
    "department_codes",
    "evaluation_department",
]


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    month: int | None = None
    department: str | None = None
    unit: str | None = None
    project: str | None = None
    status: str | None = None
    kind: str | None = None


def page(query: Select, pagination: Any) -> list[Any]:
    """One page of ``query``; sets ``pagination.item_count`` for the X-Pagination header."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pagination.item_count = total
    if (pagination.page - 1) * pagination.page_size >= total:
        # Past the last page: nothing to fetch (and no offset too large for the database).
        return []
    return list(
        db.session.scalars(
            query.limit(pagination.page_size).offset((pagination.page - 1) * pagination.page_size)
        )
    )


def _where_given(query: Select, *filters: tuple[Any, Any]) -> Select:
    """``query`` narrowed to ``column == value`` for each (column, value) whose value was given."""
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    return query


def _in(column: Any, ids: set[int] | None) -> Any:
    """``column IN ids``; None (everything visible) is no condition at all."""
    if ids is None:
        return true()
    return column.in_(ids or {-1})


def _scope(user: Any, filters: Filters) -> tuple[Department | None, Unit | None]:
    """The department and unit named by the filters, each checked: a foreign one is NotFound."""
    department = access.require_department(user, filters.department) if filters.department else None
    unit = access.require_unit(user, filters.unit) if filters.unit else None
    if department is not None and unit is not None and unit.department_id != department.id:
        raise access.NotFound(f"unit {unit.code} in department {department.code}")
    return department, unit


# ---------------------------------------------------------------- departments and units


def list_departments(user: Any, pagination: Any) -> list[Department]:
    query = select(Department).where(_in(Department.id, access.visible_department_ids(user)))
    return page(query.order_by(Department.code), pagination)


def get_department(user: Any, code: str) -> Department:
    return access.require_department(user, code)


def list_units(user: Any, filters: Filters, pagination: Any) -> list[Unit]:
    department, _unit = _scope(user, Filters(department=filters.department))
    query = select(Unit).where(_in(Unit.id, access.visible_unit_ids(user)))
    if department is not None:
        query = query.where(Unit.department_id == department.id)
    return page(query.options(selectinload(Unit.department)).order_by(Unit.code), pagination)


def get_unit(user: Any, code: str) -> Unit:
    return access.require_unit(user, code)


# ---------------------------------------------------------------- projects and indicators


def list_projects(user: Any, filters: Filters, pagination: Any) -> list[Project]:
    department, unit = _scope(user, filters)
    query = select(Project).where(_in(Project.unit_id, access.visible_unit_ids(user)))
    if filters.year is not None:
        query = query.where(Project.year == filters.year)
    if department is not None:
        query = query.where(Project.department_id == department.id)
    if unit is not None:
        query = query.where(Project.unit_id == unit.id)
    query = query.options(
        selectinload(Project.unit), selectinload(Project.department), selectinload(Project.indicators)
    )
    return page(query.order_by(Project.year.desc(), Project.code), pagination)


def get_project(user: Any, code: str, year: int | None) -> Project:
    """A project by 项目编码; without ``year`` the latest year the user can see it in."""
    if year is not None:
        return access.require_project(user, year, code)
    latest = db.session.scalar(
        select(func.max(Project.year)).where(
            Project.code == code, _in(Project.unit_id, access.visible_unit_ids(user))
        )
    )
    if latest is None:
        raise access.NotFound(f"project {code}")
    return access.require_project(user, latest, code)


def project_money(projects: list[Project]) -> dict[int, tuple[dict[str, Decimal], int | None]]:
    """Spending rows of each project summed by 类别 over its year (amounts as recorded, no rule
    applied), and the last month with a row."""
    ids = [p.id for p in projects]
    out: dict[int, tuple[dict[str, Decimal], int | None]] = {i: ({}, None) for i in ids}
    if not ids:
        return out
    rows = db.session.execute(
        select(
            SpendingEntry.project_id,
            SpendingEntry.category,
            func.sum(SpendingEntry.amount),
            func.max(SpendingEntry.month),
        )
        .where(SpendingEntry.project_id.in_(ids))
        .group_by(SpendingEntry.project_id, SpendingEntry.category)
    )
    for project_id, category, total, last_month in rows:
        if project_id is None:
            continue
        sums, through = out[project_id]
        sums[category] = Decimal(total)
        out[project_id] = (sums, max(through or 0, int(last_month)))
    return out


def _indicator_query(user: Any) -> Select:
    """Project indicators of visible units, and 部门整体 indicators of departments the user may read
    as a whole (not reporters)."""
    units = access.visible_unit_ids(user)
    own = (
        select(Indicator.id)
        .join(Project, Indicator.project_id == Project.id)
        .where(_in(Project.unit_id, units))
    )
    whole: Any
    if getattr(user, "role", None) == "reporter":
        whole = Indicator.id.in_(own)
    else:
        whole = or_(
            and_(
                Indicator.project_id.is_(None),
                _in(Indicator.department_id, access.visible_department_ids(user)),
            ),
            Indicator.id.in_(own),
        )
    return select(Indicator).where(whole)


def list_indicators(user: Any, filters: Filters, pagination: Any) -> list[Indicator]:
    department, unit = _scope(user, filters)
    query = _indicator_query(user)
    if filters.year is not None:
        query = query.where(Indicator.year == filters.year)
    if department is not None:
        query = query.where(Indicator.department_id == department.id)
    if unit is not None:
        query = query.where(Indicator.project_id.in_(select(Project.id).where(Project.unit_id == unit.id)))
    if filters.project:
        query = query.where(Indicator.scope_code == filters.project, Indicator.project_id.is_not(None))
    query = query.options(
        selectinload(Indicator.project).selectinload(Project.unit), selectinload(Indicator.department)
    )
    return page(
        query.order_by(
            Indicator.year.desc(),
            Indicator.department_id,
            Indicator.scope_code,
            Indicator.position,
            Indicator.id,
        ),
        pagination,
    )


def get_indicator(user: Any, indicator_id: int) -> Indicator:
    indicator = db.session.scalar(_indicator_query(user).where(Indicator.id == indicator_id))
    if indicator is None:
        raise access.NotFound(f"indicator {indicator_id}")
    return indicator


# ---------------------------------------------------------------- spending


def list_spending(user: Any, filters: Filters, pagination: Any) -> list[SpendingEntry]:
    department, unit = _scope(user, filters)
    query = select(SpendingEntry).where(_in(SpendingEntry.unit_id, access.visible_unit_ids(user)))
    query = _where_given(query, (SpendingEntry.year, filters.year), (SpendingEntry.month, filters.month))
    if department is not None:
        query = query.where(SpendingEntry.department_id == department.id)
    if unit is not None:
        query = query.where(SpendingEntry.unit_id == unit.id)
    if filters.project is not None:
        query = query.where(SpendingEntry.project_code == filters.project)
    if filters.kind is not None:
        query = query.where(SpendingEntry.category == filters.kind)
    return page(
        query.order_by(
            SpendingEntry.year.desc(),
            SpendingEntry.month,
            SpendingEntry.unit_id,
            SpendingEntry.project_code,
            SpendingEntry.category,
        ),
        pagination,
    )


def unit_codes(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(ids))).all())


def department_codes(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        db.session.execute(select(Department.id, Department.code).where(Department.id.in_(ids))).all()
    )


# ---------------------------------------------------------------- monthly reports


def list_reports(user: Any, filters: Filters, pagination: Any) -> list[MonthlyReport]:
    """Monthly reports the user may read: units' reports of visible units, and 部门整体 reports of
    departments the user reads as a whole."""
    department, unit = _scope(user, filters)
    units = access.visible_unit_ids(user)
    if getattr(user, "role", None) == "reporter":
        visible = _in(MonthlyReport.unit_id, units)
    else:
        visible = or_(
            _in(MonthlyReport.unit_id, units),
            and_(
                MonthlyReport.unit_id.is_(None),
                _in(MonthlyReport.department_id, access.visible_department_ids(user)),
            ),
        )
    query = select(MonthlyReport).where(visible)
    query = _where_given(
        query,
        (MonthlyReport.year, filters.year),
        (MonthlyReport.month, filters.month),
        (MonthlyReport.status, filters.status),
    )
    if department is not None:
        query = query.where(MonthlyReport.department_id == department.id)
    if unit is not None:
        query = query.where(MonthlyReport.unit_id == unit.id)
    return page(
        query.order_by(MonthlyReport.year.desc(), MonthlyReport.month.desc(), MonthlyReport.scope_key),
        pagination,
    )


# ---------------------------------------------------------------- evaluations and deliveries


def _whole_departments(user: Any) -> set[int] | None:
    """Departments whose 部门整体 data the user reads; reporters none."""
    if getattr(user, "role", None) not in ("department", "finance", "admin"):
        return set()
    return access.visible_department_ids(user)


def evaluation_department(user: Any, code: str | None, year: int) -> str | None:
    """The department an evaluation request is about: the one named (checked), the user's own,
    or, for finance, None when the year has only one (the evaluation service decides)."""
    if code:
        department = access.require_department(user, code)
        if not access.can_read_department_whole(user, department.id):
            raise access.NotFound(f"department {code}")
        return department.code
    visible = _whole_departments(user)
    if visible is None:
        return None
    if not visible:
        raise access.NotFound("evaluation")
    codes = list(db.session.scalars(select(Department.code).where(Department.id.in_(visible))))
    if len(codes) != 1:
        raise access.NotFound("evaluation")
    return codes[0]


def list_deliveries(user: Any, filters: Filters, pagination: Any) -> list[Delivery]:
    department, _unit = _scope(user, Filters(department=filters.department))
    if department is not None and not access.can_read_department_whole(user, department.id):
        raise access.NotFound(f"deliveries of {department.code}")
    query = select(Delivery).where(_in(Delivery.department_id, _whole_departments(user)))
    query = _where_given(
        query,
        (Delivery.year, filters.year),
        (Delivery.month, filters.month),
        (Delivery.status, filters.status),
        (Delivery.kind, filters.kind),
    )
    if department is not None:
        query = query.where(Delivery.department_id == department.id)
    query = query.options(selectinload(Delivery.department), selectinload(Delivery.attempt_log))
    return page(query.order_by(Delivery.id.desc()), pagination)


def get_delivery(user: Any, delivery_id: int) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or not access.can_read_department_whole(user, delivery.department_id):
        raise access.NotFound(f"delivery {delivery_id}")
    return delivery


# ---------------------------------------------------------------- job runs


def list_job_runs(user: Any, job: str | None, status: str | None, pagination: Any) -> list[JobRun]:
    """定时任务运行记录: finance and admin only, as on the /jobs page (others: Forbidden)."""
    access.require_role(user, "finance", "admin")
    query = select(JobRun)
    if job:
        query = query.where(JobRun.job == job)
    if status:
        query = query.where(JobRun.status == status)
    return page(query.order_by(JobRun.started_at.desc(), JobRun.id.desc()), pagination)


def get_job_run(user: Any, run_id: int) -> JobRun:
    access.require_role(user, "finance", "admin")
    run = db.session.get(JobRun, run_id)
    if run is None:
        raise access.NotFound(f"job run {run_id}")
    return run
