"""The sentences the rules write: how a lamp or a score was found, what looks odd about a value.

Each is a Chinese template with ``%(name)s`` places, marked ``N_`` for the catalog. The rules fill
them in Chinese (what is stored with a result and printed on the official forms); a page in English
translates the stored sentence at render (:mod:`tracker.auth.rule_texts`), finding each template in
it by its fixed words. A place named in :data:`TEXT_PLACES` holds a sentence of its own (translated
in turn); any other holds one word or number. Pure: no Flask.
"""

from __future__ import annotations

__all__ = ["N_", "TEMPLATES", "TEXT_PLACES", "VOCABULARY", "SEPARATOR"]


def N_(text: str) -> str:
    """Marks a message for ``pybabel extract -k N_``; translated where it is shown."""
    return text


#: How the notes of one explanation are joined.
SEPARATOR = "；"

# --- monitoring (SPEC §5) ---
THRESHOLDS = N_("（阈值 %(green)s/%(yellow)s）")
BUDGET_RATE = N_("执行率 %(rate)s%% ÷ 时间进度 %(progress)s%% = %(ratio)s")
CUMULATIVE = N_(
    "累计型：预期 = 目标 %(target)s × 时间进度 %(progress)s = %(expected)s；完成比 = %(actual)s ÷ %(expected)s = %(ratio)s"
)
CUMULATIVE_SCALED = N_("累计型：预期 = 目标 × 时间进度 = %(expected)s；完成比 = %(ratio)s")
CAP_EXCEEDED = N_("上限型：实际 %(actual)s 超过上限 %(cap)s")
CAP_KEPT = N_("上限型：实际 %(actual)s 未超过上限 %(cap)s")
LEVEL = N_("水平型：实际 %(actual)s 对比目标 %(target)s，完成比 = %(ratio)s")
LIKELIHOOD = N_("完成目标可能性“%(likelihood)s”→ %(lamp)s")
NOT_OCCURRED = N_("不适用：该事项本期未发生（原因见偏差原因）")
QUALITATIVE_REPORTED = N_("定性：报告等级“%(grade)s”→ %(lamp)s")
QUALITATIVE_FORECAST = N_("定性：预计等级“%(grade)s”→ %(lamp)s")
FORECAST_GRADE = N_("预计等级“%(grade)s”→ %(lamp)s")
QUALITATIVE_LIKELIHOOD = N_("定性：按完成目标可能性“%(likelihood)s”→ %(lamp)s")
FORECAST = N_("全年预计 %(forecast)s 按年末判断为%(lamp)s")
NO_BUDGET = N_("预算为 %(budget)s，无法计算执行率")
EXECUTION = N_(
    "执行率 = 支出 %(spent)s ÷ 预算 %(budget)s = %(execution)s；÷ 时间进度 %(progress)s = %(ratio)s → %(lamp)s"
)
ONLY_IN_DECEMBER = N_("%(metric)s仅在12月计算")
NO_BUDGET_FOR_METRIC = N_("%(metric)s缺少预算数，无法计算")

# --- self-assessment (SPEC §6) ---
BAND_DEFAULT = N_("“%(grade)s”默认 %(percent)s%%")
BAND_INSIDE = N_("“%(grade)s”档内 %(percent)s%%（%(low)s–%(high)s%%）")
BAND_OUTSIDE = N_("“%(grade)s”的 %(percent)s%% 超出档次 %(low)s–%(high)s%%，按默认 %(default)s%%")
NOT_APPLICABLE_SHARED = N_("不适用：不计分，其分值由同类指标分享")
NOT_APPLICABLE_ZERO = N_("不适用：计 0 分（分值 %(weight)s）")
NOT_REPORTED_ZERO = N_("未填报，得 0 分")
QUALITATIVE_SCORE = N_("定性：%(why)s；得分 = %(weight)s × %(percent)s%% = %(score)s")
MET = N_("达标：得满分 %(weight)s")
NOT_MET = N_("未达标：得分 = %(weight)s × 完成比 %(ratio)s = %(score)s")
OVERACHIEVED_NOTE = N_("；实际 ≥ 目标 × %(factor)s，指标值设定偏低")
SCORED = N_("实际 %(actual)s，目标 %(target)s；%(formula)s")
EXECUTION_SCORE = N_(
    "预算执行率得分 = min(%(execution)s, 1) × %(points)s = %(score)s；总分 = 执行率得分 + 各指标得分 = %(total)s → %(grade)s"
)
REVIEW_LOW = N_("；审核意见：指标值设定偏低")
REVIEW_FAIR = N_("；审核意见：指标值设定合理")

# --- plausibility (issue 11 §4) ---
CUMULATIVE_FELL = N_("累计值 %(actual)s 低于上月的 %(previous)s：累计型指标的年度累计值不应减少")
FAR_ABOVE = N_("%(actual)s 超过指标值 %(target)s 的 %(factor)s 倍：请核对单位和数值")
LEVEL_JUMP = N_("比上月（%(previous)s）变化超过 %(jump)s 个百分点：请核对")

#: Every template, for the translation at render.
TEMPLATES = (
    THRESHOLDS,
    BUDGET_RATE,
    CUMULATIVE,
    CUMULATIVE_SCALED,
    CAP_EXCEEDED,
    CAP_KEPT,
    LEVEL,
    LIKELIHOOD,
    NOT_OCCURRED,
    QUALITATIVE_REPORTED,
    QUALITATIVE_FORECAST,
    FORECAST_GRADE,
    QUALITATIVE_LIKELIHOOD,
    FORECAST,
    NO_BUDGET,
    EXECUTION,
    ONLY_IN_DECEMBER,
    NO_BUDGET_FOR_METRIC,
    BAND_DEFAULT,
    BAND_INSIDE,
    BAND_OUTSIDE,
    NOT_APPLICABLE_SHARED,
    NOT_APPLICABLE_ZERO,
    NOT_REPORTED_ZERO,
    QUALITATIVE_SCORE,
    MET,
    NOT_MET,
    OVERACHIEVED_NOTE,
    SCORED,
    EXECUTION_SCORE,
    REVIEW_LOW,
    REVIEW_FAIR,
    CUMULATIVE_FELL,
    FAR_ABOVE,
    LEVEL_JUMP,
)
#: Places that hold a sentence (translated in turn), not a word or a number.
TEXT_PLACES = frozenset({"formula", "why"})
#: Words with an English term that a sentence holds: lamps after "→", grades, likelihoods, 等级.
VOCABULARY = (
    N_("绿灯"),
    N_("黄灯"),
    N_("红灯"),
    N_("未填报"),
    N_("不适用"),
    N_("无法判断"),
    N_("达成"),
    N_("部分达成"),
    N_("未达成"),
    N_("确定能"),
    N_("有可能"),
    N_("完全不可能"),
    N_("优"),
    N_("良"),
    N_("中"),
    N_("差"),
    N_("指标值设定偏低"),
    N_("预算执行率"),
    N_("预算调整率"),
    N_("结转结余率"),
    N_("三公经费控制率"),
    N_("政府采购执行率"),
)
