"""Evidence files (佐证材料) of a monthly report: checked by content, stored outside the web root under
``UPLOAD_DIR/evidence``, named by a random id, served only to those who may read the report."""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from tracker.auth import access
from tracker.auth.access import NotFound
from tracker.auth.models import User
from tracker.budget.models import Department, Unit
from tracker.core import audit
from tracker.core.errors import InvalidState, ValidationFailed
from tracker.extensions import db
from tracker.reporting.models import Evidence, MonthlyReport
from tracker.reporting.reading import find_report
from tracker.reporting.transitions import STATUS_LABELS
from tracker.reporting.writing import audit_scope, new_draft
from tracker.types import utcnow

__all__ = [
    "ALLOWED_TYPES",
    "detect_type",
    "add_evidence",
    "evidence_file",
    "delete_evidence",
    "list_evidence",
]

#: extension → content type; each is recognised by its content, never by its name.
ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def detect_type(head: bytes, data: bytes) -> str | None:
    """The extension the content really has (pdf/png/jpg/docx/xlsx), or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    return None


def _directory() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check(filename: str, data: bytes) -> tuple[str, str]:
    limit = int(current_app.config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))
    if not data:
        raise ValidationFailed({"file": [gettext("文件为空")]})
    if len(data) > limit:
        raise ValidationFailed({"file": [gettext("文件超过 %(mb)s MB 上限", mb=limit // (1024 * 1024))]})
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED_TYPES:
        raise ValidationFailed({"file": [gettext("只接受 PDF、PNG、JPG、DOCX、XLSX 文件")]})
    actual = detect_type(data[:16], data)
    if actual is None or ALLOWED_TYPES[actual] != ALLOWED_TYPES[extension]:
        raise ValidationFailed(
            {"file": [gettext("文件内容与扩展名 .%(extension)s 不符，已拒绝", extension=extension)]}
        )
    return actual, ALLOWED_TYPES[actual]


def _clean_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name.strip() or "file"
    return "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')[:200] or "file"


def add_evidence(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    stream: IO[bytes],
    filename: str,
    *,
    department_code: str | None = None,
    indicator_id: int | None = None,
) -> Evidence:
    """Attach a file to a draft report (creating the draft if needed)."""
    department, unit = access.require_report_scope(user, unit_code, department_code)
    if not access.can_write_report(user, department.id, unit.id if unit else None):
        raise access.refuse(user, "upload evidence")
    limit = int(current_app.config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))
    data = stream.read(limit + 1)
    _, content_type = _check(filename, data)
    report = find_report(department, unit, year, month)
    if report is not None and report.status != "draft":
        raise InvalidState(
            gettext("报告状态为“%(status)s”，不能再上传附件。", status=gettext(STATUS_LABELS[report.status]))
        )
    if report is None:
        report = new_draft(department, unit, year, month)
        report.updated_by_id = user.id
        report.updated_at = utcnow()
        db.session.flush()
    stored_name = secrets.token_hex(16)
    (_directory() / stored_name).write_bytes(data)
    evidence = Evidence(
        report_id=report.id,
        indicator_id=indicator_id,
        filename=_clean_name(filename),
        stored_name=stored_name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=user.id,
    )
    db.session.add(evidence)
    _record(user, "upload", report, department, unit, new=evidence.filename)
    db.session.commit()
    return evidence


def _record(
    user: User, action: str, report: MonthlyReport, department: Department, unit: Unit | None, **change: str
) -> None:
    """The audit row of an attachment's upload (``new``) or deletion (``old``) on ``report``."""
    audit.record(
        action,
        "evidence",
        user=user,
        entity_id=report.id,
        field="evidence",
        **change,
        **audit_scope(department, unit, report.year, report.month),
    )


def _readable(user: User, evidence_id: int) -> tuple[Evidence, MonthlyReport]:
    evidence = db.session.get(Evidence, evidence_id)
    report = db.session.get(MonthlyReport, evidence.report_id) if evidence else None
    if evidence is None or report is None:
        raise NotFound(f"evidence {evidence_id}")
    if report.unit_id is not None:
        allowed = access.can_read_unit(user, report.unit_id)
    else:
        allowed = access.can_read_department_whole(user, report.department_id)
    if not allowed:
        raise access.not_found(user, f"evidence {evidence_id}")
    return evidence, report


def evidence_file(user: User, evidence_id: int) -> tuple[Evidence, Path]:
    """The stored file of an evidence the user may read; NotFound otherwise (or if the file is gone)."""
    evidence, _report = _readable(user, evidence_id)
    path = _directory() / evidence.stored_name
    if not path.is_file():
        raise NotFound(f"evidence file {evidence_id}")
    return evidence, path


def delete_evidence(user: User, evidence_id: int) -> None:
    evidence, report = _readable(user, evidence_id)
    if not access.can_write_report(user, report.department_id, report.unit_id):
        raise access.refuse(user, "delete evidence")
    if report.status != "draft":
        raise InvalidState(gettext("只有草稿状态的报告可以删除附件。"))
    path = _directory() / evidence.stored_name
    db.session.delete(evidence)
    department = report_department(report)
    unit = db.session.get(Unit, report.unit_id) if report.unit_id else None
    _record(user, "delete", report, department, unit, old=evidence.filename)
    db.session.commit()
    path.unlink(missing_ok=True)


def report_department(report: MonthlyReport) -> Department:
    department = db.session.get(Department, report.department_id)
    if department is None:  # pragma: no cover - a foreign key guarantees it
        raise NotFound(f"department of report {report.id}")
    return department


def list_evidence(report: MonthlyReport | None) -> list[Evidence]:
    if report is None or report.id is None:
        return []
    return list(
        db.session.scalars(select(Evidence).where(Evidence.report_id == report.id).order_by(Evidence.id))
    )
