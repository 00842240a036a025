"""Shared ground of the rules: lamp and flag names, decimal constants, half-up rounding at the
edge (SPEC §6: scores are rounded only when shown or exported) and fast enum lookups.

Pure: no Flask, no database.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from tracker.rules.grammar import Comparator
from tracker.rules.modes import Mode

GREEN, YELLOW, RED, MISSING, NOT_APPLICABLE = "green", "yellow", "red", "missing", "n/a"
_SEVERITY = {GREEN: 0, YELLOW: 1, RED: 2}
#: 达成 green, 部分达成 yellow, 未达成 red (SPEC §5).
#: The grade an actual carries when its indicator's event never arose (issue 10 §3).
NOT_APPLICABLE_GRADE = "不适用"
GRADE_LAMPS = {"达成": GREEN, "部分达成": YELLOW, "未达成": RED}
#: 完成目标可能性 → the best lamp it allows (SPEC §5: only ever makes a status worse).
LIKELIHOOD_CAPS = {"确定能": GREEN, "有可能": YELLOW, "完全不可能": RED}
#: A value being typed that is not valid yet: no lamp can be judged (never the old colour).
UNJUDGED = "unjudged"
LAMP_NAMES = {
    GREEN: "绿灯",
    YELLOW: "黄灯",
    RED: "红灯",
    MISSING: "未填报",
    NOT_APPLICABLE: "不适用",
    UNJUDGED: "无法判断",
}
#: Flags on a self-assessed indicator.
OVERACHIEVED = "指标值设定偏低"
NOT_REPORTED = "未填报"

ZERO, ONE, HUNDRED, TWELVE = Decimal(0), Decimal(1), Decimal(100), Decimal(12)
_CENT = Decimal("0.01")
_STEPS = {places: Decimal(1).scaleb(-places) for places in range(7)}


def round_half_up(value: Decimal, places: int) -> Decimal:
    """四舍五入 to ``places`` decimals: the one rounding of the tracker (shown, exported, stored)."""
    return value.quantize(
        _STEPS[places] if places in _STEPS else Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )


def round2(value: Decimal) -> Decimal:
    """Half-up to 2 places: only for what is shown or exported."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def as_percent(fraction: Decimal) -> Decimal:
    """0.5833… → 58.33 (percent, 2 places)."""
    return round2(fraction * HUNDRED)


@lru_cache(maxsize=8192)
def fmt_number(value: Decimal | None) -> str:
    """A number for an explanation: at most 4 decimals, no trailing zeros."""
    if value is None:
        return "—"
    text = f"{value:.4f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


_fmt = fmt_number


# Enum lookups by value: ``Mode(x)`` costs microseconds, which add up over 400,000 indicators.
_MODES: dict[str, Mode] = {m.value: m for m in Mode}
_COMPARATORS: dict[str, Comparator] = {c.value: c for c in Comparator}


def _comparator(value: Comparator | str) -> Comparator:
    return value if isinstance(value, Comparator) else _COMPARATORS[value]


def _mode(value: Mode | str) -> Mode:
    return value if isinstance(value, Mode) else _MODES[value]


def _clip(value: Decimal) -> Decimal:
    return min(max(value, ZERO), ONE)
