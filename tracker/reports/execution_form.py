"""预算执行进度表 as plain data: every project's 预算执行进度 against 时间进度, with lamps (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.reports.form_common import (
    Package,
    find_department,
    project_name,
    projects_by_code,
    ratio_percent,
    to_decimal,
    unit_name,
)

__all__ = ["ExecutionRow", "ExecutionSheet", "execution_package"]


@dataclass(frozen=True)
class ExecutionRow:
    number: int
    unit: str
    code: str
    name: str
    budget: Decimal | None
    spent: Decimal | None
    execution: Decimal | None
    status: str


@dataclass
class ExecutionSheet:
    """预算执行进度表: every project's 预算执行进度 against 时间进度, with lamps. SPEC §5."""

    title: str
    sheet_name: str
    rows: list[ExecutionRow]
    total_budget: Decimal
    total_spent: Decimal
    total_execution: Decimal | None
    kind: str = "execution"


def execution_package(document: dict, department_code: str, report_date: date) -> Package:
    """预算执行进度表 of a month: every project's execution against time progress. SPEC §5."""
    year, month = int(document["year"]), int(document["month"])
    department = find_department(department_code)
    projects = projects_by_code(year, department)
    rows = []
    total_budget = total_spent = Decimal(0)
    for number, item in enumerate(document["projects"], start=1):
        project = projects.get(item["code"])
        budget, spent = to_decimal(item.get("budget")), to_decimal(item.get("spent"))
        total_budget += budget or 0
        total_spent += spent or 0
        rows.append(
            ExecutionRow(
                number=number,
                unit=unit_name(item, project),
                code=item["code"],
                name=project_name(item, project, missing=""),
                budget=budget,
                spent=spent,
                execution=to_decimal(item.get("execution")),
                status=item.get("budget_status", "missing"),
            )
        )
    sheet = ExecutionSheet(
        title=f"预算执行进度表（1–{month}月）",
        sheet_name="预算执行进度",
        rows=rows,
        total_budget=total_budget,
        total_spent=total_spent,
        total_execution=ratio_percent(total_spent, total_budget),
    )
    return Package(
        "execution",
        year,
        month,
        department.code,
        department.name,
        report_date,
        to_decimal(document.get("time_progress")),
        [sheet],
    )
