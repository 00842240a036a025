"""Issue 5 in a real browser: a department admin downloads the 双监控 workbook from the monitoring
page and the 自评 PDF from the self-assessment page, and the dashboard draws its Plotly charts."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_department_admin_downloads_the_monitoring_workbook_from_the_page(live_server, page):
    live_server.login(page, "dept122")
    page.goto(f"{live_server.url}/monitoring?department=122&year=2023&month=7")

    with page.expect_download() as download:
        page.click("a[href='/downloads/monitoring/122/2023/7.xlsx']")

    assert download.value.suggested_filename == "122-2023-07-monitoring.xlsx"
    with open(download.value.path(), "rb") as handle:
        book = openpyxl.load_workbook(io.BytesIO(handle.read()))
    assert book.sheetnames[-1] == "预算执行进度"
    assert book.worksheets[0]["A1"].value == "绩效监控情况表（1–7月）"


def test_finance_downloads_the_self_assessment_pdf_from_the_page(live_server, page):
    live_server.login(page, "finance")
    page.goto(f"{live_server.url}/self-assessment?department=122&year=2023")

    with page.expect_download() as download:
        page.click("a[href='/downloads/self-assessment/122/2023.pdf']")

    assert download.value.suggested_filename == "122-2023-self-assessment.pdf"
    with open(download.value.path(), "rb") as handle:
        first_page = PdfReader(io.BytesIO(handle.read())).pages[0].extract_text()
    assert "项目支出绩效自评表" in first_page and "焦作市政务服务和大数据管理局" in first_page


def test_dashboard_draws_its_charts(live_server, page, screenshots):
    live_server.login(page, "dept122")
    page.goto(f"{live_server.url}/dashboard?year=2023&month=10")

    for chart in ("lamps", "progress", "distribution", "grades", "worst"):
        expect(page.locator(f"#chart-{chart}[data-drawn='1'] svg.main-svg").first).to_be_visible()
    expect(page.locator("#chart-progress")).to_contain_text("时间进度")
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)
