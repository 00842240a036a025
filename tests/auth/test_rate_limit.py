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


@pytest.fixture
def address_limited_client(database_url):
    """Three failures per user name and address, five per address over every user name."""
    previous = limiter.enabled
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="3 per minute",
        LOGIN_ADDRESS_RATE_LIMIT="5 per minute",
    )
    limiter.reset()
    with app.app_context():
        yield app.test_client()
    limiter.reset()
    limiter.enabled = previous


def test_many_user_names_from_one_address_are_throttled(address_limited_client, world):
    for n in range(5):
        assert _login(address_limited_client, f"guess{n}", "wrong").status_code == 401
    assert _login(address_limited_client, "guess5", "wrong").status_code == 429
    # Every account from that address waits, the right password too …
    assert _login(address_limited_client, "r801002", PASSWORD).status_code == 429
    # … and another address does not.
    other = address_limited_client.post(
        "/login",
        data={"username": "r801002", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "127.0.0.2"},
    )
    assert other.status_code == 302


def test_the_per_address_limit_counts_only_failures(address_limited_client, world):
    for _ in range(6):
        assert _login(address_limited_client, "r801002", PASSWORD).status_code == 302
    assert _login(address_limited_client, "d801", PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_client_address_counts(database_url, world):
    previous = limiter.enabled
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        LOGIN_ADDRESS_RATE_LIMIT="2 per minute",
        TRUSTED_PROXIES=1,
    )
    limiter.reset()
    try:
        with app.app_context():
            client = app.test_client()

            def attempt(address, username, password="wrong"):
                return client.post(
                    "/login",
                    data={"username": username, "password": password},
                    headers={"X-Forwarded-For": address},
                ).status_code

            assert [attempt("192.0.2.1", "guess0"), attempt("192.0.2.1", "guess1")] == [401, 401]
            assert attempt("192.0.2.1", "guess2") == 429
            assert attempt("192.0.2.2", "r801002", PASSWORD) == 302
    finally:
        limiter.reset()
        limiter.enabled = previous
