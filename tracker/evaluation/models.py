"""Stored evaluation results (SPEC §5, §6, §9) and reviewers' overrides of a self-assessment.

One :class:`EvaluationRun` per department × period × kind; re-running replaces it (and its rows)
in one transaction. Each row keeps what it was computed from (``explain``: inputs, formula, rule
pack and version) so a score can be explained years later, whatever happened to the targets since.
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import Model
from tracker.types import Money, Quantity, Timestamp

# The kinds' names are not in __all__: tracker.models star-imports every model module.
__all__ = [
    "EvaluationRun",
    "ProjectResult",
    "IndicatorResult",
    "RunTally",
    "PeriodSummary",
    "ReviewerOverride",
    "RUN_KINDS",
]

#: monitoring: 绩效运行监控 of one month · self_assessment: 绩效自评 of one year ·
#: metrics: the daily SPEC §7 execution-rate metrics of the current month.
MONITORING, SELF_ASSESSMENT, METRICS = "monitoring", "self_assessment", "metrics"
RUN_KINDS = (MONITORING, SELF_ASSESSMENT, METRICS)


class EvaluationRun(Model):
    """A stored result set: one department, one period (``month`` 0 for a self-assessment), one kind.

    ``summary`` holds the department-level part of the SPEC §9 document (metrics, 部门整体 total and
    grade, missing reports, indicators lacking a 偏差原因)."""

    __tablename__ = "evaluation_run"
    __table_args__ = (UniqueConstraint("kind", "department_id", "year", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    year: Mapped[int]
    month: Mapped[int] = mapped_column(default=0)
    rule_pack: Mapped[str] = mapped_column(String(40))
    rule_version: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[Timestamp]
    summary: Mapped[dict] = mapped_column(JSON, default=dict)


class ProjectResult(Model):
    """A project's line of a run: budget execution (monitoring) or total and grade (self-assessment)."""

    __tablename__ = "project_result"
    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign keys, not even to the run: a result is a snapshot that carries its own names and
    # targets, and at province scale each checked key costs a trigger per inserted row (a third of
    # the write). Rows are written and deleted only with their run, by run id (service._store).
    run_id: Mapped[int] = mapped_column(index=True)
    project_id: Mapped[int]
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    unit_code: Mapped[str] = mapped_column(String(32))
    budget: Mapped[Money]
    spent: Mapped[Money]
    execution: Mapped[Quantity | None]  # fraction
    budget_status: Mapped[str | None] = mapped_column(String(8))
    execution_score: Mapped[Quantity | None]
    total: Mapped[Quantity | None]
    grade: Mapped[str | None] = mapped_column(String(4))
    explain: Mapped[dict] = mapped_column(JSON, default=dict)


class IndicatorResult(Model):
    """An indicator's line of a run: lamp (monitoring) or weight, score and flags (self-assessment).

    ``project_id`` is null for a 部门整体 indicator. ``actual`` is the number used, ``actual_text``
    the qualitative grade."""

    __tablename__ = "indicator_result"
    __table_args__ = (Index("ix_indicator_result_run_project", "run_id", "project_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int]  # evaluation_run.id, without a foreign key (see ProjectResult)
    indicator_id: Mapped[int]
    project_id: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    level1: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(16))
    actual: Mapped[Quantity | None]
    actual_text: Mapped[str | None] = mapped_column(String(8))
    expected: Mapped[Quantity | None]
    ratio: Mapped[Quantity | None]
    status: Mapped[str | None] = mapped_column(String(8))
    needs_cause: Mapped[bool] = mapped_column(default=False)  # yellow/red without 偏差原因 or 改进措施
    weight: Mapped[Quantity | None]
    score: Mapped[Quantity | None]
    met: Mapped[bool | None]
    flags: Mapped[str] = mapped_column(String(100), default="")  # "|"-separated
    explain: Mapped[dict] = mapped_column(JSON, default=dict)


class RunTally(Model):
    """A count or a sum of one stored run, written with its results (:mod:`tracker.evaluation.tallies`):
    what the 看板 adds up over a province's departments without reading their result rows.

    ``kind``, ``department_id``, ``year`` and ``month`` repeat the run's, so a period's tallies are
    read without a join; like the result rows they have no foreign key and go with their run."""

    __tablename__ = "run_tally"
    __table_args__ = (Index("ix_run_tally_period", "kind", "year", "month", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int]
    year: Mapped[int]
    month: Mapped[int]
    name: Mapped[str] = mapped_column(String(40))  # lamp:red · score:良:8 · spent:7 · budget:7
    value: Mapped[Quantity]


class PeriodSummary(Model):
    """What the 看板 shows of a period over every department, made from the stored runs' tallies and
    results in the transaction that stores runs of the period (:mod:`tracker.evaluation.summaries`):
    a province's dashboard reads this one row instead of its departments' runs."""

    __tablename__ = "period_summary"
    __table_args__ = (UniqueConstraint("kind", "year", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    month: Mapped[int]
    created_at: Mapped[Timestamp]
    document: Mapped[dict] = mapped_column(JSON, default=dict)


class ReviewerOverride(Model):
    """A reviewer's judgement on one indicator's self-assessment (SPEC §6): a qualitative percent
    inside the grade's band, and/or the 指标值设定偏低 flag, with a note. Survives re-runs."""

    __tablename__ = "reviewer_override"
    __table_args__ = (UniqueConstraint("indicator_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    qualitative_percent: Mapped[Quantity | None]
    overachieved: Mapped[bool | None]
    note: Mapped[str | None] = mapped_column(Text)
    #: A 不适用 indicator scored 0 of its weight instead of sharing its points (issue 10 §3).
    not_applicable_zero: Mapped[bool | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[Timestamp]
