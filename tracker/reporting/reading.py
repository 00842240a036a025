"""Reading a monthly report of actuals: the form's rows, last month's values and the lamps (SPEC §4, §5).

A report is addressed by ``unit_code`` (预算单位) or, with ``unit_code=None``, by
``department_code`` (部门整体). Reading checks access through :mod:`tracker.auth.access` and
writes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import contains_eager

from tracker import rules
from tracker.auth import access
from tracker.auth.models import User
from tracker.budget import money
from tracker.budget.models import Department, Project, Unit
from tracker.budget.packs import department_rule_pack
from tracker.core.errors import NotFound
from tracker.core.queries import where_given
from tracker.core.text import N_
from tracker.extensions import db
from tracker.reporting.deadlines import deadline_for, is_overdue, today
from tracker.reporting.models import ACTUAL_VALUE_COLUMNS, IndicatorActual, MonthlyReport, report_scope_key
from tracker.reporting.values import RowValues, parse_row
from tracker.rules import IndicatorLamp, monitor_indicator, needs_deviation_cause
from tracker.rules.modes import Mode
from tracker.rules.numbers import UNJUDGED
from tracker.rules.packs import RulePack
from tracker.rules.plausibility import plausibility_warnings
from tracker.targets.models import Indicator
from tracker.targets.reading import require_scope

T = TypeVar("T")

__all__ = [
    "ReportData",
    "ReportRow",
    "get_report",
    "report_data",
    "preview_lamp",
    "typed_lamps",
    "lamp_for",
    "scope_key",
    "check_period",
    "report_indicators",
    "typed_indicators",
    "TypedIndicator",
    "find_report",
    "parse_values",
    "reports_query",
]


def scope_key(department: Department, unit: Unit | None) -> str:
    return report_scope_key(unit.code if unit is not None else None, department.code)


@dataclass
class ReportRow:
    """One indicator on the form: its stored values, last month's, and the server-side lamp."""

    indicator: Indicator
    values: RowValues | None
    previous: RowValues | None
    lamp: IndicatorLamp
    computed_value: Decimal | None = None
    #: The department's rule pack (its bureau's, SPEC §6a): thresholds, bands, plausibility.
    pack: RulePack | None = None

    @property
    def qualitative(self) -> bool:
        return self.indicator.comparator == "QUALITATIVE"

    @property
    def needs_cause(self) -> bool:
        return needs_deviation_cause(self.lamp.status)

    @property
    def warnings(self) -> list[str]:
        """What looks odd about the stored value (issue 11 §4): shown beside it, confirmed on submit."""
        pack = self.pack or department_rule_pack(self.indicator.department)
        return value_warnings(self.indicator, self.values, self.previous, pack)


@dataclass
class ReportData:
    """Everything a page or the API shows of one monthly report."""

    department: Department
    unit: Unit | None
    year: int
    month: int
    report: MonthlyReport | None
    rows: list[ReportRow]
    can_write: bool
    can_review: bool
    can_unlock: bool
    projects: dict[int, Project] = field(default_factory=dict)

    @functools.cached_property
    def deadline(self) -> date:
        """The month's due date for the department (read when a page shows it, not for a submission)."""
        return deadline_for(self.year, self.month, self.department)

    @property
    def status(self) -> str:
        return self.report.status if self.report else "draft"

    @property
    def version(self) -> int:
        return self.report.version if self.report else 0

    @property
    def editable(self) -> bool:
        return self.can_write and self.status == "draft"

    @property
    def overdue(self) -> bool:
        return is_overdue(self.status if self.report else None, self.deadline, today())

    @property
    def scope_key(self) -> str:
        return scope_key(self.department, self.unit)

    def groups(self) -> list[tuple[Project | None, list[tuple[str, list[ReportRow]]]]]:
        """Rows grouped by project, then 一级指标, in target-file order."""
        out: list[tuple[Project | None, list[tuple[str, list[ReportRow]]]]] = []
        for row in self.rows:
            project = row.indicator.project
            if not out or out[-1][0] is not project:
                out.append((project, []))
            level1s = out[-1][1]
            if not level1s or level1s[-1][0] != row.indicator.level1:
                level1s.append((row.indicator.level1, []))
            level1s[-1][1].append(row)
        return out


# ---------------------------------------------------------------- lookups shared with writing


def _bands(pack: RulePack) -> dict[str, tuple[Decimal, Decimal]]:
    return {name: (band.low, band.high) for name, band in pack.bands}


def value_warnings(
    indicator: Indicator,
    values: RowValues | IndicatorActual | None,
    previous: RowValues | IndicatorActual | None,
    pack: RulePack,
) -> list[str]:
    """Plausibility warnings of one indicator's value against its target and last month's."""
    if indicator.computed_metric or values is None or indicator.comparator == "QUALITATIVE":
        return []
    return plausibility_warnings(
        mode=indicator.effective_mode,
        comparator=indicator.comparator,
        low=indicator.target_low,
        unit=indicator.target_unit,
        actual=values.actual,
        previous=previous.actual if previous is not None else None,
        pack=pack,
    )


def check_period(year: int, month: int) -> None:
    """A month outside 1–12 or a year outside 2000–2100 is a report that does not exist."""
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise NotFound(f"period {year}-{month}")


def _of_report(query: Select[T], department: Department, unit: Unit | None, year: int) -> Select[T]:
    """``query`` of indicators narrowed to a report's: a unit's projects' (or the department's as
    a whole), in target-file order."""
    query = query.where(Indicator.year == year)
    if unit is not None:
        return (
            query.join(Project, Indicator.project_id == Project.id)
            .where(Project.unit_id == unit.id)
            .order_by(Project.code, Indicator.position, Indicator.id)
        )
    return query.where(Indicator.department_id == department.id, Indicator.project_id.is_(None)).order_by(
        Indicator.position, Indicator.id
    )


def _indicators_query(department: Department, unit: Unit | None, year: int) -> Select[Indicator]:
    query = _of_report(select(Indicator), department, unit, year)
    # The form groups by project: loaded with the join, not one query per project.
    return query.options(contains_eager(Indicator.project)) if unit is not None else query


def report_indicators(department: Department, unit: Unit | None, year: int) -> list[Indicator]:
    """The indicators of a unit's projects (or of the department as a whole), in target-file order."""
    return list(db.session.scalars(_indicators_query(department, unit, year)))


@dataclass(frozen=True, slots=True)
class TypedIndicator:
    """What checking and storing a typed value reads of an indicator, as plain values: a save of
    a thousand values reads a thousand indicators, and ORM objects of them cost five times more."""

    id: int
    name: str
    computed_metric: str | None
    comparator: str
    target_unit: str
    target_low: Decimal | None
    target_high: Decimal | None


_TYPED_COLUMNS = [getattr(Indicator, item.name) for item in fields(TypedIndicator)]


def typed_indicators(department: Department, unit: Unit | None, year: int) -> list[TypedIndicator]:
    """:func:`report_indicators`, as much of them as a save needs."""
    query = _of_report(select(*_TYPED_COLUMNS), department, unit, year)
    return [TypedIndicator(*row) for row in db.session.execute(query)]


def _of_scope(department: Department, unit: Unit | None, year: int, months: list[int]) -> ColumnElement[bool]:
    """The stored reports of the scope in ``months`` of ``year``."""
    return and_(
        MonthlyReport.year == year,
        MonthlyReport.month.in_(months),
        MonthlyReport.scope_key == scope_key(department, unit),
    )


def find_report(department: Department, unit: Unit | None, year: int, month: int) -> MonthlyReport | None:
    """The stored report of the scope and month, if there is one."""
    return db.session.scalar(select(MonthlyReport).where(_of_scope(department, unit, year, [month])))


def reports_of_months(
    department: Department, unit: Unit | None, year: int, months: list[int]
) -> dict[int, MonthlyReport]:
    """month → the stored report of the scope, for those of ``months`` there is one."""
    rows = db.session.scalars(select(MonthlyReport).where(_of_scope(department, unit, year, months)))
    return {row.month: row for row in rows}


def _target_max(indicator: Indicator | TypedIndicator) -> Decimal | None:
    numbers = [n for n in (indicator.target_low, indicator.target_high) if n is not None]
    return max(numbers) if numbers else None


def parse_values(
    indicator: Indicator | TypedIndicator, raw: Mapping[str, Any], pack: RulePack
) -> tuple[RowValues, dict[str, list[str]]]:
    """The typed ``raw`` values of one indicator, checked against its target and the pack's bands."""
    return parse_row(
        raw,
        qualitative=indicator.comparator == "QUALITATIVE",
        unit=indicator.target_unit,
        target_max=_target_max(indicator),
        bands=_bands(pack),
    )


# ---------------------------------------------------------------- reading


def lamp_for(
    indicator: Indicator,
    values: RowValues | IndicatorActual | None,
    month: int,
    pack: RulePack,
    computed_value: Decimal | None = None,
) -> IndicatorLamp:
    """The monitoring lamp of one indicator from the entered values (SPEC §5, via the evaluation rule)."""
    actual = computed_value if indicator.computed_metric else (values.actual if values else None)
    if indicator.computed_metric and actual is None:
        return IndicatorLamp(
            "n/a" if indicator.computed_metric == "结转结余率" and month < 12 else "missing",
            None,
            None,
            N_("由财务数据计算"),
        )
    qualitative = indicator.comparator == "QUALITATIVE"
    if not qualitative and indicator.target_low is None:
        return IndicatorLamp("n/a", None, None, N_("指标值无数字"))
    return monitor_indicator(
        mode=Mode(indicator.effective_mode),
        comparator=indicator.comparator,
        low=indicator.target_low,
        high=indicator.target_high,
        actual=actual,
        grade=values.grade if values else None,
        forecast=values.forecast if values and not indicator.computed_metric else None,
        forecast_grade=values.forecast_grade if values else None,
        likelihood=values.likelihood if values else None,
        month=month,
        thresholds=pack.thresholds,
    )


def _computed_values(
    department: Department, unit: Unit | None, year: int, month: int, indicators: list[Indicator]
) -> dict[str, Decimal | None]:
    """SPEC §7 metrics (as percent) for the 部门整体 indicators computed from money, never typed."""
    if unit is not None or not any(i.computed_metric for i in indicators):
        return {}
    totals = money.department_money_through(db.session.connection(), year, month, department.id)
    metrics = rules.department_metrics(totals, month)
    return {name: (value * 100 if value is not None else None) for name, value in metrics.items()}


def get_report(
    user: User, unit_code: str | None, year: int, month: int, *, department_code: str | None = None
) -> ReportData:
    """The report of a unit (or, with ``unit_code=None``, of a department as a whole) for a month,
    with every indicator's values, last month's values and lamp. Foreign scopes raise NotFound."""
    check_period(year, month)
    department, unit = access.require_report_scope(user, unit_code, department_code)
    return report_data(user, department, unit, year, month)


def report_data(
    user: User,
    department: Department,
    unit: Unit | None,
    year: int,
    month: int,
    *,
    indicators: list[Indicator] | None = None,
    report: MonthlyReport | None = None,
    stored: Mapping[int, MonthlyReport] | None = None,
    values: Mapping[int, RowValues] | None = None,
) -> ReportData:
    """:func:`get_report` of a scope its caller has already been let into, reusing the indicators,
    the report, the stored reports of this month and the one before (:func:`reports_of_months`)
    and this month's values by indicator it holds (a submission checks what it has just saved)."""
    if indicators is None:
        indicators = report_indicators(department, unit, year)
    if stored is None:
        # This month's report (unless given) and last month's in one query, their values in another.
        wanted = [m for m in (month - 1, month if report is None else None) if m]
        stored = reports_of_months(department, unit, year, wanted) if wanted else {}
    report = report if report is not None else stored.get(month)
    previous = stored.get(month - 1)
    current: dict[int, RowValues] = dict(values) if values is not None else {}
    before: dict[int, RowValues] = {}
    by_report = {
        r.id: into
        for r, into in ((report if values is None else None, current), (previous, before))
        if r is not None
    }
    if by_report:
        # As plain values (RowValues, whose fields are ACTUAL_VALUE_FIELDS), not ORM objects: a
        # thousand-indicator form reads a thousand of them for its month and the month before.
        query = select(IndicatorActual.report_id, IndicatorActual.indicator_id, *ACTUAL_VALUE_COLUMNS)
        for report_id, indicator_id, *stored_values in db.session.execute(
            query.where(IndicatorActual.report_id.in_(list(by_report)))
        ):
            by_report[report_id][indicator_id] = RowValues(*stored_values)
    computed = _computed_values(department, unit, year, month, indicators)
    pack = department_rule_pack(department)
    rows = []
    for indicator in indicators:
        value = computed.get(indicator.computed_metric) if indicator.computed_metric else None
        rows.append(
            ReportRow(
                indicator,
                current.get(indicator.id),
                before.get(indicator.id),
                lamp_for(indicator, current.get(indicator.id), month, pack, value),
                value,
                pack,
            )
        )
    unit_id = unit.id if unit else None
    return ReportData(
        department=department,
        unit=unit,
        year=year,
        month=month,
        report=report,
        rows=rows,
        can_write=access.can_write_report(user, department.id, unit_id),
        can_review=access.can_review_report(user, department.id, unit_id),
        can_unlock=access.can_unlock_report(user, department.id),
    )


def preview_lamp(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    indicator_id: int,
    raw: Mapping[str, Any],
    *,
    department_code: str | None = None,
) -> tuple[IndicatorLamp | None, dict[str, list[str]], list[str]]:
    """The lamp the typed ``raw`` values would give, its errors and its plausibility warnings, for
    the form's live lamps; nothing is stored."""
    check_period(year, month)
    department, unit = access.require_report_scope(user, unit_code, department_code)
    # The indicator, if it is the scope's, with last month's value of it: one query.
    last_month = select(MonthlyReport.id).where(_of_scope(department, unit, year, [month - 1]))
    found = db.session.execute(
        _indicators_query(department, unit, year)
        .where(Indicator.id == indicator_id)
        .outerjoin(
            IndicatorActual,
            and_(
                IndicatorActual.indicator_id == Indicator.id,
                IndicatorActual.report_id == last_month.scalar_subquery(),
            ),
        )
        .add_columns(IndicatorActual)
    ).first()
    if found is None:
        raise NotFound(f"indicator {indicator_id}")
    indicator, previous = found
    pack = department_rule_pack(department)
    values, errors = parse_values(indicator, raw, pack)
    if errors:
        return None, errors, []
    return lamp_for(indicator, values, month, pack), {}, value_warnings(indicator, values, previous, pack)


def typed_lamps(data: ReportData, typed: Mapping[int, Mapping[str, Any]]) -> dict[int, IndicatorLamp]:
    """Lamps from values typed but not saved (a form shown again after an error)."""
    pack = department_rule_pack(data.department)
    lamps = {}
    for row in data.rows:
        raw = typed.get(row.indicator.id)
        if raw is None or row.indicator.computed_metric:
            continue
        values, errors = parse_values(row.indicator, raw, pack)
        if errors:
            # The stored value's colour would be a lie about what is typed now (issue 11 §4).
            lamps[row.indicator.id] = IndicatorLamp(UNJUDGED, None, None, "输入无效，无法判断")
        else:
            lamps[row.indicator.id] = lamp_for(row.indicator, values, data.month, pack)
    return lamps


def reports_query(
    user: User | None,
    *,
    year: int | None = None,
    month: int | None = None,
    status: str | None = None,
    department_code: str | None = None,
    unit_code: str | None = None,
) -> Select[MonthlyReport]:
    """The stored monthly reports ``user`` reads, latest period first: the units' reports of the units
    it reads, and the 部门整体 reports of the departments it reads as a whole. A department or unit
    named that it may not read is NotFound."""
    department, unit = require_scope(user, department_code, unit_code)
    visible = or_(
        access.among(MonthlyReport.unit_id, access.visible_unit_ids(user)),
        and_(
            MonthlyReport.unit_id.is_(None),
            access.among(MonthlyReport.department_id, access.whole_department_ids(user)),
        ),
    )
    query = where_given(
        select(MonthlyReport).where(visible),
        (MonthlyReport.year, year),
        (MonthlyReport.month, month),
        (MonthlyReport.status, status),
        (MonthlyReport.department_id, department.id if department else None),
        (MonthlyReport.unit_id, unit.id if unit else None),
    )
    return query.order_by(MonthlyReport.year.desc(), MonthlyReport.month.desc(), MonthlyReport.scope_key)
