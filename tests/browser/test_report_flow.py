"""Issue 3 §8 in a real browser: a unit fills July with one bad number, fixes it, sees a lamp turn red
and the cause fields appear, submits; the department returns it with a reason, then approves it; a
foreign unit gets 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

JULY = "/reports/122201/2023/7"
LAGGING = "信息公开条数"  # ≥140条, cumulative: 10 by July is far behind time progress


def _green_value(comparator: str, low: str) -> str:
    number = Decimal(low)
    if comparator == "GT":
        return str(number + 1)
    if comparator == "LT":
        return str(number / 2)
    return low


def _fill_everything_green(page) -> None:
    """Every indicator on target; qualitative ones 达成."""
    for row in page.locator("tr.indicator-row").all():
        indicator = row.get_attribute("data-indicator-id")
        comparator = row.get_attribute("data-comparator")
        if comparator == "QUALITATIVE":
            row.locator(f'select[name="i{indicator}.actual"]').select_option("达成")
        elif row.locator(f'input[name="i{indicator}.actual"]').count():
            row.locator(f'input[name="i{indicator}.actual"]').fill(
                _green_value(comparator, row.get_attribute("data-low"))
            )


def _row(page, name: str):
    return page.locator(f'tr.indicator-row[data-name="{name}"]')


def _actual(page, name: str):
    return _row(page, name).locator('input[name$=".actual"]')


def test_unit_reports_july_and_the_department_reviews_it(live_server, page, screenshots):
    live_server.login(page, "unit122201")
    page.goto(live_server.url + JULY)
    expect(page.locator("h1")).to_contain_text("2023年7月")
    _fill_everything_green(page)
    _actual(page, LAGGING).fill("一百四")
    other = _row(page, "信息公开合格率").locator('input[name$=".actual"]')
    typed_elsewhere = other.input_value()
    page.click("button[value=save]")
    page.wait_for_load_state("load")  # the page shown again types into its script's listeners

    expect(page.locator(".flash.error")).to_contain_text("尚未保存")
    expect(_row(page, LAGGING).locator(".field-error")).to_contain_text("“一百四”不是有效数字")
    expect(_actual(page, LAGGING)).to_have_value("一百四")
    expect(other).to_have_value(typed_elsewhere)
    page.screenshot(path=str(screenshots / "1-bad-number.png"), full_page=True)

    _actual(page, LAGGING).fill("10")
    lamp = _row(page, LAGGING).locator("[data-lamp]")
    expect(lamp).to_have_class("lamp red")
    indicator = _row(page, LAGGING).get_attribute("data-indicator-id")
    cause = page.locator(f'tr[data-cause-for="{indicator}"]')
    expect(cause).to_be_visible()
    cause.locator("select").select_option("人员保障")
    cause.locator('textarea[name$=".deviation_cause"]').fill("信息公开科人员调整，上半年发布偏少")
    cause.locator('textarea[name$=".corrective_measure"]').fill("下半年每周集中发布，专人审核")
    page.screenshot(path=str(screenshots / "2-red-lamp-and-cause.png"), full_page=True)
    page.click("button[value=submit]")
    # 10 is below June's year-to-date value: saved as a draft, and the submission asks once to
    # confirm the odd value (issue 11 §4), named beside it.
    expect(page.locator("#plausibility-confirm")).to_be_visible()
    expect(_row(page, LAGGING).locator(".plausibility")).to_contain_text("低于上月")
    page.check("#confirm-plausible")
    page.click("button[value=submit]")
    expect(page.locator("#report-status")).to_have_text("已提交")
    expect(_row(page, LAGGING).locator("[data-lamp]")).to_have_class("lamp red")
    live_server.logout(page)

    live_server.login(page, "dept122")
    page.goto(live_server.url + "/review")
    queue_row = page.locator('#review-queue tr[data-scope="unit:122201"][data-month="7"]')
    expect(queue_row).to_be_visible()
    page.screenshot(path=str(screenshots / "3-review-queue.png"), full_page=True)
    queue_row.locator("a").click()
    page.fill("#return-reason", "信息公开条数请附发布清单")
    page.click("#return")
    expect(page.locator(".flash.success")).to_contain_text("已退回")
    expect(queue_row).to_have_count(0)
    live_server.logout(page)

    live_server.login(page, "unit122201")
    page.goto(live_server.url + JULY)
    expect(page.locator(".returned")).to_contain_text("信息公开条数请附发布清单")
    expect(_actual(page, LAGGING)).to_have_value("10")
    page.click("button[value=submit]")
    # A returned report is looked at again: the odd value is asked about again before it goes back.
    expect(page.locator("#plausibility-confirm")).to_be_visible()
    page.check("#confirm-plausible")
    page.click("button[value=submit]")
    expect(page.locator("#report-status")).to_have_text("已提交")
    live_server.logout(page)

    live_server.login(page, "dept122")
    page.goto(live_server.url + JULY)
    page.click("#approve")
    page.goto(live_server.url + JULY)
    expect(page.locator("#report-status")).to_have_text("已审核")
    expect(_actual(page, LAGGING)).to_be_disabled()
    page.screenshot(path=str(screenshots / "4-approved.png"), full_page=True)
    live_server.logout(page)

    live_server.login(page, "unit122301")
    response = page.goto(live_server.url + JULY)
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("404")
