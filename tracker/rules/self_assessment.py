"""绩效自评 (SPEC §6, 财预〔2020〕10号): weights, qualitative bands, scores, the execution score
and the grade. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tracker.rules import wording
from tracker.rules.grammar import Comparator
from tracker.rules.monitoring import completion_ratio, is_met
from tracker.rules.numbers import (
    GRADE_LAMPS,
    HUNDRED,
    NOT_APPLICABLE_GRADE,
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
    left_out: Sequence[bool],
) -> list[Decimal]:
    """Share each category's points among its indicators: explicit 分值 as given, the rest of the
    category's points equally among those without; then scale the whole sheet to ``pool`` if the
    explicit 分值 do not add up to it (so a total never exceeds 100). An indicator ``left_out``
    weighs 0; its explicit 分值 go to the others of its category (to those without one, or in
    proportion to theirs when all have one)."""
    weights = [ZERO] * len(categories)
    for category, category_points in points.items():
        members = [i for i, c in enumerate(categories) if c == category]
        active = [i for i in members if not left_out[i]]
        given = [i for i in active if explicit[i] is not None]
        rest = [i for i in active if explicit[i] is None]
        for i in given:
            weights[i] = Decimal(explicit[i])  # type: ignore[arg-type]
        given_sum = sum((weights[i] for i in given), ZERO)
        released = sum((Decimal(e) for i in members if left_out[i] and (e := explicit[i]) is not None), ZERO)
        if rest:
            remaining = max(category_points - given_sum, ZERO)
            for i in rest:
                weights[i] = remaining / len(rest)
        elif released and given_sum:
            for i in given:
                weights[i] = weights[i] * (given_sum + released) / given_sum
    total = sum(weights, ZERO)
    if any(e is not None for e in explicit) and total > 0 and total != pool:
        weights = [w * pool / total for w in weights]
    return weights


def _left_out(pack: RulePack, not_applicable: Sequence[bool] | None, count: int) -> list[bool]:
    """Which indicators weigh 0: the 不适用 ones, when the pack shares their points (the default)."""
    if not not_applicable or pack.not_applicable_scoring != "share":
        return [False] * count
    return list(not_applicable)


def self_assessment_weights(
    level1s: Sequence[str],
    explicit: Sequence[Decimal | None],
    pack: RulePack,
    not_applicable: Sequence[bool] | None = None,
) -> list[Decimal]:
    """分值 of a project's indicators (SPEC §6): 产出指标+成本指标 share one pool (50), 效益 30, 满意度 10;
    an empty category gives its points to the others in proportion (预算执行率's 10 stays).
    An 一级指标 outside these categories earns no points. A 不适用 indicator, when the pack shares
    (the default), weighs 0 and its points go to the others of its category — or, if it was the
    category's only one, to the other categories, as for an empty category."""
    left_out = _left_out(pack, not_applicable, len(level1s))
    categories = [pack.category_of(level1) for level1 in level1s]
    nominal = dict(pack.category_points)
    present = {c for c, out in zip(categories, left_out, strict=True) if c is not None and not out}
    available = sum(nominal.values(), ZERO)
    present_total = sum((nominal[c] for c in present), ZERO)
    if not present_total:
        return [ZERO] * len(categories)
    points = {c: nominal[c] * available / present_total for c in present}
    return _split(categories, explicit, points, available, left_out)


def department_weights(
    level1s: Sequence[str],
    explicit: Sequence[Decimal | None],
    pack: RulePack,
    not_applicable: Sequence[bool] | None = None,
) -> list[Decimal]:
    """分值 of the 部门整体 indicators (SPEC §6): each 一级指标 an equal share of 100, split equally;
    a 不适用 one, when the pack shares, weighs 0 as in :func:`self_assessment_weights`."""
    left_out = _left_out(pack, not_applicable, len(level1s))
    keys = [level1.strip() for level1 in level1s]
    present = list(dict.fromkeys(k for k, out in zip(keys, left_out, strict=True) if not out))
    if not present:
        return [ZERO] * len(keys)
    share = pack.department_points / len(present)
    return _split(keys, explicit, dict.fromkeys(present, share), pack.department_points, left_out)


def qualitative_percent(grade: str, percent: Decimal | None, pack: RulePack) -> tuple[Decimal, str]:
    """The percent of its weight a qualitative grade earns: the band's default, or ``percent`` when it
    lies inside the band (SPEC §6). Returns (percent, why)."""
    band = pack.band(grade)
    if percent is None:
        return band.default, wording.BAND_DEFAULT % {"grade": grade, "percent": _fmt(band.default)}
    shown = {"grade": grade, "percent": _fmt(percent), "low": _fmt(band.low), "high": _fmt(band.high)}
    if band.contains(percent):
        return percent, wording.BAND_INSIDE % shown
    return band.default, wording.BAND_OUTSIDE % (shown | {"default": _fmt(band.default)})


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
    if grade == NOT_APPLICABLE_GRADE:
        why = (
            wording.NOT_APPLICABLE_ZERO % {"weight": _fmt(weight)}
            if weight
            else wording.NOT_APPLICABLE_SHARED
        )
        return IndicatorScore(ZERO, False, None, (NOT_APPLICABLE_GRADE,), why)
    if comparator is Comparator.QUALITATIVE:
        if grade not in GRADE_LAMPS:
            return IndicatorScore(ZERO, False, None, (NOT_REPORTED,), wording.NOT_REPORTED_ZERO)
        percent, why = qualitative_percent(grade, grade_percent, pack)
        score = weight * percent / HUNDRED
        return IndicatorScore(
            score,
            grade == "达成",
            percent / HUNDRED,
            (),
            wording.QUALITATIVE_SCORE
            % {"why": why, "weight": _fmt(weight), "percent": _fmt(percent), "score": _fmt(score)},
        )
    if actual is None or low is None:
        return IndicatorScore(ZERO, False, None, (NOT_REPORTED,), wording.NOT_REPORTED_ZERO)
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
        wording.MET % {"weight": _fmt(weight)}
        if met
        else wording.NOT_MET % {"weight": _fmt(weight), "ratio": _fmt(ratio), "score": _fmt(score)}
    )
    if flags:
        formula += wording.OVERACHIEVED_NOTE % {"factor": _fmt(pack.overachievement_factor)}
    explain = wording.SCORED % {"actual": _fmt(actual), "target": _fmt(low), "formula": formula}
    return IndicatorScore(score, met, ratio, flags, explain)


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
