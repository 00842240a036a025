"""项目支出绩效自评表 and 部门整体绩效自评表 as plain data (SPEC §6), built from the self-assessment
document of SPEC §9 plus what the form prints beside it (年初预算数, 偏差原因, 年度总体目标)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tracker.budget import money
from tracker.budget.models import Department, Project
from tracker.extensions import db
from tracker.reports.form_common import (
    Package,
    cents,
    department_heading,
    excel_sheet_name,
    project_heading,
    project_name,
    ratio_percent,
    to_decimal,
)
from tracker.reports.form_indicators import (
    FormRows,
    cause_text,
    department_goal,
    form_rows,
    indicator_columns,
)

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


def _self_assessed_rows(items: list[dict[str, Any]], form: FormRows) -> list[AssessedIndicator]:
    rows = []
    for item in items:
        actual_row, _unit, columns = indicator_columns(item, form)
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
    form = form_rows(year, 12, department_code)
    department = form.department
    used: set[str] = set()
    sheets: list[Any] = []
    for number, item in enumerate(document["projects"], start=1):
        project = form.projects.get(item["code"])
        sheets.append(
            SelfAssessmentSheet(
                title="项目支出绩效自评表",
                sheet_name=excel_sheet_name("自评", number, project_name(item, project), used),
                project_code=item["code"],
                heading=project_heading(department, item, project),
                funds=_project_funds(project, item),
                goal_expected=(project.annual_goal if project else None) or "",
                goal_actual=_achievement_summary(
                    item["indicators"], item.get("total"), item.get("grade", "")
                ),
                indicators=_self_assessed_rows(item["indicators"], form),
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
                heading=department_heading(department),
                funds=_department_funds(year, department),
                goal_expected=department_goal(year, department),
                goal_actual=_achievement_summary(
                    whole["indicators"], whole.get("total"), whole.get("grade", "")
                ),
                indicators=_self_assessed_rows(whole["indicators"], form),
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


def _department_funds(year: int, department: Department) -> list[FundRow]:
    """部门整体 年度资金: total, 基本支出 and 项目支出 through December, read and reckoned as the
    engine does (budget.money)."""
    conn = db.session.connection()
    spending = money.spending_through(conn, year, 12, [department.id]).get(department.id, {})
    lines = money.budget_lines(conn, year, [department.id]).get(department.id, {})
    labels = {"年度资金总额": "年度资金总额", "基本支出": "其中：基本支出", "项目支出": "项目支出"}
    return [
        FundRow(labels[name], line.initial, line.budget, line.spent, ratio_percent(line.spent, line.budget))
        for name, line in money.department_fund_lines(spending, lines).items()
    ]
