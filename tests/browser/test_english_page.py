"""English in a real browser (issue 11 §5): a reporter switches to English with the top bar's link
and types an odd value into October's form; the warning and the lamp's explanation the script
fetches are English, and the page as Chromium shows it holds no Chinese but data (names,
targets as published; tests/web/test_english_pages.py walks every page the same way)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.test_english_pages import HAN, _data, chinese_outside_data

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

OCTOBER = "/reports/122301/2023/10"  # empty in the demo, and no other test's


def test_the_report_form_in_english_holds_no_chinese_but_data(live_server, page, screenshots):
    live_server.login(page, "unit122301")
    page.goto(live_server.url + OCTOBER)
    page.click("header .lang a[lang=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # A click's page can show before its script runs (a goto waits for that): typed before the
    # script listens, the value would fetch no lamp (seen once in CI on PostgreSQL).
    page.wait_for_load_state("load")
    expect(page.locator("#report-status")).to_have_text("Draft")

    row = page.locator("tr.indicator-row[data-comparator=GE]").first
    lamp = row.locator("[data-lamp]")
    row.locator('input[name$=".actual"]').fill("1")  # below September's year-to-date value
    expect(lamp).to_have_class(
        "lamp red", timeout=15_000
    )  # the live lamp is a round trip; under load it takes a while
    warning = row.locator(".plausibility .warning")
    expect(warning).to_contain_text("is below last month's")
    assert not HAN.search(warning.inner_text()), warning.inner_text()
    title = lamp.get_attribute("title") or ""
    assert title.startswith("Cumulative: expected = target") and not HAN.search(title), title
    page.screenshot(path=str(screenshots / "report-form-english.png"), full_page=True)

    left = chinese_outside_data(page.content(), _data(live_server.app))
    assert not left, left
