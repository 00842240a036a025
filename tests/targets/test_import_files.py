"""Files an import refuses, through :func:`~tracker.targets.imports.run_import` and the command line
(SPEC §8): not what their name says, zip and XML bombs, past the ceilings; the XLSX read by header."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from tests.targets.handmade_xlsx import column_bomb, row_bomb
from tests.targets.test_imports import SPENDING_HEADER, TARGETS, count, invoke
from tracker.budget.models import Project
from tracker.extensions import db
from tracker.targets.imports import run_import
from tracker.targets.models import Indicator
from tracker.targets.tables import Limits


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.txt", b"a,b\n1,2\n", "只接受 CSV 或 XLSX"),
        ("t.xlsx", "年度,部门编码\n".encode(), "内容不是 Excel 工作簿"),
        ("t.csv", b"PK\x03\x04binary", "内容不是文本"),
        ("t.csv", "年度,部门编码\n2023,122\n".encode("gbk"), "UTF-8"),
        ("t.csv", b"", "文件为空"),
        ("t.csv", "年度,部门编码\n2023,122\n".encode(), "缺少必需的列：部门名称"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    report = run_import("targets", path)
    assert not report.ok and message in str(report.errors[0])


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_is_read_by_header_name(tmp_path):
    rows = [["项目编码", "年度", "部门编码", "单位编码", "单位名称", "项目名称", "项目类型", "年初预算数(万元)"],
            ["41080022000000053196", 2023, "122", "122101", "本级", "大厅运行费", "其他运转类", 15]]  # fmt: skip
    path = tmp_path / "p.xlsx"
    path.write_bytes(_xlsx(rows))
    report = run_import("projects", path)
    assert report.ok, report.errors
    assert db.session.scalar(select(Project.initial_budget)) == Decimal(15)


def test_xlsx_code_stored_as_a_number_is_refused_with_its_cell(tmp_path):
    rows = [["年度", "部门编码", "单位编码", "单位名称", "项目编码", "项目名称", "项目类型", "年初预算数(万元)"],
            [2023, "122", "122101", "本级", 41080022000000053196, "大厅运行费", "其他运转类", 15]]  # fmt: skip
    path = tmp_path / "p.xlsx"
    path.write_bytes(_xlsx(rows))
    report = run_import("projects", path)
    assert str(report.errors[0]).startswith("行 2 列 项目编码: 长数字被 Excel 存成了数值")


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 50_000_000)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(buffer.getvalue())
    report = run_import("targets", path)
    assert "压缩炸弹" in str(report.errors[0])


def test_xml_entity_bomb_is_refused(tmp_path):
    workbook = _xlsx([["年度"], [2023]])
    source = zipfile.ZipFile(io.BytesIO(workbook))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>' + data
            archive.writestr(item, data)
    path = tmp_path / "entities.xlsx"
    path.write_bytes(buffer.getvalue())
    report = run_import("targets", path)
    assert "DTD/实体声明" in str(report.errors[0])


def test_too_many_rows_are_refused(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text(SPENDING_HEADER + "2023,1,122101,,支出,1\n" * 11, encoding="utf-8")
    report = run_import("spending", path, limits=Limits(max_rows=10))
    assert "数据行超过上限（10 行）" in str(report.errors[0])


@pytest.mark.parametrize(
    ("bomb", "message"),
    [
        (row_bomb, "文件被拒绝：数据行超过上限（500000 行）：第 1048576 行已超出"),
        (column_bomb, "文件被拒绝：第 2 行 XFD 列（第 16384 列）超出列数上限（最多 64 列）"),
    ],
    ids=["row", "column"],
)
def test_a_sheet_past_the_ceilings_is_refused_from_the_command_line(cli, tmp_path, bomb, message):
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb(["年度", "部门编码"]))
    result = invoke(cli, "import-targets", path)
    assert result.exit_code == 1
    assert message in result.stderr
    assert count(Indicator) == 0


def test_the_command_line_keeps_the_configured_ceilings(cli, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_COLUMNS", 5)
    result = invoke(cli, "import-targets", TARGETS)
    assert result.exit_code == 1
    assert "第 1 行" in result.stderr and "超出列数上限（最多 5 列）" in result.stderr
