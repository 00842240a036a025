"""个人 API 令牌 (issue 6): made by the command line or the account page, shown once, stored as
SHA-256 only, sent as ``Authorization: Bearer``; expired or revoked tokens and session cookies do
not open the API."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import login_as
from tracker.api.tokens import issue_token, revoke_token
from tracker.auth.models import ApiToken, User
from tracker.extensions import db, limiter
from tracker.types import utcnow


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def test_create_token_prints_the_token_alone_on_the_last_line(cli):
    result = cli.invoke(args=["tracker", "create-token", "unit122201", "--name", "ERP"])

    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("trk_") and " " not in secret
    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:12]))
    assert token.name == "ERP" and token.user.username == "unit122201" and token.expires_at is None


def test_a_token_is_stored_only_as_its_sha256(cli):
    secret = cli.invoke(args=["tracker", "create-token", "dept122"]).output.strip().splitlines()[-1]

    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:12]))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(value) for value in db.session.execute(select(ApiToken.__table__)).first()]
    assert secret not in stored


def test_create_token_with_expires_sets_its_expiry(cli):
    secret = (
        cli.invoke(args=["tracker", "create-token", "finance", "--expires", "30"])
        .output.strip()
        .splitlines()[-1]
    )

    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == secret[:12]))
    expires = token.expires_at.replace(tzinfo=None) if token.expires_at.tzinfo else token.expires_at
    assert timedelta(days=29) < expires - utcnow().replace(tzinfo=None) <= timedelta(days=30)


def test_create_token_for_an_unknown_user_fails_in_chinese(cli):
    result = cli.invoke(args=["tracker", "create-token", "nobody"])

    assert result.exit_code != 0
    assert "用户“nobody”不存在" in result.output


def test_a_token_from_the_command_line_opens_the_api(cli, api):
    secret = cli.invoke(args=["tracker", "create-token", "unit122201"]).output.strip().splitlines()[-1]

    assert api.get("/projects", as_=secret).status_code == 200


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "需要 API 令牌"),
        ({"Authorization": "Bearer trk_not-a-real-token"}, "API 令牌无效"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "需要 API 令牌"),
        ({"Authorization": "Bearer "}, "需要 API 令牌"),
    ],
)
def test_a_request_without_a_valid_token_is_401_in_chinese(api, headers, message):
    response = api.get("/projects", headers=headers)

    assert response.status_code == 401
    assert response.json["code"] == 401 and message in response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401(api):
    issued = issue_token(user("unit122201"), expires_days=1)
    issued.token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    response = api.get("/projects", as_=issued.secret)

    assert response.status_code == 401 and response.json["message"] == "API 令牌已过期。"


def test_a_revoked_token_is_401(api):
    owner = user("unit122201")
    issued = issue_token(owner)
    revoke_token(owner, issued.token.id)

    response = api.get("/projects", as_=issued.secret)

    assert response.status_code == 401 and response.json["message"] == "API 令牌已被撤销。"


def test_a_token_of_a_deactivated_user_is_401(api):
    owner = user("unit122301")
    issued = issue_token(owner)
    owner.active = False
    db.session.commit()

    assert api.get("/projects", as_=issued.secret).status_code == 401


def test_a_session_cookie_does_not_authenticate_the_api(client):
    login_as(client, user("finance"))
    assert client.get("/").status_code in (200, 302)

    response = client.get("/api/v1/projects")

    assert response.status_code == 401


def test_an_api_call_never_sees_or_sets_the_session_cookie(client, api):
    login_as(client, user("unit122201"))

    response = api.get("/projects", as_="dept122")

    assert response.status_code == 200 and len(response.json) == 10  # the token's user, not the session's
    assert "Set-Cookie" not in response.headers


def test_using_a_token_records_when_it_was_last_used(api):
    issued = issue_token(user("dept122"))
    assert issued.token.last_used_at is None

    api.get("/departments", as_=issued.secret)

    assert db.session.get(ApiToken, issued.token.id).last_used_at is not None


def test_the_api_is_exempt_from_csrf_protection(app, api):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = api.put(
            "/reports/122201/2023/7", as_="unit122201", json={"values": {}}, headers={"If-Match": '"0"'}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert response.status_code == 200


@pytest.fixture
def limited(app, tokens):
    """An app with rate limiting on (the test config switches it off), over the demo database."""
    from tests.api.conftest import Api
    from tracker import create_app

    previous = limiter.enabled
    limited_app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_ENABLED=True,
        API_RATE_LIMIT="2 per minute",
    )
    limiter.reset()
    yield Api(limited_app.test_client(), tokens)
    limiter.reset()
    limiter.enabled = previous


def test_the_rate_limit_counts_each_token_separately(limited):
    assert [limited.get("/departments", as_="dept122").status_code for _ in range(2)] == [200, 200]

    refused = limited.get("/units", as_="dept122")

    assert refused.status_code == 429
    assert refused.json["message"] == "请求过于频繁，请稍后再试。"
    assert limited.get("/departments", as_="finance").status_code == 200


def test_requests_without_a_token_are_rate_limited_by_address(limited):
    codes = [limited.get("/departments").status_code for _ in range(3)]

    assert codes == [401, 401, 429]


# ---------------------------------------------------------------- the account page


def test_the_account_page_creates_a_token_and_shows_it_once(client, api):
    login_as(client, user("unit122201"))

    created = client.post("/account/tokens/", data={"name": "报表系统", "expires_days": "90"})

    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "报表系统"))
    page = created.get_data(as_text=True)
    secret = page.split('id="new-token" class="code">')[1].split("<")[0]
    assert hashlib.sha256(secret.encode()).hexdigest() == token.token_hash
    account = client.get("/account").get_data(as_text=True)
    assert token.prefix in account and secret not in account
    assert api.get("/projects", as_=secret).status_code == 200


def test_the_account_page_revokes_a_token(client, api):
    owner = user("unit122201")
    issued = issue_token(owner, name="old")
    login_as(client, owner)

    response = client.post(f"/account/tokens/{issued.token.id}/revoke")

    assert response.status_code == 302
    assert db.session.get(ApiToken, issued.token.id).revoked_at is not None
    assert api.get("/projects", as_=issued.secret).status_code == 401


def test_someone_elses_token_cannot_be_revoked_from_the_account_page(client):
    issued = issue_token(user("dept122"))
    login_as(client, user("unit122201"))

    response = client.post(f"/account/tokens/{issued.token.id}/revoke")

    assert response.status_code == 404
    assert db.session.get(ApiToken, issued.token.id).revoked_at is None


def test_an_out_of_range_expiry_on_the_account_page_is_refused(client):
    login_as(client, user("unit122201"))

    response = client.post("/account/tokens/", data={"name": "x", "expires_days": "0"}, follow_redirects=True)

    assert "有效期应在 1 到 3650 天之间" in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "x")) is None
