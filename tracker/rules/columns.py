"""A 指标值 read with the columns an 一体化 system export prints beside it (issue 10 §9), and how
a target was read, for the import preview. Pure: no Flask, no database.

``计量单位`` is the unit printed apart from the value (``100`` + ``%``); ``指标方向`` (正向/反向) gives
a value without a comparator its sense (正向 ≥, 反向 ≤); ``指标性质`` (定量/定性) says whether it is a
number. A contradiction between a column and the value is an error naming both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tracker.rules.actuals import deadline_of_target
from tracker.rules.grammar import (
    SYMBOLS,
    Comparator,
    Target,
    TargetSyntaxError,
    is_cost_indicator,
    is_deadline_text,
    is_money_unit,
    normalise,
    parse_target,
)

__all__ = ["ReadTarget", "read_target", "DIRECTIONS", "NATURES"]

DIRECTIONS = {"正向": Comparator.GE, "反向": Comparator.LE}
NATURES = ("定量", "定性")
_AT_LEAST = (Comparator.GE, Comparator.GT)


@dataclass(frozen=True)
class ReadTarget:
    """A target as read: the parsed form, the text to keep and show (the value with its 计量单位 and,
    when 指标方向 gave the comparator, its symbol), and how it was read (empty for a plain one)."""

    target: Target
    text: str
    note: str = ""


def read_target(
    raw: str,
    level1: str = "",
    level2: str = "",
    *,
    unit: str = "",
    direction: str = "",
    nature: str = "",
    year: int | None = None,
) -> ReadTarget:
    """Read a 指标值 with its optional columns. Raises :class:`TargetSyntaxError` naming both sides
    of a contradiction (``指标值“≤5%”与指标方向“正向”矛盾``)."""
    unit, direction, nature = normalise(unit or ""), (direction or "").strip(), (nature or "").strip()
    if direction and direction not in DIRECTIONS:
        raise TargetSyntaxError(f"指标方向“{direction}”应为 正向 或 反向")
    if nature and nature not in NATURES:
        raise TargetSyntaxError(f"指标性质“{nature}”应为 定量 或 定性")
    text = str(raw).strip()
    target = parse_target(text, level1, level2)
    if unit and not target.is_qualitative:
        if not target.unit:
            text = f"{text}{unit}"
            target = parse_target(text, level1, level2)
        elif normalise(target.unit) != unit:
            raise TargetSyntaxError(f"指标值“{raw}”的单位“{target.unit}”与计量单位“{unit}”不一致")
    if nature == "定性" and not target.is_qualitative:
        raise TargetSyntaxError(f"指标值“{raw}”是数值，与指标性质“定性”矛盾")
    if nature == "定量" and target.is_qualitative:
        raise TargetSyntaxError(f"指标值“{raw}”不是数值，与指标性质“定量”矛盾")
    if direction and not target.is_qualitative and target.comparator is not Comparator.BETWEEN:
        wanted = DIRECTIONS[direction]
        if target.implicit:
            target = replace(target, comparator=wanted, implicit=False)
            text = f"{SYMBOLS[wanted]}{text}"
        elif (target.comparator in _AT_LEAST) != (
            wanted in _AT_LEAST
        ) and target.comparator is not Comparator.EQ:
            raise TargetSyntaxError(f"指标值“{raw}”与指标方向“{direction}”矛盾")
    return ReadTarget(target, text, _note(str(raw), target, level1, level2, unit, direction, year))


def _explicit(target: Target) -> str:
    number = lambda value: format(value, "f") if value is not None else ""  # noqa: E731
    if target.comparator is Comparator.BETWEEN:
        return f"{number(target.low)}~{number(target.high)}{target.unit}"
    return f"{SYMBOLS[target.comparator]}{number(target.low)}{target.unit}"


def _note(
    raw: str, target: Target, level1: str, level2: str, unit: str, direction: str, year: int | None
) -> str:
    if target.is_qualitative:
        if not is_deadline_text(target.text):
            return ""
        deadline = deadline_of_target(target.text, year)
        shown = deadline.isoformat() if deadline else "（年份未知，按等级评价）"
        return f"“{raw}”读作 时限 {shown}"
    explicit = _explicit(target)
    if normalise(raw) == explicit:
        return ""
    why = []
    if unit:
        why.append(f"计量单位“{unit}”")
    if direction:
        why.append(f"指标方向“{direction}”")
    elif target.implicit:
        if target.comparator is Comparator.LE and target.low == 0:
            why.append("零容忍")
        elif (
            target.comparator is Comparator.LE
            and is_cost_indicator(level1, level2)
            and is_money_unit(target.unit)
        ):
            why.append("成本金额按上限")
        else:
            why.append("未写比较符，按“≥”")
    return f"“{raw}”读作 {explicit}" + (f"（{'；'.join(why)}）" if why else "")
