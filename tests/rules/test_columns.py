"""指标值 with the columns of 一体化 exports (issue 10 §9), and how each target was read."""

from __future__ import annotations

import contextlib
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.rules.columns import read_target
from tracker.rules.grammar import Comparator, TargetSyntaxError, parse_target

GE, LE, QUAL = Comparator.GE, Comparator.LE, Comparator.QUALITATIVE


@pytest.mark.parametrize(
    ("raw", "columns", "comparator", "low", "unit", "text", "note"),
    [
        ("100", {"unit": "%"}, GE, D(100), "%", "100%", "“100”读作 ≥100%（计量单位“%”；未写比较符，按“≥”）"),
        (
            "5",
            {"unit": "%", "direction": "反向"},
            LE,
            D(5),
            "%",
            "≤5%",
            "“5”读作 ≤5%（计量单位“%”；指标方向“反向”）",
        ),
        (
            "95",
            {"unit": "%", "direction": "正向"},
            GE,
            D(95),
            "%",
            "≥95%",
            "“95”读作 ≥95%（计量单位“%”；指标方向“正向”）",
        ),
        (
            "≥95",
            {"unit": "%", "direction": "正向", "nature": "定量"},
            GE,
            D(95),
            "%",
            "≥95%",
            "“≥95”读作 ≥95%（计量单位“%”；指标方向“正向”）",
        ),
        ("≥95%", {"unit": "%"}, GE, D(95), "%", "≥95%", ""),
        ("明显", {"nature": "定性", "unit": "%"}, QUAL, None, "", "明显", ""),
        (
            "24",
            {"unit": "小时", "direction": "反向"},
            LE,
            D(24),
            "小时",
            "≤24小时",
            "“24”读作 ≤24小时（计量单位“小时”；指标方向“反向”）",
        ),
    ],
)
def test_the_columns_complete_the_value(raw, columns, comparator, low, unit, text, note):
    read = read_target(raw, **columns)
    assert (read.target.comparator, read.target.low, read.target.unit) == (comparator, low, unit)
    assert (read.text, read.note) == (text, note)
    assert parse_target(read.text).comparator == comparator  # the kept text reads back the same


@pytest.mark.parametrize(
    ("raw", "columns", "message"),
    [
        ("≤5%", {"direction": "正向"}, "指标值“≤5%”与指标方向“正向”矛盾"),
        (">90%", {"direction": "反向"}, "指标值“>90%”与指标方向“反向”矛盾"),
        ("100%", {"unit": "个"}, "指标值“100%”的单位“%”与计量单位“个”不一致"),
        ("≥95%", {"nature": "定性"}, "是数值，与指标性质“定性”矛盾"),
        ("明显", {"nature": "定量"}, "不是数值，与指标性质“定量”矛盾"),
        ("95", {"direction": "向上"}, "指标方向“向上”应为 正向 或 反向"),
        ("95", {"nature": "半定量"}, "指标性质“半定量”应为 定量 或 定性"),
    ],
)
def test_a_column_that_contradicts_the_value_names_both(raw, columns, message):
    with pytest.raises(TargetSyntaxError, match=message):
        read_target(raw, **columns)


@pytest.mark.parametrize(
    ("raw", "level1", "year", "note"),
    [
        ("2022年底之前", "产出指标", None, "“2022年底之前”读作 时限 2022-12-31"),
        ("6月底前完成", "产出指标", 2023, "“6月底前完成”读作 时限 2023-06-30"),
        ("0起", "效益指标", None, "“0起”读作 ≤0起（零容忍）"),
        ("20万元", "成本指标", None, "“20万元”读作 ≤20万元（成本金额按上限）"),
        ("至少开展2次", "产出指标", None, "“至少开展2次”读作 ≥2次"),
        ("±10%", "效益指标", None, "“±10%”读作 -10~10%"),
        ("≥ 95 %", "产出指标", None, ""),
        ("显著提升", "效益指标", None, ""),
    ],
)
def test_every_odd_target_says_how_it_was_read(raw, level1, year, note):
    assert read_target(raw, level1, year=year).note == note


_ALPHABET = st.sampled_from(list("0123456789.%≥≤<>± 万元个人次起年月底前明显"))


@settings(max_examples=500, deadline=None)
@given(
    st.text(_ALPHABET, min_size=1, max_size=10),
    st.sampled_from(["", "%", "个", "万元"]),
    st.sampled_from(["", "正向", "反向"]),
    st.sampled_from(["", "定量", "定性"]),
)
def test_reading_with_columns_returns_a_target_or_its_own_error(raw, unit, direction, nature):
    with contextlib.suppress(TargetSyntaxError):
        read = read_target(raw, unit=unit, direction=direction, nature=nature, year=2023)
        again = parse_target(read.text)
        assert (again.comparator, again.low, again.high) == (
            read.target.comparator,
            read.target.low,
            read.target.high,
        )
