"""Monthly reports of actuals, evidence and the audit log (SPEC §4)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import Model
from tracker.rules.actuals import GRADES
from tracker.types import Quantity, Timestamp

__all__ = [
    "ACTUAL_VALUE_FIELDS",
    "ACTUAL_VALUE_COLUMNS",
    "MonthlyReport",
    "IndicatorActual",
    "Evidence",
    "ReportingDeadline",
    "REPORT_STATUSES",
    "GRADES",
    "LIKELIHOODS",
    "DEVIATION_CATEGORIES",
]

#: 草稿 → 已提交 → 已审核 (returned reports go back to draft with a reason).
REPORT_STATUSES = ("draft", "submitted", "approved")
#: Grade of a qualitative indicator.
#: 完成目标可能性.
LIKELIHOODS = ("确定能", "有可能", "完全不可能")
#: 偏差原因 categories of 财预〔2019〕136号.
DEVIATION_CATEGORIES = ("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他")


#: The columns of IndicatorActual that hold what a unit reports, in audit order.
ACTUAL_VALUE_FIELDS: tuple[str, ...] = (
    "actual",
    "grade",
    "grade_percent",
    "forecast",
    "forecast_grade",
    "likelihood",
    "deviation_category",
    "deviation_cause",
    "corrective_measure",
)


def report_scope_key(unit_code: str | None, department_code: str = "") -> str:
    """:attr:`MonthlyReport.scope_key`: a unit's report, or (no unit) the department's own (部门整体)."""
    return f"unit:{unit_code}" if unit_code else f"department:{department_code}"


class MonthlyReport(Model):
    """A monthly report of year-to-date actuals for one 预算单位 (``unit_id`` set) or for the
    department as a whole (部门整体, ``unit_id`` null). ``scope_key`` is ``unit:<code>`` or
    ``department:<code>`` so (年度, 月份, scope) is unique on every database.

    ``version`` is SQLAlchemy's optimistic-locking counter: a save built on a stale version fails.
    """

    __tablename__ = "monthly_report"
    __table_args__ = (UniqueConstraint("year", "month", "scope_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    month: Mapped[int]
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    scope_key: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    imported: Mapped[bool] = mapped_column(default=False)
    synthetic: Mapped[bool] = mapped_column(default=False)  # 演示数据
    return_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[Timestamp]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    actuals: Mapped[list[IndicatorActual]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class IndicatorActual(Model):
    """实际完成值 of one indicator in one monthly report, with forecast, likelihood and causes.

    ``actual`` is a number in the target's unit; for a qualitative indicator ``grade`` is one of
    达成/部分达成/未达成 with an optional ``grade_percent`` inside its band (SPEC §4, §6).
    """

    __tablename__ = "indicator_actual"
    __table_args__ = (UniqueConstraint("report_id", "indicator_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monthly_report.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    actual: Mapped[Quantity | None]
    grade: Mapped[str | None] = mapped_column(String(8))
    grade_percent: Mapped[Quantity | None]
    forecast: Mapped[Quantity | None]
    forecast_grade: Mapped[str | None] = mapped_column(String(8))
    likelihood: Mapped[str | None] = mapped_column(String(8))
    deviation_category: Mapped[str | None] = mapped_column(String(16))
    deviation_cause: Mapped[str | None] = mapped_column(Text)
    corrective_measure: Mapped[str | None] = mapped_column(Text)
    computed: Mapped[bool] = mapped_column(default=False)

    report: Mapped[MonthlyReport] = relationship(back_populates="actuals")


#: The columns of :data:`ACTUAL_VALUE_FIELDS`, for the reads that want the values, not ORM objects
#: (a thousand-indicator form, a save comparing what it was sent with what is stored).
ACTUAL_VALUE_COLUMNS = [getattr(IndicatorActual, name) for name in ACTUAL_VALUE_FIELDS]


class Evidence(Model):
    """An evidence file attached to a report (stored outside the web root)."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monthly_report.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id"))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[Timestamp]


class ReportingDeadline(Model):
    """填报截止日期 of one month set by a finance bureau for the departments of its subtree (SPEC §1a);
    without a row of the bureau or of one above it the rule pack's day of the next month applies
    (default day 5, SPEC §5). ``bureau_id`` None is the root's."""

    __tablename__ = "reporting_deadline"
    __table_args__ = (
        # NULL (the root) counts as one bureau: a unique index over coalesce(bureau_id, 0).
        Index(
            "uq_reporting_deadline_bureau_year_month",
            func.coalesce(text("bureau_id"), 0),
            "year",
            "month",
            unique=True,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureau.id"))
    year: Mapped[int]
    month: Mapped[int]
    due_date: Mapped[date] = mapped_column(Date)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    set_at: Mapped[Timestamp]
