"""绩效运行监控 (SPEC §5) of a chunk of departments, from their :class:`~tracker.evaluation.inputs.Inputs`,
by the pure rules: plain row dicts ready for a bulk insert."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from tracker import rules
from tracker.budget import money
from tracker.evaluation.inputs import ActualRow, IndicatorRow, Inputs
from tracker.evaluation.results import (
    DepartmentResult,
    explain_inputs,
    metric_values,
    missing_reports,
    num,
    pct,
    project_money,
    project_row,
)
from tracker.evaluation.tallies import monitoring_tallies
from tracker.rules import wording
from tracker.rules.grammar import Comparator
from tracker.rules.modes import METRIC_MODES, Mode
from tracker.rules.packs import RulePack, Thresholds

__all__ = ["evaluate_monitoring"]

_MODES = {m.value: m for m in Mode}

#: A lamp and its explanation.
Lamp = tuple[rules.IndicatorLamp, dict[str, Any]]


def _has_cause(actual: ActualRow | None) -> bool:
    return (
        actual is not None
        and bool(actual.deviation_category or actual.deviation_cause)
        and bool((actual.corrective_measure or "").strip())
    )


def _monitor_quantity(
    ind: IndicatorRow,
    mode: Mode,
    value: Decimal | None,
    grade: str | None,
    forecast: Decimal | None,
    forecast_grade: str | None,
    likelihood: str | None,
    month: int,
    thresholds: Thresholds,
    rule: str,
    metric: str | None = None,
) -> Lamp:
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
    inputs = explain_inputs(
        ind.target,
        {"month": month},
        value,
        grade,
        metric,
        forecast=forecast,
        forecast_grade=forecast_grade,
        likelihood=likelihood,
    )
    return result, {"inputs": inputs, "formula": result.explain, "rule": rule}


def _monitor_metric(
    ind: IndicatorRow,
    mode: Mode,
    metric: str,
    value: Decimal | None,
    month: int,
    thresholds: Thresholds,
    rule: str,
) -> Lamp:
    if value is not None:
        return _monitor_quantity(ind, mode, value, None, None, None, None, month, thresholds, rule, metric)
    result = rules.IndicatorLamp(
        rules.NOT_APPLICABLE,
        None,
        None,
        (wording.ONLY_IN_DECEMBER if metric == "结转结余率" else wording.NO_BUDGET_FOR_METRIC)
        % {"metric": metric},
    )
    inputs = explain_inputs(ind.target, {"month": month}, value, None, metric)
    return result, {"inputs": inputs, "formula": result.explain, "rule": rule}


def evaluate_monitoring(inputs: Inputs, pack: RulePack) -> Iterator[DepartmentResult]:
    """绩效运行监控 as of ``inputs.month`` (SPEC §5) for every department of ``inputs``."""
    month, thresholds = inputs.month, pack.thresholds
    progress = rules.time_progress(month)
    rule = pack.label
    seen: dict[tuple[Any, ...], Lamp] = {}
    actuals, qualitative_comparator, yellow, red = (
        inputs.actuals,
        Comparator.QUALITATIVE,
        rules.YELLOW,
        rules.RED,
    )
    for department in inputs.departments:
        metrics = metric_values(inputs, department.id, month)
        project_rows = []
        for project in inputs.projects.get(department.id, ()):
            budget, spent = project_money(inputs, department.id, project)
            lamp = rules.budget_lamp(spent, budget, month, thresholds)
            project_rows.append(
                project_row(
                    inputs, project, budget, spent, lamp.execution,
                    budget_status=lamp.status, execution_score=None, total=None, grade=None,
                    explain={
                        "inputs": {"budget": num(budget), "spent": num(spent), "month": month},
                        "formula": lamp.explain,
                        "rule": rule,
                    },
                )
            )  # fmt: skip
        indicator_rows = []
        project_units = {p.unit_id for p in inputs.projects.get(department.id, ())}
        needs_department_report = False
        for ind in inputs.indicators.get(department.id, ()):
            # Unpacked once (the fields of IndicatorRow): attribute access costs more than the rule
            # itself at 400,000 indicators.
            (ind_id, _, project_id, position, level1, name, target, comparator, low, high, _, mode_name,
             override, metric, _) = ind  # fmt: skip
            actual_row = actuals.get(ind_id)
            value: Decimal | None
            grade: str | None
            if metric:
                mode = METRIC_MODES[metric]
                mode_name = mode.value
                value = pct(metrics.get(metric))
                grade = None
                result, explain = _monitor_metric(ind, mode, metric, value, month, thresholds, rule)
            else:
                mode_name = override or mode_name
                needs_department_report |= project_id is None
                forecast: Decimal | None
                forecast_grade: str | None
                likelihood: str | None
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
                    "actual_text": grade if qualitative or grade == rules.NOT_APPLICABLE_GRADE else None,
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
            "metrics": {name: num(value) for name, value in metrics.items()},
            "missing_reports": missing_reports(inputs, department, project_units, needs_department_report),
        }
        series = money.execution_series(
            inputs.execution.get(department.id, {}), inputs.budget_lines.get(department.id, {}), month
        )
        tallies = monitoring_tallies(indicator_rows, series)
        yield DepartmentResult(department, project_rows, indicator_rows, summary, tallies)
