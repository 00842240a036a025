"""A clerk's work is never lost, in a real browser: the monthly form autosaves a draft (「已保存
hh:mm」), asks before a link takes it away with changes, and what was typed when the session ended
comes back after logging in again — with a word when the report changed meanwhile.

The demo's months are all approved but unit 122201's July (tests/browser/test_report_flow.py fills
it): finance unlocks February–May for these tests first, as it would for a correction.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tracker.auth.models import User
from tracker.extensions import db
from tracker.reporting import services

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

UNIT = "122201"
CLERK = "unit122201"
MONTHS = (2, 3, 4, 5)
TYPED = "信息公开条数"  # ≥140条, cumulative: any whole number is a valid actual
OTHER = "信息公开合格率"


def _url(live_server, month: int) -> str:
    return f"{live_server.url}/reports/{UNIT}/2023/{month}"


@pytest.fixture(scope="module")
def drafts(live_server):
    """Finance unlocks 122201's February–May: drafts the clerk may write."""
    with live_server.app.app_context():
        finance = db.session.scalar(select(User).where(User.username == "finance"))
        for month in MONTHS:
            data = services.get_report(finance, UNIT, 2023, month)
            if data.status == "approved":
                services.unlock_report(finance, UNIT, 2023, month, data.version)
        db.session.remove()
    return MONTHS


def _stored(live_server, month: int, name: str) -> Decimal | None:
    with live_server.app.app_context():
        clerk = db.session.scalar(select(User).where(User.username == CLERK))
        data = services.get_report(clerk, UNIT, 2023, month)
        row = next(r for r in data.rows if r.indicator.name == name)
        value = row.values.actual if row.values else None
        db.session.remove()
        return value


def _actual(page, name: str):
    return page.locator(f'tr.indicator-row[data-name="{name}"] input[name$=".actual"]')


def _freeze_timers(page) -> None:
    """Timers stand still (no autosave 3 s later) until the test moves the clock: the form stays
    dirty for as long as the test needs it to."""
    page.clock.pause_at(datetime.now() + timedelta(seconds=2))


def _drafts_in_storage(page) -> list[str]:
    # After the page's script has run: it drops a copy its own save went through when it loads, and
    # a check made as soon as the answer's text shows can come before it (seen under a loaded CI).
    page.wait_for_load_state("load")
    return page.evaluate(
        "Object.keys(localStorage).filter(function (k) { return k.indexOf('tracker.draft|') === 0; })"
    )


def test_a_typed_value_is_autosaved_and_is_there_after_a_reload(live_server, page, screenshots, drafts):
    live_server.login(page, CLERK)
    page.goto(_url(live_server, 2))
    version = page.locator('input[name="base_version"]').input_value()
    state = page.locator("#autosave-state")
    _actual(page, TYPED).fill("23")
    expect(state).to_have_attribute("data-state", "dirty")
    expect(state).to_have_text("有未保存的修改")

    expect(state).to_have_attribute("data-state", "saved", timeout=10_000)
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    times = {(now - timedelta(minutes=m)).strftime("%H:%M") for m in (0, 1)}
    assert state.text_content() in {f"已保存 {t}" for t in times}
    assert int(page.locator('input[name="base_version"]').input_value()) > int(version)
    assert _drafts_in_storage(page) == []  # saved: no copy left in the browser
    page.screenshot(path=str(screenshots / "1-autosaved.png"), full_page=False)

    page.reload()
    expect(_actual(page, TYPED)).to_have_value("23")
    expect(page.locator("#draft-notice")).to_be_hidden()
    assert _stored(live_server, 2, TYPED) == Decimal(23)


def test_leaving_with_changes_asks_first_and_saving_does_not(live_server, page, screenshots, drafts):
    page.clock.install()
    live_server.login(page, CLERK)
    page.goto(_url(live_server, 3))
    _freeze_timers(page)
    _actual(page, TYPED).fill("24")
    asked: list[tuple[str, str]] = []

    def dismiss(dialog):
        asked.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("link", name="下月 ›").click()
    expect(page.locator("#autosave-state")).to_have_attribute("data-state", "dirty")
    assert asked and asked[0][0] == "confirm" and "尚未保存" in asked[0][1]
    assert page.url == _url(live_server, 3)
    expect(_actual(page, TYPED)).to_have_value("24")
    page.screenshot(path=str(screenshots / "1-asked-and-stayed.png"), full_page=False)

    # Accepted: the draft is saved before the next month opens.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("link", name="下月 ›").click()
    page.wait_for_url(_url(live_server, 4))
    assert _stored(live_server, 3, TYPED) == Decimal(24)
    page.goto(_url(live_server, 3))
    expect(_actual(page, TYPED)).to_have_value("24")
    expect(page.locator("#draft-notice")).to_be_hidden()

    # 保存草稿 posts the form itself: no question.
    _freeze_timers(page)
    _actual(page, TYPED).fill("25")
    asked.clear()
    page.on("dialog", dismiss)
    page.click("button[value=save]")
    expect(page.locator(".flash.success")).to_contain_text("草稿已保存")
    assert asked == []
    assert _stored(live_server, 3, TYPED) == Decimal(25)
    expect(page.locator("#draft-notice")).to_be_hidden()
    assert _drafts_in_storage(page) == []

    # Closing the tab or reloading with changes: the browser's own question (beforeunload).
    _actual(page, TYPED).click()
    page.keyboard.press("End")
    page.keyboard.type("9")
    with page.expect_event("dialog") as question:
        page.close(run_before_unload=True)
    assert question.value.type == "beforeunload"


def test_what_was_typed_when_the_session_ended_comes_back_after_logging_in(
    live_server, page, screenshots, drafts
):
    page.clock.install()
    live_server.login(page, CLERK)
    page.goto(_url(live_server, 4))
    _freeze_timers(page)
    before = _actual(page, TYPED).input_value()
    _actual(page, TYPED).fill("31")
    page.context.clear_cookies()  # the session expired
    page.click("button[value=save]")
    page.wait_for_url(re.compile(r"/login"))
    expect(page.locator(".flash.error")).to_contain_text("登录已过期")
    page.screenshot(path=str(screenshots / "1-session-ended-login.png"), full_page=False)
    assert _stored(live_server, 4, TYPED) == (Decimal(before) if before else None)

    live_server.login(page, CLERK)
    page.goto(_url(live_server, 4))
    notice = page.locator("#draft-notice")
    expect(_actual(page, TYPED)).to_have_value("31")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(re.compile(r"已恢复上次未保存的填写内容（(\d\d/\d\d )?\d\d:\d\d）"))
    expect(notice).not_to_contain_text("他人修改")
    expect(page.locator("#autosave-state")).to_have_text("未保存：已恢复的内容请核对后保存")
    page.screenshot(path=str(screenshots / "2-restored.png"), full_page=False)

    page.click("button[value=save]")
    expect(page.locator(".flash.success")).to_contain_text("草稿已保存")
    assert _stored(live_server, 4, TYPED) == Decimal(31)
    expect(page.locator("#draft-notice")).to_be_hidden()
    assert _drafts_in_storage(page) == []
    page.reload()
    expect(page.locator("#draft-notice")).to_be_hidden()
    expect(_actual(page, TYPED)).to_have_value("31")


def test_a_restore_over_a_report_changed_meanwhile_says_so_and_can_be_discarded(
    live_server, page, screenshots, drafts
):
    page.clock.install()
    live_server.login(page, CLERK)
    page.goto(_url(live_server, 5))
    _freeze_timers(page)
    server_value = _actual(page, TYPED).input_value()
    _actual(page, TYPED).fill("41")
    page.context.clear_cookies()  # the session ended ...
    with live_server.app.app_context():  # ... and the department corrected another value meanwhile
        admin = db.session.scalar(select(User).where(User.username == "dept122"))
        data = services.get_report(admin, UNIT, 2023, 5)
        other = next(r.indicator for r in data.rows if r.indicator.name == OTHER)
        services.save_report(admin, UNIT, 2023, 5, {other.id: {"actual": "99"}}, data.version)
        db.session.remove()

    page.on("dialog", lambda dialog: dialog.accept())  # leaving the dirty form asks
    live_server.login(page, CLERK)
    page.goto(_url(live_server, 5))
    notice = page.locator("#draft-notice")
    expect(_actual(page, TYPED)).to_have_value("41")
    expect(_actual(page, OTHER)).to_have_value("99")  # theirs, untouched by the restore
    expect(notice).to_contain_text("已恢复上次未保存的填写内容")
    expect(notice).to_contain_text("此报告在此期间已被他人修改")
    page.screenshot(path=str(screenshots / "1-restored-over-a-change.png"), full_page=False)

    page.click("#draft-discard")
    expect(notice).to_be_hidden()
    expect(_actual(page, TYPED)).to_have_value(server_value)
    assert _drafts_in_storage(page) == []
    page.reload()
    expect(notice).to_be_hidden()
    expect(_actual(page, TYPED)).to_have_value(server_value)


def test_the_state_says_why_a_draft_was_not_saved(live_server, browser, page, screenshots, drafts):
    """An invalid value: 未保存 with the reason, nothing written. Two people on one draft: the later
    autosave is refused with a conflict, never overwrites, and autosave stops until a reload."""
    live_server.login(page, CLERK)
    page.goto(_url(live_server, 2))
    other = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    admin = other.new_page()
    admin.set_default_timeout(15_000)
    try:
        live_server.login(admin, "dept122")
        admin.goto(_url(live_server, 2))
        before = _stored(live_server, 2, TYPED)

        _actual(page, TYPED).fill("二十")
        state = page.locator("#autosave-state")
        expect(state).to_have_attribute("data-state", "unsaved", timeout=10_000)
        expect(state).to_contain_text("未保存：有 1 处需要修改：“二十”不是有效数字")
        expect(page.locator(f'tr.indicator-row[data-name="{TYPED}"] .field-error')).to_have_count(1)
        page.screenshot(path=str(screenshots / "1-invalid.png"), full_page=False)
        assert _stored(live_server, 2, TYPED) == before

        _actual(admin, OTHER).fill("96")
        expect(admin.locator("#autosave-state")).to_have_attribute("data-state", "saved", timeout=10_000)

        _actual(page, TYPED).fill("26")
        expect(state).to_have_attribute("data-state", "unsaved", timeout=10_000)
        expect(state).to_contain_text("未保存：此报告已被 dept122 于")
        expect(state).to_contain_text("自动保存未生效")
        page.screenshot(path=str(screenshots / "2-conflict.png"), full_page=False)
        assert _stored(live_server, 2, TYPED) == before
        assert _stored(live_server, 2, OTHER) == Decimal(96)

        # Reloaded: theirs is on the page, mine comes back over it with the warning, to be checked.
        page.once("dialog", lambda dialog: dialog.accept())
        page.reload()
        expect(_actual(page, OTHER)).to_have_value("96")
        expect(_actual(page, TYPED)).to_have_value("26")
        expect(page.locator("#draft-notice")).to_contain_text("此报告在此期间已被他人修改")
        page.click("button[value=save]")
        expect(page.locator(".flash.success")).to_contain_text("草稿已保存")
        assert _stored(live_server, 2, TYPED) == Decimal(26)
        assert _stored(live_server, 2, OTHER) == Decimal(96)
    finally:
        other.close()


def test_a_session_that_timed_out_while_typing_loses_nothing(live_server, page, screenshots, drafts):
    """The idle timeout itself (IDLE_TIMEOUT_MINUTES) ends the session under the clerk's fingers:
    the autosave says so, 保存草稿 lands on the login page, and the value comes back after it."""
    live_server.login(page, CLERK)
    page.goto(_url(live_server, 4))
    state = page.locator("#autosave-state")
    config = live_server.app.config
    idle = config["IDLE_TIMEOUT_MINUTES"]
    config["IDLE_TIMEOUT_MINUTES"] = 0  # a second without a request is too long
    try:
        page.wait_for_timeout(1_500)
        _actual(page, TYPED).fill("32")
        expect(state).to_have_attribute("data-state", "unsaved", timeout=10_000)
        expect(state).to_contain_text("未保存：登录已过期，请重新登录")
        page.screenshot(path=str(screenshots / "1-timed-out.png"), full_page=False)
    finally:
        config["IDLE_TIMEOUT_MINUTES"] = idle
    page.click("button[value=save]")
    page.wait_for_url(re.compile(r"/login"))
    expect(page.locator(".flash.error").first).to_contain_text("已自动退出")
    assert _stored(live_server, 4, TYPED) != Decimal(32)

    live_server.login(page, CLERK)
    page.goto(_url(live_server, 4))
    expect(_actual(page, TYPED)).to_have_value("32")
    expect(page.locator("#draft-notice")).to_contain_text("已恢复上次未保存的填写内容")
    expect(page.locator("#draft-notice")).not_to_contain_text("他人修改")


def test_saving_while_an_autosave_is_on_its_way_waits_for_it_instead_of_conflicting(
    live_server, page, drafts
):
    """保存草稿 pressed while an autosave is in flight: the post waits for the new version rather
    than being refused as a conflict with the clerk's own autosave."""
    page.clock.install()
    live_server.login(page, CLERK)
    page.goto(_url(live_server, 3))
    _freeze_timers(page)
    held = []

    def hold_the_answer(route):
        held.append((route, route.fetch()))  # the server saves; its answer waits

    page.route("**/autosave", hold_the_answer)
    _actual(page, TYPED).fill("27")
    page.clock.run_for(3_100)  # the autosave leaves; the server saves it, its answer is held
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "no autosave was sent"
    expect(page.locator("#autosave-state")).to_have_attribute("data-state", "saving")
    _actual(page, TYPED).fill("28")
    page.click("button[value=save]")
    assert page.url == _url(live_server, 3)  # waiting for the autosave
    route, response = held[0]
    route.fulfill(response=response)
    expect(page.locator(".flash.success")).to_contain_text("草稿已保存")
    expect(page.locator(".flash.error")).to_have_count(0)
    assert _stored(live_server, 3, TYPED) == Decimal(28)


def test_without_javascript_the_form_still_posts(live_server, browser, drafts):
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        live_server.login(page, CLERK)
        page.goto(_url(live_server, 5))
        _actual(page, TYPED).fill("43")
        page.click("button[value=save]")
        expect(page.locator(".flash.success")).to_contain_text("草稿已保存")
        expect(_actual(page, TYPED)).to_have_value("43")
        expect(page.locator("#autosave-state")).to_have_text("")
        assert _stored(live_server, 5, TYPED) == Decimal(43)
    finally:
        context.close()
