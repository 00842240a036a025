"""What the engine evaluates from: bulk reads with SQLAlchemy Core of a chunk of departments, grouped
in memory by department. A chunk costs a fixed handful of SELECTs whatever its size.

Each query's row is a NamedTuple defined once here; the query selects the model's columns of the
same names, in the order of the fields, so the two cannot drift apart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, Select, select

from tracker.budget import money
from tracker.budget.models import Department, Project, Unit
from tracker.evaluation.models import ReviewerOverride
from tracker.reporting.models import IndicatorActual, MonthlyReport
from tracker.targets.models import Indicator

__all__ = [
    "COUNTED_STATUSES",
    "ActualRow",
    "DepartmentRow",
    "IndicatorRow",
    "Inputs",
    "OverrideRow",
    "ProjectRow",
    "departments_for",
    "load_inputs",
]

#: Reports whose actuals count: submitted (the unit has signed them) and approved. Drafts do not.
COUNTED_STATUSES = ("submitted", "approved")

R = TypeVar("R")


class DepartmentRow(NamedTuple):
    """A department the engine evaluates (``department``)."""

    id: int
    code: str
    name: str


class ProjectRow(NamedTuple):
    """A project of the year (``project``)."""

    id: int
    code: str
    name: str
    department_id: int
    initial_budget: Decimal
    unit_id: int


class IndicatorRow(NamedTuple):
    """An indicator of the year (``indicator``). The evaluations unpack it positionally, in this
    order: attribute access costs more than the rule itself at 400,000 indicators."""

    id: int
    department_id: int
    project_id: int | None
    position: int
    level1: str
    name: str
    target: str
    comparator: str
    target_low: Decimal | None
    target_high: Decimal | None
    target_unit: str
    mode: str
    mode_override: str | None
    computed_metric: str | None
    weight: Decimal | None


class ActualRow(NamedTuple):
    """An indicator's counted actual of the month (``indicator_actual``), unpacked positionally."""

    indicator_id: int
    actual: Decimal | None
    grade: str | None
    grade_percent: Decimal | None
    forecast: Decimal | None
    forecast_grade: str | None
    likelihood: str | None
    deviation_category: str | None
    deviation_cause: str | None
    corrective_measure: str | None


class ReportRow(NamedTuple):
    """A monthly report's status (``monthly_report``); ``unit_id`` None for the department's own."""

    department_id: int
    unit_id: int | None
    status: str


class OverrideRow(NamedTuple):
    """A reviewer's 审核意见 on an indicator (``reviewer_override``)."""

    indicator_id: int
    qualitative_percent: Decimal | None
    overachieved: bool | None
    note: str | None
    not_applicable_zero: bool | None


@dataclass
class Inputs:
    """Everything one chunk of departments is evaluated from, grouped by department."""

    year: int
    month: int
    departments: list[DepartmentRow]
    projects: dict[int, list[ProjectRow]] = field(default_factory=lambda: defaultdict(list))
    indicators: dict[int, list[IndicatorRow]] = field(default_factory=lambda: defaultdict(list))
    actuals: dict[int, ActualRow] = field(default_factory=dict)
    reports: dict[int, dict[int | None, str]] = field(default_factory=lambda: defaultdict(dict))
    units: dict[int, str] = field(default_factory=dict)
    spending: dict[int, dict[tuple[str, str], Decimal]] = field(default_factory=lambda: defaultdict(dict))
    budget_lines: dict[int, dict[str, Decimal]] = field(default_factory=lambda: defaultdict(dict))
    overrides: dict[int, OverrideRow] = field(default_factory=dict)
    #: 支出 and 预算调整 by department, month 1…``month`` and 类别 (monitoring's 预算执行进度 tallies).
    execution: dict[int, dict[int, dict[str, Decimal]]] = field(default_factory=dict)


def _columns(model: type[Any], row: type[tuple[Any, ...]]) -> Select[Any]:
    """SELECT the columns of ``model`` named by the fields of the NamedTuple ``row``, in order."""
    fields: tuple[str, ...] = row._fields  # type: ignore[attr-defined]
    return select(*(getattr(model, name) for name in fields))


def _rows(conn: Connection, make: Callable[[Iterable[Any]], R], query: Select[Any]) -> list[R]:
    """The rows of a Core select as the NamedTuple whose ``_make`` is ``make``.

    On PostgreSQL they come straight from the driver's cursor: psycopg already gives ``Decimal``,
    ``str`` and ``int``, and SQLAlchemy's Row objects cost twice the query itself at 40,000 rows.
    Elsewhere the types need SQLAlchemy's conversions (SQLite has no decimal type)."""
    result = conn.execute(query)
    if conn.dialect.name != "postgresql":
        return list(map(make, result.all()))
    try:
        return list(map(make, result.cursor.fetchall()))
    finally:
        result.close()


def departments_for(conn: Connection, year: int, codes: Sequence[str] | None = None) -> list[DepartmentRow]:
    """(id, code, name) of the departments with indicators in ``year``, by code."""
    # EXISTS, not IN (SELECT DISTINCT …): one department must not cost a pass over the year's
    # 400,000 indicators.
    has_indicators = (
        select(Indicator.id).where(Indicator.department_id == Department.id, Indicator.year == year).exists()
    )
    query = _columns(Department, DepartmentRow).where(has_indicators)
    if codes is not None:
        query = query.where(Department.code.in_(list(codes)))
    return _rows(conn, DepartmentRow._make, query.order_by(Department.code))


def load_inputs(
    conn: Connection,
    year: int,
    month: int,
    departments: list[DepartmentRow],
    *,
    with_overrides: bool = False,
    with_execution: bool = False,
) -> Inputs:
    """Read a chunk of departments' projects, indicators, counted actuals of ``month``, report
    statuses, spending through ``month`` and budget lines, in eight queries (a ninth with the
    month-by-month spending, ``with_execution``)."""
    ids = [d.id for d in departments]
    inputs = Inputs(year, month, departments)

    projects = _columns(Project, ProjectRow).where(Project.year == year, Project.department_id.in_(ids))
    for project in _rows(
        conn, ProjectRow._make, projects.order_by(Project.department_id, Project.unit_id, Project.code)
    ):
        inputs.projects[project.department_id].append(project)

    units = select(Unit.id, Unit.code).where(Unit.department_id.in_(ids))
    inputs.units = {row.id: row.code for row in conn.execute(units).all()}

    indicators = _columns(Indicator, IndicatorRow).where(
        Indicator.year == year, Indicator.department_id.in_(ids)
    )
    for ind in _rows(
        conn,
        IndicatorRow._make,
        indicators.order_by(Indicator.department_id, Indicator.position, Indicator.id),
    ):
        inputs.indicators[ind.department_id].append(ind)

    actuals = (
        _columns(IndicatorActual, ActualRow)
        .join(MonthlyReport, MonthlyReport.id == IndicatorActual.report_id)
        .where(
            MonthlyReport.year == year,
            MonthlyReport.month == month,
            MonthlyReport.department_id.in_(ids),
            MonthlyReport.status.in_(COUNTED_STATUSES),
        )
    )
    inputs.actuals = {row.indicator_id: row for row in _rows(conn, ActualRow._make, actuals)}

    reports = _columns(MonthlyReport, ReportRow).where(
        MonthlyReport.year == year, MonthlyReport.month == month, MonthlyReport.department_id.in_(ids)
    )
    for report in _rows(conn, ReportRow._make, reports):
        inputs.reports[report.department_id][report.unit_id] = report.status

    inputs.spending.update(money.spending_through(conn, year, month, ids))
    inputs.budget_lines.update(money.budget_lines(conn, year, ids))

    if with_execution:
        inputs.execution = money.execution_by_month(conn, year, month, ids)
    if with_overrides:
        overrides = (
            _columns(ReviewerOverride, OverrideRow)
            .join(Indicator, Indicator.id == ReviewerOverride.indicator_id)
            .where(Indicator.year == year, Indicator.department_id.in_(ids))
        )
        inputs.overrides = {row.indicator_id: row for row in _rows(conn, OverrideRow._make, overrides)}
    return inputs
