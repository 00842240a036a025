"""What every standard form shares: the :class:`Package` of sheets, labels, money helpers and the
department's projects. The forms themselves are ``self_assessment_form``, ``monitoring_form`` and
``execution_form``; ``tracker.reports.forms`` re-exports them all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from tracker import rules
from tracker.auth import access
from tracker.budget.models import Department, Project
from tracker.core.request_memo import remembered
from tracker.core.text import N_
from tracker.extensions import db

__all__ = [
    "HUNDRED",
    "CENT",
    "LAMP_TEXT",
    "KIND_TITLES",
    "Package",
    "to_decimal",
    "cents",
    "ratio_percent",
    "period_label",
    "excel_sheet_name",
    "find_department",
    "projects_by_code",
    "project_name",
    "unit_name",
    "project_heading",
    "department_heading",
]

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
LAMP_TEXT = rules.LAMP_NAMES
KIND_TITLES = {
    "self-assessment": N_("绩效自评"),
    "monitoring": N_("绩效监控"),
    "execution": N_("预算执行进度"),
}


def to_decimal(value: Any) -> Decimal | None:
    """A number of an evaluation document (float, int, str or Decimal) as a Decimal, exactly as printed."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else rules.round2(value)


def ratio_percent(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator * HUNDRED


def period_label(year: int, month: int | None) -> str:
    return f"{year}年度" if not month else f"{year}年1–{month}月"


def excel_sheet_name(prefix: str, number: int, name: str, used: set[str]) -> str:
    """Excel sheet names: ≤ 31 characters, none of []:*?/\\, unique."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in name)
    candidate = f"{prefix}{number:02d} {clean}"[:31].strip()
    while candidate in used:
        candidate = f"{candidate[:28]}~{len(used)}"
    used.add(candidate)
    return candidate


@dataclass
class Package:
    """A department's forms for one period: the XLSX has a sheet per form, the PDF a section each."""

    kind: str
    year: int
    month: int | None
    department_code: str
    department_name: str
    report_date: date
    time_progress: Decimal | None
    sheets: list[Any]

    @property
    def title(self) -> str:
        return f"{self.department_name}{period_label(self.year, self.month)}{KIND_TITLES[self.kind]}报告"

    @property
    def period(self) -> str:
        return period_label(self.year, self.month)

    def filename(self, extension: str) -> str:
        """ASCII file name carrying only this department's code (SPEC §1: nothing foreign leaks)."""
        period = f"{self.year}" if not self.month else f"{self.year}-{self.month:02d}"
        return f"{self.department_code}-{period}-{self.kind}.{extension}"


def find_department(code: str) -> Department:
    department = access.department_by_code(code)
    if department is None:
        raise LookupError(gettext("部门“%(code)s”不存在。", code=code))
    return department


def projects_by_code(year: int, department: Department) -> dict[str, Project]:
    def read() -> dict[str, Project]:
        rows = db.session.scalars(
            select(Project).where(Project.year == year, Project.department_id == department.id)
        )
        return {project.code: project for project in rows}

    return dict(remembered(("projects_by_code", year, department.id), read))


def project_name(item: dict[str, Any], project: Project | None, missing: str | None = None) -> str:
    """The name a form prints of a document's project: the document's, else the stored project's,
    else ``missing`` (the project code when not given)."""
    fallback = item["code"] if missing is None else missing
    return item.get("name") or (project.name if project else fallback)


def unit_name(item: dict[str, Any], project: Project | None) -> str:
    """The 实施单位 a form prints: the stored project's unit, else the document's unit code."""
    return project.unit.name if project else item.get("unit", "")


def project_heading(
    department: Department, item: dict[str, Any], project: Project | None
) -> list[tuple[str, str]]:
    """The heading of a project's sheet: 项目名称, 主管部门, 实施单位."""
    return [
        ("项目名称", project_name(item, project)),
        ("主管部门", department.name),
        ("实施单位", unit_name(item, project)),
    ]


def department_heading(department: Department) -> list[tuple[str, str]]:
    """The heading of the 部门整体 sheet: 部门名称, 部门编码."""
    return [("部门名称", department.name), ("部门编码", department.code)]
