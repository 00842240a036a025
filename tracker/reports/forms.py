"""The standard forms as plain data (项目支出绩效自评表, 部门整体绩效自评表, 绩效监控情况表, 预算执行进度表).

Built from the evaluation documents of SPEC §9 plus what the forms print beside them (names,
年初预算数, adjustments, 偏差原因, forecasts, 完成目标可能性, 年度总体目标), queried here. The XLSX and
PDF writers only lay these out, so both files always carry the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select

from tracker import rules
from tracker.budget.models import Department, DepartmentBudgetLine, Project, SpendingEntry
from tracker.budget.money import department_fund_lines
from tracker.evaluation.engine import COUNTED_STATUSES
from tracker.extensions import db
from tracker.reporting.models import IndicatorActual, MonthlyReport
from tracker.targets.models import DepartmentGoal, Indicator

__all__ = [
    "FundRow",
    "AssessedIndicator",
    "SelfAssessmentSheet",
    "MonitoredIndicator",
    "MonitoringSheet",
    "ExecutionRow",
    "ExecutionSheet",
    "Package",
    "LAMP_TEXT",
    "KIND_TITLES",
    "to_decimal",
    "self_assessment_package",
    "monitoring_package",
    "execution_package",
    "period_label",
]

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
LAMP_TEXT = rules.LAMP_NAMES
KIND_TITLES = {"self-assessment": "绩效自评", "monitoring": "绩效监控", "execution": "预算执行进度"}


def to_decimal(value: Any) -> Decimal | None:
    """A number of an evaluation document (float, int, str or Decimal) as a Decimal, exactly as printed."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else rules.round2(value)


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def period_label(year: int, month: int | None) -> str:
    return f"{year}年度" if not month else f"{year}年1–{month}月"


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


@dataclass
class Package:
    """A department's forms for one period: the XLSX has a sheet per form, the PDF a section each."""

    kind: str
    year: int
    month: int | None
    department_code: str
    department_name: str
    report_date: date
    time_progress: Decimal | None
    sheets: list[Any]

    @property
    def title(self) -> str:
        return f"{self.department_name}{period_label(self.year, self.month)}{KIND_TITLES[self.kind]}报告"

    @property
    def period(self) -> str:
        return period_label(self.year, self.month)

    def filename(self, extension: str) -> str:
        """ASCII file name carrying only this department's code (SPEC §1: nothing foreign leaks)."""
        period = f"{self.year}" if not self.month else f"{self.year}-{self.month:02d}"
        return f"{self.department_code}-{period}-{self.kind}.{extension}"


# --- queries -----------------------------------------------------------------------------------


def _department(code: str) -> Department:
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise LookupError(gettext("部门“%(code)s”不存在。", code=code))
    return department


def _projects(year: int, department: Department) -> dict[str, Project]:
    rows = db.session.scalars(
        select(Project).where(Project.year == year, Project.department_id == department.id)
    )
    return {project.code: project for project in rows}


def _indicators(year: int, department: Department) -> dict[int, Indicator]:
    """The department's indicators by id: a target table may repeat a 三级指标 within one project
    (``Indicator.occurrence``), so only the id of a document's entry tells which one it is."""
    rows = db.session.scalars(
        select(Indicator).where(Indicator.year == year, Indicator.department_id == department.id)
    )
    return {indicator.id: indicator for indicator in rows}


def _actuals(year: int, month: int, department: Department) -> dict[int, IndicatorActual]:
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


def _department_goal(year: int, department: Department) -> str:
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


# --- text of a cell ----------------------------------------------------------------------------


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


def _ratio_percent(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator * HUNDRED


def _sheet_name(prefix: str, number: int, name: str, used: set[str]) -> str:
    """Excel sheet names: ≤ 31 characters, none of []:*?/\\, unique."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in name)
    candidate = f"{prefix}{number:02d} {clean}"[:31].strip()
    while candidate in used:
        candidate = f"{candidate[:28]}~{len(used)}"
    used.add(candidate)
    return candidate


# --- 绩效自评 --------------------------------------------------------------------------------------


def _indicator_columns(item: dict, indicators, actuals) -> tuple[Any, str, dict[str, str]]:
    """A document indicator's stored 实际完成 row, its unit, and the columns both forms open with
    (一级、二级、三级指标, 年度指标值, 实际完成值)."""
    indicator = indicators.get(item.get("indicator_id"))
    unit = indicator.target_unit if indicator else ""
    columns = {
        "level1": item.get("level1") or (indicator.level1 if indicator else ""),
        "level2": indicator.level2 if indicator else "",
        "name": item["name"],
        "target": item["target"],
        "actual": actual_text(item.get("actual"), unit),
    }
    return (actuals.get(indicator.id) if indicator else None), unit, columns


def _self_assessed_rows(items: list[dict], indicators, actuals) -> list[AssessedIndicator]:
    rows = []
    for item in items:
        actual_row, _unit, columns = _indicator_columns(item, indicators, actuals)
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
    department = _department(department_code)
    projects = _projects(year, department)
    indicators = _indicators(year, department)
    actuals = _actuals(year, 12, department)
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
                sheet_name=_sheet_name("自评", number, name, used),
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
    if whole:
        sheets.append(
            SelfAssessmentSheet(
                title="部门整体绩效自评表",
                sheet_name=_sheet_name("自评", 0, "部门整体", used),
                project_code="",
                heading=[("部门名称", department.name), ("部门编码", department.code)],
                funds=_department_funds(year, department, spending),
                goal_expected=_department_goal(year, department),
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
            "其中：财政拨款", initial - other, budget - other, spent, _ratio_percent(spent, budget - other)
        ),
        FundRow("其他资金", other, other, Decimal(0), _ratio_percent(Decimal(0), other)),
    ]


def _department_funds(year: int, department: Department, spending) -> list[FundRow]:
    """部门整体 年度资金: total, 基本支出 and 项目支出, as the engine reckons them."""
    labels = {"年度资金总额": "年度资金总额", "基本支出": "其中：基本支出", "项目支出": "项目支出"}
    return [
        FundRow(labels[name], line.initial, line.budget, line.spent, _ratio_percent(line.spent, line.budget))
        for name, line in department_fund_lines(spending, _budget_lines(year, department)).items()
    ]


# --- 绩效监控 --------------------------------------------------------------------------------------


def _monitored_rows(items: list[dict], indicators, actuals) -> list[MonitoredIndicator]:
    rows = []
    for item in items:
        actual_row, unit, columns = _indicator_columns(item, indicators, actuals)
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
    department = _department(department_code)
    projects = _projects(year, department)
    indicators = _indicators(year, department)
    actuals = _actuals(year, month, department)
    time_progress = to_decimal(document.get("time_progress"))
    used: set[str] = set()
    sheets: list[Any] = []
    for number, item in enumerate(document["projects"], start=1):
        project = projects.get(item["code"])
        name = item.get("name") or (project.name if project else item["code"])
        budget, spent = to_decimal(item.get("budget")), to_decimal(item.get("spent"))
        sheets.append(
            MonitoringSheet(
                title=f"绩效监控情况表（1–{month}月）",
                sheet_name=_sheet_name("监控", number, name, used),
                project_code=item["code"],
                heading=[
                    ("项目名称", name),
                    ("主管部门", department.name),
                    ("实施单位", project.unit.name if project else item.get("unit", "")),
                ],
                budget=budget,
                spent=spent,
                execution=to_decimal(item.get("execution")),
                forecast_spent=forecast_spending(spent, budget, month),
                budget_status=item.get("budget_status", "missing"),
                goal=((project.annual_goal if project else None) or "")
                + "\n"
                + _lamp_summary(item["indicators"], month),
                indicators=_monitored_rows(item["indicators"], indicators, actuals),
            )
        )
    whole = document.get("department")
    if whole:
        metrics = [(name, to_decimal(value)) for name, value in (whole.get("metrics") or {}).items()]
        sheets.append(
            MonitoringSheet(
                title=f"部门整体绩效监控情况表（1–{month}月）",
                sheet_name=_sheet_name("监控", 0, "部门整体", used),
                project_code="",
                heading=[("部门名称", department.name), ("部门编码", department.code)],
                budget=None,
                spent=None,
                execution=dict(metrics).get("预算执行率"),
                forecast_spent=None,
                budget_status="",
                goal=_department_goal(year, department) + "\n" + _lamp_summary(whole["indicators"], month),
                indicators=_monitored_rows(whole["indicators"], indicators, actuals),
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


def execution_package(document: dict, department_code: str, report_date: date) -> Package:
    """预算执行进度表 of a month: every project's execution against time progress. SPEC §5."""
    year, month = int(document["year"]), int(document["month"])
    department = _department(department_code)
    projects = _projects(year, department)
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
                unit=project.unit.name if project else item.get("unit", ""),
                code=item["code"],
                name=item.get("name") or (project.name if project else ""),
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
        total_execution=_ratio_percent(total_spent, total_budget),
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
