"""实际完成值 as published 自评表 print them (issue 10 §1, §2, §6, §7; docs/rules.md).

The rows are transcriptions in the shape of real sheets: 2020 and 2021 templates, 一体化 exports.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.rules.actuals import (
    GRADE_WORDS,
    GRADES,
    NOT_APPLICABLE_TEXT,
    deadline_of_target,
    parse_actual,
)
from tracker.rules.grammar import TargetSyntaxError, format_target, normalise, parse_target

D = Decimal


@pytest.mark.parametrize(
    ("raw", "target", "number", "grade", "percent", "note"),
    [
        ("20.5", "≥35万人", D("20.5"), None, None, ""),
        ("20.5万人", "≥35万人", D("20.5"), None, None, ""),
        ("205000人", "≥35万人", D("20.5"), None, None, "“205000人”读作 20.5万人"),
        ("９６％", "≥95%", D(96), None, None, ""),
        ("达成", "明显", None, "达成", None, ""),
        ("部分达成 75%", "明显", None, "部分达成", D(75), ""),
        ("未达成（30%）", "提升", None, "未达成", D(30), ""),
    ],
)
def test_actuals_in_the_plain_form_are_read_without_a_note(raw, target, number, grade, percent, note):
    value = parse_actual(raw, parse_target(target))
    assert (value.number, value.grade, value.percent) == (number, grade, percent)
    assert value.note == note


@pytest.mark.parametrize(
    ("raw", "target", "grade"),
    [
        # 2021 template 自评表: the 完成情况 column in the form's own words.
        ("达成预期指标", "显著提升", "达成"),
        ("部分达成预期指标", "显著提升", "部分达成"),
        ("未达成预期指标", "显著提升", "未达成"),
        ("达成预期目标", "有效保障", "达成"),
        ("已达成", "明显", "达成"),
        ("已完成", "按期完成", "达成"),
        ("完成", "按时完成", "达成"),
        ("全部完成", "按时完成", "达成"),
        ("部分完成", "按期完成", "部分达成"),
        ("未完成", "按期完成", "未达成"),
        # The actual repeats the target's own text.
        ("显著提升", "显著提升", "达成"),
        ("高", "高", "达成"),
        ("合规", "合规", "达成"),
        ("逐步完善 ", "逐步完善", "达成"),
    ],
)
def test_qualitative_actuals_in_the_forms_own_words_are_grades_with_a_note(raw, target, grade):
    value = parse_actual(raw, parse_target(target))
    assert value.grade == grade and value.number is None
    if raw in GRADES:
        assert value.note == ""
    else:
        assert value.note.startswith(f"“{raw}”") and f"读作 {grade}" in value.note


def test_a_grade_word_keeps_its_percent():
    value = parse_actual("部分达成预期指标（70%）", parse_target("明显"))
    assert (value.grade, value.percent) == ("部分达成", D(70))
    assert value.note == "“部分达成预期指标（70%）”读作 部分达成"


@pytest.mark.parametrize(
    ("raw", "target", "number", "note"),
    [
        ("≥266米", "≥250米", D(266), "“≥266米”读作 266米（“≥”按“至少”理解）"),
        ("≥90%", "≥85%", D(90), "“≥90%”读作 90%（“≥”按“至少”理解）"),
        ("≤20.4工作日", "≤30工作日", D("20.4"), "“≤20.4工作日”读作 20.4工作日（“≤”按“至多”理解）"),
        ("95%以上", "≥95%", D(95), "“95%以上”读作 95%（“以上”按“至少”理解）"),
        ("100%", "≥95%", D(100), ""),
        ("0起", "0起", D(0), ""),
        ("1294项", "≥1000项", D(1294), ""),
        ("20.4工作日", "≤30工作日", D("20.4"), ""),
        ("1.2万次", "≥10000次", D(12000), "“1.2万次”读作 12000次"),
        ("3.5亿元", "≤40000万元", D(35000), "“3.5亿元”读作 35000万元"),
        ("1294项", "≥1000", D(1294), "“1294项”读作 1294（指标值未写单位，“项”已忽略）"),
        ("已完成100%", "≥95%", D(100), "“已完成100%”读作 100%"),
        ("达到96%", "≥95%", D(96), "“达到96%”读作 96%"),
        ("≥ 95 %", "≥95%", D(95), "“≥ 95 %”读作 95%（“≥”按“至少”理解）"),
        ("98百分比", "≥95%", D(98), "“98百分比”读作 98%"),
        ("1,200人", "≥1000人", D(1200), ""),
    ],
)
def test_actuals_printed_like_targets_read_as_the_number_in_the_targets_unit(raw, target, number, note):
    value = parse_actual(raw, parse_target(target))
    assert value.number == number and value.grade is None
    assert value.note == note


@pytest.mark.parametrize(
    ("raw", "target", "message"),
    [
        ("abc", "≥95%", "不是有效的数字"),
        ("-3", "≥95%", "不能为负数"),
        ("20个", "≥35万人", "单位“个”与指标值的单位“万人”不一致"),
        ("≥266吨", "≥250米", "单位“吨”与指标值的单位“米”不一致"),
        ("1,5", "≥1", "有歧义"),
        ("1,5万人", "≥1万人", "有歧义"),
        ("很好", "明显", "达成预期指标"),
        ("", "明显", "为空"),
        ("2022年11月", "按期完成", "没有可比较的日期"),
        ("2022年13月", "2022年底之前", "不是有效的日期"),
        ("2022-02-30", "2022年底之前", "不是有效的日期"),
    ],
)
def test_bad_actuals_say_why(raw, target, message):
    with pytest.raises(TargetSyntaxError, match=message):
        parse_actual(raw, parse_target(target))


@pytest.mark.parametrize(
    ("target", "year", "deadline"),
    [
        ("2022年底之前", None, date(2022, 12, 31)),
        ("2023年12月前", None, date(2023, 12, 31)),
        ("2023年6月底前完成", None, date(2023, 6, 30)),
        ("6月底前完成", 2024, date(2024, 6, 30)),
        ("12月31日前", 2023, date(2023, 12, 31)),
        ("2月底前", 2024, date(2024, 2, 29)),
        ("6月底前完成", None, None),
        ("按期完成", 2023, None),
        ("在项目计划完成时间内完成", 2023, None),
        ("明显", 2023, None),
    ],
)
def test_the_deadline_a_time_limit_target_allows(target, year, deadline):
    assert deadline_of_target(target, year) == deadline


@pytest.mark.parametrize(
    ("raw", "target", "grade"),
    [
        ("2022年11月", "2022年底之前", "达成"),
        ("2022年12月", "2022年底之前", "达成"),
        ("2023年1月", "2022年底之前", "未达成"),
        ("2022-11-30", "2022年底之前", "达成"),
        ("2022.11", "2022年底之前", "达成"),
        ("2022/12/31", "2022年底之前", "达成"),
        ("已于2023年5月完成", "2023年6月底前完成", "达成"),
        ("6月20日", "6月底前完成", "达成"),
        ("7月1日", "6月底前完成", "未达成"),
        ("2023年12月15日", "2023年12月前", "达成"),
    ],
)
def test_a_date_actual_is_compared_with_its_time_limit(raw, target, grade):
    value = parse_actual(raw, parse_target(target), year=2023)
    assert value.grade == grade and value.number is None
    assert "对照时限" in value.note and value.note.endswith(f"读作 {grade}")


def test_zero_tolerance_targets_read_their_actuals_as_counts():
    target = parse_target("0起", "效益指标")
    assert parse_actual("0起", target).number == 0
    assert parse_actual("2起", target).number == 2


# Properties: never a crash, every accepted value read back gives itself, a note for every odd one.
_ALPHABET = st.sampled_from(
    list("0123456789.,%≥≤<>=＞＝％ 万亿元个人次米项起以上内下不低于已完成达部分未预期指标年月日-/明显")
)
_TARGETS = st.sampled_from(
    ["≥95%", "≥35万人", "≤24小时", "0起", "明显", "2022年底之前", "6月底前完成", "≥1000"]
)


@settings(max_examples=800, deadline=None)
@given(st.text(_ALPHABET, max_size=14), _TARGETS)
def test_reading_an_actual_returns_a_value_or_its_own_error(raw, target_text):
    with contextlib.suppress(TargetSyntaxError):
        parse_actual(raw, parse_target(target_text), year=2023)


@settings(max_examples=800, deadline=None)
@given(st.text(_ALPHABET, max_size=14), _TARGETS)
def test_an_accepted_actual_reads_back_the_same_and_odd_ones_carry_a_note(raw, target_text):
    target = parse_target(target_text)
    try:
        value = parse_actual(raw, target, year=2023)
    except TargetSyntaxError:
        return
    if value.number is not None:
        plain = f"{format(value.number, 'f')}{target.unit}"
        again = parse_actual(plain, target, year=2023)
        assert again.number == value.number and again.note == ""
    else:
        assert value.grade in (*GRADES, NOT_APPLICABLE_TEXT)
        again = parse_actual(value.grade, target, year=2023)
        assert again.grade == value.grade and again.note == ""
    stripped = normalise(raw)
    # Plain: a grade, or a number written as digits (leading zeros and all) with the target's unit or none.
    bare = stripped.removesuffix(target.unit) if target.unit else stripped
    is_plain = stripped in (*GRADES, NOT_APPLICABLE_TEXT) or (
        value.number is not None and re.fullmatch(r"\d+(?:\.\d+)?", bare) is not None
    )
    if not is_plain and value.percent is None:
        assert value.note, f"{raw!r} against {format_target(target)!r} read without a note"


def test_every_grade_word_maps_to_a_grade():
    assert set(GRADE_WORDS.values()) == set(GRADES)


@pytest.mark.parametrize("raw", ["无", "不适用", "/", "—", "——", "－", "不涉及"])
@pytest.mark.parametrize("target", ["0起", "≥95%", "明显", "2022年底之前"])
def test_did_not_arise_is_not_applicable_for_any_target(raw, target):
    value = parse_actual(raw, parse_target(target))
    assert value.not_applicable and value.number is None and value.grade == NOT_APPLICABLE_TEXT
    assert value.note == ("" if raw == "不适用" else f"“{raw}”读作 不适用")
