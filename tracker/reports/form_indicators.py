"""What the two indicator forms (绩效自评, 绩效监控) share: the department's indicators by id, the
actual rows the evaluation counts, the 年度总体目标 text, and the text of an indicator's cells."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tracker.budget.models import Department, Project
from tracker.evaluation.engine import COUNTED_STATUSES
from tracker.extensions import db
from tracker.reporting.models import IndicatorActual, MonthlyReport
from tracker.reports.form_common import find_department, projects_by_code, to_decimal
from tracker.targets.models import DepartmentGoal, Indicator

__all__ = [
    "FormRows",
    "form_rows",
    "indicators_by_id",
    "counted_actuals",
    "department_goal",
    "actual_text",
    "cause_text",
    "forecast_text",
    "indicator_columns",
]


def indicators_by_id(year: int, department: Department) -> dict[int, Indicator]:
    """The department's indicators by id: a target table may repeat a 三级指标 within one project
    (``Indicator.occurrence``), so only the id of a document's entry tells which one it is."""
    rows = db.session.scalars(
        select(Indicator).where(Indicator.year == year, Indicator.department_id == department.id)
    )
    return {indicator.id: indicator for indicator in rows}


def counted_actuals(year: int, month: int, department: Department) -> dict[int, IndicatorActual]:
    """The month's actual rows by indicator id (causes, measures, forecasts, likelihood), from the
    reports the evaluation counts (submitted or approved), so the form and the scores agree."""
    rows = db.session.scalars(
        select(IndicatorActual)
        .join(MonthlyReport)
        .where(
            MonthlyReport.year == year,
            MonthlyReport.month == month,
            MonthlyReport.department_id == department.id,
            MonthlyReport.status.in_(COUNTED_STATUSES),
        )
    )
    return {row.indicator_id: row for row in rows}


@dataclass(frozen=True)
class FormRows:
    """What an indicator form prints beside its document: the department, its projects by code, its
    indicators by id and the counted actual rows of the form's month by indicator id."""

    department: Department
    projects: dict[str, Project]
    indicators: dict[int, Indicator]
    actuals: dict[int, IndicatorActual]


def form_rows(year: int, month: int, department_code: str) -> FormRows:
    """The :class:`FormRows` of department ``department_code``'s form of ``year`` as of ``month``."""
    department = find_department(department_code)
    return FormRows(
        department,
        projects_by_code(year, department),
        indicators_by_id(year, department),
        counted_actuals(year, month, department),
    )


def department_goal(year: int, department: Department) -> str:
    goals = db.session.scalars(
        select(DepartmentGoal)
        .where(DepartmentGoal.year == year, DepartmentGoal.department_id == department.id)
        .order_by(DepartmentGoal.id)
    ).all()
    duties = [goal.content for goal in goals if goal.category == "年度履职目标"]
    tasks = [
        f"{goal.name}：{goal.content}" if goal.name else goal.content
        for goal in goals
        if goal.category != "年度履职目标"
    ]
    return "\n".join(duties + tasks)


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def actual_text(value: Any, unit: str) -> str:
    """实际完成值 as printed: the number in the target's unit, the grade, or 未填报."""
    if value is None:
        return "未填报"
    if isinstance(value, str):
        return value
    number = to_decimal(value)
    assert number is not None
    return f"{_plain(number)}{unit}"


def cause_text(row: IndicatorActual | None) -> str:
    if row is None:
        return ""
    category = row.deviation_category or ""
    cause = row.deviation_cause or ""
    return f"{category}：{cause}" if category and cause else category or cause


def forecast_text(row: IndicatorActual | None, unit: str) -> str:
    if row is None:
        return ""
    if row.forecast_grade:
        return row.forecast_grade
    return actual_text(row.forecast, unit) if row.forecast is not None else ""


def indicator_columns(
    item: dict[str, Any], rows: FormRows
) -> tuple[IndicatorActual | None, str, dict[str, str]]:
    """A document indicator's stored 实际完成 row, its unit, and the columns both forms open with
    (一级、二级、三级指标, 年度指标值, 实际完成值)."""
    indicator_id = item.get("indicator_id")
    indicator = rows.indicators.get(indicator_id) if indicator_id is not None else None
    unit = indicator.target_unit if indicator else ""
    columns = {
        "level1": item.get("level1") or (indicator.level1 if indicator else ""),
        "level2": indicator.level2 if indicator else "",
        "name": item["name"],
        "target": item["target"],
        "actual": actual_text(item.get("actual"), unit),
    }
    return (rows.actuals.get(indicator.id) if indicator else None), unit, columns
