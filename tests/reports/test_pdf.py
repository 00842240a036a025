"""The PDF forms: Chinese headings, totals equal to the documents, page furniture."""

from __future__ import annotations

import io
import re
from datetime import date

from pypdf import PdfReader

from tracker.evaluation import service as evaluation
from tracker.reports.pdf import package_pdf
from tracker.reports.service import build_package

REPORT_DATE = date(2024, 1, 5)


def _pages(kind: str, month: int | None = None) -> list[str]:
    content = package_pdf(build_package(kind, 2023, month, "801", report_date=REPORT_DATE))
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_self_assessment_pdf_has_the_chinese_headings(scenario):
    text = _flat("".join(_pages("self-assessment")))

    for heading in (
        "项目支出绩效自评表",
        "部门整体绩效自评表",
        "项目名称",
        "主管部门",
        "实施单位",
        "年度总体目标",
        "偏差原因分析及改进措施",
        "总分",
    ):
        assert heading in text


def test_self_assessment_pdf_totals_equal_the_document(scenario):
    document = evaluation.run_self_assessment(2023, "801")
    pages = [_flat(page) for page in _pages("self-assessment")]

    for page, project in zip(pages, document["projects"], strict=False):
        assert project["name"] in page
        assert f"总分100.00{project['total']:.2f}等级：{project['grade']}" in page
    assert f"{document['department']['total']:.2f}等级：{document['department']['grade']}" in pages[-1]


def test_every_page_names_the_department_the_date_and_its_number(scenario):
    pages = _pages("monitoring", 7)

    for number, page in enumerate(pages, start=1):
        flat = _flat(page)
        assert "测试市政务服务和大数据管理局" in flat
        assert "编制日期：2024-01-05" in flat
        assert f"第{number}页/共{len(pages)}页" in flat


def test_execution_pdf_shows_every_project_and_the_total(scenario):
    document = evaluation.run_monitoring(2023, 7, "801")
    text = _flat("".join(_pages("execution", 7)))

    assert "预算执行进度表（1–7月）" in text
    for project in document["projects"]:
        assert project["code"] in text
    total_spent = sum(project["spent"] for project in document["projects"])
    assert f"合计{sum(p['budget'] for p in document['projects']):,.2f}{total_spent:,.2f}" in text
