"""Login, logout, password change, session identity and idle timeout (issue 3 §1)."""

from __future__ import annotations

import time

import pytest

from tests.conftest import login_as
from tests.reporting.world import PASSWORD
from tracker.auth import LAST_SEEN_STEP


def _login(client, username, password=PASSWORD, **query):
    return client.post("/login", data={"username": username, "password": password}, query_string=query)


def test_a_user_logs_in_with_username_and_password(client, world):
    response = _login(client, "r801001")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "甲一单位" in client.get("/").get_data(as_text=True)


def test_a_wrong_password_is_refused_with_a_chinese_message(client, world):
    response = _login(client, "r801001", "wrong password")
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_an_unknown_user_gets_the_same_message(client, world):
    assert "用户名或密码不正确" in _login(client, "nobody").get_data(as_text=True)


def test_an_inactive_user_cannot_log_in(client, world, session):
    world.reporter.active = False
    session.commit()
    assert _login(client, "r801001").status_code == 401


def test_every_login_attempt_is_logged(client, world, caplog):
    with caplog.at_level("INFO", logger="tracker.auth"):
        _login(client, "r801001", "wrong password")
        _login(client, "r801001")
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("login failed") and "r801001" in m for m in messages)
    assert any(m.startswith("login ok") and "r801001" in m for m in messages)


def test_each_login_opens_a_session_of_its_own(client, world, session):
    from sqlalchemy import func, select

    from tracker.auth.models import UserSession

    def sessions() -> int:
        return session.scalar(select(func.count()).where(UserSession.user_id == world.reporter.id))

    before = sessions()
    _login(client, "r801001")
    assert sessions() == before + 1


def test_a_second_login_of_the_same_user_leaves_the_first_logged_in(app, world, session):
    """The unit's second clerk, or the same clerk on a phone, does not log the first one out."""
    desk, phone = app.test_client(), app.test_client()
    _login(desk, "r801001")
    _login(phone, "r801001")
    assert desk.get("/").status_code == 200
    assert phone.get("/").status_code == 200


def test_logging_out_on_one_device_leaves_the_other_logged_in(app, world, session):
    desk, phone = app.test_client(), app.test_client()
    _login(desk, "r801001")
    _login(phone, "r801001")
    assert phone.post("/logout").status_code == 302
    assert phone.get("/").status_code == 302
    assert desk.get("/").status_code == 200


def test_ending_the_other_sessions_on_the_account_page_keeps_this_one(app, world, session):
    here, elsewhere = app.test_client(), app.test_client()
    _login(elsewhere, "r801001")
    _login(here, "r801001")
    response = here.post("/account/sessions/end")
    assert response.status_code == 302
    assert "已退出其他 1 处登录" in here.get("/account").get_data(as_text=True)
    assert elsewhere.get("/").status_code == 302
    assert here.get("/").status_code == 200


def test_logout_is_a_post_and_invalidates_the_old_cookie(client, world):
    _login(client, "r801001")
    with client.session_transaction() as saved:
        old_cookie_session = dict(saved)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    with client.session_transaction() as replayed:
        replayed.update(old_cookie_session)
    assert client.get("/").status_code == 302


def test_changing_the_password_logs_out_other_sessions_but_not_this_one(app, world, session):
    here, elsewhere = app.test_client(), app.test_client()
    _login(elsewhere, "r801001")
    login_as(here, world.reporter)
    response = here.post(
        "/account",
        data={"old_password": PASSWORD, "new_password": "a-new-password", "confirm": "a-new-password"},
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert _login(app.test_client(), "r801001", "a-new-password").status_code == 302


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"old_password": "wrong", "new_password": "a-new-password", "confirm": "a-new-password"},
            "原密码不正确",
        ),
        ({"old_password": PASSWORD, "new_password": "short", "confirm": "short"}, "密码至少 8 个字符"),
        (
            {"old_password": PASSWORD, "new_password": "a-new-password", "confirm": "other-one"},
            "两次输入的新密码不一致",
        ),
    ],
)
def test_a_bad_password_change_is_refused(client, world, form, message):
    login_as(client, world.reporter)
    assert message in client.post("/account", data=form).get_data(as_text=True)


def test_the_password_change_is_audited_without_the_password(client, world, session):
    from sqlalchemy import select

    from tracker.core.audit import AuditEntry

    login_as(client, world.reporter)
    client.post(
        "/account",
        data={"old_password": PASSWORD, "new_password": "a-new-password", "confirm": "a-new-password"},
    )
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.field == "password")
    )
    assert entry.username == "r801001" and entry.new_value == "***"


def test_an_idle_session_expires(client, world, app):
    login_as(client, world.reporter)
    idle = app.config["IDLE_TIMEOUT_MINUTES"] * 60 + 5
    with client.session_transaction() as saved:
        saved["last_seen"] = int(time.time()) - idle
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302


def test_an_active_session_does_not_expire(client, world, app):
    login_as(client, world.reporter)
    with client.session_transaction() as saved:
        saved["last_seen"] = int(time.time()) - 60
    assert client.get("/").status_code == 200


def test_the_idle_clock_is_written_once_a_minute_not_with_every_answer(client, world):
    login_as(client, world.reporter)
    client.get("/")  # the session's first page adds its CSRF token
    with client.session_transaction() as saved:
        saved["last_seen"] = int(time.time()) - 5
    assert "Set-Cookie" not in client.get("/").headers
    with client.session_transaction() as saved:
        assert int(time.time()) - saved["last_seen"] >= 5
        saved["last_seen"] = int(time.time()) - LAST_SEEN_STEP
    answer = client.get("/")
    assert answer.status_code == 200 and "Set-Cookie" in answer.headers
    with client.session_transaction() as saved:
        assert int(time.time()) - saved["last_seen"] < 5


def test_with_a_short_timeout_the_idle_clock_moves_in_a_tenth_of_it(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 1)
    login_as(client, world.reporter)
    with client.session_transaction() as saved:
        saved["last_seen"] = int(time.time()) - 45
    assert client.get("/").status_code == 200
    # Moved on: the next request 45 s on is 45 s idle, not 90 (which would end the session).
    with client.session_transaction() as saved:
        assert int(time.time()) - saved["last_seen"] < 5


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_next_never_leaves_the_site(client, world, target):
    response = _login(client, "r801001", next=target)
    assert response.headers["Location"] == "/"


def test_next_returns_to_the_page_asked_for(client, world):
    assert (
        _login(client, "r801001", next="/reports/801001/2023/7").headers["Location"]
        == "/reports/801001/2023/7"
    )


def test_session_cookie_is_httponly_and_samesite_lax(client, world):
    response = _login(client, "r801001")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_carry_security_headers(client, world):
    headers = client.get("/login").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
