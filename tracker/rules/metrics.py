"""部门 execution-rate metrics (SPEC §7): 预算执行率, 预算调整率, 结转结余率, “三公”经费控制率,
政府采购执行率 from money. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import overload

from tracker.rules.numbers import ZERO


@dataclass(frozen=True)
class DepartmentMoney:
    """The department's money through a month, in 万元. ``carry_over`` is the reported 结转结余
    (None when not reported); ``*_budget`` None when the department has no such budget line."""

    initial_total: Decimal | None
    adjustments: Decimal = ZERO
    spending: Decimal = ZERO
    sangong_spent: Decimal = ZERO
    sangong_budget: Decimal | None = None
    procurement_spent: Decimal = ZERO
    procurement_budget: Decimal | None = None
    carry_over: Decimal | None = None


def _ratio(numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
    if denominator is None or denominator == 0:
        return None
    return numerator / denominator


@overload
def adjusted_budget(initial: Decimal, adjustments: Decimal) -> Decimal: ...
@overload
def adjusted_budget(initial: Decimal | None, adjustments: Decimal) -> Decimal | None: ...
def adjusted_budget(initial: Decimal | None, adjustments: Decimal) -> Decimal | None:
    """全年预算数 = 年初预算数 + 预算调整 through the month (SPEC §5, §7); unknown without the first."""
    return None if initial is None else initial + adjustments


def department_metrics(money: DepartmentMoney, month: int) -> dict[str, Decimal | None]:
    """预算执行率, 预算调整率, 结转结余率 (month 12 only), 三公经费控制率, 政府采购执行率 as fractions
    (SPEC §7). A metric whose denominator is missing or zero is None."""
    initial = money.initial_total
    adjusted = adjusted_budget(initial, money.adjustments)
    carry_over: Decimal | None = None
    if month == 12 and adjusted:
        remaining = money.carry_over if money.carry_over is not None else adjusted - money.spending
        carry_over = remaining / adjusted
    return {
        "预算执行率": _ratio(money.spending, adjusted),
        "预算调整率": _ratio(money.adjustments, initial),
        "结转结余率": carry_over,
        "三公经费控制率": _ratio(money.sangong_spent, money.sangong_budget),
        "政府采购执行率": _ratio(money.procurement_spent, money.procurement_budget),
    }
