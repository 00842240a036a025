"""Plausibility of a typed actual (issue 11 §4): values that are allowed but look like a slip — a
year-to-date total below last month's, a value far above its target, a rate jumping by half its
scale. They never block a save; a submission asks the clerk to confirm them. Pure: no Flask, no
database.
"""

from __future__ import annotations

from decimal import Decimal

from tracker.rules import wording
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
        warnings.append(wording.CUMULATIVE_FELL % {"actual": _fmt(actual), "previous": _fmt(previous)})
    factor = pack.plausibility_factor
    if (
        comparator in (Comparator.GE, Comparator.GT, Comparator.EQ)
        and low
        and low > 0
        and actual > low * factor
    ):
        warnings.append(
            wording.FAR_ABOVE % {"actual": _fmt(actual), "target": _fmt(low), "factor": _fmt(factor)}
        )
    if (
        mode is Mode.LEVEL
        and unit in _RATE_UNITS
        and previous is not None
        and abs(actual - previous) > pack.plausibility_level_jump
    ):
        jump = _fmt(pack.plausibility_level_jump)
        warnings.append(wording.LEVEL_JUMP % {"previous": f"{_fmt(previous)}{unit}", "jump": jump})
    return warnings
