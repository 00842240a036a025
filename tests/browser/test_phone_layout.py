"""The monthly form at 390 px (a phone) and 1366 px (a desk): on the phone every indicator is one
card with its name, target, last month, actual, lamp and cause, nothing scrolls sideways and the
menu folds behind one button; on the desk it is the table. Screenshots of both go to test-output."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

APPROVED_MONTH = "/reports/122201/2023/3"  # read-only: the layout, not the workflow, is under test


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def test_the_form_is_one_card_per_indicator_on_a_phone(phone, live_server, screenshots):
    live_server.login(phone, "unit122201")
    phone.goto(live_server.url + APPROVED_MONTH)
    width = phone.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"
    assert not phone.locator("table.report thead").first.is_visible()
    card = phone.locator("tr.indicator-row").first
    box = card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    for label in ("三级指标", "指标值", "上月值", "实际完成值", "监控"):
        assert card.locator(f'td[data-label="{label}"]').count() == 1, label
    assert not phone.locator("#mainnav").is_visible()
    phone.screenshot(path=str(screenshots / "form-390.png"), full_page=False)
    phone.click("label.nav-toggle-label")
    assert phone.locator("#mainnav").is_visible()
    phone.screenshot(path=str(screenshots / "menu-390.png"), full_page=False)


def test_the_form_is_a_table_at_a_desk(page, live_server, screenshots):
    page.set_viewport_size({"width": 1366, "height": 900})
    live_server.login(page, "unit122201")
    page.goto(live_server.url + APPROVED_MONTH)
    assert page.locator("table.report thead").first.is_visible()
    assert page.locator("#mainnav").is_visible()
    assert not page.locator("label.nav-toggle-label").is_visible()
    page.screenshot(path=str(screenshots / "form-1366.png"), full_page=False)


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("finance-xiuwu", "/deadlines?year=2023"),
        ("finance-xiuwu", "/deliveries/settings"),
        ("finance", "/dashboard?year=2023&month=6"),
        ("finance", "/jobs"),
    ],
)
def test_the_bureau_pages_fit_a_phone(phone, live_server, screenshots, username, path):
    """The pages the 财政局 tree added or changed, at 390 px: nothing scrolls sideways but a wide
    table inside its own box, and the page's first form can be reached and read."""
    live_server.login(phone, username)
    response = phone.goto(live_server.url + path)
    assert response is not None and response.ok
    width = phone.evaluate("document.scrollingElement.scrollWidth")
    widest = phone.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 391)"
        ".slice(0, 3).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert width <= 390, f"{path} scrolls sideways: {width}px ({widest})"
    phone.screenshot(path=str(screenshots / f"{path.strip('/').split('?')[0].replace('/', '-')}-390.png"))


def test_the_county_sets_a_deadline_on_a_phone(phone, live_server):
    """/deadlines's form at 390 px, as Chromium posts it (CSRF on): the date is the county's own."""
    live_server.login(phone, "finance-xiuwu")
    phone.goto(live_server.url + "/deadlines?year=2023")
    phone.select_option("form.card select[name=month]", "11")
    phone.fill("form.card input[name=due_date]", "2023-12-11")
    phone.click("form.card button[type=submit]")
    row = phone.locator("#deadline-table tbody tr").nth(10)  # November
    assert "2023年12月11日" in row.inner_text() and "本局设置" in row.inner_text()


def test_a_departments_recipients_stack_on_a_phone(phone, live_server):
    """/deliveries/settings at 390 px: each department is a card — its name above its field, the
    field as wide as the screen allows, nothing in a box that scrolls sideways."""
    live_server.login(phone, "finance-xiuwu")
    phone.goto(live_server.url + "/deliveries/settings")
    row = phone.locator("form.recipient-row").first
    label, field = row.locator("label").bounding_box(), row.locator("input[name=emails]").bounding_box()
    assert label is not None and field is not None
    assert field["y"] >= label["y"] + label["height"] - 1, "the field sits below the department's name"
    assert field["x"] + field["width"] <= 390 and field["width"] >= 300
    assert phone.get_by_label(row.locator("label").inner_text()).count() == 1
