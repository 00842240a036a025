"""Upload of a targets or actuals file from the page: a preview of errors first, then a confirm step.
Files are checked by content (the lead's ``read_table``); here through the page (issue 3 §6)."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import login_as
from tests.targets.handmade_xlsx import column_bomb, row_bomb
from tracker.budget.models import Project, SpendingEntry
from tracker.reporting.models import MonthlyReport
from tracker.targets.models import Indicator

ACTUALS_HEADER = "年度,月份,项目编码,三级指标,实际完成值\n"


def _actuals(world, rows: list[str]) -> bytes:
    return (ACTUALS_HEADER + "".join(f"2023,3,{world.project.code},{row}\n" for row in rows)).encode()


def _upload(client, content: bytes, name: str, kind: str = "actuals"):
    return client.post(
        "/imports",
        data={"kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _token(page: str) -> str:
    start = page.index('action="/imports/') + len('action="/imports/')
    return page[start : page.index("/confirm", start)]


def _imported(session, world):
    session.expire_all()
    return session.scalar(
        select(MonthlyReport).where(
            MonthlyReport.scope_key == f"unit:{world.unit.code}", MonthlyReport.month == 3
        )
    )


def test_a_good_file_is_previewed_without_writing_then_imported_on_confirm(client, world, session):
    login_as(client, world.department_user)
    response = _upload(client, _actuals(world, ["办件数量,30", "群众满意度,92"]), "actuals.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "预检" in page and 'id="confirm-import"' in page
    assert _imported(session, world) is None
    assert client.post(f"/imports/{_token(page)}/confirm").status_code == 302
    report = _imported(session, world)
    assert report.status == "approved" and report.imported
    assert {a.indicator_id for a in report.actuals} == {world.count.id, world.rate.id}


def test_bad_rows_are_listed_with_line_and_column_and_nothing_is_written(client, world, session):
    login_as(client, world.department_user)
    response = _upload(client, _actuals(world, ["办件数量,三十", "没有这个指标,5"]), "actuals.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "行 2" in page and "行 3" in page
    assert 'id="confirm-import"' not in page
    assert _imported(session, world) is None


def test_rows_of_another_department_are_refused(client, world):
    login_as(client, world.department_user)
    content = (ACTUALS_HEADER + f"2023,3,{world.foreign_project.code},外部指标,5\n").encode()
    response = _upload(client, content, "actuals.csv")
    assert response.status_code == 422 and "行 2" in response.get_data(as_text=True)


def test_a_staged_file_can_only_be_confirmed_by_its_uploader(client, world, session):
    login_as(client, world.department_user)
    page = _upload(client, _actuals(world, ["办件数量,30"]), "actuals.csv").get_data(as_text=True)
    login_as(client, world.foreign_department_user)
    assert client.post(f"/imports/{_token(page)}/confirm").status_code == 404
    assert client.post("/imports/../../etc/confirm").status_code == 404
    assert _imported(session, world) is None


def test_a_confirmed_file_cannot_be_imported_twice(client, world):
    login_as(client, world.department_user)
    token = _token(_upload(client, _actuals(world, ["办件数量,30"]), "actuals.csv").get_data(as_text=True))
    client.post(f"/imports/{token}/confirm")
    assert client.post(f"/imports/{token}/confirm").status_code == 404


def test_a_targets_file_is_previewed_with_its_lint(client, world, session):
    login_as(client, world.department_user)
    header = "年度,部门编码,部门名称,单位编码,单位名称,项目编码,项目名称,项目类型,一级指标,二级指标,三级指标,指标值\n"
    row = (
        f"2023,{world.department.code},测试部门甲,{world.unit.code},甲一单位,{world.project.code},窗口服务,"
        "其他运转类,产出指标,数量指标,新增指标,≥5个\n"
    )
    page = _upload(client, (header + row).encode(), "targets.csv", kind="targets").get_data(as_text=True)
    assert 'id="confirm-import"' in page
    client.post(f"/imports/{_token(page)}/confirm")
    session.expire_all()
    assert session.scalar(select(Indicator).where(Indicator.name == "新增指标")) is not None


def _xlsx(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


ENTITY_BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    b"<workbook>&lol2;</workbook>"
)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"this is only text, renamed", "targets.xlsx", "内容不是 Excel 工作簿"),
        (b"\x00\x01\x02binary\xff\xfe", "actuals.csv", "内容不是文本"),
        (
            _xlsx(
                {
                    "[Content_Types].xml": b"<Types/>",
                    "xl/workbook.xml": b"<workbook/>",
                    "xl/worksheets/sheet1.xml": b"0" * 5_000_000,
                }
            ),
            "bomb.xlsx",
            "疑似压缩炸弹",
        ),
        (
            _xlsx({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": ENTITY_BOMB}),
            "entities.xlsx",
            "含有 DTD/实体声明",
        ),
    ],
)
def test_hostile_files_are_refused_with_a_clear_message(client, world, content, name, message):
    login_as(client, world.department_user)
    response = _upload(client, content, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "文件被拒绝" in page
    assert 'id="confirm-import"' not in page


@pytest.mark.parametrize(
    ("bomb", "message"),
    [
        (row_bomb, "数据行超过上限（500000 行）：第 1048576 行已超出"),
        (column_bomb, "第 2 行 XFD 列（第 16384 列）超出列数上限（最多 64 列）"),
    ],
    ids=["row", "column"],
)
def test_a_sheet_past_the_ceilings_is_refused_naming_where(client, world, bomb, message):
    login_as(client, world.department_user)
    response = _upload(client, bomb(ACTUALS_HEADER.strip().split(",")), "actuals.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "文件被拒绝" in page and message in page
    assert 'id="confirm-import"' not in page


def test_a_file_with_too_many_rows_is_refused(client, world, app):
    login_as(client, world.department_user)
    app.config["IMPORT_MAX_ROWS"] = 5
    try:
        response = _upload(client, _actuals(world, ["办件数量,30"] * 6), "actuals.csv")
    finally:
        del app.config["IMPORT_MAX_ROWS"]
    assert "数据行超过上限（5 行）" in response.get_data(as_text=True)


def test_only_department_users_may_import(client, world):
    login_as(client, world.reporter)
    assert _upload(client, _actuals(world, ["办件数量,30"]), "actuals.csv").status_code == 403


PROJECTS_HEADER = (
    "年度,部门编码,单位编码,单位名称,项目编码,项目名称,项目类型,年初预算数(万元),一般公共预算(万元)\n"
)
MISSING = "41080099999999999999"


def test_another_departments_project_cannot_be_taken_over_by_upload(client, world, session):
    login_as(client, world.foreign_department_user)
    row = (
        f"2023,{world.other_department.code},{world.foreign_unit.code},乙一单位,{world.project.code},"
        "改名,其他运转类,1.00,1.00\n"
    )
    response = _upload(client, (PROJECTS_HEADER + row).encode(), "projects.csv", kind="projects")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"行 2 列 项目编码: 项目编码 {world.project.code} 已被使用或不可用" in page
    assert world.department.code not in page.replace(world.project.code, "")
    assert 'id="confirm-import"' not in page
    session.expire_all()
    project = session.get(Project, world.project.id)
    assert (project.name, project.unit_id, project.department_id, project.initial_budget) == (
        "窗口服务", world.unit.id, world.department.id, Decimal("10.00"),
    )  # fmt: skip


def test_spending_on_another_departments_project_reads_as_a_missing_project(client, world, session):
    login_as(client, world.foreign_department_user)
    header = "年度,月份,单位编码,项目编码,类别,金额(万元)\n"
    pages = {}
    for code in (world.project.code, MISSING):
        content = (header + f"2023,1,{world.foreign_unit.code},{code},支出,1.00\n").encode()
        response = _upload(client, content, "spending.csv", kind="spending")
        assert response.status_code == 422
        pages[code] = response.get_data(as_text=True)
    assert f"行 2 列 项目编码: 2023 年没有项目 {world.project.code}" in pages[world.project.code]
    assert pages[MISSING].replace(MISSING, world.project.code) == pages[world.project.code]
    assert session.scalar(select(func.count()).select_from(SpendingEntry)) == 0
