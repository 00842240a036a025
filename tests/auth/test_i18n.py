"""Chinese by default, English by a switch; numbers, dates and 万元 formatted per locale (issue 3 §7)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import login_as
from tracker.auth.i18n import fmt_date, fmt_money, fmt_number, fmt_percent


def test_pages_are_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "登录" in page and "用户名" in page


def test_the_switch_turns_the_pages_english_and_back(client, world):
    response = client.get("/lang/en?next=/login")
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page and "Username" in page
    client.get("/lang/zh")
    assert "用户名" in client.get("/login").get_data(as_text=True)


def test_english_survives_login(client, world):
    client.get("/lang/en")
    client.post("/login", data={"username": "r801001", "password": "correct horse"})
    page = client.get("/reports/801001/2023/7").get_data(as_text=True)
    assert "Save draft" in page and "Level-1 indicator" in page


def test_every_message_of_pages_and_services_has_its_english(tmp_path):
    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(root / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "N_",
            "-o",
            str(pot),
            str(root),
        ]
    )
    with (
        pot.open("rb") as extracted,
        (root / "tracker/translations/en/LC_MESSAGES/messages.po").open("rb") as po,
    ):
        messages, english = read_po(extracted), read_po(po)

    untranslated = [m.id for m in messages if m.id and not (english.get(m.id) and english.get(m.id).string)]
    assert untranslated == []


def test_an_unknown_language_is_ignored(client):
    client.get("/lang/xx")
    assert "用户名" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("1234567.891"), 2, "1,234,567.89"),
        (Decimal("0.125"), 2, "0.13"),
        (Decimal("2.5"), 0, "3"),
        (Decimal("58.50"), None, "58.5"),
        (Decimal("1200"), None, "1,200"),
    ],
)
def test_numbers_are_grouped_and_rounded_half_up_for_zh_cn(app, value, places, text):
    with app.test_request_context("/"):
        assert fmt_number(value, places) == text


def test_money_is_in_wan_yuan_with_two_decimals(app):
    with app.test_request_context("/"):
        assert fmt_money(Decimal("15")) == "15.00 万元"


def test_percent_from_a_fraction(app):
    with app.test_request_context("/"):
        assert fmt_percent(Decimal("0.58333")) == "58.33%"


def test_dates_are_written_the_chinese_way(app):
    with app.test_request_context("/"):
        assert fmt_date(date(2023, 8, 5)) == "2023年8月5日"


def test_dates_are_written_the_english_way_after_the_switch(app, client):
    client.get("/lang/en")
    with client.session_transaction() as saved:
        lang = saved["lang"]
    with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
        assert fmt_date(date(2023, 8, 5)) == "Aug 5, 2023"


def test_the_home_page_shows_the_deadline_formatted(client, world):
    login_as(client, world.reporter)
    assert "2023年8月5日" in client.get("/?year=2023").get_data(as_text=True)
