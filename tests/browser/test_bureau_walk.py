"""Issue 15 in a real browser: the demo's province, city and county finance users each open the
看板, pick or drill into a bureau, and see exactly their subtree's departments; the county's
finance meets 焦作市's department nowhere, and its address is a 404 page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CITY_DEPARTMENT = "焦作市政务服务和大数据管理局"
COUNTY_DEPARTMENT = "修武县农业农村局（演示数据）"


def test_the_province_drills_down_to_the_county(live_server, page, screenshots):
    live_server.login(page, "finance-henan")
    page.goto(f"{live_server.url}/dashboard?year=2023&month=6")
    picker = page.locator("#bureau-picker")
    expect(picker.locator("option")).to_have_text(
        ["全部", "河南省财政厅", "\u3000焦作市财政局", "\u3000\u3000修武县财政局"]
    )
    expect(page.locator("table.lamp-counts")).to_contain_text(CITY_DEPARTMENT)
    page.locator(".bureau-drill a", has_text="焦作市财政局").click()
    expect(page.locator("#bureau-current")).to_have_text("焦作市财政局")
    page.locator(".bureau-drill a", has_text="修武县财政局").click()
    expect(page.locator("#bureau-current")).to_have_text("修武县财政局")
    expect(page.locator("table.lamp-counts")).to_contain_text(COUNTY_DEPARTMENT)
    expect(page.locator("table.lamp-counts")).not_to_contain_text(CITY_DEPARTMENT)
    page.screenshot(path=str(screenshots / "province-drilled-to-county.png"), full_page=True)
    page.locator(".bureau-drill a", has_text="上一级").click()
    expect(page.locator("#bureau-current")).to_have_text("焦作市财政局")


def test_the_city_picks_its_county_from_the_picker(live_server, page):
    live_server.login(page, "finance")
    page.goto(f"{live_server.url}/dashboard?year=2023&month=6")
    expect(page.locator("#bureau-picker option")).to_have_text(["全部", "焦作市财政局", "\u3000修武县财政局"])
    page.select_option("#bureau-picker", label="\u3000修武县财政局")
    page.click(".dashboard-period button[type=submit]")
    expect(page.locator("#bureau-current")).to_have_text("修武县财政局")
    expect(page.locator("table.lamp-counts")).not_to_contain_text(CITY_DEPARTMENT)


def test_the_county_sees_its_own_department_only(live_server, page, screenshots):
    live_server.login(page, "finance-xiuwu")
    for path in ("/dashboard?year=2023&month=6", "/monitoring?year=2023&month=6", "/deliveries", "/review"):
        response = page.goto(live_server.url + path)
        assert response is not None and response.ok, path
        expect(page.locator("main h1")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text(CITY_DEPARTMENT)
    page.goto(f"{live_server.url}/monitoring?year=2023&month=6")
    expect(page.locator("main")).to_contain_text(COUNTY_DEPARTMENT)
    page.screenshot(path=str(screenshots / "county-monitoring.png"), full_page=True)
    response = page.goto(f"{live_server.url}/reports/department/122/2023/6")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("404")
