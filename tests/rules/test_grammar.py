"""指标值 grammar (SPEC §3): table-driven cases, the real 焦作 data, and properties."""

from __future__ import annotations

import contextlib
import csv
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from tracker.rules.grammar import (
    Comparator,
    TargetSyntaxError,
    format_target,
    parse_target,
    unit_scale,
)
from tracker.rules.modes import Mode, infer_mode

D = Decimal
GE, GT, LE, LT, EQ, BETWEEN, QUAL = (
    Comparator.GE, Comparator.GT, Comparator.LE, Comparator.LT, Comparator.EQ, Comparator.BETWEEN,
    Comparator.QUALITATIVE,
)  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "level1", "comparator", "low", "high", "unit"),
    [
        ("≥95%", "", GE, D(95), None, "%"),
        (">=95%", "", GE, D(95), None, "%"),
        ("＞＝９５％", "", GE, D(95), None, "%"),
        ("不低于95%", "", GE, D(95), None, "%"),
        ("不少于3000件", "", GE, D(3000), None, "件"),
        ("大于等于3个", "", GE, D(3), None, "个"),
        ("至少2次", "", GE, D(2), None, "次"),
        ("95%以上", "", GE, D(95), None, "%"),
        (">90%", "", GT, D(90), None, "%"),
        ("大于90%", "", GT, D(90), None, "%"),
        ("高于90%", "", GT, D(90), None, "%"),
        ("超过100人", "", GT, D(100), None, "人"),
        ("≤24 小时/工作日", "", LE, D(24), None, "小时/工作日"),
        ("<=5个", "", LE, D(5), None, "个"),
        ("不高于30%", "", LE, D(30), None, "%"),
        ("不超过15万元", "", LE, D(15), None, "万元"),
        ("不多于2次", "", LE, D(2), None, "次"),
        ("小于等于5天", "", LE, D(5), None, "天"),
        ("3天以内", "", LE, D(3), None, "天"),
        ("5%以下", "", LE, D(5), None, "%"),
        ("<24 工作日", "", LT, D(24), None, "工作日"),
        ("小于24工作日", "", LT, D(24), None, "工作日"),
        ("低于5%", "", LT, D(5), None, "%"),
        ("=100%", "", EQ, D(100), None, "%"),
        ("等于1套", "", EQ, D(1), None, "套"),
        ("90-95%", "", BETWEEN, D(90), D(95), "%"),
        ("90～95%", "", BETWEEN, D(90), D(95), "%"),
        ("90~95%", "", BETWEEN, D(90), D(95), "%"),
        ("90至95%", "", BETWEEN, D(90), D(95), "%"),
        ("90%-95%", "", BETWEEN, D(90), D(95), "%"),
        ("100%", "产出指标", GE, D(100), None, "%"),
        ("1个", "产出指标", GE, D(1), None, "个"),
        # A rate under 成本指标 keeps GE (SPEC §3): only a money amount there is a cap.
        ("100%", "成本指标", GE, D(100), None, "%"),
        ("20万元", "成本指标", LE, D(20), None, "万元"),
        ("15万元", "成本指标", LE, D(15), None, "万元"),
        ("≥1.6万件", "", GE, D("1.6"), None, "万件"),
        ("≥35 万人", "", GE, D(35), None, "万人"),
        ("≥800 平方米", "", GE, D(800), None, "平方米"),
        ("≥1,000个", "", GE, D(1000), None, "个"),
    ],
)
def test_target_parses(raw, level1, comparator, low, high, unit):
    target = parse_target(raw, level1)
    assert (target.comparator, target.low, target.high, target.unit) == (comparator, low, high, unit)


@pytest.mark.parametrize("raw", ["明显", "提升", "合规", "相关", "有所提升", "完整"])
def test_words_without_numbers_are_qualitative(raw):
    target = parse_target(raw)
    assert target.comparator is QUAL and target.text == raw and target.low is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "为空"),
        ("   ", "为空"),
        ("≥", "没有数值"),
        ("≥abc%", "没有数值"),
        ("不低于", "没有数值"),
        ("95-90%", "下限大于上限"),
        ("≥95%以内", "自相矛盾"),
        ("约≥95%", "无法识别"),
    ],
)
def test_bad_targets_say_why(raw, message):
    with pytest.raises(TargetSyntaxError, match=message):
        parse_target(raw)


@pytest.mark.parametrize(
    ("raw", "level1", "shown"),
    [
        ("≥35 万人", "", "≥35万人"),
        ("100%", "产出指标", "100%"),
        ("不低于９５％", "", "≥95%"),
        ("3天以内", "", "≤3天"),
        ("90～95%", "", "90~95%"),
        ("明显", "", "明显"),
    ],
)
def test_display_text(raw, level1, shown):
    assert format_target(parse_target(raw, level1)) == shown


def _seed_rows():
    with (DATA / "jiaozuo-2023-targets.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("row", _seed_rows(), ids=lambda r: f"{r['项目编码'] or '部门'}-{r['三级指标'][:12]}")
def test_every_seed_target_parses_and_round_trips(row):
    target = parse_target(row["指标值"], row["一级指标"])
    shown = format_target(target)
    assert parse_target(shown, row["一级指标"]) == target
    assert format_target(parse_target(shown, row["一级指标"])) == shown


def test_unit_scale_understands_wan_and_yi():
    assert unit_scale("万元") == (D(10000), "元")
    assert unit_scale("亿元") == (D(100000000), "元")
    assert unit_scale("万人次") == (D(10000), "人次")
    assert unit_scale("万") == (D(1), "万")
    assert unit_scale("个") == (D(1), "个")


_ALPHABET = st.sampled_from(
    list("0123456789.%～~-至≥≤<>=＞＝％０９ 万亿元个人次件小时工作日以上内下不低于高超过少多大小等明显提升")
)


@settings(max_examples=600, deadline=None)
@given(st.text(_ALPHABET, max_size=14), st.sampled_from(["", "产出指标", "成本指标"]))
def test_parser_returns_a_target_or_its_own_error(raw, level1):
    with contextlib.suppress(TargetSyntaxError):
        parse_target(raw, level1)


@settings(max_examples=600, deadline=None)
@given(st.text(_ALPHABET, max_size=14), st.sampled_from(["", "产出指标", "成本指标"]))
def test_format_of_parse_is_stable(raw, level1):
    try:
        target = parse_target(raw, level1)
    except TargetSyntaxError:
        return
    shown = format_target(target)
    assert parse_target(shown, level1) == target
    assert format_target(parse_target(shown, level1)) == shown


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_unicode_never_crashes_the_parser(raw):
    with contextlib.suppress(TargetSyntaxError):
        parse_target(raw)


# Real published sheets (issue 10): the wordings 目标表 and 自评表 print, read as the sheet means them.
@pytest.mark.parametrize(
    ("raw", "level1", "level2", "comparator", "low", "high", "unit", "shown"),
    [
        ("至少开展2次", "产出指标", "数量指标", GE, D(2), None, "次", "≥2次"),
        ("不少于 3 次", "产出指标", "数量指标", GE, D(3), None, "次", "≥3次"),
        ("达到95%", "效益指标", "社会效益指标", GE, D(95), None, "%", "≥95%"),
        ("控制在5%以内", "成本指标", "经济成本指标", LE, D(5), None, "%", "≤5%"),
        ("±10%", "产出指标", "质量指标", BETWEEN, D(-10), D(10), "%", "±10%"),
        ("提高2个百分点", "效益指标", "社会效益指标", GE, D(2), None, "个百分点", "≥2个百分点"),
        ("≥100百分比", "产出指标", "质量指标", GE, D(100), None, "%", "≥100%"),
        ("已完成100%", "产出指标", "时效指标", GE, D(100), None, "%", "≥100%"),
        ("100%完成", "产出指标", "时效指标", GE, D(100), None, "%", "≥100%"),
        ("≥ 95 %", "满意度指标", "服务对象满意度指标", GE, D(95), None, "%", "≥95%"),
        # zero tolerance: a bare 0 means none (安全事故, 变质比例, 投诉)
        ("0", "效益指标", "社会效益指标", LE, D(0), None, "", "0"),
        ("0起", "效益指标", "社会效益指标", LE, D(0), None, "起", "0起"),
        ("0次", "产出指标", "质量指标", LE, D(0), None, "次", "0次"),
        ("0件", "满意度指标", "服务对象满意度指标", LE, D(0), None, "件", "0件"),
        # cost semantics follow the cost: money is a cap, a rate is not (2020 and 2021 templates)
        ("20万元", "产出指标", "成本指标", LE, D(20), None, "万元", "20万元"),
        ("10万元", "成本指标", "经济成本指标", LE, D(10), None, "万元", "10万元"),
        ("100%", "成本指标", "经济成本指标", GE, D(100), None, "%", "100%"),
        ("28.8万元%", "产出指标", "数量指标", GE, D("28.8"), None, "万元%", "28.8万元%"),
    ],
)
def test_real_sheet_wordings_parse_as_the_sheet_means(
    raw, level1, level2, comparator, low, high, unit, shown
):
    target = parse_target(raw, level1, level2)
    assert (target.comparator, target.low, target.high, target.unit) == (comparator, low, high, unit)
    assert format_target(target) == shown
    assert parse_target(shown, level1, level2) == target


@pytest.mark.parametrize(
    "raw",
    [
        "2022年底之前",
        "2023年12月前",
        "6月底前完成",
        "12月31日前",
        "在项目计划完成时间内完成",
        "按期完成",
        "达到预期",
    ],
)
def test_deadlines_and_achievement_words_are_never_counts(raw):
    target = parse_target(raw, "产出指标", "时效指标")
    assert target.comparator is QUAL and target.text == raw
    assert infer_mode(target.comparator, target.unit, "产出指标", "时效指标") is Mode.QUALITATIVE


@pytest.mark.parametrize(
    ("raw", "level1", "level2", "mode"),
    [
        ("≤20万元", "产出指标", "成本指标", Mode.CAP),
        ("≤100%", "成本指标", "经济成本指标", Mode.LEVEL),
        ("提高2个百分点", "效益指标", "社会效益指标", Mode.LEVEL),
        ("0起", "效益指标", "社会效益指标", Mode.LEVEL),
    ],
)
def test_the_mode_follows_what_the_value_is(raw, level1, level2, mode):
    target = parse_target(raw, level1, level2)
    assert infer_mode(target.comparator, target.unit, level1, level2) is mode
