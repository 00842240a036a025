"""Hostile and odd input gets a clear 4xx, never a 500 (SPEC §8, issue 12 §8): ids beyond the
database's integer, NUL bytes in paths and queries, negative or non-numeric years, downloads for a
year without data, and API bodies that are not strict JSON (NaN, Infinity, a repeated key, deep
nesting). Production configuration, the demo database, a logged-in user."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import DEMO_PASSWORD, ORIGIN, https_client

pytestmark = pytest.mark.xdist_group("web-crawl")


@pytest.fixture(scope="module")
def finance(production_app):
    client = https_client(production_app)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={"username": "finance", "password": DEMO_PASSWORD, "csrf_token": token},
        headers={"Referer": f"{ORIGIN}/login"},
    )
    return client


@pytest.fixture(scope="module")
def bearer(production_app) -> dict[str, str]:
    from tracker.api.tokens import issue_token_for
    from tracker.extensions import db

    with production_app.app_context():
        secret = issue_token_for("unit122201", name="no-500").secret
        db.session.commit()
        db.session.remove()
    return {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("/reports/122201/2023/99999999999", {404}),
        ("/evidence/99999999999", {404}),
        ("/users/99999999999", {404}),
        ("/deliveries/99999999999.pdf", {404}),
        ("/reports/122201/2023/7%00", {400, 404}),
        ("/reports/%00/2023/7", {400, 404}),
        ("/?year=%00", {400, 404}),
        ("/?year=-1", {200, 400, 404}),
        ("/?year=abc", {200, 400, 404}),
        ("/?year=99999999999999999999", {200, 400, 404}),
        ("/monitoring?year=-1", {400, 404}),
        ("/monitoring?year=2023&month=13", {400, 404}),
        ("/self-assessment?year=99999999999999999999", {400, 404}),
        ("/dashboard?year=-1", {400, 404}),
        ("/audit?year=-1&month=99", {200, 400, 404}),
        ("/downloads/monitoring/122/2031/7.xlsx", {404}),
        ("/downloads/self-assessment/122/2031.pdf", {404}),
        ("/projects/2023/%00", {400, 404}),
    ],
)
def test_odd_addresses_get_a_clear_answer(finance, path, statuses):
    response = finance.get(path)
    assert response.status_code in statuses, (path, response.status_code)


@pytest.mark.parametrize(
    "body",
    [
        '{"year": 2023, "month": 7, "department": "122", "x": NaN}',
        '{"year": Infinity, "month": 7, "department": "122"}',
        '{"year": 2023, "year": 2024, "month": 7, "department": "122"}',
        "[" * 200 + "]" * 200,
        '{"a": ' * 40 + "1" + "}" * 40,
        "not json at all",
    ],
)
def test_a_body_that_is_not_strict_json_is_a_400(production_app, bearer, body):
    client = https_client(production_app)
    response = client.post("/api/v1/evaluations/monitoring", data=body, headers=bearer)
    assert response.status_code in (400, 422), (
        body[:40],
        response.status_code,
        response.get_data(as_text=True)[:200],
    )
    assert response.status_code != 500


def test_an_actual_of_nan_is_refused(production_app, bearer):
    client = https_client(production_app)
    response = client.put(
        "/api/v1/reports/122201/2023/9",
        data='{"base_version": 0, "values": {"1": {"actual": NaN}}}',
        headers=bearer,
    )
    assert response.status_code in (400, 404, 409, 422), response.status_code
