"""绩效指标 and a department's 年度履职目标 (SPEC §2, §3, §8); the budget they belong to is
:mod:`tracker.budget.models`."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.budget.models import Department, Project
from tracker.extensions import Model
from tracker.types import Quantity

__all__ = ["DepartmentGoal", "Indicator"]


class DepartmentGoal(Model):
    """年度履职目标 / 年度主要任务 of a department."""

    __tablename__ = "department_goal"
    __table_args__ = (UniqueConstraint("year", "department_id", "category", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    category: Mapped[str] = mapped_column(String(50))  # 年度履职目标 | 年度主要任务
    name: Mapped[str] = mapped_column(String(200), default="")
    content: Mapped[str] = mapped_column(Text)


class Indicator(Model):
    """绩效指标 — a 三级指标 of a project, or of the department as a whole (``project_id`` null).

    ``target`` is the 指标值 exactly as entered; the parsed form sits beside it (SPEC §3).
    ``scope_code`` is the 项目编码, or ``""`` for a 部门整体 indicator, so the natural key
    (年度, 部门, 项目编码, 三级指标, occurrence) is a plain unique constraint on every database.
    """

    __tablename__ = "indicator"
    __table_args__ = (
        UniqueConstraint("year", "department_id", "scope_code", "name", "occurrence"),
        Index("ix_indicator_project_position", "project_id", "position"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"))
    scope_code: Mapped[str] = mapped_column(String(32), default="")
    position: Mapped[int] = mapped_column(default=0)
    level1: Mapped[str] = mapped_column(String(50))  # 一级指标
    level2: Mapped[str] = mapped_column(String(100), default="")  # 二级指标
    name: Mapped[str] = mapped_column(String(200))  # 三级指标
    # A target table may repeat a 三级指标 in one project (a lint warning, not an error): the
    # second one is occurrence 2, so both are kept and re-imports still match row for row.
    occurrence: Mapped[int] = mapped_column(default=1)
    target: Mapped[str] = mapped_column(String(200))  # 指标值, verbatim
    note: Mapped[str | None] = mapped_column(Text)  # 指标值说明
    weight: Mapped[Quantity | None]  # 分值
    # Parsed form of ``target`` (tracker.rules.grammar.Target).
    comparator: Mapped[str] = mapped_column(String(16))  # GE GT LE LT EQ BETWEEN QUALITATIVE
    target_low: Mapped[Quantity | None]
    target_high: Mapped[Quantity | None]
    target_unit: Mapped[str] = mapped_column(String(50), default="")
    target_text: Mapped[str] = mapped_column(String(100), default="")  # qualitative word(s)
    mode: Mapped[str] = mapped_column(String(16))  # inferred: cumulative|level|cap|qualitative|budget
    mode_override: Mapped[str | None] = mapped_column(String(16))
    computed_metric: Mapped[str | None] = mapped_column(String(32))  # SPEC §7 metric name when computed

    project: Mapped[Project | None] = relationship(back_populates="indicators")
    department: Mapped[Department] = relationship()

    @property
    def effective_mode(self) -> str:
        return self.mode_override or self.mode
