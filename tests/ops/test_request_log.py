"""Every request has an id (a sane X-Request-ID, else a new one), echoed in the response and carried
by every log record of the request; one access line per request goes to ``tracker.request``."""

from __future__ import annotations

import logging
import re

import pytest

from tests.conftest import login_as
from tests.ops.servers import Browser, base_env, gunicorn, migrated_database, new_secret
from tests.reporting.world import PASSWORD
from tracker.ops import RequestIdFilter

GENERATED = re.compile(r"[0-9a-f]{32}")


def _access_lines(caplog):
    return [r for r in caplog.records if r.name == "tracker.request"]


def test_a_sane_request_id_is_echoed(client):
    response = client.get("/login", headers={"X-Request-ID": "lb-7f3a:9c2e-0001"})
    assert response.headers["X-Request-ID"] == "lb-7f3a:9c2e-0001"


@pytest.mark.parametrize(
    "incoming",
    [None, "", "two words", "line\nbreak", 'quote"d', "x" * 129, "-leading-dash", "中文", "a\tb"],
)
def test_otherwise_a_new_one_is_made(client, incoming):
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    try:
        response = client.get("/login", headers=headers)
    except ValueError:  # Werkzeug's test client refuses a header with a line break itself
        return
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_each_request_gets_its_own(client):
    first, second = client.get("/login"), client.get("/login")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_errors_carry_the_id_too(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "req-404"})
    assert response.status_code == 404 and response.headers["X-Request-ID"] == "req-404"


def test_one_access_line_per_request(client, world, caplog):
    login_as(client, world.reporter)
    with caplog.at_level(logging.INFO, logger="tracker.request"):
        client.get("/", headers={"X-Request-ID": "req-home-1"})
    (line,) = _access_lines(caplog)
    message = line.getMessage()
    assert re.fullmatch(rf"GET / 200 \d+\.\dms user={world.reporter.id} request_id=req-home-1", message), (
        message
    )
    assert (line.http_method, line.http_path, line.http_status, line.user_id) == (
        "GET",
        "/",
        200,
        world.reporter.id,
    )
    assert line.duration_ms >= 0


def test_an_anonymous_request_has_no_user(client, caplog):
    with caplog.at_level(logging.INFO, logger="tracker.request"):
        response = client.get("/login")
    (line,) = _access_lines(caplog)
    assert "GET /login 200" in line.getMessage() and " user=- " in line.getMessage()
    assert line.getMessage().endswith(f"request_id={response.headers['X-Request-ID']}")


def test_a_login_is_logged_with_the_user_it_opened(client, world, caplog):
    with caplog.at_level(logging.INFO, logger="tracker.request"):
        client.post("/login", data={"username": "r801001", "password": PASSWORD})
    (line,) = _access_lines(caplog)
    assert (
        line.getMessage().startswith("POST /login 302 ") and f"user={world.reporter.id} " in line.getMessage()
    )


def test_every_record_of_the_request_carries_its_id(client, world, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="tracker"):
        client.post(
            "/login", data={"username": "r801001", "password": "wrong"}, headers={"X-Request-ID": "req-x1"}
        )
        logging.getLogger("tracker.test").info("outside any request")
    during = [r for r in caplog.records if r.getMessage() != "outside any request"]
    assert {r.name for r in during} >= {"tracker.auth", "tracker.request"}
    assert {r.request_id for r in during} == {"req-x1"}
    (outside,) = [r for r in caplog.records if r.getMessage() == "outside any request"]
    assert outside.request_id == "-"


def test_the_probes_are_logged_below_info(client, caplog):
    with caplog.at_level(logging.DEBUG, logger="tracker.request"):
        client.get("/healthz")
    (line,) = _access_lines(caplog)
    assert line.levelno == logging.DEBUG


def test_a_forged_path_cannot_break_the_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="tracker.request"):
        client.get("/x%0Afake%20INFO%20line")
    (line,) = _access_lines(caplog)
    assert "\n" not in line.getMessage() and "\\n" in line.getMessage()


def test_under_gunicorn_each_line_of_a_request_carries_its_id(tmp_path):
    migrated_database(tmp_path, "alice")
    env = base_env(tmp_path, SECRET_KEY=new_secret(), SESSION_COOKIE_SECURE="0", RATELIMIT_ALLOW_MEMORY="1")
    with gunicorn(tmp_path, env) as server:
        browser = Browser(server)
        status, headers, _page = browser.request("/healthz", headers={"X-Request-ID": "probe-1"})
        assert status == 200 and headers["X-Request-ID"] == "probe-1"
        assert browser.request("/readyz")[::2] == (200, "ready\n")  # migrated by `flask db upgrade`
        status, _headers, page = browser.request("/login", headers={"X-Request-ID": "e2e-get-1"})
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, headers, _page = browser.request(
            "/login",
            {"csrf_token": token, "username": "alice", "password": "wrong"},
            headers={"X-Request-ID": "e2e-post-1"},
        )
        assert status == 401 and headers["X-Request-ID"] == "e2e-post-1"
        output = server.output()
    lines = output.splitlines()
    failed = [line for line in lines if "login failed: user=alice" in line]
    assert failed and all("[e2e-post-1]" in line for line in failed), output
    access = [line for line in lines if "tracker.request" in line]
    assert any(re.search(r"POST /login 401 \S+ms user=- request_id=e2e-post-1$", line) for line in access), (
        output
    )
    assert any("GET /login 200" in line and "[e2e-get-1]" in line for line in access), output
    assert not any("/healthz" in line for line in access), output  # probes are DEBUG
