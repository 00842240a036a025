"""How an indicator is monitored (SPEC §5): mode inference and the computed department metrics.

Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from enum import StrEnum

from tracker.rules.grammar import Comparator, is_cost_indicator, is_money_unit, unit_scale

__all__ = ["Mode", "infer_mode", "computed_metric_for", "COMPUTED_METRICS", "METRIC_MODES"]


class Mode(StrEnum):
    CUMULATIVE = "cumulative"
    LEVEL = "level"
    CAP = "cap"
    QUALITATIVE = "qualitative"
    BUDGET = "budget"


#: Units whose values are levels, not counts: rates and durations (时限).
_RATE_UNITS = ("%", "‰", "百分点", "个百分点")
_TIME_UNITS = ("分钟", "小时", "天", "日", "工作日", "个工作日", "周", "月", "年")


def _is_level_unit(unit: str) -> bool:
    _, base = unit_scale(unit)
    if base in _RATE_UNITS:
        return True
    # 小时/工作日, 天/件: a duration per something is still a duration.
    head = re.split(r"[/每]", base, maxsplit=1)[0]
    return head in _TIME_UNITS


def infer_mode(comparator: Comparator | str, unit: str, level1: str, level2: str = "") -> Mode:
    """监控方式: ``cumulative`` (GE/GT on a count or amount: expected grows with time progress),
    ``level`` (rates, durations, EQ, BETWEEN, LE/LT outside 成本指标), ``cap`` (LE/LT under
    成本指标) or ``qualitative``."""
    comparator = Comparator(comparator)
    if comparator is Comparator.QUALITATIVE:
        return Mode.QUALITATIVE
    if comparator in (Comparator.LE, Comparator.LT):
        # ≤ on money under 成本指标 is a cap; ≤100% 成本控制率 is a level like any rate.
        return Mode.CAP if is_cost_indicator(level1, level2) and is_money_unit(unit) else Mode.LEVEL
    if comparator in (Comparator.EQ, Comparator.BETWEEN):
        return Mode.LEVEL
    return Mode.LEVEL if _is_level_unit(unit) else Mode.CUMULATIVE


#: SPEC §7 metric → the fixed monitoring mode of the department indicator bound to it.
METRIC_MODES: dict[str, Mode] = {
    "预算执行率": Mode.BUDGET,
    "预算调整率": Mode.LEVEL,
    "结转结余率": Mode.LEVEL,
    "三公经费控制率": Mode.LEVEL,
    "政府采购执行率": Mode.CUMULATIVE,
}
COMPUTED_METRICS = tuple(METRIC_MODES)

_QUOTES = re.compile(r"[\"“”'‘’「」『』\s]")


def computed_metric_for(indicator_name: str) -> str | None:
    """The SPEC §7 metric a 部门整体 indicator of this name is computed from, if any.

    Quotes are ignored, so “三公经费”控制率 and “三公”经费控制率 both bind to 三公经费控制率.
    """
    key = _QUOTES.sub("", indicator_name)
    return key if key in METRIC_MODES else None
