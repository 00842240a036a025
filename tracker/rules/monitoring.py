"""绩效运行监控 (SPEC §5): time progress, completion ratio, lamps, forecast and likelihood, the
budget lamp. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from tracker.rules import wording
from tracker.rules.grammar import Comparator
from tracker.rules.modes import Mode
from tracker.rules.numbers import (
    _SEVERITY,
    GRADE_LAMPS,
    GREEN,
    HUNDRED,
    LAMP_NAMES,
    LIKELIHOOD_CAPS,
    MISSING,
    NOT_APPLICABLE,
    NOT_APPLICABLE_GRADE,
    ONE,
    RED,
    TWELVE,
    YELLOW,
    ZERO,
    _clip,
    _comparator,
    _fmt,
    _mode,
)
from tracker.rules.packs import Thresholds


@lru_cache(maxsize=16)
def time_progress(month: int) -> Decimal:
    """时间进度 t = m/12 (SPEC §5)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1–12")
    return Decimal(month) / TWELVE


@lru_cache(maxsize=16)
def _threshold_note(thresholds: Thresholds) -> str:
    return wording.THRESHOLDS % {"green": _fmt(thresholds.green), "yellow": _fmt(thresholds.yellow)}


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
            wording.BUDGET_RATE % {"rate": _fmt(value), "progress": _fmt(expected), "ratio": _fmt(ratio)},
        )
    if mode is Mode.CUMULATIVE and comparator in (Comparator.GE, Comparator.GT):
        expected = low * progress
        ratio = (ONE if value >= 0 else ZERO) if expected == 0 else value / expected
        return (
            lamp(ratio, thresholds),
            ratio,
            expected,
            wording.CUMULATIVE
            % {
                "target": _fmt(low),
                "progress": _fmt(progress),
                "expected": _fmt(expected),
                "actual": _fmt(value),
                "ratio": _fmt(ratio),
            },
        )
    if mode is Mode.CUMULATIVE:
        scaled_high = high * progress if high is not None else None
        expected = low * progress
        ratio = completion_ratio(comparator, expected, scaled_high, value)
        return (
            lamp(ratio, thresholds),
            ratio,
            expected,
            wording.CUMULATIVE_SCALED % {"expected": _fmt(expected), "ratio": _fmt(ratio)},
        )
    ratio = completion_ratio(comparator, low, high, value)
    if mode is Mode.CAP and comparator in (Comparator.LE, Comparator.LT):
        exceeded = not is_met(comparator, low, high, value)
        status = RED if exceeded else GREEN
        return (
            status,
            ratio,
            low,
            (wording.CAP_EXCEEDED if exceeded else wording.CAP_KEPT)
            % {"actual": _fmt(value), "cap": _fmt(low)},
        )
    return (
        lamp(ratio, thresholds),
        ratio,
        low,
        wording.LEVEL
        % {
            "actual": _fmt(value),
            "target": _fmt(low) + (f"~{_fmt(high)}" if high is not None else ""),
            "ratio": _fmt(ratio),
        },
    )


def _apply_likelihood(status: str, likelihood: str | None, notes: list[str]) -> str:
    cap = LIKELIHOOD_CAPS.get(likelihood or "")
    if cap is None:
        return status
    adjusted = worse(status, cap)
    if adjusted != status:
        notes.append(wording.LIKELIHOOD % {"likelihood": likelihood, "lamp": LAMP_NAMES[adjusted]})
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
    if grade == NOT_APPLICABLE_GRADE:
        return IndicatorLamp(NOT_APPLICABLE, None, None, wording.NOT_OCCURRED)
    progress = time_progress(month)
    notes: list[str] = []

    if mode is Mode.QUALITATIVE or comparator is Comparator.QUALITATIVE:
        source = grade or forecast_grade
        if source in GRADE_LAMPS:
            status = GRADE_LAMPS[source]
            template = wording.QUALITATIVE_REPORTED if grade else wording.QUALITATIVE_FORECAST
            notes.append(template % {"grade": source, "lamp": LAMP_NAMES[status]})
            if grade and forecast_grade in GRADE_LAMPS:
                adjusted = worse(status, GRADE_LAMPS[forecast_grade])
                if adjusted != status:
                    notes.append(
                        wording.FORECAST_GRADE % {"grade": forecast_grade, "lamp": LAMP_NAMES[adjusted]}
                    )
                status = adjusted
        elif likelihood in LIKELIHOOD_CAPS:
            status = LIKELIHOOD_CAPS[likelihood]
            notes.append(
                wording.QUALITATIVE_LIKELIHOOD % {"likelihood": likelihood, "lamp": LAMP_NAMES[status]}
            )
            return IndicatorLamp(status, None, None, wording.SEPARATOR.join(notes))
        else:
            return IndicatorLamp(MISSING, None, None, LAMP_NAMES[MISSING])
        status = _apply_likelihood(status, likelihood, notes)
        return IndicatorLamp(status, None, None, wording.SEPARATOR.join(notes))

    if low is None:
        raise ValueError("a quantitative target needs a number")
    if actual is None:
        expected = _quantitative_expected(mode, low, progress)
        return IndicatorLamp(MISSING, None, expected, LAMP_NAMES[MISSING])
    status, ratio, expected, formula = _quantitative_status(
        mode, comparator, low, high, actual, progress, thresholds
    )
    notes.append(f"{formula} → {LAMP_NAMES[status]}")
    if forecast is not None:
        year_end, _, _, _ = _quantitative_status(mode, comparator, low, high, forecast, ONE, thresholds)
        adjusted = worse(status, year_end)
        notes.append(wording.FORECAST % {"forecast": _fmt(forecast), "lamp": LAMP_NAMES[year_end]})
        status = adjusted
    status = _apply_likelihood(status, likelihood, notes)
    return IndicatorLamp(status, ratio, expected, wording.SEPARATOR.join(notes) + _threshold_note(thresholds))


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
        return BudgetLamp(None, None, NOT_APPLICABLE, wording.NO_BUDGET % {"budget": _fmt(budget)})
    execution = spent / budget
    ratio = execution / progress
    status = lamp(ratio, thresholds)
    return BudgetLamp(
        execution,
        ratio,
        status,
        wording.EXECUTION
        % {
            "spent": _fmt(spent),
            "budget": _fmt(budget),
            "execution": _fmt(execution),
            "progress": _fmt(progress),
            "ratio": _fmt(ratio),
            "lamp": LAMP_NAMES[status],
        },
    )
