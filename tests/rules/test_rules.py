"""SPEC §5–§7 rules, table-driven."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tracker import rules
from tracker.rules.grammar import parse_target
from tracker.rules.modes import Mode, infer_mode
from tracker.rules.packs import Thresholds, get_rule_pack

PACK = get_rule_pack()
T = PACK.thresholds


def _lamp(
    target: str,
    actual,
    *,
    month: int = 6,
    level1: str = "产出指标",
    grade=None,
    forecast=None,
    forecast_grade=None,
    likelihood=None,
    mode=None,
):
    parsed = parse_target(target, level1)
    return rules.monitor_indicator(
        mode=mode or infer_mode(parsed.comparator, parsed.unit, level1),
        comparator=parsed.comparator,
        low=parsed.low,
        high=parsed.high,
        actual=None if actual is None else D(str(actual)),
        grade=grade,
        forecast=None if forecast is None else D(str(forecast)),
        forecast_grade=forecast_grade,
        likelihood=likelihood,
        month=month,
        thresholds=T,
    )


@pytest.mark.parametrize(("month", "expected"), [(1, D(1) / 12), (6, D("0.5")), (7, D(7) / 12), (12, D(1))])
def test_time_progress_is_month_over_twelve(month, expected):
    assert rules.time_progress(month) == expected


@pytest.mark.parametrize("month", [0, 13])
def test_time_progress_refuses_months_outside_the_year(month):
    with pytest.raises(ValueError):
        rules.time_progress(month)


@pytest.mark.parametrize(
    ("ratio", "status"),
    [
        (D("1.2"), "green"),
        (D("0.8"), "green"),
        (D("0.7999"), "yellow"),
        (D("0.6"), "yellow"),
        (D("0.5999"), "red"),
        (D(0), "red"),
    ],
)
def test_lamp_thresholds_from_the_rule_pack(ratio, status):
    assert rules.lamp(ratio, T) == status


def test_lamp_thresholds_can_be_changed():
    assert rules.lamp(D("0.85"), Thresholds(green=D("0.9"), yellow=D("0.7"))) == "yellow"


@pytest.mark.parametrize(
    ("comparator", "low", "high", "actual", "ratio"),
    [
        ("GE", D(100), None, D(100), D(1)),
        ("GE", D(100), None, D(80), D("0.8")),
        ("GE", D(100), None, D(130), D(1)),
        ("GT", D(100), None, D(50), D("0.5")),
        ("LE", D(24), None, D(20), D(1)),
        ("LE", D(24), None, D(30), D("0.75")),
        ("LE", D(24), None, D(48), D(0)),
        ("LE", D(24), None, D(60), D(0)),
        ("LT", D(24), None, D(36), D("0.5")),
        ("EQ", D(10), None, D(10), D(1)),
        ("EQ", D(10), None, D(8), D("0.8")),
        ("EQ", D(10), None, D(12), D("0.8")),
        ("BETWEEN", D(90), D(95), D(92), D(1)),
        ("BETWEEN", D(90), D(95), D(45), D("0.5")),
        ("BETWEEN", D(90), D(95), D(114), D("0.8")),
        ("GE", D(0), None, D(0), D(1)),
        ("LE", D(0), None, D(0), D(1)),
        ("LE", D(0), None, D(3), D(0)),
        ("EQ", D(0), None, D(1), D(0)),
        ("GE", D(100), None, D(-5), D(0)),
    ],
)
def test_completion_ratio_for_every_comparator(comparator, low, high, actual, ratio):
    assert rules.completion_ratio(comparator, low, high, actual) == ratio


@pytest.mark.parametrize(
    ("comparator", "actual", "met"),
    [
        ("GE", D(24), True),
        ("GT", D(24), False),
        ("LE", D(24), True),
        ("LT", D(24), False),
        ("EQ", D(24), True),
        ("LT", D(23), True),
    ],
)
def test_met_respects_strict_comparators_at_the_boundary(comparator, actual, met):
    assert rules.is_met(comparator, D(24), None, actual) is met


@pytest.mark.parametrize(
    ("target", "level1", "mode"),
    [
        ("≥35 万人", "产出指标", Mode.CUMULATIVE),
        ("≥800 平方米", "产出指标", Mode.CUMULATIVE),
        ("1个", "产出指标", Mode.CUMULATIVE),
        ("≥98%", "产出指标", Mode.LEVEL),
        ("≤100%", "投入管理指标", Mode.LEVEL),
        ("<24 工作日", "产出指标", Mode.LEVEL),
        ("≤24 小时/工作日", "产出指标", Mode.LEVEL),
        ("≤15 万元", "成本指标", Mode.CAP),
        ("100%", "成本指标", Mode.LEVEL),
        ("20万元", "成本指标", Mode.CAP),
        ("明显", "效益指标", Mode.QUALITATIVE),
        ("提升", "效益指标", Mode.QUALITATIVE),
        ("90~95%", "产出指标", Mode.LEVEL),
    ],
)
def test_seed_targets_get_the_mode_of_spec_5(target, level1, mode):
    parsed = parse_target(target, level1)
    assert infer_mode(parsed.comparator, parsed.unit, level1) is mode


@pytest.mark.parametrize(
    ("target", "level1", "month", "actual", "status", "expected"),
    [
        # cumulative: expected = target × m/12
        ("≥35 万人", "产出指标", 7, "20.5", "green", D(35) * 7 / 12),
        ("≥35 万人", "产出指标", 6, "14", "green", D("17.5")),
        ("≥35 万人", "产出指标", 6, "11", "yellow", D("17.5")),
        ("≥35 万人", "产出指标", 6, "10", "red", D("17.5")),
        ("1个", "产出指标", 6, "0", "red", D("0.5")),
        ("1个", "产出指标", 6, "1", "green", D("0.5")),
        # level: rate or duration against the target itself
        ("≥98%", "产出指标", 3, "97", "green", D(98)),
        ("≥98%", "产出指标", 3, "70", "yellow", D(98)),
        ("≤100%", "投入管理指标", 6, "100", "green", D(100)),
        ("≤100%", "投入管理指标", 6, "130", "yellow", D(100)),
        ("<24 工作日", "产出指标", 6, "20", "green", D(24)),
        ("<24 工作日", "产出指标", 6, "30", "yellow", D(24)),
        ("≤24 小时/工作日", "产出指标", 6, "40", "red", D(24)),
        ("90~95%", "产出指标", 6, "60", "yellow", D(90)),
        # cap: red as soon as the cost exceeds the cap, whatever the month
        ("≤15 万元", "成本指标", 2, "14.99", "green", D(15)),
        ("≤15 万元", "成本指标", 2, "15.01", "red", D(15)),
        ("20万元", "成本指标", 6, "21", "red", D(20)),
        ("20万元", "成本指标", 6, "20", "green", D(20)),
        # a rate under 成本指标 is a level, not a cap (国家政策性粮收购价格执行率 100%)
        ("100%", "成本指标", 6, "100", "green", D(100)),
        ("100%", "成本指标", 6, "70", "yellow", D(100)),
    ],
)
def test_monitoring_lamp_by_mode(target, level1, month, actual, status, expected):
    result = _lamp(target, actual, month=month, level1=level1)
    assert (result.status, result.expected) == (status, expected)


def test_nothing_reported_is_missing():
    assert _lamp("≥35 万人", None).status == "missing"


@pytest.mark.parametrize(("grade", "status"), [("达成", "green"), ("部分达成", "yellow"), ("未达成", "red")])
def test_qualitative_lamp_follows_the_reported_grade(grade, status):
    result = _lamp("明显", None, level1="效益指标", grade=grade)
    assert (result.status, result.expected, result.ratio) == (status, None, None)


@pytest.mark.parametrize(
    ("likelihood", "status"), [("确定能", "green"), ("有可能", "yellow"), ("完全不可能", "red")]
)
def test_qualitative_without_grade_follows_the_forecast_achievability(likelihood, status):
    assert _lamp("提升", None, level1="效益指标", likelihood=likelihood).status == status


def test_qualitative_with_nothing_is_missing():
    assert _lamp("明显", None, level1="效益指标").status == "missing"


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"forecast": "34"}, "green"),  # forecast meets 97 % of the year's target
        ({"forecast": "25"}, "yellow"),  # 25/35 = 0.71 at year end
        ({"forecast": "10"}, "red"),
        ({"forecast": "99"}, "green"),
        ({"likelihood": "确定能"}, "green"),
        ({"likelihood": "有可能"}, "yellow"),
        ({"likelihood": "完全不可能"}, "red"),
    ],
)
def test_forecast_and_likelihood_only_make_a_green_lamp_worse(kwargs, status):
    assert _lamp("≥35 万人", "20", month=6, **kwargs).status == status


@pytest.mark.parametrize("kwargs", [{"forecast": "99"}, {"likelihood": "确定能"}])
def test_forecast_and_likelihood_never_improve_a_red_lamp(kwargs):
    assert _lamp("≥35 万人", "5", month=6, **kwargs).status == "red"


def test_qualitative_forecast_grade_makes_a_lamp_worse_not_better():
    assert _lamp("明显", None, level1="效益指标", grade="达成", forecast_grade="未达成").status == "red"
    assert _lamp("明显", None, level1="效益指标", grade="未达成", forecast_grade="达成").status == "red"


def test_budget_mode_compares_execution_percent_with_time_progress():
    result = rules.monitor_indicator(
        mode=Mode.BUDGET,
        comparator="GE",
        low=D(95),
        high=None,
        actual=D("40"),
        grade=None,
        forecast=None,
        forecast_grade=None,
        likelihood=None,
        month=6,
        thresholds=T,
    )
    assert (result.status, result.expected, result.ratio) == ("green", D(50), D("0.8"))


def test_explain_names_inputs_and_formula():
    explain = _lamp("≥35 万人", "20.5", month=7).explain
    assert "35" in explain and "20.5" in explain and "累计型" in explain


@pytest.mark.parametrize(
    ("status", "needed"),
    [("green", False), ("yellow", True), ("red", True), ("missing", False), ("n/a", False)],
)
def test_yellow_and_red_need_a_deviation_cause(status, needed):
    assert rules.needs_deviation_cause(status) is needed


@pytest.mark.parametrize(
    ("spent", "budget", "month", "execution", "status"),
    [
        (D("8.10"), D(15), 7, D("0.54"), "green"),  # the SPEC §9 example: 0.54 / (7/12) = 0.93
        (D("5"), D(10), 6, D("0.5"), "green"),
        (D("3.5"), D(10), 6, D("0.35"), "yellow"),
        (D("2"), D(10), 6, D("0.2"), "red"),
    ],
)
def test_budget_execution_against_time_progress(spent, budget, month, execution, status):
    result = rules.budget_lamp(spent, budget, month, T)
    assert (result.execution, result.status) == (execution, status)


def test_budget_of_zero_has_no_execution_lamp():
    assert rules.budget_lamp(D(0), D(0), 6, T).status == "n/a"


# ---------------------------------------------------------------- self-assessment weights


def test_project_weights_share_the_output_pool_between_output_and_cost():
    level1s = ["产出指标", "产出指标", "产出指标", "成本指标", "效益指标", "效益指标", "满意度指标"]
    weights = rules.self_assessment_weights(level1s, [None] * 7, PACK)
    assert weights == [D("12.5")] * 4 + [D(15), D(15), D(10)]
    assert sum(weights) + PACK.execution_points == 100


def test_an_empty_category_gives_its_points_to_the_others_in_proportion():
    weights = rules.self_assessment_weights(["产出指标", "效益指标"], [None, None], PACK)
    assert weights == [D("56.25"), D("33.75")]


def test_only_outputs_take_all_ninety_points():
    assert rules.self_assessment_weights(["产出指标", "成本指标"], [None, None], PACK) == [D(45), D(45)]


def test_explicit_weights_are_used_and_the_rest_of_the_category_is_shared():
    weights = rules.self_assessment_weights(
        ["产出指标", "产出指标", "产出指标", "效益指标", "满意度指标"], [D(20), None, None, None, None], PACK
    )
    assert weights == [D(20), D(15), D(15), D(30), D(10)]


def test_explicit_weights_that_do_not_add_up_are_scaled_to_ninety():
    weights = rules.self_assessment_weights(["产出指标", "效益指标"], [D(60), D(40)], PACK)
    assert weights == [D(54), D(36)]


def test_unknown_level1_in_a_project_earns_no_points():
    weights = rules.self_assessment_weights(["产出指标", "其他指标"], [None, None], PACK)
    assert weights == [D(90), D(0)]


def test_department_weights_give_each_level1_an_equal_share():
    weights = rules.department_weights(
        ["投入管理指标"] * 4 + ["产出指标"] * 2 + ["效益指标"], [None] * 7, PACK
    )
    third = D(100) / 3
    assert weights == [third / 4] * 4 + [third / 2] * 2 + [third]
    assert abs(sum(weights) - 100) < D("1e-20")


# ---------------------------------------------------------------- self-assessment scores


def _score(target: str, actual=None, *, level1="产出指标", grade=None, percent=None, weight=D(10)):
    parsed = parse_target(target, level1)
    return rules.score_indicator(
        comparator=parsed.comparator,
        low=parsed.low,
        high=parsed.high,
        actual=None if actual is None else D(str(actual)),
        grade=grade,
        grade_percent=None if percent is None else D(str(percent)),
        weight=weight,
        pack=PACK,
    )


@pytest.mark.parametrize(
    ("target", "level1", "actual", "score", "met"),
    [
        ("≥35 万人", "产出指标", "35", D(10), True),
        ("≥35 万人", "产出指标", "28", D(8), False),
        ("1个", "产出指标", "1", D(10), True),
        ("1个", "产出指标", "0", D(0), False),
        ("<24 工作日", "产出指标", "20", D(10), True),
        ("<24 工作日", "产出指标", "30", D("7.5"), False),
        ("≤24 小时/工作日", "产出指标", "48", D(0), False),
        ("≤100%", "投入管理指标", "110", D(9), False),
        ("100%", "成本指标", "90", D(9), False),
        ("20万元", "成本指标", "15", D(10), True),
        ("20万元", "成本指标", "30", D(5), False),
        ("≤15 万元", "成本指标", "15", D(10), True),
        ("=10 个", "产出指标", "12", D(8), False),
        ("90~95%", "产出指标", "99", D(10) * (1 - D(4) / 95), False),
    ],
)
def test_quantitative_score_is_weight_times_completion_ratio(target, level1, actual, score, met):
    result = _score(target, actual, level1=level1)
    assert (result.score, result.met) == (score, met)


@pytest.mark.parametrize(
    ("grade", "percent", "score", "met"),
    [
        ("达成", None, D(10), True),
        ("部分达成", None, D(7), False),
        ("未达成", None, D(3), False),
        ("达成", 85, D("8.5"), True),
        ("部分达成", 65, D("6.5"), False),
        ("未达成", 0, D(0), False),
        ("部分达成", 95, D(7), False),  # outside its band: the default
    ],
)
def test_qualitative_score_by_band(grade, percent, score, met):
    result = _score("明显", level1="效益指标", grade=grade, percent=percent)
    assert (result.score, result.met) == (score, met)


@pytest.mark.parametrize(
    ("target", "actual", "flagged"),
    [
        ("≥35 万人", "42", True),
        ("≥35 万人", "41.99", False),
        (">100 件", "120", True),
        ("≤24 小时", "100", False),
        ("≥0 个", "5", False),
    ],
)
def test_overachievement_is_flagged_not_scored(target, actual, flagged):
    result = _score(target, actual)
    assert (rules.OVERACHIEVED in result.flags) is flagged
    assert result.score <= D(10)


@pytest.mark.parametrize(
    ("target", "level1", "kwargs"),
    [
        ("≥35 万人", "产出指标", {}),
        ("明显", "效益指标", {}),
        ("提升", "效益指标", {}),
    ],
)
def test_nothing_reported_scores_zero_and_is_listed(target, level1, kwargs):
    result = _score(target, level1=level1, **kwargs)
    assert (result.score, result.met, result.flags) == (D(0), False, (rules.NOT_REPORTED,))


@pytest.mark.parametrize(
    ("execution", "score"),
    [
        (D("0.98"), D("9.8")),
        (D("1.05"), D(10)),
        (D(0), D(0)),
        (None, D(0)),
    ],
)
def test_execution_score_is_capped_at_ten(execution, score):
    assert rules.execution_score(execution, PACK) == score


@pytest.mark.parametrize(
    ("total", "grade"),
    [
        (D(100), "优"),
        (D(90), "优"),
        (D("89.99"), "良"),
        (D(80), "良"),
        (D(60), "中"),
        (D("59.99"), "差"),
    ],
)
def test_grades(total, grade):
    assert rules.grade_for(total, PACK) == grade


# ---------------------------------------------------------------- §7 metrics


def test_department_metrics_from_money():
    money = rules.DepartmentMoney(
        initial_total=D(1000),
        adjustments=D(100),
        spending=D(550),
        sangong_spent=D(3),
        sangong_budget=D(4),
        procurement_spent=D(20),
        procurement_budget=D(80),
    )
    metrics = rules.department_metrics(money, 6)
    assert metrics == {
        "预算执行率": D("0.5"),
        "预算调整率": D("0.1"),
        "结转结余率": None,
        "三公经费控制率": D("0.75"),
        "政府采购执行率": D("0.25"),
    }


def test_carry_over_rate_exists_only_at_year_end():
    money = rules.DepartmentMoney(initial_total=D(1000), spending=D(950))
    assert rules.department_metrics(money, 12)["结转结余率"] == D("0.05")
    reported = rules.DepartmentMoney(initial_total=D(1000), spending=D(950), carry_over=D(20))
    assert rules.department_metrics(reported, 12)["结转结余率"] == D("0.02")


def test_metrics_without_a_budget_line_are_none():
    metrics = rules.department_metrics(rules.DepartmentMoney(initial_total=None), 12)
    assert set(metrics.values()) == {None}


@pytest.mark.parametrize(("value", "shown"), [(D("0.583333"), D("58.33")), (D("0.54005"), D("54.01"))])
def test_percent_is_rounded_half_up_at_the_edge(value, shown):
    assert rules.as_percent(value) == shown
