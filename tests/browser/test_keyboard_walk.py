"""A reporter's month by keyboard alone, in a real browser (issue 11 §7, WCAG 2.1.1): logging in, every
field of July's form, the cause select that a red lamp brings, the confirmation of an odd value and
both buttons are reached with Tab, in the page's order, and worked with typing, arrows, Space and
Enter — no click anywhere; an error is announced (role=alert) where it arises.

unit 122301's July is approved in the demo; finance unlocks it first, as for a correction (122201's
July belongs to tests/browser/test_report_flow.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tracker.auth.models import User
from tracker.extensions import db
from tracker.reporting import services

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

UNIT, CLERK, MONTH = "122301", "unit122301", 7
MAX_TABS = 400
#: What the focused element is: "name=…", "#id" or "button:value".
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";
  if (el.tagName === "BUTTON") return "button:" + (el.value || el.id || el.textContent.trim());
  if (el.name) return "name=" + el.name;
  return el.id ? "#" + el.id : el.tagName.toLowerCase();
}"""


@pytest.fixture(scope="module")
def july(live_server):
    with live_server.app.app_context():
        finance = db.session.scalar(select(User).where(User.username == "finance"))
        data = services.get_report(finance, UNIT, 2023, MONTH)
        if data.status == "approved":
            services.unlock_report(finance, UNIT, 2023, MONTH, data.version)
        db.session.remove()
    return f"{live_server.url}/reports/{UNIT}/2023/{MONTH}"


def _focused(page) -> str:
    return page.evaluate(FOCUSED)


def _tab_to(page, target: str, *, trail: list[str] | None = None) -> None:
    """Press Tab until ``target`` has the focus (never a click), noting each stop in ``trail``."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        here = _focused(page)
        if trail is not None:
            trail.append(here)
        if here == target:
            return
    raise AssertionError(f"Tab never reached {target}")


def _type(page, text: str) -> None:
    page.keyboard.press("Control+a")
    page.keyboard.type(text)


def _green(comparator: str, low: str) -> str:
    number = Decimal(low)
    return {"GT": str(number + 1), "LT": str(number / 2)}.get(comparator, low)


def _controls(page) -> list[str]:
    """The form's controls a keyboard should reach, in document order: enabled and shown."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll(
             '#report-form input:not([type=hidden]), #report-form select, #report-form textarea, #report-form button[type=submit]'))
           .filter(el => !el.disabled && el.offsetParent !== null)
           .map(el => el.tagName === "BUTTON" ? "button:" + el.value : "name=" + el.name)"""
    )


def test_a_reporter_fills_and_submits_july_by_keyboard_alone(live_server, page, july, screenshots):
    page.goto(f"{live_server.url}/login")
    _tab_to(page, "name=username")
    page.keyboard.type(CLERK)
    page.keyboard.press("Tab")
    assert _focused(page) == "name=password"
    page.keyboard.type("tracker-demo")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto(july)
    expect(page.locator("#report-status")).to_have_text("草稿")
    rows = page.locator("tr.indicator-row").all()
    numeric = [r for r in rows if r.locator('input[name$=".actual"]:not([disabled])').count()]
    assert numeric, "July has no indicator to type a number into"
    lagging = next(r for r in numeric if r.get_attribute("data-comparator") in ("GE", "GT"))
    lagging_id = lagging.get_attribute("data-indicator-id")

    # Every field, each select and both buttons come in the page's order.
    trail: list[str] = []
    _tab_to(page, "button:submit", trail=trail)
    expected = _controls(page)
    assert [stop for stop in trail if stop in expected] == expected
    assert "button:save" in trail and f"name=i{lagging_id}.likelihood" in trail

    # A number typed wrong: the live check says so at once, as an alert beside the field.
    page.goto(july)
    _tab_to(page, f"name=i{lagging_id}.actual")
    _type(page, "一百四")
    live = lagging.locator(".field-error.live")
    expect(live).to_contain_text("不是有效数字")
    expect(live).to_have_attribute("role", "alert")
    expect(page.locator(f"#i{lagging_id}-actual")).to_have_attribute("aria-invalid", "true")
    # Enter in a field is the form's first button, 保存草稿: refused, said in an alert, nothing lost.
    page.keyboard.press("Enter")
    flash = page.locator(".flash.error")
    expect(flash).to_contain_text("尚未保存")
    expect(flash).to_have_attribute("role", "alert")
    expect(page.locator(f"#i{lagging_id}-actual")).to_have_value("一百四")
    page.screenshot(path=str(screenshots / "1-error-announced.png"), full_page=True)

    # Every indicator typed on target, the lagging one at 0: red, so its cause row opens right
    # below it, and Tab goes on into its select and texts.
    for row in rows:
        indicator = row.get_attribute("data-indicator-id")
        comparator = row.get_attribute("data-comparator")
        if comparator == "QUALITATIVE":
            select_box = page.locator(f'select[name="i{indicator}.actual"]')
            if select_box.is_enabled():
                _tab_to(page, f"name=i{indicator}.actual")
                page.keyboard.press("Home")
                page.keyboard.press("ArrowDown")  # the first grade: 达成
                expect(select_box).to_have_value("达成")
        elif page.locator(f'input[name="i{indicator}.actual"]:not([disabled])').count():
            _tab_to(page, f"name=i{indicator}.actual")
            _type(page, "0" if indicator == lagging_id else _green(comparator, row.get_attribute("data-low")))
        if indicator == lagging_id:
            expect(lagging.locator("[data-lamp]")).to_have_class("lamp red")
            expect(page.locator(f'tr[data-cause-for="{lagging_id}"]')).to_be_visible()
            _tab_to(page, f"name=i{lagging_id}.deviation_category")
            page.keyboard.press("ArrowDown")
            assert page.locator(f'select[name="i{lagging_id}.deviation_category"]').input_value()
            page.keyboard.press("Tab")
            assert _focused(page) == f"name=i{lagging_id}.deviation_cause"
            page.keyboard.type("招商活动推迟到下半年")
            page.keyboard.press("Tab")
            assert _focused(page) == f"name=i{lagging_id}.corrective_measure"
            page.keyboard.type("九月集中举办两场推介会")

    _tab_to(page, "button:submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    confirm = page.locator("#plausibility-confirm")
    if confirm.count():  # an odd value (0 below June's): confirmed by keyboard too
        expect(confirm).to_have_attribute("role", "alert")
        _tab_to(page, "name=confirm_plausible")
        page.keyboard.press("Space")
        expect(page.locator("#confirm-plausible")).to_be_checked()
        _tab_to(page, "button:submit")
        page.keyboard.press("Enter")
    expect(page.locator("#report-status")).to_have_text("已提交")
    expect(lagging.locator("[data-lamp]")).to_have_class("lamp red")
    page.screenshot(path=str(screenshots / "2-submitted.png"), full_page=True)
