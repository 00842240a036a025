"""The budget the targets belong to (SPEC §1a, §2, §8): the 财政局 tree, 部门, 预算单位, 项目 with
their 年初预算数, a department's budget lines (部门预算总额, “三公”经费预算 …) and monthly spending."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, ScalarSelect, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from tracker.extensions import Model
from tracker.types import Money

if TYPE_CHECKING:  # the targets of a project live a layer up, with the targets
    from tracker.targets.models import Indicator

__all__ = [
    "Bureau",
    "Department",
    "Unit",
    "Project",
    "DepartmentBudgetLine",
    "SpendingEntry",
    "PROJECT_KINDS",
    "SPENDING_CATEGORIES",
    "BUREAU_LEVELS",
]

#: 项目类型 → code name.
PROJECT_KINDS = {"其他运转类": "recurring", "特定目标类": "specific"}
#: 类别 of a spending row (SPEC §8).
SPENDING_CATEGORIES = ("支出", "预算调整", "三公经费支出", "政府采购支出", "结转结余")
#: 级次 of a 财政局: 省 province, 市 city, 县(区) county (SPEC §1a).
BUREAU_LEVELS = ("province", "city", "county")


class Bureau(Model):
    """财政局 — a finance bureau in the tree 省 → 市 → 县(区) (SPEC §1a); one root (no parent).

    ``path`` is the materialised chain of codes from the root, ``/410000/410800/``: a bureau's
    subtree is every bureau whose path starts with its own, one indexed prefix match at any depth.
    ``rule_pack`` is the pack the bureau picks by name (SPEC §6a); None inherits the parent's."""

    __tablename__ = "bureau"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # province | city | county
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bureau.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True)
    rule_pack: Mapped[str | None] = mapped_column(String(40))

    parent: Mapped[Bureau | None] = relationship(remote_side="Bureau.id")
    #: The pack the bureau is held to by pick: its own, else the nearest bureau's above it that picks
    #: one; None when none on its path does (the installation's default applies). Read with the
    #: bureau, so a page that has a department's bureau has its pack without another query.
    #: (Mapped below the class: its subquery reads the table the class makes.)
    if TYPE_CHECKING:
        picked_rule_pack: Mapped[str | None]


def _nearest_pick() -> ScalarSelect[str | None]:
    # On the tables: an ORM alias here would configure the mappers before every model is defined.
    bureau = Bureau.__table__
    above = bureau.alias("above")
    return (
        select(above.c.rule_pack)
        .where(above.c.rule_pack.is_not(None), bureau.c.path.startswith(above.c.path))
        .order_by(func.length(above.c.path).desc())
        .limit(1)
        .correlate_except(above)
        .scalar_subquery()
    )


Bureau.picked_rule_pack = column_property(_nearest_pick())  # type: ignore[assignment,misc]


class Department(Model):
    """部门 — a budget department (主管部门)."""

    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The 财政局 whose budget the department is in; None: the root (SPEC §1a).
    bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureau.id"), index=True)

    bureau: Mapped[Bureau | None] = relationship()
    units: Mapped[list[Unit]] = relationship(back_populates="department", order_by="Unit.code")


class Unit(Model):
    """预算单位 — a budget unit of a department."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)

    department: Mapped[Department] = relationship(back_populates="units")


class Project(Model):
    """项目 — a budgeted project of one unit for one year. ``code`` is the 项目编码, kept as text."""

    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("year", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))  # recurring | specific
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    initial_budget: Mapped[Money]  # 年初预算数(万元)
    general_budget: Mapped[Money | None]  # 一般公共预算(万元)
    other_funds: Mapped[Money | None]  # 其他资金
    target_table_amount: Mapped[Money | None]  # 项目金额 as printed in the target table
    annual_goal: Mapped[str | None] = mapped_column(Text)  # 年度总体目标

    unit: Mapped[Unit] = relationship()
    department: Mapped[Department] = relationship()
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="project", order_by="Indicator.position"
    )


class DepartmentBudgetLine(Model):
    """A line of the department budget: 部门预算总额, 基本支出, 项目支出, “三公”经费预算, 政府采购预算 …"""

    __tablename__ = "department_budget_line"
    __table_args__ = (UniqueConstraint("year", "department_id", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    subject: Mapped[str] = mapped_column(String(100))  # 科目
    amount: Mapped[Money]


class SpendingEntry(Model):
    """One month's amount (not cumulative) of a 类别 for a unit and project (``project_code`` ""
    for 基本支出). SPEC §8."""

    __tablename__ = "spending_entry"
    __table_args__ = (UniqueConstraint("year", "month", "unit_id", "project_code", "category"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    month: Mapped[int]
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    project_code: Mapped[str] = mapped_column(String(32), default="")
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Money]
    synthetic: Mapped[bool] = mapped_column(default=False)  # 演示数据
