"""Plausibility of a typed actual (issue 11 §4): values that are allowed but look like a slip — a
year-to-date total below last month's, a value far above its target, a rate jumping by half its
scale. They never block a save; a submission asks the clerk to confirm them. Pure: no Flask, no
database.
"""

from __future__ import annotations

from decimal import Decimal

from tracker.rules.grammar import Comparator
from tracker.rules.modes import Mode
from tracker.rules.numbers import fmt_number as _fmt
from tracker.rules.packs import RulePack

__all__ = ["plausibility_warnings"]

_RATE_UNITS = ("%", "百分点", "个百分点")


def plausibility_warnings(
    *,
    mode: Mode | str,
    comparator: Comparator | str,
    low: Decimal | None,
    unit: str,
    actual: Decimal | None,
    previous: Decimal | None,
    pack: RulePack,
) -> list[str]:
    """What looks odd about ``actual`` (this month's value) against its target and ``previous``
    (last month's value of the same indicator), each a Chinese sentence naming both numbers."""
    if actual is None:
        return []
    mode, comparator = Mode(mode), Comparator(comparator)
    warnings: list[str] = []
    if mode is Mode.CUMULATIVE and previous is not None and actual < previous:
        warnings.append(f"累计值 {_fmt(actual)} 低于上月的 {_fmt(previous)}：累计型指标的年度累计值不应减少")
    factor = pack.plausibility_factor
    if (
        comparator in (Comparator.GE, Comparator.GT, Comparator.EQ)
        and low
        and low > 0
        and actual > low * factor
    ):
        warnings.append(f"{_fmt(actual)} 超过指标值 {_fmt(low)} 的 {_fmt(factor)} 倍：请核对单位和数值")
    if (
        mode is Mode.LEVEL
        and unit in _RATE_UNITS
        and previous is not None
        and abs(actual - previous) > pack.plausibility_level_jump
    ):
        warnings.append(
            f"比上月（{_fmt(previous)}{unit}）变化超过 {_fmt(pack.plausibility_level_jump)} 个百分点：请核对"
        )
    return warnings
