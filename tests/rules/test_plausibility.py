"""Plausibility warnings of a typed actual (issue 11 §4): they never block; a submission confirms them."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tracker.rules.packs import get_rule_pack
from tracker.rules.plausibility import plausibility_warnings

PACK = get_rule_pack()


@pytest.mark.parametrize(
    ("mode", "comparator", "low", "unit", "actual", "previous", "expected"),
    [
        (
            "cumulative",
            "GE",
            "120",
            "件",
            "70",
            "80",
            ["累计值 70 低于上月的 80：累计型指标的年度累计值不应减少"],
        ),
        ("cumulative", "GE", "120", "件", "80", "80", []),
        ("cumulative", "GE", "120", "件", "361", None, ["361 超过指标值 120 的 3 倍：请核对单位和数值"]),
        ("cumulative", "GE", "120", "件", "360", None, []),
        ("level", "GE", "95", "%", "30", "96", ["比上月（96%）变化超过 50 个百分点：请核对"]),
        ("level", "GE", "95", "%", "46", "96", []),
        ("level", "LE", "24", "小时", "80", "2", []),  # a cap far above is a red lamp, not a typo
        ("cap", "LE", "15", "万元", "60", None, []),
        ("level", "GE", "0", "%", "5", None, []),
        ("cumulative", "GE", "120", "件", None, "80", []),
    ],
)
def test_odd_values_are_named_with_both_numbers(mode, comparator, low, unit, actual, previous, expected):
    warnings = plausibility_warnings(
        mode=mode,
        comparator=comparator,
        low=D(low),
        unit=unit,
        actual=D(actual) if actual is not None else None,
        previous=D(previous) if previous is not None else None,
        pack=PACK,
    )
    assert warnings == expected


def test_the_factor_comes_from_the_rule_pack():
    from dataclasses import replace

    strict = replace(PACK, plausibility_factor=D(2))
    kwargs = dict(mode="cumulative", comparator="GE", low=D(100), unit="件", actual=D(250), previous=None)
    assert plausibility_warnings(**kwargs, pack=PACK) == []
    assert plausibility_warnings(**kwargs, pack=strict) == ["250 超过指标值 100 的 2 倍：请核对单位和数值"]
