"""The rules of SPEC §3 and §5–§7 as plain functions, one per rule, named for it: the 指标值 grammar,
evaluation modes, rule packs, monitoring lamps, self-assessment scores and the execution-rate
metrics, with the deadline arithmetic.

Pure: nothing here imports Flask, SQLAlchemy or another part of the tracker (import-linter keeps it
so). ``Decimal`` throughout; nothing rounds except :func:`round2` at the edge. Every number a
province may set differently comes from a :class:`~tracker.rules.packs.RulePack`.

The package is the rules' one address: ``from tracker import rules`` then ``rules.monitor_indicator``.
"""

from tracker.rules.cells import control_character_names, control_characters, visible_text
from tracker.rules.metrics import DepartmentMoney, adjusted_budget, department_metrics
from tracker.rules.monitoring import (
    BudgetLamp,
    IndicatorLamp,
    budget_lamp,
    completion_ratio,
    is_met,
    lamp,
    monitor_indicator,
    needs_deviation_cause,
    time_progress,
    worse,
)
from tracker.rules.numbers import (
    GRADE_LAMPS,
    GREEN,
    HUNDRED,
    LAMP_NAMES,
    LIKELIHOOD_CAPS,
    MISSING,
    NOT_APPLICABLE,
    NOT_APPLICABLE_GRADE,
    NOT_REPORTED,
    OVERACHIEVED,
    RED,
    YELLOW,
    as_percent,
    fmt_number,
    round2,
    round_half_up,
)
from tracker.rules.self_assessment import (
    IndicatorScore,
    department_weights,
    execution_score,
    grade_for,
    qualitative_percent,
    score_indicator,
    self_assessment_weights,
)

__all__ = [
    "control_characters",
    "control_character_names",
    "visible_text",
    "GREEN",
    "HUNDRED",
    "YELLOW",
    "RED",
    "MISSING",
    "NOT_APPLICABLE",
    "NOT_APPLICABLE_GRADE",
    "OVERACHIEVED",
    "NOT_REPORTED",
    "GRADE_LAMPS",
    "LIKELIHOOD_CAPS",
    "LAMP_NAMES",
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
    "adjusted_budget",
    "department_metrics",
    "round2",
    "round_half_up",
    "as_percent",
    "fmt_number",
]
