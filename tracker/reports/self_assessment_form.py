"""项目支出绩效自评表 and 部门整体绩效自评表 as plain data (SPEC §6), built from the self-assessment
document of SPEC §9 plus what the form prints beside it (年初预算数, 偏差原因, 年度总体目标)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from tracker.budget.models import Department, DepartmentBudgetLine, Project, SpendingEntry
from tracker.budget.money import department_fund_lines
from tracker.extensions import db
from tracker.reporting.models import IndicatorActual
from tracker.reports.form_common import (
    Package,
    cents,
    excel_sheet_name,
    find_department,
    projects_by_code,
    ratio_percent,
    to_decimal,
)
from tracker.reports.form_indicators import (
    cause_text,
    counted_actuals,
    department_goal,
    indicator_columns,
    indicators_by_id,
)
from tracker.targets.models import Indicator

__all__ = ["FundRow", "AssessedIndicator", "SelfAssessmentSheet", "self_assessment_package"]


@dataclass(frozen=True)
class FundRow:
    """A line of 项目资金（万元）/ 年度预算: amounts in 万元, ``rate`` as a percent number."""

    label: str
    initial: Decimal | None
    budget: Decimal | None
    spent: Decimal | None
    rate: Decimal | None = None
    weight: Decimal | None = None
    score: Decimal | None = None


@dataclass(frozen=True)
class AssessedIndicator:
    level1: str
    level2: str
    name: str
    target: str
    actual: str
    weight: Decimal | None
    score: Decimal | None
    cause: str
    flags: tuple[str, ...] = ()


@dataclass
class SelfAssessmentSheet:
    """项目支出绩效自评表 (one project) or 部门整体绩效自评表 (``project_code`` empty). SPEC §6."""

    title: str
    sheet_name: str
    project_code: str
    heading: list[tuple[str, str]]
    funds: list[FundRow]
    goal_expected: str
    goal_actual: str
    indicators: list[AssessedIndicator]
    total: Decimal | None
    grade: str
    kind: str = "self-assessment"


def _spending(year: int, month: int, department: Department) -> dict[tuple[str, str], Decimal]:
    """Σ amount through ``month`` by (项目编码, 类别); 项目编码 "" is 基本支出."""
    rows = db.session.execute(
        select(SpendingEntry.project_code, SpendingEntry.category, func.sum(SpendingEntry.amount))
        .where(
            SpendingEntry.year == year,
            SpendingEntry.month <= month,
            SpendingEntry.department_id == department.id,
        )
        .group_by(SpendingEntry.project_code, SpendingEntry.category)
    )
    return {(code or "", category): Decimal(total or 0) for code, category, total in rows}


def _budget_lines(year: int, department: Department) -> dict[str, Decimal]:
    rows = db.session.scalars(
        select(DepartmentBudgetLine).where(
            DepartmentBudgetLine.year == year, DepartmentBudgetLine.department_id == department.id
        )
    )
    return {line.subject: line.amount for line in rows}


def _self_assessed_rows(
    items: list[dict[str, Any]], indicators: Mapping[int, Indicator], actuals: Mapping[int, IndicatorActual]
) -> list[AssessedIndicator]:
    rows = []
    for item in items:
        actual_row, _unit, columns = indicator_columns(item, indicators, actuals)
        cause = cause_text(actual_row)
        if actual_row is not None and actual_row.corrective_measure:
            cause = (
                f"{cause}；改进措施：{actual_row.corrective_measure}"
                if cause
                else actual_row.corrective_measure
            )
        rows.append(
            AssessedIndicator(
                **columns,
                weight=to_decimal(item.get("weight")),
                score=to_decimal(item.get("score")),
                cause=cause,
                flags=tuple(item.get("flags") or ()),
            )
        )
    return rows


def _achievement_summary(items: list[dict], total: Any, grade: str) -> str:
    met = [item for item in items if item.get("met")]
    missing = [item["name"] for item in items if item.get("actual") is None]
    unmet = [item["name"] for item in items if not item.get("met") and item.get("actual") is not None]
    parts = [f"共{len(items)}项绩效指标，完全达成{len(met)}项"]
    if unmet:
        parts.append(f"未完全达成{len(unmet)}项（{'、'.join(unmet[:5])}{'等' if len(unmet) > 5 else ''}）")
    if missing:
        parts.append(f"未填报{len(missing)}项")
    score = cents(to_decimal(total))
    parts.append(f"自评得分{score}分，等级{grade}" if score is not None else f"等级{grade}")
    return "，".join(parts) + "。"


def self_assessment_package(document: dict, department_code: str, report_date: date) -> Package:
    """The 绩效自评 package: a 项目支出绩效自评表 per project, then the 部门整体绩效自评表. SPEC §6."""
    year = int(document["year"])
    department = find_department(department_code)
    projects = projects_by_code(year, department)
    indicators = indicators_by_id(year, department)
    actuals = counted_actuals(year, 12, department)
    spending = _spending(year, 12, department)
    used: set[str] = set()
    sheets: list[Any] = []
    for number, item in enumerate(document["projects"], start=1):
        project = projects.get(item["code"])
        name = item.get("name") or (project.name if project else item["code"])
        unit_name = project.unit.name if project else item.get("unit", "")
        sheets.append(
            SelfAssessmentSheet(
                title="项目支出绩效自评表",
                sheet_name=excel_sheet_name("自评", number, name, used),
                project_code=item["code"],
                heading=[("项目名称", name), ("主管部门", department.name), ("实施单位", unit_name)],
                funds=_project_funds(project, item),
                goal_expected=(project.annual_goal if project else None) or "",
                goal_actual=_achievement_summary(
                    item["indicators"], item.get("total"), item.get("grade", "")
                ),
                indicators=_self_assessed_rows(item["indicators"], indicators, actuals),
                total=to_decimal(item.get("total")),
                grade=item.get("grade", ""),
            )
        )
    whole = document.get("department")
    # No 部门整体绩效自评表 for a department that published no 部门整体绩效目标表 (its total is null).
    if whole and whole.get("total") is not None:
        sheets.append(
            SelfAssessmentSheet(
                title="部门整体绩效自评表",
                sheet_name=excel_sheet_name("自评", 0, "部门整体", used),
                project_code="",
                heading=[("部门名称", department.name), ("部门编码", department.code)],
                funds=_department_funds(year, department, spending),
                goal_expected=department_goal(year, department),
                goal_actual=_achievement_summary(
                    whole["indicators"], whole.get("total"), whole.get("grade", "")
                ),
                indicators=_self_assessed_rows(whole["indicators"], indicators, actuals),
                total=to_decimal(whole.get("total")),
                grade=whole.get("grade", ""),
            )
        )
    return Package("self-assessment", year, None, department.code, department.name, report_date, None, sheets)


def _project_funds(project: Project | None, item: dict) -> list[FundRow]:
    """年度资金总额 / 其中：财政拨款 / 其他资金. 全年预算数 and 全年执行数 are the evaluation's (SPEC §5:
    年初预算 + 预算调整, spending through December). 预算调整 rows and spending carry no source of funds,
    so they are counted under 财政拨款 (the only source in the 焦作 budget)."""
    initial = project.initial_budget if project else Decimal(0)
    other = Decimal(0)
    if project is not None:
        if project.other_funds is not None:
            other = project.other_funds
        elif project.general_budget is not None:
            other = max(project.initial_budget - project.general_budget, Decimal(0))
    budget = to_decimal(item.get("budget")) or Decimal(0)
    spent = to_decimal(item.get("spent")) or Decimal(0)
    execution = item.get("execution") or {}
    rate = to_decimal(execution.get("rate"))
    score = to_decimal(execution.get("score"))
    return [
        FundRow("年度资金总额", initial, budget, spent, rate, Decimal(10), score),
        FundRow(
            "其中：财政拨款", initial - other, budget - other, spent, ratio_percent(spent, budget - other)
        ),
        FundRow("其他资金", other, other, Decimal(0), ratio_percent(Decimal(0), other)),
    ]


def _department_funds(
    year: int, department: Department, spending: dict[tuple[str, str], Decimal]
) -> list[FundRow]:
    """部门整体 年度资金: total, 基本支出 and 项目支出, as the engine reckons them."""
    labels = {"年度资金总额": "年度资金总额", "基本支出": "其中：基本支出", "项目支出": "项目支出"}
    return [
        FundRow(labels[name], line.initial, line.budget, line.spent, ratio_percent(line.spent, line.budget))
        for name, line in department_fund_lines(spending, _budget_lines(year, department)).items()
    ]
