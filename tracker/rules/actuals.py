"""实际完成值 grammar (SPEC §4; docs/rules.md "Actuals as sheets print them"): read an actual the
way a published 自评表 prints it, against its parsed target. Pure: no Flask, no database.

Every reading that is not the plain form (a number in the target's unit, a grade word) carries a
``note`` saying how it was read — ``“≥266米”读作 266米`` — so an import preview can show it before
anything is written. Nothing odd is read silently.

>>> parse_actual("达成预期指标", parse_target("明显")).grade
'达成'
>>> parse_actual("1.2万次", parse_target("≥10000次")).number
Decimal('12000.0')
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.rules.grammar import (
    COMPARATOR_PREFIXES,
    COMPARATOR_SUFFIXES,
    NUMBER,
    Comparator,
    Target,
    TargetSyntaxError,
    is_deadline_text,
    normalise,
    unit_scale,
)
from tracker.rules.numbers import NOT_APPLICABLE_GRADE

__all__ = [
    "NOT_APPLICABLE_TEXT",
    "NOT_APPLICABLE_WORDS",
    "GRADES",
    "GRADE_WORDS",
    "ActualValue",
    "parse_actual",
    "deadline_of_target",
]

#: Grades of a qualitative indicator's actual (SPEC §4).
GRADES = ("达成", "部分达成", "未达成")

#: 不适用: the indicator's event never arose (no 安全事故 to handle, no 投诉 to answer). Stored as the
#: actual's grade for any indicator, with the reason in 偏差原因.
NOT_APPLICABLE_TEXT = NOT_APPLICABLE_GRADE
#: What sheets print for it.
NOT_APPLICABLE_WORDS = frozenset({"不适用", "不涉及", "无", "/", "-", "—", "——", "－"})

#: What the 2020/2021 自评表 templates and 一体化 exports print for a grade, and the grade it is.
GRADE_WORDS: dict[str, str] = {
    **{word: "达成" for word in ("达成", "已达成", "达成预期", "达成预期指标", "达成预期目标")},
    **{word: "达成" for word in ("完成", "已完成", "全部完成")},
    **{word: "部分达成" for word in ("部分达成", "部分达成预期", "部分达成预期指标", "部分达成预期目标")},
    "部分完成": "部分达成",
    **{word: "未达成" for word in ("未达成", "未达成预期", "未达成预期指标", "未达成预期目标")},
    "未完成": "未达成",
}
_WORDS = "|".join(sorted(map(re.escape, GRADE_WORDS), key=len, reverse=True))
_GRADE_RE = re.compile(rf"^({_WORDS})[(（]?(?:({NUMBER})%?)?[)）]?$")
_ACTUAL_RE = re.compile(rf"^({NUMBER})(.*)$")
#: A comma between digits that is not a thousands separator (``1,5``): a decimal comma or a typo.
_AMBIGUOUS_COMMA_RE = re.compile(r"\d,\d")
_UNIT_SPELLINGS = {"百分比": "%"}
#: ``2022年11月``, ``2022-11-30``, ``2022.11``, ``2022/11/30``, ``11月30日``, with 已于/于 … 完成 around.
_DATE_AROUND = (r"^(?:已于|于)?", r"(?:底|末)?前?(?:已?完成)?$")
_DATE_RES = (
    re.compile(
        _DATE_AROUND[0] + r"(\d{4})[年\-/.](\d{1,2})月?(?:[\-/.]?(\d{1,2})[日号]?)?" + _DATE_AROUND[1]
    ),
    re.compile(_DATE_AROUND[0] + r"()(\d{1,2})月(?:(\d{1,2})[日号])?" + _DATE_AROUND[1]),
)
_DEADLINE_PARTS_RE = re.compile(r"^(?:(\d{4})年)?(?:(\d{1,2})月)?(?:(\d{1,2})日)?")
_AT_LEAST = frozenset({Comparator.GE, Comparator.GT})
#: Words before an actual's number that report it rather than bound it (已完成100%).
_REPORTING_WORDS = frozenset({"已完成", "完成", "达到"})


@dataclass(frozen=True)
class ActualValue:
    """实际完成值 (or 全年预计完成值) as entered against a target: a number in the target's unit, or
    for a qualitative target a grade with an optional percent inside its band. ``note`` says how a
    value not in its plain form was read (empty for a plain one)."""

    number: Decimal | None = None
    grade: str | None = None
    percent: Decimal | None = None
    note: str = ""

    @property
    def not_applicable(self) -> bool:
        return self.grade == NOT_APPLICABLE_TEXT


def parse_actual(raw: str, target: Target, year: int | None = None) -> ActualValue:
    """Read a typed or printed actual against its target. ``year`` is the indicator's year, for a
    time limit printed without one (``6月底前完成``). Raises :class:`TargetSyntaxError` saying why.

    Numbers: ``20.5``, ``20.5万人``, ``205000人`` (converted to the target's 万人), ``96%``, and as
    targets print them: ``≥266米``, ``1.2万次``, ``已完成100%`` (the number; the comparator read as
    "at least"/"at most"). Qualitative: ``达成``, ``部分达成 75%``, the templates' own words
    (``达成预期指标``, ``已完成``, ``未完成``), the target's own text repeated (``显著提升`` against
    ``显著提升``: 达成), and for a time limit a date compared with it (``2022年11月`` against
    ``2022年底之前``: 达成). ``无``, ``不适用``, ``/``, ``—``: 不适用 (grade ``不适用``), for any target.
    """
    text = normalise(str(raw))
    if not text:
        raise TargetSyntaxError("实际完成值为空")
    if text in NOT_APPLICABLE_WORDS:
        note = "" if text == NOT_APPLICABLE_TEXT else f"“{raw}”读作 {NOT_APPLICABLE_TEXT}"
        return ActualValue(grade=NOT_APPLICABLE_TEXT, note=note)
    if target.is_qualitative:
        return _qualitative(text, str(raw), target, year)
    return _quantitative(text, str(raw), target)


def _qualitative(text: str, raw: str, target: Target, year: int | None) -> ActualValue:
    match = _GRADE_RE.match(text)
    if match is not None:
        word, percent = match.group(1), match.group(2)
        grade = GRADE_WORDS[word]
        note = "" if word == grade else f"“{raw}”读作 {grade}"
        return ActualValue(grade=grade, percent=Decimal(percent) if percent else None, note=note)
    if target.text and text == target.text:
        return ActualValue(grade="达成", note=f"“{raw}”与指标值相同，读作 达成")
    for pattern in _DATE_RES:
        if (day := pattern.match(text)) is not None:
            return _against_deadline(day, raw, target, year)
    raise TargetSyntaxError(
        "定性指标的完成值应为 达成 / 部分达成 / 未达成（可加百分比，如“部分达成 70%”）"
        "，或“达成预期指标”等自评表用语"
    )


def deadline_of_target(target_text: str, year: int | None = None) -> date | None:
    """时限: the last day a time-limit target allows — ``2022年底之前`` → 2022-12-31, ``6月底前完成``
    in ``year`` → its 30 June, ``2023年12月前`` → 2023-12-31 (the month named is the last one
    allowed, as the sheets mean it). ``None`` for a target that names no date (``按期完成``) or
    whose year is unknown."""
    text = normalise(target_text)
    if not is_deadline_text(text):
        return None
    parts = _DEADLINE_PARTS_RE.match(text)
    assert parts is not None  # the pattern matches the empty prefix of any text
    year_text, month_text, day_text = parts.groups()
    the_year = int(year_text) if year_text else year
    if the_year is None:
        return None
    month = int(month_text) if month_text else 12
    if not 1 <= month <= 12:
        return None
    last = calendar.monthrange(the_year, month)[1]
    day = int(day_text) if day_text else last
    return date(the_year, month, day) if 1 <= day <= last else None


def _against_deadline(day: re.Match[str], raw: str, target: Target, year: int | None) -> ActualValue:
    deadline = deadline_of_target(target.text, year)
    if deadline is None:
        raise TargetSyntaxError(
            f"指标值“{target.text}”没有可比较的日期，无法与“{raw}”比较；请填写 达成 / 部分达成 / 未达成"
        )
    year_text, month_text, day_text = day.groups()
    the_year = int(year_text) if year_text else deadline.year
    month = int(month_text)
    if not 1 <= month <= 12 or (
        day_text and not 1 <= int(day_text) <= calendar.monthrange(the_year, month)[1]
    ):
        raise TargetSyntaxError(f"“{raw}”不是有效的日期")
    if day_text:
        met = date(the_year, month, int(day_text)) <= deadline
    else:
        # A month without a day (2022年11月) is met when it is not after the deadline's month.
        met = (the_year, month) <= (deadline.year, deadline.month)
    grade = "达成" if met else "未达成"
    return ActualValue(grade=grade, note=f"“{raw}”对照时限 {deadline.isoformat()}，读作 {grade}")


def _quantitative(text: str, raw: str, target: Target) -> ActualValue:
    comparator: Comparator | None = None
    word = ""
    for symbol, candidate in COMPARATOR_PREFIXES:
        if text.startswith(symbol) and re.match(r"\d", text[len(symbol) :]):
            comparator, word, text = candidate, symbol, text[len(symbol) :]
            break
    if comparator is None:
        for suffix, candidate in COMPARATOR_SUFFIXES:
            if text.endswith(suffix) and re.search(r"\d", text[: -len(suffix)]):
                comparator, word, text = candidate, suffix, text[: -len(suffix)]
                break
    if _AMBIGUOUS_COMMA_RE.search(text):
        raise TargetSyntaxError(f"“{raw}”有歧义：逗号不能作小数点，请写作如 1.5 或 15")
    match = _ACTUAL_RE.match(text)
    if match is None:
        raise TargetSyntaxError(
            f"“{raw}”不是有效的数字" + ("" if not text.startswith("-") else "（不能为负数）")
        )
    number, unit = Decimal(match.group(1)), _UNIT_SPELLINGS.get(match.group(2), match.group(2))
    notes: list[str] = []
    if unit and unit != target.unit:
        if not target.unit:
            notes.append(f"指标值未写单位，“{unit}”已忽略")
        else:
            scale, base = unit_scale(unit)
            target_scale, target_base = unit_scale(target.unit)
            if base != target_base:
                raise TargetSyntaxError(f"单位“{unit}”与指标值的单位“{target.unit}”不一致")
            number = number * scale / target_scale
    if comparator is not None and comparator is not Comparator.EQ and word not in _REPORTING_WORDS:
        sense = "至少" if comparator in _AT_LEAST else "至多"
        notes.append(f"“{word}”按“{sense}”理解")
    if not notes and match.group(2) in ("", target.unit) and not word:
        note = ""
    else:
        shown = f"{format(number.normalize(), 'f')}{target.unit}"
        note = f"“{raw}”读作 {shown}" + (f"（{'；'.join(notes)}）" if notes else "")
    return ActualValue(number=number, note=note)
