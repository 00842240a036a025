"""Builders for evaluation tests: a department with projects, indicators, reports and money."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import jsonschema

from tests.factories import DepartmentFactory, IndicatorFactory, ProjectFactory, UnitFactory
from tracker.evaluation.modes import computed_metric_for, infer_mode
from tracker.extensions import db
from tracker.reporting.models import GRADES, IndicatorActual, MonthlyReport
from tracker.targets.grammar import parse_target
from tracker.targets.models import DepartmentBudgetLine, SpendingEntry

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


def report(department, unit, year, month, values: dict, *, status="approved") -> MonthlyReport:
    """A monthly report; ``values`` maps an Indicator to a dict of IndicatorActual fields (or a number
    / grade for short)."""
    scope = f"unit:{unit.code}" if unit is not None else f"department:{department.code}"
    row = MonthlyReport(
        year=year,
        month=month,
        department_id=department.id,
        unit_id=unit.id if unit is not None else None,
        scope_key=scope,
        status=status,
    )
    db.session.add(row)
    db.session.flush()
    for ind, value in values.items():
        if not isinstance(value, dict):
            value = {"grade": value} if value in GRADES else {"actual": D(str(value))}
        db.session.add(IndicatorActual(report_id=row.id, indicator_id=ind.id, **value))
    db.session.flush()
    return row


def spend(project_or_unit, year, month, amount, category="支出"):
    project = project_or_unit if hasattr(project_or_unit, "initial_budget") else None
    unit = project.unit if project else project_or_unit
    db.session.add(
        SpendingEntry(
            year=year,
            month=month,
            department_id=unit.department_id,
            unit_id=unit.id,
            project_code=project.code if project else "",
            project_id=project.id if project else None,
            category=category,
            amount=D(str(amount)),
        )
    )
    db.session.flush()


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
