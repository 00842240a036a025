"""The set-based evaluation engine (SPEC §5–§7): bulk reads with SQLAlchemy Core, grouped in memory,
evaluated by the pure rules, returned as plain row dicts ready for a bulk insert.

No query per indicator and no ORM object per row: a chunk of departments costs a fixed handful
of SELECTs whatever its size.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, select

from tracker import rules
from tracker.budget import money
from tracker.budget.models import Department, Project, Unit
from tracker.evaluation.models import ReviewerOverride
from tracker.reporting.models import IndicatorActual, MonthlyReport
from tracker.rules.grammar import Comparator
from tracker.rules.modes import METRIC_MODES, Mode
from tracker.rules.packs import RulePack
from tracker.targets.models import Indicator

__all__ = [
    "COUNTED_STATUSES",
    "Inputs",
    "DepartmentResult",
    "departments_for",
    "load_inputs",
    "evaluate_monitoring",
    "evaluate_self_assessment",
]

#: Reports whose actuals count: submitted (the unit has signed them) and approved. Drafts do not.
COUNTED_STATUSES = ("submitted", "approved")
ZERO = Decimal(0)
_MODES = {m.value: m for m in Mode}


@dataclass
class Inputs:
    """Everything one chunk of departments is evaluated from, grouped by department."""

    year: int
    month: int
    departments: list[Any]
    projects: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    indicators: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    actuals: dict[int, Any] = field(default_factory=dict)
    reports: dict[int, dict[int | None, str]] = field(default_factory=lambda: defaultdict(dict))
    units: dict[int, str] = field(default_factory=dict)
    spending: dict[int, dict[tuple[str, str], Decimal]] = field(default_factory=lambda: defaultdict(dict))
    budget_lines: dict[int, dict[str, Decimal]] = field(default_factory=lambda: defaultdict(dict))
    overrides: dict[int, Any] = field(default_factory=dict)


def departments_for(conn: Connection, year: int, codes: Sequence[str] | None = None) -> list[Any]:
    """(id, code, name) of the departments with indicators in ``year``, by code."""
    # EXISTS, not IN (SELECT DISTINCT …): one department must not cost a pass over the year's
    # 400,000 indicators.
    has_indicators = (
        select(Indicator.id).where(Indicator.department_id == Department.id, Indicator.year == year).exists()
    )
    query = select(Department.id, Department.code, Department.name).where(has_indicators)
    if codes is not None:
        query = query.where(Department.code.in_(list(codes)))
    return list(conn.execute(query.order_by(Department.code)))


@lru_cache(maxsize=32)
def _row_type(names: tuple[str, ...]) -> Any:
    return namedtuple("Row", names)  # type: ignore[misc]  # noqa: PYI024


def _rows(conn: Connection, query: Any) -> list[Any]:
    """The rows of a Core select as named tuples (attribute access by column name, like a Row).

    On PostgreSQL they come straight from the driver's cursor: psycopg already gives ``Decimal``,
    ``str`` and ``int``, and SQLAlchemy's Row objects cost twice the query itself at 40,000 rows.
    Elsewhere the types need SQLAlchemy's conversions (SQLite has no decimal type)."""
    result = conn.execute(query)
    if conn.dialect.name != "postgresql":
        return list(result.all())
    try:
        make = _row_type(tuple(result.keys()))._make
        return list(map(make, result.cursor.fetchall()))
    finally:
        result.close()


def load_inputs(
    conn: Connection, year: int, month: int, departments: list[Any], *, with_overrides: bool = False
) -> Inputs:
    """Read a chunk of departments' projects, indicators, counted actuals of ``month``, report
    statuses, spending through ``month`` and budget lines, in eight queries."""
    ids = [d.id for d in departments]
    inputs = Inputs(year, month, departments)
    by_department = Project.department_id.in_(ids)

    projects = select(
        Project.id, Project.code, Project.name, Project.department_id, Project.initial_budget, Project.unit_id
    ).where(Project.year == year, by_department)
    for row in conn.execute(projects.order_by(Project.department_id, Project.unit_id, Project.code)).all():
        inputs.projects[row.department_id].append(row)

    units = select(Unit.id, Unit.code).where(Unit.department_id.in_(ids))
    inputs.units = {row.id: row.code for row in conn.execute(units).all()}

    indicators = select(
        Indicator.id,
        Indicator.department_id,
        Indicator.project_id,
        Indicator.position,
        Indicator.level1,
        Indicator.name,
        Indicator.target,
        Indicator.comparator,
        Indicator.target_low,
        Indicator.target_high,
        Indicator.target_unit,
        Indicator.mode,
        Indicator.mode_override,
        Indicator.computed_metric,
        Indicator.weight,
    ).where(Indicator.year == year, Indicator.department_id.in_(ids))
    for ind in _rows(conn, indicators.order_by(Indicator.department_id, Indicator.position, Indicator.id)):
        inputs.indicators[ind.department_id].append(ind)

    actuals = (
        select(
            IndicatorActual.indicator_id,
            IndicatorActual.actual,
            IndicatorActual.grade,
            IndicatorActual.grade_percent,
            IndicatorActual.forecast,
            IndicatorActual.forecast_grade,
            IndicatorActual.likelihood,
            IndicatorActual.deviation_category,
            IndicatorActual.deviation_cause,
            IndicatorActual.corrective_measure,
        )
        .join(MonthlyReport, MonthlyReport.id == IndicatorActual.report_id)
        .where(
            MonthlyReport.year == year,
            MonthlyReport.month == month,
            MonthlyReport.department_id.in_(ids),
            MonthlyReport.status.in_(COUNTED_STATUSES),
        )
    )
    inputs.actuals = {row.indicator_id: row for row in _rows(conn, actuals)}

    reports = select(MonthlyReport.department_id, MonthlyReport.unit_id, MonthlyReport.status).where(
        MonthlyReport.year == year, MonthlyReport.month == month, MonthlyReport.department_id.in_(ids)
    )
    for report in conn.execute(reports):
        inputs.reports[report.department_id][report.unit_id] = report.status

    inputs.spending.update(money.spending_through(conn, year, month, ids))
    inputs.budget_lines.update(money.budget_lines(conn, year, ids))

    if with_overrides:
        overrides = (
            select(
                ReviewerOverride.indicator_id,
                ReviewerOverride.qualitative_percent,
                ReviewerOverride.overachieved,
                ReviewerOverride.note,
            )
            .join(Indicator, Indicator.id == ReviewerOverride.indicator_id)
            .where(Indicator.year == year, Indicator.department_id.in_(ids))
        )
        inputs.overrides = {row.indicator_id: row for row in conn.execute(overrides)}
    return inputs


@dataclass
class DepartmentResult:
    """A department's evaluation as row dicts (``run_id`` filled in by the service) and the summary."""

    department: Any
    projects: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    summary: dict[str, Any]


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _pct(value: Decimal | None) -> Decimal | None:
    return None if value is None else value * rules.HUNDRED


def _project_money(inputs: Inputs, department_id: int, project: Any) -> tuple[Decimal, Decimal]:
    spending = inputs.spending.get(department_id, {})
    budget = rules.adjusted_budget(
        Decimal(project.initial_budget), spending.get((project.code, "预算调整"), ZERO)
    )
    return budget, spending.get((project.code, "支出"), ZERO)


def _has_cause(actual: Any) -> bool:
    return (
        actual is not None
        and bool(actual.deviation_category or actual.deviation_cause)
        and bool((actual.corrective_measure or "").strip())
    )


def _metric_values(inputs: Inputs, department_id: int, month: int) -> dict[str, Decimal | None]:
    totals = money.department_money(
        inputs.spending.get(department_id, {}), inputs.budget_lines.get(department_id, {})
    )
    return rules.department_metrics(totals, month)


def _missing_reports(
    inputs: Inputs, department: Any, project_units: set[int], needs_department: bool
) -> list:
    statuses = inputs.reports.get(department.id, {})
    missing: list[dict[str, str | None]] = [
        {"unit": inputs.units.get(unit_id, ""), "status": statuses.get(unit_id, "none")}
        for unit_id in sorted(project_units, key=lambda u: inputs.units.get(u, ""))
        if statuses.get(unit_id) not in COUNTED_STATUSES
    ]
    if needs_department and statuses.get(None) not in COUNTED_STATUSES:
        missing.append({"unit": None, "status": statuses.get(None, "none")})
    return missing


def _explain_inputs(
    target: str,
    month: int,
    value: Decimal | None,
    grade: str | None,
    forecast: Decimal | None,
    forecast_grade: str | None,
    likelihood: str | None,
    metric: str | None,
) -> dict[str, Any]:
    explain_inputs: dict[str, Any] = {"target": target, "month": month}
    if value is not None:
        explain_inputs["actual"] = _num(value)
    if grade:
        explain_inputs["grade"] = grade
    if forecast is not None:
        explain_inputs["forecast"] = _num(forecast)
    if forecast_grade:
        explain_inputs["forecast_grade"] = forecast_grade
    if likelihood:
        explain_inputs["likelihood"] = likelihood
    if metric:
        explain_inputs["computed"] = metric
    return explain_inputs


def _monitor_quantity(
    ind: Any,
    mode: Mode,
    value: Decimal | None,
    grade: str | None,
    forecast: Decimal | None,
    forecast_grade: str | None,
    likelihood: str | None,
    month: int,
    thresholds: Any,
    rule: str,
    metric: str | None = None,
) -> tuple[rules.IndicatorLamp, dict[str, Any]]:
    result = rules.monitor_indicator(
        mode=mode,
        comparator=ind.comparator,
        low=ind.target_low,
        high=ind.target_high,
        actual=value,
        grade=grade,
        forecast=forecast,
        forecast_grade=forecast_grade,
        likelihood=likelihood,
        month=month,
        thresholds=thresholds,
    )
    explain_inputs = _explain_inputs(
        ind.target, month, value, grade, forecast, forecast_grade, likelihood, metric
    )
    return result, {"inputs": explain_inputs, "formula": result.explain, "rule": rule}


def _monitor_metric(
    ind: Any, mode: Mode, metric: str, value: Decimal | None, month: int, thresholds: Any, rule: str
) -> tuple[rules.IndicatorLamp, dict[str, Any]]:
    if value is not None:
        return _monitor_quantity(ind, mode, value, None, None, None, None, month, thresholds, rule, metric)
    result = rules.IndicatorLamp(
        rules.NOT_APPLICABLE,
        None,
        None,
        f"{metric}{'仅在12月计算' if metric == '结转结余率' else '缺少预算数，无法计算'}",
    )
    explain_inputs = _explain_inputs(ind.target, month, value, None, None, None, None, metric)
    return result, {"inputs": explain_inputs, "formula": result.explain, "rule": rule}


def _project_row(
    inputs: Inputs, project: Any, budget: Decimal, spent: Decimal, execution: Decimal | None, **result: Any
) -> dict[str, Any]:
    """A project's stored result row: who it is and its money, plus what the evaluation ``result`` adds."""
    return {
        "project_id": project.id,
        "code": project.code,
        "name": project.name,
        "unit_code": inputs.units.get(project.unit_id, ""),
        "budget": budget,
        "spent": spent,
        "execution": execution,
        **result,
    }


def evaluate_monitoring(inputs: Inputs, pack: RulePack) -> Iterable[DepartmentResult]:
    """绩效运行监控 as of ``inputs.month`` (SPEC §5) for every department of ``inputs``."""
    month, thresholds = inputs.month, pack.thresholds
    progress = rules.time_progress(month)
    rule = pack.label
    seen: dict[tuple, tuple[rules.IndicatorLamp, dict[str, Any]]] = {}
    actuals, qualitative_comparator, yellow, red = (
        inputs.actuals,
        Comparator.QUALITATIVE,
        rules.YELLOW,
        rules.RED,
    )
    for department in inputs.departments:
        metrics = _metric_values(inputs, department.id, month)
        project_rows = []
        for project in inputs.projects.get(department.id, ()):
            budget, spent = _project_money(inputs, department.id, project)
            lamp = rules.budget_lamp(spent, budget, month, thresholds)
            project_rows.append(
                _project_row(
                    inputs, project, budget, spent, lamp.execution,
                    budget_status=lamp.status, execution_score=None, total=None, grade=None,
                    explain={
                        "inputs": {"budget": _num(budget), "spent": _num(spent), "month": month},
                        "formula": lamp.explain,
                        "rule": rule,
                    },
                )
            )  # fmt: skip
        indicator_rows = []
        project_units = {p.unit_id for p in inputs.projects.get(department.id, ())}
        needs_department_report = False
        for ind in inputs.indicators.get(department.id, ()):
            # Unpacked once (the columns of load_inputs): attribute access on a Row costs more
            # than the rule itself at 400,000 indicators.
            (ind_id, _, project_id, position, level1, name, target, comparator, low, high, _, mode_name,
             override, metric, _) = ind  # fmt: skip
            actual_row = actuals.get(ind_id)
            if metric:
                mode = METRIC_MODES[metric]
                mode_name = mode.value
                value = _pct(metrics.get(metric))
                grade = None
                result, explain = _monitor_metric(ind, mode, metric, value, month, thresholds, rule)
            else:
                mode_name = override or mode_name
                needs_department_report |= project_id is None
                if actual_row is None:
                    value = grade = forecast = forecast_grade = likelihood = None
                else:
                    _, value, grade, _, forecast, forecast_grade, likelihood, _, _, _ = actual_row
                # Same target, same report → same lamp and explanation: computed once per run.
                key: tuple[Any, ...] = (mode_name, comparator, low, high, target, value, grade)
                if forecast is not None or forecast_grade or likelihood:
                    key += (forecast, forecast_grade, likelihood)
                cached = seen.get(key)
                if cached is None:
                    cached = seen[key] = _monitor_quantity(
                        ind, _MODES[mode_name], value, grade, forecast, forecast_grade, likelihood, month,
                        thresholds, rule,
                    )  # fmt: skip
                result, explain = cached
            qualitative = comparator == qualitative_comparator
            status = result.status
            indicator_rows.append(
                {
                    "indicator_id": ind_id,
                    "project_id": project_id,
                    "position": position,
                    "level1": level1,
                    "name": name,
                    "target": target,
                    "mode": mode_name,
                    "actual": None if qualitative else value,
                    "actual_text": grade if qualitative else None,
                    "expected": result.expected,
                    "ratio": result.ratio,
                    "status": status,
                    "needs_cause": status in (yellow, red) and not _has_cause(actual_row),
                    "weight": None,
                    "score": None,
                    "met": None,
                    "flags": "",
                    "explain": explain,
                }
            )
        summary = {
            "time_progress": format(progress, "f"),
            "metrics": {name: _num(value) for name, value in metrics.items()},
            "missing_reports": _missing_reports(inputs, department, project_units, needs_department_report),
        }
        yield DepartmentResult(department, project_rows, indicator_rows, summary)


def _override_flags(flags: tuple[str, ...], override: Any) -> tuple[list[str], str]:
    result = list(flags)
    note = ""
    if override is not None and override.overachieved is not None:
        if override.overachieved and rules.OVERACHIEVED not in result:
            result.append(rules.OVERACHIEVED)
        if not override.overachieved and rules.OVERACHIEVED in result:
            result.remove(rules.OVERACHIEVED)
        note = f"；审核意见：{'指标值设定偏低' if override.overachieved else '指标值设定合理'}"
        if override.note:
            note += f"（{override.note}）"
    return result, note


def _score(
    ind: Any,
    value: Decimal | None,
    grade: str | None,
    grade_percent: Decimal | None,
    weight: Decimal,
    override: Any,
    pack: RulePack,
) -> tuple[rules.IndicatorScore, str, dict[str, Any]]:
    """(score, flags, explain) of one indicator of a self-assessment."""
    metric = ind.computed_metric
    result = rules.score_indicator(
        comparator=ind.comparator,
        low=ind.target_low,
        high=ind.target_high,
        actual=value,
        grade=grade,
        grade_percent=grade_percent,
        weight=weight,
        pack=pack,
    )
    flags, note = _override_flags(result.flags, override)
    explain_inputs: dict[str, Any] = {"target": ind.target, "weight": _num(weight)}
    if value is not None:
        explain_inputs["actual"] = _num(value)
    if grade:
        explain_inputs["grade"] = grade
    if grade_percent is not None:
        explain_inputs["grade_percent"] = _num(grade_percent)
    if metric:
        explain_inputs["computed"] = metric
    explain = {"inputs": explain_inputs, "formula": result.explain + note, "rule": pack.label}
    return result, "|".join(flags), explain


def _score_rows(
    indicators: list[Any],
    weights: list[Decimal],
    inputs: Inputs,
    metrics: dict[str, Decimal | None],
    pack: RulePack,
    seen: dict[tuple, tuple[rules.IndicatorScore, str, dict[str, Any]]],
) -> list[dict[str, Any]]:
    rows = []
    actuals, overrides = inputs.actuals, inputs.overrides
    for ind, weight in zip(indicators, weights, strict=True):
        (ind_id, _, project_id, position, level1, name, target, comparator, low, high, _, mode_name,
         mode_override, metric, _) = ind  # fmt: skip
        actual_row = actuals.get(ind_id)
        override = overrides.get(ind_id)
        qualitative = comparator == Comparator.QUALITATIVE
        grade = grade_percent = None
        if metric:
            value = _pct(metrics.get(metric))
        elif actual_row is not None:
            _, value, grade, grade_percent, _, _, _, _, _, _ = actual_row
        else:
            value = None
        if override is not None and override.qualitative_percent is not None:
            grade_percent = override.qualitative_percent
        if metric or override is not None:
            result, flags, explain = _score(ind, value, grade, grade_percent, weight, override, pack)
        else:
            # Same target, weight and report → same score and explanation: computed once per run.
            # The weight's text is part of the key: 12.5 and 12.50 are equal but read differently.
            key = (comparator, low, high, target, value, grade, grade_percent, _num(weight))
            cached = seen.get(key)
            if cached is None:
                cached = seen[key] = _score(ind, value, grade, grade_percent, weight, None, pack)
            result, flags, explain = cached
        rows.append(
            {
                "indicator_id": ind_id,
                "project_id": project_id,
                "position": position,
                "level1": level1,
                "name": name,
                "target": target,
                "mode": METRIC_MODES[metric].value if metric else (mode_override or mode_name),
                "actual": None if qualitative else value,
                "actual_text": grade if qualitative else None,
                "expected": None,
                "ratio": result.ratio,
                "status": None,
                "needs_cause": False,
                "weight": weight,
                "score": result.score,
                "met": result.met,
                "flags": flags,
                "explain": explain,
            }
        )
    return rows


def evaluate_self_assessment(inputs: Inputs, pack: RulePack) -> Iterable[DepartmentResult]:
    """绩效自评 of the year (SPEC §6): the December report and spending through December."""
    seen: dict[tuple, tuple[rules.IndicatorScore, str, dict[str, Any]]] = {}
    shapes: dict[tuple, list[Decimal]] = {}
    for department in inputs.departments:
        metrics = _metric_values(inputs, department.id, 12)
        by_project: dict[int | None, list[Any]] = defaultdict(list)
        for ind in inputs.indicators.get(department.id, ()):
            by_project[ind.project_id].append(ind)
        project_rows, indicator_rows = [], []
        for project in inputs.projects.get(department.id, ()):
            indicators = by_project.get(project.id, [])
            # Projects of one shape (一级指标 and 分值 in order) share their weights.
            shape = (tuple(i.level1 for i in indicators), tuple(i.weight for i in indicators))
            weights = shapes.get(shape)
            if weights is None:
                weights = shapes[shape] = rules.self_assessment_weights(list(shape[0]), list(shape[1]), pack)
            rows = _score_rows(indicators, weights, inputs, metrics, pack, seen)
            budget, spent = _project_money(inputs, department.id, project)
            lamp = rules.budget_lamp(spent, budget, 12, pack.thresholds)
            execution_points = rules.execution_score(lamp.execution, pack)
            total = execution_points + sum((r["score"] for r in rows), ZERO)
            grade = rules.grade_for(total, pack)
            project_rows.append(
                _project_row(
                    inputs, project, budget, spent, lamp.execution,
                    budget_status=None, execution_score=execution_points, total=total, grade=grade,
                    explain={
                        "inputs": {"budget": _num(budget), "spent": _num(spent)},
                        "formula": (
                            f"预算执行率得分 = min({rules.fmt_number(lamp.execution)}, 1) × "
                            f"{pack.execution_points} = {rules.fmt_number(execution_points)}；"
                            f"总分 = 执行率得分 + 各指标得分 = {rules.fmt_number(total)} → {grade}"
                        ),
                        "rule": pack.label,
                    },
                )
            )  # fmt: skip
            indicator_rows.extend(rows)
        own = by_project.get(None, [])
        weights = rules.department_weights([i.level1 for i in own], [i.weight for i in own], pack)
        rows = _score_rows(own, weights, inputs, metrics, pack, seen)
        indicator_rows.extend(rows)
        total = sum((r["score"] for r in rows), ZERO)
        summary = {
            "metrics": {name: _num(value) for name, value in metrics.items()},
            "total": _num(total),
            "grade": rules.grade_for(total, pack),
            "missing_reports": _missing_reports(
                inputs,
                department,
                {p.unit_id for p in inputs.projects.get(department.id, ())},
                any(not i.computed_metric for i in own),
            ),
        }
        yield DepartmentResult(department, project_rows, indicator_rows, summary)
