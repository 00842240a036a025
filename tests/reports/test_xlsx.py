"""The XLSX forms: sheets, headers and numbers equal the evaluation documents; formula injection;
print setup; stable bytes."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from tests.reports.conftest import HOSTILE
from tracker.evaluation import service as evaluation
from tracker.reports.service import build_package, render_package
from tracker.reports.xlsx import package_xlsx

REPORT_DATE = date(2024, 1, 5)


def _workbook(kind: str, month: int | None = None):
    package = build_package(kind, 2023, month, "801", report_date=REPORT_DATE)
    return openpyxl.load_workbook(io.BytesIO(package_xlsx(package))), package


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _row_starting(rows: list[list], column: int, text: str) -> list:
    return next(row for row in rows if row[column] == text)


def test_self_assessment_workbook_has_a_sheet_per_project_then_the_department(scenario):
    book, _ = _workbook("self-assessment")

    assert book.sheetnames == ["自评01 大厅运行费", "自评02 政务云平台服务", "自评00 部门整体"]


def test_project_sheet_shows_the_standard_headings(scenario):
    book, _ = _workbook("self-assessment")
    rows = _rows(book["自评01 大厅运行费"])

    assert rows[0][0] == "项目支出绩效自评表"
    assert _row_starting(rows, 0, "项目名称")[1] == "大厅运行费"
    assert _row_starting(rows, 0, "主管部门")[1] == "测试市政务服务和大数据管理局"
    assert _row_starting(rows, 0, "实施单位")[1] == "测试市政务服务和大数据管理局机关"
    assert _row_starting(rows, 0, "项目资金（万元）")[1:8] == [
        None,
        "年初预算数",
        "全年预算数(A)",
        "全年执行数(B)",
        "分值",
        "执行率(B/A)",
        "得分",
    ]
    assert _row_starting(rows, 0, "绩效指标")[1:9] == [
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    ]


def test_project_sheet_numbers_equal_the_self_assessment_document(scenario):
    document = evaluation.run_self_assessment(2023, "801")
    book, _ = _workbook("self-assessment")
    for number, project in enumerate(document["projects"], start=1):
        rows = _rows(book.worksheets[number - 1])
        funds = _row_starting(rows, 1, "年度资金总额")
        assert funds[5] == 10
        assert funds[6] == pytest.approx(project["execution"]["rate"] / 100)
        assert funds[7] == pytest.approx(project["execution"]["score"])
        for item in project["indicators"]:
            row = _row_starting(rows, 3, item["name"])
            assert (row[1], row[4], row[6], row[7]) == (
                item["level1"],
                item["target"],
                item["weight"],
                item["score"],
            )
        total = _row_starting(rows, 0, "总分")
        assert (total[6], total[7], total[8]) == (100, project["total"], f"等级：{project['grade']}")


def test_project_sheet_money_comes_from_the_budget_and_spending(scenario):
    book, _ = _workbook("self-assessment")
    rows = _rows(book["自评02 政务云平台服务"])

    total = _row_starting(rows, 1, "年度资金总额")

    assert total[2:5] == [40, 45, pytest.approx(32.5)]  # 年初 40 + 预算调整 5; 7 × 2.50 + 5 × 3.00


def test_department_sheet_numbers_equal_the_document(scenario):
    document = evaluation.run_self_assessment(2023, "801")["department"]
    book, _ = _workbook("self-assessment")
    rows = _rows(book["自评00 部门整体"])

    assert rows[0][0] == "部门整体绩效自评表"
    for item in document["indicators"]:
        row = _row_starting(rows, 3, item["name"])
        assert (row[6], row[7]) == (item["weight"], item["score"])
    assert _row_starting(rows, 0, "总分")[7] == document["total"]


def test_hostile_deviation_cause_stays_text(scenario):
    content = package_xlsx(build_package("self-assessment", 2023, None, "801", report_date=REPORT_DATE))
    book = openpyxl.load_workbook(io.BytesIO(content))
    cell = next(
        cell
        for row in book["自评01 大厅运行费"].iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "cmd|" in cell.value
    )

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
    assert all(b"<f>" not in sheet and b"<f " not in sheet for sheet in sheets)
    assert cell.data_type == "s"
    assert HOSTILE in cell.value


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)"])
def test_a_cell_that_begins_like_a_formula_gets_the_quote_prefix(scenario, text):
    package = build_package("monitoring", 2023, 7, "801", report_date=REPORT_DATE)
    sheet = package.sheets[0]
    sheet.heading[0] = ("项目名称", text)
    book = openpyxl.load_workbook(io.BytesIO(package_xlsx(package)))

    value_cell = next(row[1] for row in book.worksheets[0].iter_rows() if row[0].value == "项目名称")

    assert (value_cell.value, value_cell.data_type, value_cell.quotePrefix) == (text, "s", True)


def test_monitoring_workbook_has_project_department_and_execution_sheets(scenario):
    book, _ = _workbook("monitoring", 7)

    assert book.sheetnames == [
        "监控01 大厅运行费",
        "监控02 政务云平台服务",
        "监控00 部门整体",
        "预算执行进度",
    ]


def test_monitoring_sheet_numbers_and_lamps_equal_the_monitoring_document(scenario):
    document = evaluation.run_monitoring(2023, 7, "801")
    book, _ = _workbook("monitoring", 7)
    lamp = {"green": "绿灯", "yellow": "黄灯", "red": "红灯", "missing": "未填报", "n/a": "不适用"}
    for number, project in enumerate(document["projects"], start=1):
        rows = _rows(book.worksheets[number - 1])
        header = _row_starting(rows, 0, "一级指标")
        assert header == [
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "1–7月完成值",
            "全年预计完成值",
            "偏差原因分析",
            "完成目标可能性",
            "采取的改进措施",
            "状态",
        ]
        budget = rows[rows.index(_row_starting(rows, 0, "预算执行情况（万元）")) + 1]
        assert (budget[1], budget[3], budget[4], budget[9]) == (
            project["budget"],
            project["spent"],
            pytest.approx(project["execution"] / 100),
            lamp[project["budget_status"]],
        )
        for item in project["indicators"]:
            assert _row_starting(rows, 2, item["name"])[9] == lamp[item["status"]]


def test_monitoring_sheet_carries_forecast_likelihood_and_measure(scenario):
    book, _ = _workbook("monitoring", 7)
    row = _row_starting(_rows(book["监控01 大厅运行费"]), 2, "服务人次")

    assert row[4:9] == ["12万人次", "33万人次", f"其他：{HOSTILE}", "有可能", "加强宣传"]


def test_execution_sheet_lists_every_project_with_totals(scenario):
    document = evaluation.run_monitoring(2023, 7, "801")
    book, _ = _workbook("execution", 7)
    rows = _rows(book["预算执行进度"])

    assert rows[0][0] == "预算执行进度表（1–7月）"
    assert rows[2] == [
        "序号",
        "实施单位",
        "项目编码",
        "项目名称",
        "全年预算数（万元）",
        "累计执行数（万元）",
        "预算执行进度",
        "时间进度",
        "状态",
    ]
    codes = [row[2] for row in rows[3:5]]
    assert codes == [project["code"] for project in document["projects"]]
    total = _row_starting(rows, 0, "合计")
    assert total[4] == pytest.approx(float(sum(Decimal(str(p["budget"])) for p in document["projects"])))
    assert total[5] == pytest.approx(float(sum(Decimal(str(p["spent"])) for p in document["projects"])))
    assert total[7] == pytest.approx(document["time_progress"] / 100)


def test_sheets_print_on_a4_landscape_with_a_frozen_header(scenario):
    book, _ = _workbook("monitoring", 7)

    for sheet in book.worksheets:
        assert (sheet.page_setup.orientation, str(sheet.page_setup.paperSize)) == ("landscape", "9")
        assert sheet.freeze_panes is not None
        assert sheet.print_title_rows


def test_long_or_odd_project_names_give_valid_unique_sheet_names(scenario):
    for project in scenario.projects:
        project.name = "关于[政务]服务:大厅/窗口*运行?保障\\经费的专项资金项目名称很长很长"
    book, _ = _workbook("self-assessment")

    assert len(set(book.sheetnames)) == 3
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\") for name in book.sheetnames)


def test_the_same_data_gives_the_same_files(scenario):
    first = render_package(build_package("self-assessment", 2023, None, "801", report_date=REPORT_DATE))
    second = render_package(build_package("self-assessment", 2023, None, "801", report_date=REPORT_DATE))

    assert (first.xlsx_sha256, first.pdf_sha256) == (second.xlsx_sha256, second.pdf_sha256)
