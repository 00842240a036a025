"""报表: build a department's package for a period from the evaluation documents, render it to
XLSX and PDF, and hand files to the pages and commands that may have them (issue 5)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from tracker.auth import access
from tracker.auth.models import User
from tracker.extensions import db
from tracker.reports.forms import (
    Package,
    execution_package,
    monitoring_package,
    self_assessment_package,
)
from tracker.reports.models import REPORT_KINDS
from tracker.reports.pdf import content_digest, package_pdf
from tracker.reports.xlsx import package_xlsx
from tracker.targets.models import Indicator

__all__ = [
    "RenderedPackage",
    "BadPeriod",
    "evaluation_document",
    "build_package",
    "render_package",
    "download_report",
    "today",
    "FORMATS",
]

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class BadPeriod(ValueError):
    """A kind/period combination that has no report (e.g. monitoring without a month)."""


@dataclass(frozen=True)
class RenderedPackage:
    """The two files of a package with their names and SHA-256 checksums."""

    package: Package
    xlsx: bytes
    pdf: bytes
    #: What the package says apart from its 编制日期 (:func:`tracker.reports.pdf.content_digest`).
    content_sha256: str

    @property
    def xlsx_name(self) -> str:
        return self.package.filename("xlsx")

    @property
    def pdf_name(self) -> str:
        return self.package.filename("pdf")

    @property
    def xlsx_sha256(self) -> str:
        return hashlib.sha256(self.xlsx).hexdigest()

    @property
    def pdf_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    def file(self, fmt: str) -> tuple[str, bytes]:
        return (self.xlsx_name, self.xlsx) if fmt == "xlsx" else (self.pdf_name, self.pdf)


def today() -> date:
    return datetime.now(ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Shanghai"))).date()


def check_period(kind: str, year: int, month: int | None) -> int | None:
    if kind not in REPORT_KINDS:
        raise BadPeriod(gettext("未知的报表类型：%(kind)s", kind=kind))
    if kind == "self-assessment":
        return None
    if month is None or not 1 <= month <= 12:
        raise BadPeriod(gettext("绩效监控和预算执行进度报表需要月份（1–12）"))
    return month


def evaluation_document(
    kind: str, year: int, month: int | None, department_code: str, *, fresh: bool = True
) -> dict:
    """The SPEC §9 document the package is built from. ``fresh`` runs (and stores) the evaluation, as
    the scheduled jobs and ``evaluate`` do; otherwise the stored result is used when there is one."""
    from tracker.evaluation import service as evaluation

    month = check_period(kind, year, month)
    if kind == "self-assessment":
        document = None if fresh else evaluation.stored_self_assessment(year, department_code)
        return document or evaluation.run_self_assessment(year, department_code)
    assert month is not None
    document = None if fresh else evaluation.stored_monitoring(year, month, department_code)
    return document or evaluation.run_monitoring(year, month, department_code)


def build_package(
    kind: str,
    year: int,
    month: int | None,
    department_code: str,
    *,
    report_date: date | None = None,
    document: dict | None = None,
    fresh: bool = True,
) -> Package:
    month = check_period(kind, year, month)
    document = document or evaluation_document(kind, year, month, department_code, fresh=fresh)
    report_date = report_date or today()
    if kind == "self-assessment":
        return self_assessment_package(document, department_code, report_date)
    if kind == "monitoring":
        return monitoring_package(document, department_code, report_date)
    return execution_package(document, department_code, report_date)


def render_package(package: Package) -> RenderedPackage:
    return RenderedPackage(package, package_xlsx(package), package_pdf(package), content_digest(package))


def _has_targets(department_id: int, year: int) -> bool:
    """A year without the department's targets has no form to download (404, not an empty one)."""
    query = select(Indicator.id).where(Indicator.department_id == department_id, Indicator.year == year)
    return db.session.scalar(query.limit(1)) is not None


def download_report(
    user: User | None, kind: str, department_code: str, year: int, month: int | None, fmt: str
) -> tuple[str, bytes]:
    """A package file for a page's download button: only for those who may see the department as a
    whole (部门管理员 of it, 财政局); anyone else gets :class:`access.NotFound`."""
    department = access.require_department(user, department_code)
    if not access.can_read_department_whole(user, department.id):
        raise access.NotFound(f"department {department_code}")
    if fmt not in FORMATS:
        raise access.NotFound(fmt)
    if not _has_targets(department.id, year):
        raise access.NotFound(f"department {department_code} has no targets in {year}")
    package = build_package(kind, year, month, department.code, fresh=False)
    if fmt == "xlsx":
        return package.filename("xlsx"), package_xlsx(package)
    return package.filename("pdf"), package_pdf(package)
