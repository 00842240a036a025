"""CSRF protection switched on (the rest of the suite runs without it): every form needs its token."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login_as
from tests.reporting.world import PASSWORD


@pytest.fixture(autouse=True)
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'id="csrf_token"[^>]*value="([^"]+)"', page
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_login_without_a_token_is_refused(client, world):
    response = client.post("/login", data={"username": "r801001", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_with_the_pages_token_works(client, world):
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "r801001", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_saving_a_report_without_a_token_is_refused(client, world):
    login_as(client, world.reporter)
    response = client.post(
        "/reports/801001/2023/7", data={"base_version": "0", f"i{world.count.id}.actual": "5"}
    )
    assert response.status_code == 400


def test_saving_a_report_with_the_forms_token_works(client, world):
    login_as(client, world.reporter)
    token = _token(client.get("/reports/801001/2023/7").get_data(as_text=True))
    response = client.post(
        "/reports/801001/2023/7",
        data={"base_version": "0", f"i{world.count.id}.actual": "5", "csrf_token": token},
    )
    assert response.status_code == 302


def test_the_lamp_endpoint_needs_the_token_in_a_header(client, world):
    login_as(client, world.reporter)
    page = client.get("/reports/801001/2023/7").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    body = {"indicator_id": world.count.id, "values": {"actual": "5"}}
    assert client.post("/reports/801001/2023/7/lamp", json=body).status_code == 400
    assert (
        client.post("/reports/801001/2023/7/lamp", json=body, headers={"X-CSRFToken": token}).status_code
        == 200
    )


def test_logout_without_a_token_is_refused(client, world):
    login_as(client, world.reporter)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200
