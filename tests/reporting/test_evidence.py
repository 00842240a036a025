"""Evidence files: checked by content, stored outside the web root, served only to those allowed."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.conftest import login_as
from tracker.reporting.models import Evidence

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def _upload(client, world, content: bytes, name: str, month: int = 7):
    return client.post(
        f"/reports/{world.unit.code}/2023/{month}/evidence",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _refused_upload(client, world, content: bytes, name: str, month: int = 7) -> str:
    """A refused upload answers with the report page at its own address (the report form there
    posts to the report, not here); returns that page."""
    response = _upload(client, world, content, name, month)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/reports/{world.unit.code}/2023/{month}#evidence"
    page = client.get(f"/reports/{world.unit.code}/2023/{month}").get_data(as_text=True)
    assert f'action="/reports/{world.unit.code}/2023/{month}"' in page
    return page


@pytest.mark.parametrize(("content", "name"), [(PDF, "清单.pdf"), (PNG, "photo.PNG"), (_docx(), "说明.docx")])
def test_allowed_files_are_stored_outside_the_web_root(client, world, session, app, content, name):
    login_as(client, world.reporter)
    assert _upload(client, world, content, name).status_code == 302
    item = session.query(Evidence).one()
    stored = Path(app.config["UPLOAD_DIR"]) / "evidence" / item.stored_name
    assert stored.read_bytes() == content
    assert not stored.resolve().is_relative_to(Path(app.static_folder).resolve())
    assert item.filename == name and item.size == len(content)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"just some text", "renamed.pdf", "文件内容与扩展名 .pdf 不符"),
        (PDF, "script.exe", "只接受 PDF、PNG、JPG、DOCX、XLSX 文件"),
        (PNG, "image.pdf", "文件内容与扩展名 .pdf 不符"),
        (b"PK\x03\x04broken", "file.docx", "文件内容与扩展名 .docx 不符"),
        (b"", "empty.pdf", "文件为空"),
    ],
)
def test_files_whose_content_is_not_allowed_are_refused(client, world, session, content, name, message):
    login_as(client, world.reporter)
    assert message in _refused_upload(client, world, content, name)
    assert session.query(Evidence).count() == 0


def test_no_file_can_be_attached_to_a_submitted_report(client, world, session):
    from tests.factories import monthly_report

    monthly_report(world.department, world.unit, 2023, 7, {}, status="submitted")
    login_as(client, world.reporter)

    page = _refused_upload(client, world, PDF, "清单.pdf")

    assert "报告状态为“已提交”，不能再上传附件。" in page
    assert session.query(Evidence).count() == 0


def test_files_over_the_size_limit_are_refused(client, world, app):
    login_as(client, world.reporter)
    app.config["EVIDENCE_MAX_BYTES"] = 1024
    try:
        page = _refused_upload(client, world, PDF + b"0" * 2048, "big.pdf")
    finally:
        del app.config["EVIDENCE_MAX_BYTES"]
    assert "文件超过" in page


def test_the_file_is_served_to_the_department_and_not_to_a_foreign_unit(client, world, session):
    login_as(client, world.reporter)
    _upload(client, world, PDF, "清单.pdf")
    item = session.query(Evidence).one()
    login_as(client, world.department_user)
    response = client.get(f"/evidence/{item.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    login_as(client, world.foreign_reporter)
    assert client.get(f"/evidence/{item.id}").status_code == 404


def test_the_uploaders_path_never_reaches_the_stored_name(client, world, session):
    login_as(client, world.reporter)
    _upload(client, world, PDF, "../../etc/passwd.pdf")
    item = session.query(Evidence).one()
    assert item.filename == "passwd.pdf" and "/" not in item.stored_name


def test_evidence_is_listed_on_the_form_and_can_be_deleted_while_draft(client, world, session, app):
    login_as(client, world.reporter)
    _upload(client, world, PDF, "清单.pdf")
    item = session.query(Evidence).one()
    assert "清单.pdf" in client.get(f"/reports/{world.unit.code}/2023/7").get_data(as_text=True)
    stored = Path(app.config["UPLOAD_DIR"]) / "evidence" / item.stored_name
    assert client.post(f"/evidence/{item.id}/delete").status_code == 302
    assert session.query(Evidence).count() == 0 and not stored.exists()


def test_a_refused_upload_leaves_the_report_form_working(client, world, session):
    """The defect: after a refused upload the page stood at …/evidence and 保存草稿 posted there,
    failing with 请选择要上传的文件 and losing what was typed."""
    login_as(client, world.reporter)
    _refused_upload(client, world, b"", "")
    response = client.post(
        f"/reports/{world.unit.code}/2023/7", data={"base_version": "0", f"i{world.count.id}.actual": "5"}
    )
    assert response.status_code == 302
    assert "草稿已保存" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_script_uploading_evidence_gets_json(client, world, session):
    login_as(client, world.reporter)
    headers = {"Accept": "application/json"}
    refused = client.post(
        f"/reports/{world.unit.code}/2023/7/evidence",
        data={"file": (io.BytesIO(b""), "empty.pdf")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert refused.status_code == 422 and refused.get_json() == {"ok": False, "errors": ["文件为空"]}
    stored = client.post(
        f"/reports/{world.unit.code}/2023/7/evidence",
        data={"file": (io.BytesIO(PDF), "清单.pdf")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert stored.status_code == 200 and stored.get_json()["filename"] == "清单.pdf"
