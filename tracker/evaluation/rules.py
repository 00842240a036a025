"""The evaluation rules of SPEC §5–§7 as plain functions: time progress, completion ratio, lamps,
forecast adjustments, self-assessment weights and scores, grades and the department's
execution-rate metrics.

Pure: no Flask, no database. ``Decimal`` throughout; nothing here rounds (rounding happens only at
the edge, :func:`round2`). Every number a province may change comes from a
:class:`~tracker.evaluation.rulepacks.RulePack`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import overload

from tracker.evaluation.modes import Mode
from tracker.evaluation.rulepacks import RulePack, Thresholds
from tracker.targets.grammar import Comparator

__all__ = [
    "GREEN",
    "YELLOW",
    "RED",
    "MISSING",
    "NOT_APPLICABLE",
    "OVERACHIEVED",
    "NOT_REPORTED",
    "IndicatorLamp",
    "BudgetLamp",
    "IndicatorScore",
    "DepartmentMoney",
    "time_progress",
    "lamp",
    "worse",
    "is_met",
    "completion_ratio",
    "monitor_indicator",
    "needs_deviation_cause",
    "budget_lamp",
    "self_assessment_weights",
    "department_weights",
    "qualitative_percent",
    "score_indicator",
    "execution_score",
    "grade_for",
    "department_metrics",
    "round2",
    "as_percent",
    "fmt_number",
]

GREEN, YELLOW, RED, MISSING, NOT_APPLICABLE = "green", "yellow", "red", "missing", "n/a"
_SEVERITY = {GREEN: 0, YELLOW: 1, RED: 2}
#: 达成 green, 部分达成 yellow, 未达成 red (SPEC §5).
GRADE_LAMPS = {"达成": GREEN, "部分达成": YELLOW, "未达成": RED}
#: 完成目标可能性 → the best lamp it allows (SPEC §5: only ever makes a status worse).
LIKELIHOOD_CAPS = {"确定能": GREEN, "有可能": YELLOW, "完全不可能": RED}
LAMP_NAMES = {GREEN: "绿灯", YELLOW: "黄灯", RED: "红灯", MISSING: "未填报", NOT_APPLICABLE: "不适用"}
#: Flags on a self-assessed indicator.
OVERACHIEVED = "指标值设定偏低"
NOT_REPORTED = "未填报"

ZERO, ONE, HUNDRED, TWELVE = Decimal(0), Decimal(1), Decimal(100), Decimal(12)
_CENT = Decimal("0.01")


# ---------------------------------------------------------------- edge formatting


def round2(value: Decimal) -> Decimal:
    """Half-up to 2 places: only for what is shown or exported."""
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def as_percent(fraction: Decimal) -> Decimal:
    """0.5833… → 58.33 (percent, 2 places)."""
    return round2(fraction * HUNDRED)


@lru_cache(maxsize=8192)
def fmt_number(value: Decimal | None) -> str:
    """A number for an explanation: at most 4 decimals, no trailing zeros."""
    if value is None:
        return "—"
    text = f"{value:.4f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


_fmt = fmt_number


# Enum lookups by value: ``Mode(x)`` costs microseconds, which add up over 400,000 indicators.
_MODES: dict[str, Mode] = {m.value: m for m in Mode}
_COMPARATORS: dict[str, Comparator] = {c.value: c for c in Comparator}


def _comparator(value: Comparator | str) -> Comparator:
    return value if isinstance(value, Comparator) else _COMPARATORS[value]


def _mode(value: Mode | str) -> Mode:
    return value if isinstance(value, Mode) else _MODES[value]


# ---------------------------------------------------------------- monitoring (SPEC §5)


@lru_cache(maxsize=16)
def time_progress(month: int) -> Decimal:
    """时间进度 t = m/12 (SPEC §5)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1–12")
    return Decimal(month) / TWELVE


@lru_cache(maxsize=16)
def _threshold_note(thresholds: Thresholds) -> str:
    return f"（阈值 {_fmt(thresholds.green)}/{_fmt(thresholds.yellow)}）"


def lamp(ratio: Decimal, thresholds: Thresholds) -> str:
    """绿灯/黄灯/红灯 of a completion ratio: ≥ green, ≥ yellow, else red (SPEC §5)."""
    if ratio >= thresholds.green:
        return GREEN
    if ratio >= thresholds.yellow:
        return YELLOW
    return RED


def worse(first: str, second: str) -> str:
    """The worse of two lamps (green < yellow < red)."""
    return first if _SEVERITY[first] >= _SEVERITY[second] else second


def needs_deviation_cause(status: str) -> bool:
    """A yellow or red indicator needs a 偏差原因 and an 改进措施 (SPEC §5)."""
    return status in (YELLOW, RED)


def is_met(comparator: Comparator | str, low: Decimal, high: Decimal | None, actual: Decimal) -> bool:
    """Whether ``actual`` satisfies the target (达标)."""
    comparator = _comparator(comparator)
    if comparator is Comparator.GE:
        return actual >= low
    if comparator is Comparator.GT:
        return actual > low
    if comparator is Comparator.LE:
        return actual <= low
    if comparator is Comparator.LT:
        return actual < low
    if comparator is Comparator.EQ:
        return actual == low
    if comparator is Comparator.BETWEEN:
        return low <= actual <= (high if high is not None else low)
    raise ValueError("a qualitative target has no completion ratio")


def _clip(value: Decimal) -> Decimal:
    return min(max(value, ZERO), ONE)


def completion_ratio(
    comparator: Comparator | str, low: Decimal, high: Decimal | None, actual: Decimal
) -> Decimal:
    """完成比例 (SPEC §6), clipped to [0, 1]: 1 when met; otherwise ``actual/target`` (GE, GT),
    ``1 − (actual−target)/target`` (LE, LT: zero at twice the target), ``1 − |actual−target|/target``
    (EQ); BETWEEN: ``actual/low`` below the range, ``1 − (actual−high)/high`` above it.
    A target of 0 gives 1 when met, else 0."""
    comparator = _comparator(comparator)
    if is_met(comparator, low, high, actual):
        return ONE
    if comparator is Comparator.BETWEEN:
        upper = high if high is not None else low
        if actual < low:
            return _clip(actual / low) if low != 0 else ZERO
        return _clip(ONE - (actual - upper) / upper) if upper != 0 else ZERO
    if low == 0:
        return ZERO
    if comparator in (Comparator.GE, Comparator.GT):
        return _clip(actual / low)
    if comparator in (Comparator.LE, Comparator.LT):
        return _clip(ONE - (actual - low) / low)
    return _clip(ONE - abs(actual - low) / low)


@dataclass(frozen=True)
class IndicatorLamp:
    """The monitoring result of one indicator: lamp, ratio, expected value and how it was found."""

    status: str
    ratio: Decimal | None
    expected: Decimal | None
    explain: str


def _quantitative_status(
    mode: Mode,
    comparator: Comparator,
    low: Decimal,
    high: Decimal | None,
    value: Decimal,
    progress: Decimal,
    thresholds: Thresholds,
) -> tuple[str, Decimal, Decimal, str]:
    """(status, ratio, expected, formula) of a number judged at time progress ``progress``."""
    if mode is Mode.BUDGET:
        # 预算执行率 is a percentage: compared with time progress in percent.
        expected = progress * HUNDRED
        ratio = value / expected
        return (
            lamp(ratio, thresholds),
            ratio,
            expected,
            (f"执行率 {_fmt(value)}% ÷ 时间进度 {_fmt(expected)}% = {_fmt(ratio)}"),
        )
    if mode is Mode.CUMULATIVE and comparator in (Comparator.GE, Comparator.GT):
        expected = low * progress
        ratio = (ONE if value >= 0 else ZERO) if expected == 0 else value / expected
        return (
            lamp(ratio, thresholds),
            ratio,
            expected,
            (
                f"累计型：预期 = 目标 {_fmt(low)} × 时间进度 {_fmt(progress)} = {_fmt(expected)}；"
                f"完成比 = {_fmt(value)} ÷ {_fmt(expected)} = {_fmt(ratio)}"
            ),
        )
    if mode is Mode.CUMULATIVE:
        scaled_high = high * progress if high is not None else None
        expected = low * progress
        ratio = completion_ratio(comparator, expected, scaled_high, value)
        return (
            lamp(ratio, thresholds),
            ratio,
            expected,
            (f"累计型：预期 = 目标 × 时间进度 = {_fmt(expected)}；完成比 = {_fmt(ratio)}"),
        )
    ratio = completion_ratio(comparator, low, high, value)
    if mode is Mode.CAP and comparator in (Comparator.LE, Comparator.LT):
        exceeded = not is_met(comparator, low, high, value)
        status = RED if exceeded else GREEN
        return (
            status,
            ratio,
            low,
            (f"上限型：实际 {_fmt(value)} {'超过' if exceeded else '未超过'}上限 {_fmt(low)}"),
        )
    return (
        lamp(ratio, thresholds),
        ratio,
        low,
        (
            f"水平型：实际 {_fmt(value)} 对比目标 {_fmt(low)}"
            + (f"~{_fmt(high)}" if high is not None else "")
            + f"，完成比 = {_fmt(ratio)}"
        ),
    )


def _apply_likelihood(status: str, likelihood: str | None, notes: list[str]) -> str:
    cap = LIKELIHOOD_CAPS.get(likelihood or "")
    if cap is None:
        return status
    adjusted = worse(status, cap)
    if adjusted != status:
        notes.append(f"完成目标可能性“{likelihood}”→ {LAMP_NAMES[adjusted]}")
    return adjusted


def monitor_indicator(
    *,
    mode: Mode | str,
    comparator: Comparator | str,
    low: Decimal | None,
    high: Decimal | None,
    actual: Decimal | None,
    grade: str | None,
    forecast: Decimal | None,
    forecast_grade: str | None,
    likelihood: str | None,
    month: int,
    thresholds: Thresholds,
) -> IndicatorLamp:
    """绩效监控 of one indicator as of month ``month`` (SPEC §5).

    ``actual``/``forecast`` are numbers in the target's unit (a percentage for ``budget`` mode);
    ``grade``/``forecast_grade`` the 达成/部分达成/未达成 of a qualitative indicator. A forecast is
    judged as a year-end actual; a forecast and 完成目标可能性 may only make a lamp worse.
    """
    mode, comparator = _mode(mode), _comparator(comparator)
    progress = time_progress(month)
    notes: list[str] = []

    if mode is Mode.QUALITATIVE or comparator is Comparator.QUALITATIVE:
        source = grade or forecast_grade
        if source in GRADE_LAMPS:
            status = GRADE_LAMPS[source]
            notes.append(f"定性：{'报告等级' if grade else '预计等级'}“{source}”→ {LAMP_NAMES[status]}")
            if grade and forecast_grade in GRADE_LAMPS:
                adjusted = worse(status, GRADE_LAMPS[forecast_grade])
                if adjusted != status:
                    notes.append(f"预计等级“{forecast_grade}”→ {LAMP_NAMES[adjusted]}")
                status = adjusted
        elif likelihood in LIKELIHOOD_CAPS:
            status = LIKELIHOOD_CAPS[likelihood]
            notes.append(f"定性：按完成目标可能性“{likelihood}”→ {LAMP_NAMES[status]}")
            return IndicatorLamp(status, None, None, "；".join(notes))
        else:
            return IndicatorLamp(MISSING, None, None, "未填报")
        status = _apply_likelihood(status, likelihood, notes)
        return IndicatorLamp(status, None, None, "；".join(notes))

    if low is None:
        raise ValueError("a quantitative target needs a number")
    if actual is None:
        expected = _quantitative_expected(mode, low, progress)
        return IndicatorLamp(MISSING, None, expected, "未填报")
    status, ratio, expected, formula = _quantitative_status(
        mode, comparator, low, high, actual, progress, thresholds
    )
    notes.append(f"{formula} → {LAMP_NAMES[status]}")
    if forecast is not None:
        year_end, _, _, _ = _quantitative_status(mode, comparator, low, high, forecast, ONE, thresholds)
        adjusted = worse(status, year_end)
        notes.append(f"全年预计 {_fmt(forecast)} 按年末判断为{LAMP_NAMES[year_end]}")
        status = adjusted
    status = _apply_likelihood(status, likelihood, notes)
    return IndicatorLamp(status, ratio, expected, "；".join(notes) + _threshold_note(thresholds))


def _quantitative_expected(mode: Mode, low: Decimal, progress: Decimal) -> Decimal:
    if mode is Mode.BUDGET:
        return progress * HUNDRED
    if mode is Mode.CUMULATIVE:
        return low * progress
    return low


@dataclass(frozen=True)
class BudgetLamp:
    """预算执行进度 of a project against time progress (SPEC §5)."""

    execution: Decimal | None
    ratio: Decimal | None
    status: str
    explain: str


def budget_lamp(spent: Decimal, budget: Decimal, month: int, thresholds: Thresholds) -> BudgetLamp:
    """``execution = spent / budget`` (budget = 年初预算 + 预算调整 through m), lamp of ``execution / t``."""
    progress = time_progress(month)
    if budget <= 0:
        return BudgetLamp(None, None, NOT_APPLICABLE, f"预算为 {_fmt(budget)}，无法计算执行率")
    execution = spent / budget
    ratio = execution / progress
    status = lamp(ratio, thresholds)
    return BudgetLamp(
        execution,
        ratio,
        status,
        (
            f"执行率 = 支出 {_fmt(spent)} ÷ 预算 {_fmt(budget)} = {_fmt(execution)}；"
            f"÷ 时间进度 {_fmt(progress)} = {_fmt(ratio)} → {LAMP_NAMES[status]}"
        ),
    )


# ---------------------------------------------------------------- self-assessment (SPEC §6)


def _split(
    categories: Sequence[str | None],
    explicit: Sequence[Decimal | None],
    points: dict[str, Decimal],
    pool: Decimal,
) -> list[Decimal]:
    """Share each category's points among its indicators: explicit 分值 as given, the rest of the
    category's points equally among those without; then scale the whole sheet to ``pool`` if the
    explicit 分值 do not add up to it (so a total never exceeds 100)."""
    weights = [ZERO] * len(categories)
    for category, category_points in points.items():
        members = [i for i, c in enumerate(categories) if c == category]
        given = [i for i in members if explicit[i] is not None]
        rest = [i for i in members if explicit[i] is None]
        for i in given:
            weights[i] = Decimal(explicit[i])  # type: ignore[arg-type]
        remaining = max(category_points - sum((weights[i] for i in given), ZERO), ZERO)
        for i in rest:
            weights[i] = remaining / len(rest)
    total = sum(weights, ZERO)
    if any(e is not None for e in explicit) and total > 0 and total != pool:
        weights = [w * pool / total for w in weights]
    return weights


def self_assessment_weights(
    level1s: Sequence[str], explicit: Sequence[Decimal | None], pack: RulePack
) -> list[Decimal]:
    """分值 of a project's indicators (SPEC §6): 产出指标+成本指标 share one pool (50), 效益 30, 满意度 10;
    an empty category gives its points to the others in proportion (预算执行率's 10 stays).
    An 一级指标 outside these categories earns no points."""
    categories = [pack.category_of(level1) for level1 in level1s]
    nominal = dict(pack.category_points)
    present = {c for c in categories if c is not None}
    available = sum(nominal.values(), ZERO)
    present_total = sum((nominal[c] for c in present), ZERO)
    if not present_total:
        return [ZERO] * len(categories)
    points = {c: nominal[c] * available / present_total for c in present}
    return _split(categories, explicit, points, available)


def department_weights(
    level1s: Sequence[str], explicit: Sequence[Decimal | None], pack: RulePack
) -> list[Decimal]:
    """分值 of the 部门整体 indicators (SPEC §6): each 一级指标 an equal share of 100, split equally."""
    keys = [level1.strip() for level1 in level1s]
    present = list(dict.fromkeys(keys))
    if not present:
        return []
    share = pack.department_points / len(present)
    return _split(keys, explicit, dict.fromkeys(present, share), pack.department_points)


def qualitative_percent(grade: str, percent: Decimal | None, pack: RulePack) -> tuple[Decimal, str]:
    """The percent of its weight a qualitative grade earns: the band's default, or ``percent`` when it
    lies inside the band (SPEC §6). Returns (percent, why)."""
    band = pack.band(grade)
    if percent is None:
        return band.default, f"“{grade}”默认 {_fmt(band.default)}%"
    if band.contains(percent):
        return percent, f"“{grade}”档内 {_fmt(percent)}%（{_fmt(band.low)}–{_fmt(band.high)}%）"
    return band.default, (
        f"“{grade}”的 {_fmt(percent)}% 超出档次 {_fmt(band.low)}–{_fmt(band.high)}%，按默认 {_fmt(band.default)}%"
    )


@dataclass(frozen=True)
class IndicatorScore:
    """得分 of one indicator in a self-assessment."""

    score: Decimal
    met: bool
    ratio: Decimal | None
    flags: tuple[str, ...] = field(default=())
    explain: str = ""


def score_indicator(
    *,
    comparator: Comparator | str,
    low: Decimal | None,
    high: Decimal | None,
    actual: Decimal | None,
    grade: str | None,
    grade_percent: Decimal | None,
    weight: Decimal,
    pack: RulePack,
) -> IndicatorScore:
    """得分 of one indicator (SPEC §6): met → full weight, else ``weight × completion ratio``;
    qualitative by band; nothing reported → 0 and 未填报; ≥ 120 % of a GE/GT target → 指标值设定偏低."""
    comparator = _comparator(comparator)
    if comparator is Comparator.QUALITATIVE:
        if grade not in GRADE_LAMPS:
            return IndicatorScore(ZERO, False, None, (NOT_REPORTED,), "未填报，得 0 分")
        percent, why = qualitative_percent(grade, grade_percent, pack)
        score = weight * percent / HUNDRED
        return IndicatorScore(
            score,
            grade == "达成",
            percent / HUNDRED,
            (),
            f"定性：{why}；得分 = {_fmt(weight)} × {_fmt(percent)}% = {_fmt(score)}",
        )
    if actual is None or low is None:
        return IndicatorScore(ZERO, False, None, (NOT_REPORTED,), "未填报，得 0 分")
    met = is_met(comparator, low, high, actual)
    ratio = completion_ratio(comparator, low, high, actual)
    score = weight if met else weight * ratio
    flags: tuple[str, ...] = ()
    if (
        comparator in (Comparator.GE, Comparator.GT)
        and low > 0
        and actual >= low * pack.overachievement_factor
    ):
        flags = (OVERACHIEVED,)
    formula = (
        f"达标：得满分 {_fmt(weight)}"
        if met
        else f"未达标：得分 = {_fmt(weight)} × 完成比 {_fmt(ratio)} = {_fmt(score)}"
    )
    note = f"；实际 ≥ 目标 × {_fmt(pack.overachievement_factor)}，{OVERACHIEVED}" if flags else ""
    return IndicatorScore(score, met, ratio, flags, f"实际 {_fmt(actual)}，目标 {_fmt(low)}；{formula}{note}")


def execution_score(execution: Decimal | None, pack: RulePack) -> Decimal:
    """预算执行率得分 = min(执行率, 1) × 10 (SPEC §6)."""
    if execution is None:
        return ZERO
    return _clip(execution) * pack.execution_points


def grade_for(total: Decimal, pack: RulePack) -> str:
    """等级: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 below (SPEC §6)."""
    for name, minimum in pack.grades:
        if total >= minimum:
            return name
    return pack.lowest_grade


# ---------------------------------------------------------------- execution-rate metrics (SPEC §7)


@dataclass(frozen=True)
class DepartmentMoney:
    """The department's money through a month, in 万元. ``carry_over`` is the reported 结转结余
    (None when not reported); ``*_budget`` None when the department has no such budget line."""

    initial_total: Decimal | None
    adjustments: Decimal = ZERO
    spending: Decimal = ZERO
    sangong_spent: Decimal = ZERO
    sangong_budget: Decimal | None = None
    procurement_spent: Decimal = ZERO
    procurement_budget: Decimal | None = None
    carry_over: Decimal | None = None


def _ratio(numerator: Decimal, denominator: Decimal | None) -> Decimal | None:
    if denominator is None or denominator == 0:
        return None
    return numerator / denominator


@overload
def adjusted_budget(initial: Decimal, adjustments: Decimal) -> Decimal: ...
@overload
def adjusted_budget(initial: Decimal | None, adjustments: Decimal) -> Decimal | None: ...
def adjusted_budget(initial: Decimal | None, adjustments: Decimal) -> Decimal | None:
    """全年预算数 = 年初预算数 + 预算调整 through the month (SPEC §5, §7); unknown without the first."""
    return None if initial is None else initial + adjustments


def department_metrics(money: DepartmentMoney, month: int) -> dict[str, Decimal | None]:
    """预算执行率, 预算调整率, 结转结余率 (month 12 only), 三公经费控制率, 政府采购执行率 as fractions
    (SPEC §7). A metric whose denominator is missing or zero is None."""
    initial = money.initial_total
    adjusted = adjusted_budget(initial, money.adjustments)
    carry_over: Decimal | None = None
    if month == 12 and adjusted:
        remaining = money.carry_over if money.carry_over is not None else adjusted - money.spending
        carry_over = remaining / adjusted
    return {
        "预算执行率": _ratio(money.spending, adjusted),
        "预算调整率": _ratio(money.adjustments, initial),
        "结转结余率": carry_over,
        "三公经费控制率": _ratio(money.sangong_spent, money.sangong_budget),
        "政府采购执行率": _ratio(money.procurement_spent, money.procurement_budget),
    }
