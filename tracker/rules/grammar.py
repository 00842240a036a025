"""指标值 grammar (SPEC §3): parse a target's raw text into a comparator, number(s) and unit, and
format it back. Pure: no Flask, no database.

>>> parse_target("≥35 万人")
Target(comparator=<Comparator.GE: 'GE'>, low=Decimal('35'), high=None, unit='万人', text='', implicit=False)
>>> format_target(parse_target("不低于９５％"))
'≥95%'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache

__all__ = [
    "Comparator",
    "Target",
    "TargetSyntaxError",
    "COST_LEVEL1",
    "normalise",
    "parse_target",
    "format_target",
    "unit_scale",
    "is_cost_indicator",
    "is_money_unit",
    "is_deadline_text",
    "COMPARATOR_PREFIXES",
    "COMPARATOR_SUFFIXES",
    "SYMBOLS",
    "NUMBER",
]

#: 一级指标 under which a bare number is a cap (LE), not a floor.
COST_LEVEL1 = "成本指标"


class Comparator(StrEnum):
    GE = "GE"
    GT = "GT"
    LE = "LE"
    LT = "LT"
    EQ = "EQ"
    BETWEEN = "BETWEEN"
    QUALITATIVE = "QUALITATIVE"


SYMBOLS = {
    Comparator.GE: "≥",
    Comparator.GT: ">",
    Comparator.LE: "≤",
    Comparator.LT: "<",
    Comparator.EQ: "=",
}


class TargetSyntaxError(ValueError):
    """A 指标值 that cannot be understood; ``str()`` says why, in Chinese."""


@dataclass(frozen=True)
class Target:
    """The parsed form of a 指标值. ``low`` is the number (the lower bound for BETWEEN), ``high``
    the upper bound of a BETWEEN, ``unit`` the text after the number as written, ``text`` the
    word(s) of a QUALITATIVE target."""

    comparator: Comparator
    low: Decimal | None = None
    high: Decimal | None = None
    unit: str = ""
    text: str = ""
    #: A bare number (``100%``): the comparator came from the 一级指标, not from the text.
    implicit: bool = False

    @property
    def is_qualitative(self) -> bool:
        return self.comparator is Comparator.QUALITATIVE


# Longest first, so 大于等于 wins over 大于 and >= over >.
COMPARATOR_PREFIXES: tuple[tuple[str, Comparator], ...] = tuple(
    sorted(
        [
            ("≥", Comparator.GE),
            (">=", Comparator.GE),
            ("≧", Comparator.GE),
            ("=>", Comparator.GE),
            ("不低于", Comparator.GE),
            ("不少于", Comparator.GE),
            ("大于等于", Comparator.GE),
            ("大于或等于", Comparator.GE),
            ("至少", Comparator.GE),
            ("达到", Comparator.GE),
            ("已完成", Comparator.GE),
            ("完成", Comparator.GE),
            ("提高", Comparator.GE),
            ("控制在", Comparator.LE),
            (">", Comparator.GT),
            ("大于", Comparator.GT),
            ("高于", Comparator.GT),
            ("超过", Comparator.GT),
            ("≤", Comparator.LE),
            ("<=", Comparator.LE),
            ("≦", Comparator.LE),
            ("=<", Comparator.LE),
            ("不高于", Comparator.LE),
            ("不超过", Comparator.LE),
            ("不多于", Comparator.LE),
            ("小于等于", Comparator.LE),
            ("小于或等于", Comparator.LE),
            ("不大于", Comparator.LE),
            ("<", Comparator.LT),
            ("小于", Comparator.LT),
            ("低于", Comparator.LT),
            ("=", Comparator.EQ),
            ("等于", Comparator.EQ),
        ],
        key=lambda item: -len(item[0]),
    )
)
COMPARATOR_SUFFIXES: tuple[tuple[str, Comparator], ...] = (
    ("以上", Comparator.GE),
    ("以内", Comparator.LE),
    ("以下", Comparator.LE),
    ("完成", Comparator.GE),
)
#: Units written other ways on real sheets, and how the tracker keeps them.
_UNIT_SPELLINGS = {"百分比": "%"}
#: A time limit printed as a target (2022年底之前, 6月底前完成, 12月31日前): a deadline, judged by
#: grade like a qualitative target, never a count (issue 10 §6).
_DEADLINE_RE = re.compile(r"^(?:\d{4}年)?(?:\d{1,2}月)?(?:\d{1,2}日)?(?:底|末)?(?:之前|以前|前)(?:完成)?$")
#: Words that compare only when a number follows: 按期完成 and 达到预期 stay qualitative.
_NUMBER_ONLY_WORDS = frozenset({"达到", "已完成", "完成", "提高", "控制在"})
_LEADING_WORDS_RE = re.compile(r"^[\u4e00-\u9fff]+(?=\d)")
_PLUS_MINUS = "±"
NUMBER = r"\d+(?:\.\d+)?"
_NUMBER = NUMBER
_NUMBER_RE = re.compile(rf"^({_NUMBER})(.*)$", re.S)
_RANGE_RE = re.compile(rf"^({_NUMBER})([^\d~至\-]*)(?:~|-|至|—|–)({_NUMBER})(.*)$", re.S)
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_SPACES_RE = re.compile(r"\s+")
_MAX_LENGTH = 200


def is_deadline_text(text: str) -> bool:
    """A time limit with a date (2022年底之前, 6月底前完成, 12月31日前), of normalised text."""
    return bool(_DEADLINE_RE.match(text)) and bool(re.search(r"\d", text))


def normalise(raw: str) -> str:
    """NFKC (full-width ＞＝％０-９ become ASCII) and no white space."""
    text = unicodedata.normalize("NFKC", raw)
    text = _SPACES_RE.sub("", text)
    return _THOUSANDS_RE.sub("", text)


def _number(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regexes only pass digits
        raise TargetSyntaxError(f"无法识别的数字“{text}”") from exc


_SYMBOL_PREFIXES = tuple(symbol for symbol, _ in COMPARATOR_PREFIXES if not symbol.isalpha())


def _check_unit(unit: str, raw: str) -> str:
    if re.search(r"\d", unit):
        raise TargetSyntaxError(f"指标值“{raw}”的单位“{unit}”中含有数字，无法识别")
    if unit.startswith(_SYMBOL_PREFIXES):
        raise TargetSyntaxError(f"指标值“{raw}”的比较符位置不正确")
    return unit


def is_cost_indicator(level1: str, level2: str = "") -> bool:
    """成本指标: 一级 成本指标 (2021 template, with 经济/社会/生态成本指标 under it), or 二级 成本指标
    under 一级 产出指标 (2020 template). Cost semantics follow the cost, wherever it sits."""
    return level1.strip() == COST_LEVEL1 or level2.strip().endswith(COST_LEVEL1)


def is_money_unit(unit: str) -> bool:
    """元, 万元, 亿元: a money amount (a rate such as 成本控制率 % is not one)."""
    return unit_scale(unit)[1] == "元"


def parse_target(raw: str, level1: str = "", level2: str = "") -> Target:
    """Parse a 指标值. ``level1``/``level2`` are the 一级/二级指标: a bare money amount under 成本指标
    is a cap (LE); a bare rate there is still a floor (GE).

    Raises :class:`TargetSyntaxError` for an empty value, a comparator with no number, or a
    number in a shape the grammar does not know.
    """
    if not isinstance(raw, str):
        raise TargetSyntaxError("指标值必须是文本")
    # A province's tables repeat the same few hundred 指标值 thousands of times.
    return _parse_target(raw, is_cost_indicator(level1, level2))


@lru_cache(maxsize=65536)
def _parse_target(raw: str, is_cost: bool) -> Target:
    text = normalise(raw)
    if not text:
        raise TargetSyntaxError("指标值为空")
    if len(text) > _MAX_LENGTH:
        raise TargetSyntaxError(f"指标值过长（超过 {_MAX_LENGTH} 字）")

    if is_deadline_text(text):
        return Target(Comparator.QUALITATIVE, text=text)
    if text.startswith(_PLUS_MINUS):
        return _plus_minus(text[len(_PLUS_MINUS) :], raw)

    comparator: Comparator | None = None
    has_number = bool(re.search(r"\d", text))
    for symbol, candidate in COMPARATOR_PREFIXES:
        if text.startswith(symbol) and (has_number or symbol not in _NUMBER_ONLY_WORDS):
            comparator, text = candidate, text[len(symbol) :]
            break
    if comparator is not None:
        # 至少开展2次, 不少于召开3次: the words between the comparator and the number are the what.
        text = _LEADING_WORDS_RE.sub("", text, count=1)
    suffix: Comparator | None = None
    for word, candidate in COMPARATOR_SUFFIXES:
        if text.endswith(word) and len(text) > len(word) and (has_number or word not in _NUMBER_ONLY_WORDS):
            suffix, text = candidate, text[: -len(word)]
            break
    if comparator is not None and suffix is not None and comparator is not suffix:
        raise TargetSyntaxError(f"指标值“{raw}”的比较符自相矛盾")
    comparator = comparator or suffix

    if not re.search(r"\d", text):
        if comparator is not None:
            raise TargetSyntaxError(f"指标值“{raw}”有比较符但没有数值")
        return Target(Comparator.QUALITATIVE, text=text)

    if comparator is None and (match := _RANGE_RE.match(text)):
        low, first_unit, high, unit = match.groups()
        unit = unit or first_unit
        if first_unit and first_unit != unit:
            raise TargetSyntaxError(f"指标值“{raw}”的区间两端单位不一致")
        low_value, high_value = _number(low), _number(high)
        if low_value > high_value:
            raise TargetSyntaxError(f"指标值“{raw}”的区间下限大于上限")
        return Target(Comparator.BETWEEN, low_value, high_value, _check_unit(unit, raw))

    match = _NUMBER_RE.match(text)
    if match is None:
        raise TargetSyntaxError(f"指标值“{raw}”无法识别：数值应在比较符之后、单位之前")
    number, unit = match.groups()
    value = _number(number)
    implicit = comparator is None
    if comparator is None:
        # A bare 0 (0起, 0次, 0件: 安全事故, 投诉) means none at all (SPEC §3).
        comparator = Comparator.LE if (is_cost and is_money_unit(unit)) or value == 0 else Comparator.GE
    unit = _UNIT_SPELLINGS.get(unit, unit)
    return Target(comparator, value, None, _check_unit(unit, raw), implicit=implicit)


def _plus_minus(text: str, raw: str) -> Target:
    """±10%: between −10 and 10 (a tolerance around zero)."""
    match = _NUMBER_RE.match(text)
    if match is None:
        raise TargetSyntaxError(f"指标值“{raw}”有比较符但没有数值")
    number, unit = match.groups()
    value = _number(number)
    return Target(Comparator.BETWEEN, -value, value, _check_unit(_UNIT_SPELLINGS.get(unit, unit), raw))


def format_target(target: Target) -> str:
    """The canonical display text: ``≥95%``, ``≤24小时/工作日``, ``90~95%``, ``明显``."""
    if target.comparator is Comparator.QUALITATIVE:
        return target.text
    if target.comparator is Comparator.BETWEEN:
        if (
            target.low is not None
            and target.high is not None
            and target.low == -target.high
            and target.low < 0
        ):
            return f"{_PLUS_MINUS}{_plain(target.high)}{target.unit}"
        return f"{_plain(target.low)}~{_plain(target.high)}{target.unit}"
    if target.implicit:
        return f"{_plain(target.low)}{target.unit}"
    return f"{SYMBOLS[target.comparator]}{_plain(target.low)}{target.unit}"


def _plain(number: Decimal | None) -> str:
    # Never exponent notation ("1E-7"): it would not parse back.
    return format(number, "f") if number is not None else ""


_SCALES = (("亿", Decimal(100_000_000)), ("万", Decimal(10_000)))


def unit_scale(unit: str) -> tuple[Decimal, str]:
    """Split a 万/亿 prefix off a unit: ``万元`` → (10000, ``元``), ``万人次`` → (10000, ``人次``).

    Units with no such prefix, or that are only the prefix's character (``万``), scale by 1.
    """
    for prefix, factor in _SCALES:
        if unit.startswith(prefix) and len(unit) > len(prefix):
            return factor, unit[len(prefix) :]
    return Decimal(1), unit
