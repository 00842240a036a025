"""绩效自评 (SPEC §6) of a chunk of departments, from their :class:`~tracker.evaluation.inputs.Inputs`
(the December report and spending through December), by the pure rules: plain row dicts ready for
a bulk insert."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from tracker import rules
from tracker.evaluation.inputs import IndicatorRow, Inputs, OverrideRow
from tracker.evaluation.results import (
    ZERO,
    DepartmentResult,
    explain_inputs,
    metric_values,
    missing_reports,
    num,
    pct,
    project_money,
    project_row,
)
from tracker.evaluation.tallies import self_assessment_tallies
from tracker.rules import wording
from tracker.rules.grammar import Comparator
from tracker.rules.modes import METRIC_MODES
from tracker.rules.packs import RulePack

__all__ = ["evaluate_self_assessment"]

#: A score, its flags (``|``-joined) and its explanation.
Scored = tuple[rules.IndicatorScore, str, dict[str, Any]]


def _override_flags(flags: tuple[str, ...], override: OverrideRow | None) -> tuple[list[str], str]:
    result = list(flags)
    note = ""
    if override is not None and override.overachieved is not None:
        if override.overachieved and rules.OVERACHIEVED not in result:
            result.append(rules.OVERACHIEVED)
        if not override.overachieved and rules.OVERACHIEVED in result:
            result.remove(rules.OVERACHIEVED)
        note = wording.REVIEW_LOW if override.overachieved else wording.REVIEW_FAIR
        if override.note:
            note += f"（{override.note}）"
    return result, note


def _score(
    ind: IndicatorRow,
    value: Decimal | None,
    grade: str | None,
    grade_percent: Decimal | None,
    weight: Decimal,
    override: OverrideRow | None,
    pack: RulePack,
) -> Scored:
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
    inputs = explain_inputs(
        ind.target, {"weight": num(weight)}, value, grade, metric, grade_percent=grade_percent
    )
    explain = {"inputs": inputs, "formula": result.explain + note, "rule": pack.label}
    return result, "|".join(flags), explain


def _score_rows(
    indicators: list[IndicatorRow],
    weights: list[Decimal],
    inputs: Inputs,
    metrics: dict[str, Decimal | None],
    pack: RulePack,
    seen: dict[tuple[Any, ...], Scored],
) -> list[dict[str, Any]]:
    rows = []
    actuals, overrides = inputs.actuals, inputs.overrides
    for ind, weight in zip(indicators, weights, strict=True):
        # Unpacked once (the fields of IndicatorRow), as in the monitoring.
        (ind_id, _, project_id, position, level1, name, target, comparator, low, high, _, mode_name,
         mode_override, metric, _) = ind  # fmt: skip
        actual_row = actuals.get(ind_id)
        override = overrides.get(ind_id)
        qualitative = comparator == Comparator.QUALITATIVE
        value: Decimal | None
        grade: str | None = None
        grade_percent: Decimal | None = None
        if metric:
            value = pct(metrics.get(metric))
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
            key = (comparator, low, high, target, value, grade, grade_percent, num(weight))
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
                "actual_text": grade if qualitative or grade == rules.NOT_APPLICABLE_GRADE else None,
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


def _not_applicable(indicators: list[IndicatorRow], inputs: Inputs) -> tuple[bool, ...]:
    """Which indicators are 不适用 in their December report, unless a reviewer scored them 0."""
    flags = []
    for ind in indicators:
        actual = inputs.actuals.get(ind.id)
        override = inputs.overrides.get(ind.id)
        zero = override is not None and bool(override.not_applicable_zero)
        flags.append(actual is not None and actual.grade == rules.NOT_APPLICABLE_GRADE and not zero)
    return tuple(flags)


def evaluate_self_assessment(inputs: Inputs, pack: RulePack) -> Iterator[DepartmentResult]:
    """绩效自评 of the year (SPEC §6): the December report and spending through December."""
    seen: dict[tuple[Any, ...], Scored] = {}
    shapes: dict[tuple[tuple[str, ...], tuple[Decimal | None, ...], tuple[bool, ...]], list[Decimal]] = {}
    for department in inputs.departments:
        metrics = metric_values(inputs, department.id, 12)
        by_project: dict[int | None, list[IndicatorRow]] = defaultdict(list)
        for ind in inputs.indicators.get(department.id, ()):
            by_project[ind.project_id].append(ind)
        project_rows, indicator_rows = [], []
        for project in inputs.projects.get(department.id, ()):
            indicators = by_project.get(project.id, [])
            # Projects of one shape (一级指标 and 分值 in order) share their weights.
            left_out = _not_applicable(indicators, inputs)
            shape = (tuple(i.level1 for i in indicators), tuple(i.weight for i in indicators), left_out)
            weights = shapes.get(shape)
            if weights is None:
                weights = shapes[shape] = rules.self_assessment_weights(
                    list(shape[0]), list(shape[1]), pack, left_out
                )
            rows = _score_rows(indicators, weights, inputs, metrics, pack, seen)
            budget, spent = project_money(inputs, department.id, project)
            lamp = rules.budget_lamp(spent, budget, 12, pack.thresholds)
            execution_points = rules.execution_score(lamp.execution, pack)
            total = execution_points + sum((r["score"] for r in rows), ZERO)
            grade = rules.grade_for(total, pack)
            project_rows.append(
                project_row(
                    inputs, project, budget, spent, lamp.execution,
                    budget_status=None, execution_score=execution_points, total=total, grade=grade,
                    explain={
                        "inputs": {"budget": num(budget), "spent": num(spent)},
                        "formula": wording.EXECUTION_SCORE % {
                            "execution": rules.fmt_number(lamp.execution),
                            "points": pack.execution_points,
                            "score": rules.fmt_number(execution_points),
                            "total": rules.fmt_number(total),
                            "grade": grade,
                        },
                        "rule": pack.label,
                    },
                )
            )  # fmt: skip
            indicator_rows.extend(rows)
        own = by_project.get(None, [])
        weights = rules.department_weights(
            [i.level1 for i in own], [i.weight for i in own], pack, _not_applicable(own, inputs)
        )
        rows = _score_rows(own, weights, inputs, metrics, pack, seen)
        indicator_rows.extend(rows)
        total = sum((r["score"] for r in rows), ZERO)
        # A department that published no 部门整体绩效目标表 has no 部门整体 score: null, not 0 分 / 差.
        summary = {
            "metrics": {name: num(value) for name, value in metrics.items()},
            "total": num(total) if own else None,
            "grade": rules.grade_for(total, pack) if own else None,
            "missing_reports": missing_reports(
                inputs,
                department,
                {p.unit_id for p in inputs.projects.get(department.id, ())},
                any(not i.computed_metric for i in own),
            ),
        }
        yield DepartmentResult(
            department, project_rows, indicator_rows, summary, self_assessment_tallies(project_rows)
        )
