"""The monthly form helps the clerk get it right, in a real browser (issue 11 §4): a 已填 counter that
follows the typing, an invalid value clears the lamp to 无法判断, an odd value is named beside it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tracker.auth.models import User
from tracker.extensions import db
from tracker.reporting import services

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

UNIT, CLERK, MONTH = "122201", "unit122201", 10
TYPED = "信息公开条数"  # ≥140条, cumulative


@pytest.fixture(scope="module")
def october(live_server):
    """Finance unlocks 122201's October, as for a correction."""
    with live_server.app.app_context():
        finance = db.session.scalar(select(User).where(User.username == "finance"))
        data = services.get_report(finance, UNIT, 2023, MONTH)
        if data.status == "approved":
            services.unlock_report(finance, UNIT, 2023, MONTH, data.version)
        db.session.remove()
    return f"{live_server.url}/reports/{UNIT}/2023/{MONTH}"


def _counts(text: str) -> tuple[int, int]:
    filled, total = re.match(r"(\d+)/(\d+)", text).groups()
    return int(filled), int(total)


def test_the_counter_the_lamp_and_the_warnings_follow_what_is_typed(live_server, page, screenshots, october):
    live_server.login(page, CLERK)
    page.goto(october)
    total = page.locator("#completeness-total")
    filled, count = _counts(total.inner_text())
    assert filled == count > 0

    row = page.locator(f'tr.indicator-row[data-name="{TYPED}"]')
    actual = row.locator('input[name$=".actual"]')
    actual.fill("")
    expect(total).to_have_text(re.compile(rf"^{filled - 1}/{count}"))

    actual.fill("12x")
    expect(row.locator("[data-lamp]")).to_have_text("无法判断")
    expect(row.locator("[data-lamp]")).to_have_class(re.compile("unjudged"))

    actual.fill("9000")
    expect(row.locator("[data-lamp]")).not_to_have_text("无法判断")
    expect(row.locator(".plausibility")).to_contain_text("9000 超过指标值 140 的 3 倍")
    expect(total).to_have_text(re.compile(rf"^{filled}/{count}"))
    page.screenshot(path=str(screenshots / "report-help-warning.png"), full_page=True)
