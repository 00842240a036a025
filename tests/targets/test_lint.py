"""Target lint rules (issue 10 §5, §8): costs wherever the template puts them, ≥ on a cost amount,
two units in one value."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tracker.targets.lint import (
    IndicatorFacts,
    ProjectFacts,
    floor_on_a_cost_amount,
    lint_target_table,
    missing_required_categories,
    two_units,
)

PROJECT = ProjectFacts("41080023000000098001", "二〇二〇模板项目", D(20), D(20))


def facts(level1, level2, name, comparator, low, unit):
    return IndicatorFacts(
        PROJECT.code, level1, name, comparator, D(low) if low is not None else None, unit, level2
    )


def test_a_2020_template_cost_under_output_counts_as_the_cost_indicator():
    indicators = [
        facts("产出指标", "成本指标", "设备采购成本", "LE", 20, "万元"),
        facts("满意度指标", "服务对象满意度指标", "群众满意度", "GE", 95, "%"),
    ]
    assert missing_required_categories(PROJECT, indicators) == []
    without = [facts("产出指标", "数量指标", "设备数量", "GE", 3, "台"), indicators[1]]
    assert missing_required_categories(PROJECT, without) == [
        "项目“二〇二〇模板项目”（41080023000000098001）没有成本指标（财预〔2021〕101号要求设置）"
    ]


@pytest.mark.parametrize(
    ("level1", "level2", "comparator", "unit", "warned"),
    [
        ("成本指标", "经济成本指标", "GE", "万元", True),
        ("产出指标", "成本指标", "GT", "元", True),
        ("成本指标", "经济成本指标", "LE", "万元", False),
        ("成本指标", "经济成本指标", "GE", "%", False),  # a rate under cost is a level, not a cap
        ("产出指标", "数量指标", "GE", "万元", False),
    ],
)
def test_a_floor_on_a_cost_amount_is_warned_about(level1, level2, comparator, unit, warned):
    indicator = facts(level1, level2, "设备购置成本", comparator, 5, unit)
    message = floor_on_a_cost_amount(indicator)
    assert (message is not None) == warned
    if warned:
        assert message == "成本指标“设备购置成本”的指标值用了“≥”：成本通常是上限，是否应为“≤”？"


@pytest.mark.parametrize(
    ("unit", "warned"), [("万元%", True), ("元‰", True), ("%", False), ("个百分点", False), ("万元", False)]
)
def test_two_units_in_one_value_are_warned_about(unit, warned):
    assert (two_units(facts("产出指标", "", "资金到位", "GE", "28.8", unit)) is not None) == warned


def test_the_table_lint_runs_the_new_checks():
    warnings = lint_target_table(
        [PROJECT],
        [
            facts("成本指标", "经济成本指标", "设备购置成本", "GE", 5, "万元"),
            facts("产出指标", "数量指标", "资金到位", "GE", "28.8", "万元%"),
            facts("满意度指标", "", "群众满意度", "GE", 95, "%"),
        ],
    )
    assert any("设备购置成本" in w and "“≥”" in w for w in warnings)
    assert any("“万元%”含两个单位" in w for w in warnings)
    assert not any("没有成本指标" in w for w in warnings)
