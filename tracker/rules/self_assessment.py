"""绩效自评 (SPEC §6, 财预〔2020〕10号): weights, qualitative bands, scores, the execution score
and the grade. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tracker.rules.grammar import Comparator
from tracker.rules.monitoring import completion_ratio, is_met
from tracker.rules.numbers import (
    GRADE_LAMPS,
    HUNDRED,
    NOT_REPORTED,
    OVERACHIEVED,
    ZERO,
    _clip,
    _comparator,
    _fmt,
)
from tracker.rules.packs import RulePack


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
