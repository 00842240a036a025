"""What the monitoring and the self-assessment share: a department's result (row dicts ready for a
bulk insert, ``run_id`` filled in by the service), and the pieces of those rows both make."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tracker import rules
from tracker.budget import money
from tracker.evaluation.inputs import COUNTED_STATUSES, DepartmentRow, Inputs, ProjectRow

__all__ = [
    "ZERO",
    "DepartmentResult",
    "explain_inputs",
    "metric_values",
    "missing_reports",
    "num",
    "pct",
    "project_money",
    "project_row",
]

ZERO = Decimal(0)


@dataclass
class DepartmentResult:
    """A department's evaluation as row dicts (``run_id`` filled in by the service) and the summary."""

    department: DepartmentRow
    projects: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    summary: dict[str, Any]
    #: What the 看板 sums over departments (:mod:`tracker.evaluation.tallies`), name → value.
    tallies: dict[str, Decimal] = field(default_factory=dict)


def num(value: Decimal | None) -> str | None:
    """A quantity as the text an explanation and a summary store."""
    return None if value is None else format(value, "f")


def explain_inputs(
    target: str,
    given: dict[str, Any],
    actual: Decimal | None,
    grade: str | None,
    computed: str | None,
    **more: Decimal | str | None,
) -> dict[str, Any]:
    """The ``inputs`` of an indicator's explanation: its target, what the rule was ``given`` (the
    month, the weight), then those of the actual, the grade, ``more`` (forecasts, likelihood, the
    reviewer's percent) and the computed metric it had — a number as its text, a blank left out."""
    inputs = {"target": target, **given}
    if actual is not None:
        inputs["actual"] = num(actual)
    if grade:
        inputs["grade"] = grade
    for key, value in more.items():
        if isinstance(value, Decimal):
            inputs[key] = num(value)
        elif value:
            inputs[key] = value
    if computed:
        inputs["computed"] = computed
    return inputs


def pct(value: Decimal | None) -> Decimal | None:
    """A fraction as a number of percent."""
    return None if value is None else value * rules.HUNDRED


def project_money(inputs: Inputs, department_id: int, project: ProjectRow) -> tuple[Decimal, Decimal]:
    """(full-year budget, spending) of a project through the month of ``inputs`` (SPEC §5)."""
    spending = inputs.spending.get(department_id, {})
    budget = rules.adjusted_budget(
        Decimal(project.initial_budget), spending.get((project.code, "预算调整"), ZERO)
    )
    return budget, spending.get((project.code, "支出"), ZERO)


def metric_values(inputs: Inputs, department_id: int, month: int) -> dict[str, Decimal | None]:
    """The SPEC §7 metrics of a department as of ``month``, as fractions."""
    totals = money.department_money(
        inputs.spending.get(department_id, {}), inputs.budget_lines.get(department_id, {})
    )
    return rules.department_metrics(totals, month)


def missing_reports(
    inputs: Inputs, department: DepartmentRow, project_units: set[int], needs_department: bool
) -> list[dict[str, str | None]]:
    """The units (and the department's own report, when ``needs_department``) without a counted
    report, with the status they have."""
    statuses = inputs.reports.get(department.id, {})
    missing: list[dict[str, str | None]] = [
        {"unit": inputs.units.get(unit_id, ""), "status": statuses.get(unit_id, "none")}
        for unit_id in sorted(project_units, key=lambda u: inputs.units.get(u, ""))
        if statuses.get(unit_id) not in COUNTED_STATUSES
    ]
    if needs_department and statuses.get(None) not in COUNTED_STATUSES:
        missing.append({"unit": None, "status": statuses.get(None, "none")})
    return missing


def project_row(
    inputs: Inputs,
    project: ProjectRow,
    budget: Decimal,
    spent: Decimal,
    execution: Decimal | None,
    **result: Any,
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
