"""Target lint: warnings that do not block an import, about target tables that a reviewer at the
finance bureau would send back. The rules are plain functions over plain facts; :func:`lint_departments`
gathers the facts from the database after an import (so the order of imports does not matter)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from tracker.budget.models import Project
from tracker.extensions import db
from tracker.rules.grammar import COST_LEVEL1, is_cost_indicator, is_money_unit, unit_scale
from tracker.targets.models import Indicator

__all__ = [
    "ProjectFacts",
    "IndicatorFacts",
    "cost_above_budget",
    "amount_differs_from_budget",
    "cap_on_rate_that_should_be_high",
    "floor_on_a_cost_amount",
    "two_units",
    "missing_required_categories",
    "duplicate_names",
    "lint_target_table",
    "lint_departments",
]

#: 财预〔2021〕101号 expects every project to state its cost and the satisfaction of those it serves.
REQUIRED_CATEGORIES = ("成本指标", "满意度指标")
#: Rates where more is better: a ``≤`` target on one of these is almost always a slip of the pen.
_HIGH_IS_GOOD = ("合格率", "完成率", "满意度", "满意率", "达标率", "运行率", "运转率", "完好率", "使用率",
                 "及时率", "覆盖率", "知晓率", "规范率", "办结率", "完结率", "执行率", "到位率", "准确率",
                 "通过率", "正确率", "进驻率", "细化率", "应用率")  # fmt: skip
_WAN = Decimal(10_000)


@dataclass(frozen=True)
class ProjectFacts:
    code: str
    name: str
    budget: Decimal | None  # 年初预算数 (万元)
    table_amount: Decimal | None  # 项目金额 printed in the target table (万元)


@dataclass(frozen=True)
class IndicatorFacts:
    project_code: str
    level1: str
    name: str
    comparator: str
    low: Decimal | None
    unit: str
    level2: str = ""

    @property
    def is_cost(self) -> bool:
        """成本指标 as 一级 (2021 template) or as 二级 under 产出指标 (2020 template)."""
        return is_cost_indicator(self.level1, self.level2)


def _in_wan_yuan(value: Decimal, unit: str) -> Decimal | None:
    scale, base = unit_scale(unit)
    if base != "元":
        return None
    return value * scale / _WAN


def cost_above_budget(project: ProjectFacts, indicator: IndicatorFacts) -> str | None:
    """A 成本指标 cap above the money the project has (网络及网站建设维护: ≤15万元 vs 12.30万元)."""
    if not indicator.is_cost or indicator.low is None or project.budget is None:
        return None
    amount = _in_wan_yuan(indicator.low, indicator.unit)
    if amount is None or amount <= project.budget:
        return None
    return (
        f"项目“{project.name}”（{project.code}）的成本指标“{indicator.name}”为 {amount.normalize():f} 万元，"
        f"高于项目预算 {project.budget:.2f} 万元"
    )


def amount_differs_from_budget(project: ProjectFacts) -> str | None:
    """The 项目金额 of the target table is not the budget's 年初预算数 (65.88 vs 65.89)."""
    if project.budget is None or project.table_amount is None or project.budget == project.table_amount:
        return None
    return (
        f"项目“{project.name}”（{project.code}）绩效目标表的项目金额 {project.table_amount:.2f} 万元"
        f"与预算的年初预算数 {project.budget:.2f} 万元不一致"
    )


def cap_on_rate_that_should_be_high(indicator: IndicatorFacts) -> str | None:
    """``≤`` on a rate where more is better (信息公开合格率 ≤100%)."""
    if indicator.comparator not in ("LE", "LT") or indicator.unit != "%":
        return None
    if not any(word in indicator.name for word in _HIGH_IS_GOOD):
        return None
    return f"指标“{indicator.name}”是越高越好的比率，指标值却用了“≤”：是否应为“≥”？"


def floor_on_a_cost_amount(indicator: IndicatorFacts) -> str | None:
    """``≥`` on a cost's money amount (设备购置成本 ≥5万元): a cost is a ceiling, not a floor."""
    if not indicator.is_cost or indicator.comparator not in ("GE", "GT") or not is_money_unit(indicator.unit):
        return None
    return f"成本指标“{indicator.name}”的指标值用了“≥”：成本通常是上限，是否应为“≤”？"


def two_units(indicator: IndicatorFacts) -> str | None:
    """A unit that prints two units at once (``28.8万元%``): accepted as printed, for the reviewer."""
    unit = indicator.unit
    if len(unit) < 2 or unit[-1] not in "%‰" or unit.endswith("百分点"):
        return None
    return f"指标“{indicator.name}”的单位“{unit}”含两个单位（如 万元 与 %），请核对指标值"


def missing_required_categories(project: ProjectFacts, indicators: Iterable[IndicatorFacts]) -> list[str]:
    """Required categories absent; a 2020-template 二级 成本指标 under 产出指标 counts as 成本指标."""
    present: set[str] = set()
    for indicator in indicators:
        present.add(indicator.level1)
        if indicator.is_cost:
            present.add(COST_LEVEL1)
    return [
        f"项目“{project.name}”（{project.code}）没有{category}（财预〔2021〕101号要求设置）"
        for category in REQUIRED_CATEGORIES
        if category not in present
    ]


def duplicate_names(scope: str, names: Iterable[str]) -> list[str]:
    return [f"{scope}的三级指标“{name}”出现 {n} 次" for name, n in Counter(names).items() if n > 1]


def lint_target_table(projects: Iterable[ProjectFacts], indicators: Iterable[IndicatorFacts]) -> list[str]:
    """Every warning for these projects and indicators (``project_code`` "" is 部门整体)."""
    by_project: dict[str, list[IndicatorFacts]] = defaultdict(list)
    for indicator in indicators:
        by_project[indicator.project_code].append(indicator)
    warnings: list[str] = []
    for project in projects:
        own = by_project.get(project.code, [])
        warnings.extend(filter(None, [amount_differs_from_budget(project)]))
        warnings.extend(filter(None, (cost_above_budget(project, i) for i in own)))
        if own:
            warnings.extend(missing_required_categories(project, own))
        warnings.extend(duplicate_names(f"项目“{project.name}”", (i.name for i in own)))
    for code, own in by_project.items():
        for check in (cap_on_rate_that_should_be_high, floor_on_a_cost_amount, two_units):
            warnings.extend(filter(None, (check(i) for i in own)))
        if code == "":
            warnings.extend(duplicate_names("部门整体", (i.name for i in own)))
    return warnings


def lint_departments(year: int, department_ids: set[int]) -> list[str]:
    """Lint the stored target tables of these departments for ``year``."""
    projects = [
        ProjectFacts(code, name, budget, amount)
        for code, name, budget, amount in db.session.execute(
            select(Project.code, Project.name, Project.initial_budget, Project.target_table_amount)
            .where(Project.year == year, Project.department_id.in_(department_ids))
            .order_by(Project.code)
        )
    ]
    indicators = [
        IndicatorFacts(*row)
        for row in db.session.execute(
            select(
                Indicator.scope_code,
                Indicator.level1,
                Indicator.name,
                Indicator.comparator,
                Indicator.target_low,
                Indicator.target_unit,
                Indicator.level2,
            )
            .where(Indicator.year == year, Indicator.department_id.in_(department_ids))
            .order_by(Indicator.department_id, Indicator.scope_code, Indicator.position)
        )
    ]
    return lint_target_table(projects, indicators)
