"""Repeated failed logins are slowed down per username and address (Flask-Limiter)."""

from __future__ import annotations

import pytest

from tests.reporting.world import PASSWORD
from tracker import create_app
from tracker.extensions import limiter


@pytest.fixture
def limited_client(database_url):
    """An app with rate limiting on (the test config switches it off), over the same database."""
    previous = limiter.enabled
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="3 per minute",
    )
    limiter.reset()
    with app.app_context():
        yield app.test_client()
    limiter.reset()
    limiter.enabled = previous


def _login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def test_after_three_failures_even_the_right_password_must_wait(limited_client, world):
    for _ in range(3):
        assert _login(limited_client, "r801001", "wrong").status_code == 401
    response = _login(limited_client, "r801001", PASSWORD)
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)


def test_successful_logins_do_not_count(limited_client, world):
    for _ in range(4):
        assert _login(limited_client, "r801002", PASSWORD).status_code == 302


def test_another_username_is_not_slowed_by_someone_elses_failures(limited_client, world):
    for _ in range(3):
        _login(limited_client, "r801001", "wrong")
    assert _login(limited_client, "d801", PASSWORD).status_code == 302
