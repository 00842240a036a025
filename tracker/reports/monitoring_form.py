"""绩效监控情况表（1–M月） of each project and of the department as a whole, as plain data (SPEC §5),
built from the monitoring document of SPEC §9 plus the reported 偏差原因, forecasts, 完成目标可能性 and
改进措施; the package ends with the 预算执行进度表."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tracker.reports.execution_form import execution_package
from tracker.reports.form_common import (
    LAMP_TEXT,
    Package,
    department_heading,
    excel_sheet_name,
    project_heading,
    project_name,
    to_decimal,
)
from tracker.reports.form_indicators import (
    FormRows,
    cause_text,
    department_goal,
    forecast_text,
    form_rows,
    indicator_columns,
)

__all__ = ["MonitoredIndicator", "MonitoringSheet", "monitoring_package", "forecast_spending"]


@dataclass(frozen=True)
class MonitoredIndicator:
    level1: str
    level2: str
    name: str
    target: str
    actual: str
    forecast: str
    cause: str
    likelihood: str
    measure: str
    status: str


@dataclass
class MonitoringSheet:
    """绩效监控情况表（1–M月） of a project, or of the department as a whole. SPEC §5."""

    title: str
    sheet_name: str
    project_code: str
    heading: list[tuple[str, str]]
    budget: Decimal | None
    spent: Decimal | None
    execution: Decimal | None
    forecast_spent: Decimal | None
    budget_status: str
    goal: str
    indicators: list[MonitoredIndicator]
    metrics: list[tuple[str, Decimal | None]] = field(default_factory=list)
    kind: str = "monitoring"


def _monitored_rows(items: list[dict[str, Any]], form: FormRows) -> list[MonitoredIndicator]:
    rows = []
    for item in items:
        actual_row, unit, columns = indicator_columns(item, form)
        rows.append(
            MonitoredIndicator(
                **columns,
                forecast=forecast_text(actual_row, unit),
                cause=cause_text(actual_row),
                likelihood=(actual_row.likelihood if actual_row else None) or "",
                measure=(actual_row.corrective_measure if actual_row else None) or "",
                status=item.get("status", "missing"),
            )
        )
    return rows


def _lamp_summary(items: list[dict], month: int) -> str:
    counts: dict[str, int] = defaultdict(int)
    for item in items:
        counts[item.get("status", "missing")] += 1
    shown = "，".join(f"{LAMP_TEXT[status]}{counts[status]}项" for status in LAMP_TEXT if counts[status])
    return f"1–{month}月共监控{len(items)}项指标：{shown or '无'}。"


def monitoring_package(document: dict, department_code: str, report_date: date) -> Package:
    """The 双监控 package (1–M月): a 绩效监控情况表 per project, the 部门整体 one, then the
    预算执行进度表. SPEC §5."""
    year, month = int(document["year"]), int(document["month"])
    form = form_rows(year, month, department_code)
    department = form.department
    time_progress = to_decimal(document.get("time_progress"))
    used: set[str] = set()
    sheets: list[Any] = []
    for number, item in enumerate(document["projects"], start=1):
        project = form.projects.get(item["code"])
        budget, spent = to_decimal(item.get("budget")), to_decimal(item.get("spent"))
        sheets.append(
            MonitoringSheet(
                title=f"绩效监控情况表（1–{month}月）",
                sheet_name=excel_sheet_name("监控", number, project_name(item, project), used),
                project_code=item["code"],
                heading=project_heading(department, item, project),
                budget=budget,
                spent=spent,
                execution=to_decimal(item.get("execution")),
                forecast_spent=forecast_spending(spent, budget, month),
                budget_status=item.get("budget_status", "missing"),
                goal=((project.annual_goal if project else None) or "")
                + "\n"
                + _lamp_summary(item["indicators"], month),
                indicators=_monitored_rows(item["indicators"], form),
            )
        )
    whole = document.get("department")
    if whole:
        metrics = [(name, to_decimal(value)) for name, value in (whole.get("metrics") or {}).items()]
        sheets.append(
            MonitoringSheet(
                title=f"部门整体绩效监控情况表（1–{month}月）",
                sheet_name=excel_sheet_name("监控", 0, "部门整体", used),
                project_code="",
                heading=department_heading(department),
                budget=None,
                spent=None,
                execution=dict(metrics).get("预算执行率"),
                forecast_spent=None,
                budget_status="",
                goal=department_goal(year, department) + "\n" + _lamp_summary(whole["indicators"], month),
                indicators=_monitored_rows(whole["indicators"], form),
                metrics=metrics,
            )
        )
    package = execution_package(document, department_code, report_date)
    sheets.extend(package.sheets)
    return Package(
        "monitoring", year, month, department.code, department.name, report_date, time_progress, sheets
    )


def forecast_spending(spent: Decimal | None, budget: Decimal | None, month: int) -> Decimal | None:
    """全年预计执行数: 1–M月 spending carried on at the same monthly pace, at most the budget (no
    separate forecast of spending is reported, SPEC §4)."""
    if spent is None:
        return None
    projected = spent * 12 / month
    return min(projected, budget) if budget is not None else projected
