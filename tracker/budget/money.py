"""The one reading of money (SPEC §7): spending through a month by (项目编码, 类别), a department's
budget lines, and what the metrics and the 部门整体 年度资金 lines are computed from. The engine, the
report form, the standard forms, the overview and the API read money here and nowhere else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, func, select

from tracker import rules
from tracker.budget.models import DepartmentBudgetLine, SpendingEntry

__all__ = [
    "FUND_LINES",
    "FundLine",
    "spending_through",
    "execution_by_month",
    "budget_lines",
    "department_money",
    "department_money_through",
    "department_fund_lines",
    "ProjectSpending",
    "project_spending",
]

_QUOTES = re.compile(r"[\"“”'‘’「」『』\s]")


def _subject_key(subject: str) -> str:
    return _QUOTES.sub("", subject)


def spending_through(
    conn: Connection, year: int, month: int, ids: Sequence[int]
) -> dict[int, dict[tuple[str, str], Decimal]]:
    """Each department's spending of ``year`` through ``month`` (截至本月累计), summed by (项目编码,
    类别); ``""`` is the code of 基本支出."""
    query = (
        select(
            SpendingEntry.department_id,
            SpendingEntry.project_code,
            SpendingEntry.category,
            func.sum(SpendingEntry.amount).label("amount"),
        )
        .where(
            SpendingEntry.year == year,
            SpendingEntry.month <= month,
            SpendingEntry.department_id.in_(list(ids)),
        )
        .group_by(SpendingEntry.department_id, SpendingEntry.project_code, SpendingEntry.category)
    )
    totals: dict[int, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for row in conn.execute(query):
        totals[row.department_id][(row.project_code or "", row.category)] = Decimal(row.amount)
    return totals


def execution_by_month(
    conn: Connection, year: int, month: int, ids: Sequence[int]
) -> dict[int, dict[int, dict[str, Decimal]]]:
    """Each department's 支出 and 预算调整 of each month 1…``month`` of ``year`` (not cumulated):
    department id → month → 类别 → amount, for 预算执行进度 month by month."""
    query = (
        select(
            SpendingEntry.department_id,
            SpendingEntry.month,
            SpendingEntry.category,
            func.sum(SpendingEntry.amount).label("amount"),
        )
        .where(
            SpendingEntry.year == year,
            SpendingEntry.month <= month,
            SpendingEntry.department_id.in_(list(ids)),
            SpendingEntry.category.in_(("支出", "预算调整")),
        )
        .group_by(SpendingEntry.department_id, SpendingEntry.month, SpendingEntry.category)
    )
    by_month: dict[int, dict[int, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for row in conn.execute(query):
        by_month[row.department_id][row.month][row.category] = Decimal(row.amount)
    return by_month


def execution_series(
    by_month: dict[int, dict[str, Decimal]], lines: dict[str, Decimal], month: int
) -> list[tuple[Decimal, Decimal] | None]:
    """A department's (支出, 全年预算数) through each month 1…``month`` (SPEC §7: 预算执行率 is their
    ratio), from :func:`execution_by_month`'s months and its budget lines; ``None`` for a month whose
    全年预算数 is unknown (no 部门预算总额) or zero."""
    spending: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    series: list[tuple[Decimal, Decimal] | None] = []
    for m in range(1, month + 1):
        for category, amount in by_month.get(m, {}).items():
            spending[("", category)] += amount
        totals = department_money(spending, lines)
        budget = rules.adjusted_budget(totals.initial_total, totals.adjustments)
        series.append((totals.spending, budget) if budget else None)
    return series


def budget_lines(conn: Connection, year: int, ids: Sequence[int]) -> dict[int, dict[str, Decimal]]:
    """Each department's budget lines of ``year`` (部门预算总额, 三公经费预算 …) by subject."""
    lines: dict[int, dict[str, Decimal]] = defaultdict(dict)
    query = select(
        DepartmentBudgetLine.department_id, DepartmentBudgetLine.subject, DepartmentBudgetLine.amount
    ).where(DepartmentBudgetLine.year == year, DepartmentBudgetLine.department_id.in_(list(ids)))
    for line in conn.execute(query):
        lines[line.department_id][_subject_key(line.subject)] = Decimal(line.amount)
    return lines


def department_money(
    spending: dict[tuple[str, str], Decimal], lines: dict[str, Decimal]
) -> rules.DepartmentMoney:
    """SPEC §7 inputs from spending grouped by (项目编码, 类别) and the department's budget lines."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    carry_over_reported = False
    for (_code, category), amount in spending.items():
        totals[category] += amount
        carry_over_reported |= category == "结转结余"
    return rules.DepartmentMoney(
        initial_total=lines.get("部门预算总额"),
        adjustments=totals["预算调整"],
        spending=totals["支出"],
        sangong_spent=totals["三公经费支出"],
        sangong_budget=lines.get("三公经费预算"),
        procurement_spent=totals["政府采购支出"],
        procurement_budget=lines.get("政府采购预算"),
        carry_over=totals["结转结余"] if carry_over_reported else None,
    )


@dataclass(frozen=True)
class FundLine:
    """A line of a department's 年度资金: 年初预算数, 全年预算数 and 执行数 through the month."""

    initial: Decimal | None
    budget: Decimal | None
    spent: Decimal


#: 部门整体 年度资金 lines → their budget line; spending without a 项目编码 is 基本支出.
FUND_LINES = {"年度资金总额": "部门预算总额", "基本支出": "基本支出", "项目支出": "项目支出"}


def department_fund_lines(
    spending: dict[tuple[str, str], Decimal], lines: dict[str, Decimal]
) -> dict[str, FundLine]:
    """The 部门整体 年度资金 of the self-assessment form (SPEC §6, §7), in :data:`FUND_LINES` order,
    from spending grouped by (项目编码, 类别) and the department's budget lines."""
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for (code, category), amount in spending.items():
        part = "项目支出" if code else "基本支出"
        sums[(part, category)] += amount
        sums[("年度资金总额", category)] += amount
    return {
        name: FundLine(
            lines.get(line),
            rules.adjusted_budget(lines.get(line), sums[(name, "预算调整")]),
            sums[(name, "支出")],
        )
        for name, line in FUND_LINES.items()
    }


def department_money_through(
    conn: Connection, year: int, month: int, department_id: int
) -> rules.DepartmentMoney:
    """One department's SPEC §7 inputs as of ``month``: two queries."""
    return department_money(
        spending_through(conn, year, month, [department_id]).get(department_id, {}),
        budget_lines(conn, year, [department_id]).get(department_id, {}),
    )


@dataclass(frozen=True)
class ProjectSpending:
    """A project's spending rows summed by 类别 over its year, as recorded (no rule applied), and the
    last month with a row (None: no row yet)."""

    by_category: dict[str, Decimal]
    through_month: int | None


def project_spending(conn: Connection, ids: Sequence[int]) -> dict[int, ProjectSpending]:
    """:class:`ProjectSpending` of each project in ``ids`` (every one, rows or not): one query."""
    sums: dict[int, dict[str, Decimal]] = {i: {} for i in ids}
    through: dict[int, int] = {}
    if ids:
        query = (
            select(
                SpendingEntry.project_id,
                SpendingEntry.category,
                func.sum(SpendingEntry.amount).label("amount"),
                func.max(SpendingEntry.month).label("month"),
            )
            .where(SpendingEntry.project_id.in_(list(ids)))
            .group_by(SpendingEntry.project_id, SpendingEntry.category)
        )
        for row in conn.execute(query):
            sums[row.project_id][row.category] = Decimal(row.amount)
            through[row.project_id] = max(through.get(row.project_id, 0), int(row.month))
    return {i: ProjectSpending(sums[i], through.get(i)) for i in ids}
