"""/deliveries and /deliveries/settings as finance and a department admin use them in a browser:
each form posted as its page renders it (CSRF token, empty month), in the production configuration,
with a real SMTP server receiving the package."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.web.conftest import DEMO_PASSWORD, ORIGIN, https_client
from tests.web.crawler import parse_page
from tracker.extensions import db
from tracker.reports.models import ReportRecipient

pytestmark = pytest.mark.xdist_group("web-crawl")


def _logged_in(app, username: str):
    client = https_client(app)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
        headers={"Referer": f"{ORIGIN}/login"},
    )
    assert response.status_code == 302
    return client


def _forms(client, path: str):
    """The page's own POST forms (not the top bar's 退出)."""
    forms = parse_page(ORIGIN + path, client.get(path).get_data(as_text=True))[1]
    return [form for form in forms if form.method == "post" and not form.action.endswith("/logout")]


def _post(client, form, **changes):
    data = dict(form.fields) | changes
    return client.post(form.action.removeprefix(ORIGIN), data=data, headers={"Referer": form.page})


def _addresses(app, scope_key: str) -> list[str]:
    with app.app_context():
        rows = db.session.scalars(select(ReportRecipient).where(ReportRecipient.scope_key == scope_key))
        found = sorted(row.email for row in rows)
        db.session.remove()
        return found


def test_both_save_buttons_of_the_recipient_settings_save(production_app):
    client = _logged_in(production_app, "finance")
    bureau, department = _forms(client, "/deliveries/settings")[:2]
    response = _post(client, bureau, emails="czj@example.org, jxk@example.org")
    assert response.status_code == 302
    page = client.get("/deliveries/settings").get_data(as_text=True)
    assert "收件人已保存" in page and "Unknown field" not in page
    response = _post(client, department, emails="bm122@example.org")
    assert response.status_code == 302
    assert "收件人已保存" in client.get("/deliveries/settings").get_data(as_text=True)
    department_code = dict(department.fields)["department"]
    assert _addresses(production_app, f"department:{department_code}") == ["bm122@example.org"]


def test_a_bad_address_is_refused_in_chinese_and_nothing_changes(production_app):
    client = _logged_in(production_app, "finance")
    bureau = _forms(client, "/deliveries/settings")[0]
    before = _addresses(production_app, "bureau")
    _post(client, bureau, emails="not an address")
    assert "无效的邮箱地址" in client.get("/deliveries/settings").get_data(as_text=True)
    assert _addresses(production_app, "bureau") == before


@pytest.mark.parametrize("username", ["finance", "dept122"])
def test_send_now_with_the_month_left_empty_sends_the_self_assessment(
    production_app, smtp, no_deliveries, username
):
    client = _logged_in(production_app, username)
    send = next(f for f in _forms(client, "/deliveries") if f.action.endswith("/deliveries/send"))
    assert dict(send.fields)["year"] == "2023", "the form opens on the year that has data"
    response = _post(client, send, kind="self-assessment", month="")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已发送" in page, page
    recipients, message = smtp.inbox.messages[-1]
    assert "czj@example.org" in recipients
    names = [part.get_filename() for part in message.iter_attachments()]
    assert any(name.endswith(".xlsx") for name in names) and any(name.endswith(".pdf") for name in names)


def test_a_monitoring_send_without_a_month_says_so_and_keeps_the_choices(production_app):
    client = _logged_in(production_app, "finance")
    send = next(f for f in _forms(client, "/deliveries") if f.action.endswith("/deliveries/send"))
    response = _post(client, send, kind="monitoring", year="2023", month="")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "月份：绩效监控和预算执行进度报表需要月份。" in page
    assert "Not a valid" not in page and "Unknown field" not in page
    again = next(
        f for f in parse_page(ORIGIN + "/deliveries", page)[1] if f.action.endswith("/deliveries/send")
    )
    assert dict(again.fields)["kind"] == "monitoring" and dict(again.fields)["year"] == "2023"


def test_a_month_that_is_not_a_number_is_named_in_chinese(production_app):
    client = _logged_in(production_app, "finance")
    send = next(f for f in _forms(client, "/deliveries") if f.action.endswith("/deliveries/send"))
    response = _post(client, send, kind="monitoring", month="七月")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "月份：须为整数" in page
