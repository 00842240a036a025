"""Read-only views across reports: my unit's months, the department's completeness (填报完整性),
the review queue, a project's history of actuals and the audit log. Access via :mod:`tracker.auth.access`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import g, has_request_context
from sqlalchemy import func, select

from tracker.auth import access
from tracker.auth.models import User
from tracker.budget.models import Department, Project, Unit
from tracker.extensions import db
from tracker.reporting.deadlines import deadlines_for_year, is_overdue, today
from tracker.reporting.models import IndicatorActual, MonthlyReport, report_scope_key
from tracker.targets.models import Indicator

__all__ = [
    "MonthCell",
    "CompletenessRow",
    "years_available",
    "unit_months",
    "completeness",
    "ReviewItem",
    "review_queue",
    "project_history",
    "unit_projects",
]


@dataclass
class MonthCell:
    month: int
    status: str | None  # None: nothing reported yet (未填报)
    due: date
    overdue: bool
    imported: bool = False
    return_reason: str | None = None


@dataclass
class CompletenessRow:
    """One line of the completeness matrix: a unit, or the department as a whole (``unit`` None)."""

    department: Department
    unit: Unit | None
    cells: list[MonthCell] = field(default_factory=list)

    @property
    def submitted_count(self) -> int:
        return sum(1 for c in self.cells if c.status in ("submitted", "approved"))


def years_available() -> list[int]:
    """Years that have targets, newest first (asked once per request: every page's pickers use it)."""
    cached = g.get("_years_available") if has_request_context() else None
    if cached is None:
        cached = sorted(
            set(db.session.scalars(select(Project.year).distinct()))
            | set(db.session.scalars(select(Indicator.year).distinct())),
            reverse=True,
        )
        if has_request_context():
            g._years_available = cached
    return list(cached)


def default_year() -> int:
    """The year a page opens on: this year when it has targets, else the newest that has."""
    years = years_available()
    current = today().year
    return current if current in years or not years else years[0]


def default_assessment_year() -> int:
    """The year 绩效自评 opens on: the last finished year with targets (自评 looks back)."""
    years = years_available()
    finished = [year for year in years if year < today().year]
    return finished[0] if finished else default_year()


def default_month(year: int) -> int:
    """The month monitoring opens on in ``year``: the newest month anything was reported for, else
    the last finished month (December for a past year)."""
    reported = db.session.scalar(select(func.max(MonthlyReport.month)).where(MonthlyReport.year == year))
    if reported:
        return int(reported)
    on = today()
    if year < on.year:
        return 12
    return max(on.month - 1, 1)


def _cells(
    scope_key: str,
    year: int,
    deadlines: dict[int, date],
    reports: dict[tuple[str, int], MonthlyReport],
    on: date,
) -> list[MonthCell]:
    cells = []
    for month in range(1, 13):
        report = reports.get((scope_key, month))
        status = report.status if report else None
        # Months not yet over are not overdue even if nothing is filed.
        cells.append(
            MonthCell(
                month,
                status,
                deadlines[month],
                is_overdue(status, deadlines[month], on),
                bool(report and report.imported),
                report.return_reason if report else None,
            )
        )
    return cells


def _reports(year: int, keys: list[str]) -> dict[tuple[str, int], MonthlyReport]:
    if not keys:
        return {}
    rows = db.session.scalars(
        select(MonthlyReport).where(MonthlyReport.year == year, MonthlyReport.scope_key.in_(keys))
    )
    return {(r.scope_key, r.month): r for r in rows}


def unit_months(user: User, unit_code: str, year: int) -> list[MonthCell]:
    """A unit's twelve months and their status (the reporter's home page)."""
    unit = access.require_unit(user, unit_code)
    key = report_scope_key(unit.code)
    return _cells(key, year, deadlines_for_year(year, unit.department.bureau), _reports(year, [key]), today())


def unit_projects(user: User, unit_code: str, year: int) -> list[Project]:
    unit = access.require_unit(user, unit_code)
    return list(
        db.session.scalars(
            select(Project).where(Project.unit_id == unit.id, Project.year == year).order_by(Project.code)
        )
    )


def completeness(user: User, department_code: str, year: int) -> list[CompletenessRow]:
    """Which units (and the 部门整体 report) have submitted which months of ``year``."""
    department = access.require_department(user, department_code)
    visible = access.visible_unit_ids(user)
    units = [u for u in department.units if visible is None or u.id in visible]
    rows = [CompletenessRow(department, u) for u in units]
    if access.can_read_department_whole(user, department.id):
        rows.append(CompletenessRow(department, None))
    keys = [report_scope_key(r.unit.code if r.unit else None, department.code) for r in rows]
    reports, deadlines, on = _reports(year, keys), deadlines_for_year(year, department.bureau), today()
    for row, key in zip(rows, keys, strict=True):
        row.cells = _cells(key, year, deadlines, reports, on)
    return rows


@dataclass
class ReviewItem:
    """One row of the review queue: the report and the code and name of its unit (or department)."""

    report: MonthlyReport
    code: str
    name: str


def review_queue(user: User) -> list[ReviewItem]:
    """待审核: submitted unit reports of the department's units, or 部门整体 reports for finance."""
    if access.is_department_admin(user):
        query = select(MonthlyReport, Unit.code, Unit.name).join(Unit, Unit.id == MonthlyReport.unit_id)
        query = query.where(MonthlyReport.department_id == user.department_id)
    elif access.is_finance(user):
        query = select(MonthlyReport, Department.code, Department.name).join(
            Department, Department.id == MonthlyReport.department_id
        )
        query = query.where(
            MonthlyReport.unit_id.is_(None),
            access.among(MonthlyReport.department_id, access.visible_department_ids(user)),
        )
    else:
        raise access.refuse(user, "review queue")
    query = query.where(MonthlyReport.status == "submitted")
    rows = db.session.execute(query.order_by(MonthlyReport.submitted_at, MonthlyReport.id))
    return [ReviewItem(report, code, name) for report, code, name in rows]


@dataclass
class IndicatorHistory:
    indicator: Indicator
    months: dict[int, tuple[IndicatorActual, str]]  # month → (values, report status)


def project_history(user: User, year: int, code: str) -> tuple[Project, list[IndicatorHistory]]:
    """A project's targets and the history of its actuals, month by month."""
    project = access.require_project(user, year, code)
    reports = db.session.scalars(
        select(MonthlyReport).where(
            MonthlyReport.year == year, MonthlyReport.scope_key == report_scope_key(project.unit.code)
        )
    )
    by_indicator: dict[int, dict[int, tuple[IndicatorActual, str]]] = {}
    for report in reports:
        for actual in report.actuals:
            by_indicator.setdefault(actual.indicator_id, {})[report.month] = (actual, report.status)
    return project, [IndicatorHistory(i, by_indicator.get(i.id, {})) for i in project.indicators]
