"""不适用 (issue 10 §3): an indicator whose event never arose. Lamp n/a; scored by the pack's choice —
``share`` (default): weight 0, its points shared among its category; ``zero``: 0 of its weight."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

from tracker import rules
from tracker.rules.packs import get_rule_pack

PACK = get_rule_pack()
ZERO_PACK = replace(PACK, not_applicable_scoring="zero")
LEVEL1S = ["产出指标", "产出指标", "成本指标", "效益指标", "效益指标", "满意度指标"]


def test_a_not_applicable_indicator_shares_its_points_within_its_category():
    plain = rules.self_assessment_weights(LEVEL1S, [None] * 6, PACK)
    shared = rules.self_assessment_weights(
        LEVEL1S, [None] * 6, PACK, [False, False, False, True, False, False]
    )
    assert plain[3] == plain[4] == D(15)
    assert (shared[3], shared[4]) == (D(0), D(30))
    assert shared[:3] == plain[:3] and shared[5] == plain[5]
    assert rules.round2(sum(shared)) == rules.round2(sum(plain)) == D(90)


def test_a_categorys_only_indicator_not_applicable_gives_its_points_to_the_other_categories():
    weights = rules.self_assessment_weights(LEVEL1S, [None] * 6, PACK, [False] * 5 + [True])
    assert weights[5] == 0
    # 满意度's 10 go to 产出 (50 → 56.25) and 效益 (30 → 33.75), as for an empty category.
    assert sum(weights[:3]) == D("56.25") and sum(weights[3:5]) == D("33.75")


def test_explicit_points_of_a_not_applicable_indicator_go_to_the_others_of_its_category():
    explicit = [D(20), D(20), D(10), D(15), D(15), D(10)]
    weights = rules.self_assessment_weights(LEVEL1S, explicit, PACK, [True] + [False] * 5)
    assert weights[0] == 0
    assert (weights[1], weights[2]) == (D(20) * 50 / 30, D(10) * 50 / 30)
    assert weights[3:] == [D(15), D(15), D(10)]


def test_the_zero_pack_keeps_the_weight_and_scores_it_zero():
    flags = [False, False, False, True, False, False]
    assert rules.self_assessment_weights(
        LEVEL1S, [None] * 6, ZERO_PACK, flags
    ) == rules.self_assessment_weights(LEVEL1S, [None] * 6, ZERO_PACK)
    score = rules.score_indicator(
        comparator="GE", low=D(95), high=None, actual=None, grade="不适用", grade_percent=None,
        weight=D(15), pack=ZERO_PACK,
    )  # fmt: skip
    assert (score.score, score.met, score.flags) == (D(0), False, ("不适用",))
    assert score.explain == "不适用：计 0 分（分值 15）"


def test_shared_out_it_scores_nothing_and_says_why():
    score = rules.score_indicator(
        comparator="LE", low=D(0), high=None, actual=None, grade="不适用", grade_percent=None,
        weight=D(0), pack=PACK,
    )  # fmt: skip
    assert (score.score, score.flags, score.explain) == (
        D(0),
        ("不适用",),
        "不适用：不计分，其分值由同类指标分享",
    )


def test_department_weights_leave_it_out_too():
    level1s = ["投入管理指标", "投入管理指标", "产出指标", "效益指标"]
    weights = rules.department_weights(level1s, [None] * 4, PACK, [False, False, False, True])
    # 效益 had only this one: 100 split among the two 一级指标 left.
    assert weights == [D(25), D(25), D(50), D(0)]


def test_its_lamp_is_not_applicable_whatever_the_target():
    for comparator, low, mode in (
        ("GE", D(95), "level"),
        ("LE", D(0), "level"),
        ("QUALITATIVE", None, "qualitative"),
    ):
        lamp = rules.monitor_indicator(
            mode=mode, comparator=comparator, low=low, high=None, actual=None, grade="不适用",
            forecast=None, forecast_grade=None, likelihood=None, month=7, thresholds=PACK.thresholds,
        )  # fmt: skip
        assert lamp.status == rules.NOT_APPLICABLE and not rules.needs_deviation_cause(lamp.status)
