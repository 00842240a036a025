"""Builders for evaluation tests: a department with projects, indicators, reports and money."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import jsonschema

from tests.factories import (
    DepartmentFactory,
    IndicatorFactory,
    ProjectFactory,
    UnitFactory,
    monthly_report,
    spending,
)
from tracker.budget.models import DepartmentBudgetLine
from tracker.extensions import db
from tracker.rules.grammar import parse_target
from tracker.rules.modes import computed_metric_for, infer_mode

CONTRACT = Path("/work/shared/contract")


def validate(document: dict, kind: str) -> None:
    """Validate against the SPEC §9 contract schema (``monitoring`` or ``self-assessment``)."""
    schema = json.loads((CONTRACT / f"{kind}.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)


def indicator(project=None, *, department=None, target="≥100个", level1="产出指标", name=None, weight=None):
    parsed = parse_target(target, level1)
    kwargs = {
        "project": project,
        "target": target,
        "level1": level1,
        "weight": weight,
        "mode": infer_mode(parsed.comparator, parsed.unit, level1).value,
    }
    if name:
        kwargs["name"] = name
    if project is None:
        kwargs["department"] = department
        kwargs["computed_metric"] = computed_metric_for(name or "")
    return IndicatorFactory(**kwargs)


#: Shared with the other test packages (tests/factories.py).
report = monthly_report
spend = spending


def budget_line(department, subject, amount, year=2023):
    db.session.add(
        DepartmentBudgetLine(year=year, department_id=department.id, subject=subject, amount=D(str(amount)))
    )
    db.session.flush()


__all__ = [
    "DepartmentFactory",
    "ProjectFactory",
    "UnitFactory",
    "validate",
    "indicator",
    "report",
    "spend",
    "budget_line",
]
