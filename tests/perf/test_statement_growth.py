"""No page's cost grows with the province (issue 13 §1): every GET page, as every role, and every
API list and item sends as many SQL statements on a 400-department province as on a 40-department
one — whose home department is ten times narrower, so a page paying per project of the user's own
scope fails here too, not only one paying per department.

The pages come from ``app.url_map``: a GET route that is neither asked for below nor set aside with
its reason fails :func:`test_every_get_route_is_counted`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import event, select

from tests.conftest import fresh_database
from tests.perf.counting import counted
from tests.perf.province import ACCOUNTS, HOME_DEPARTMENT, HOME_UNIT, MONTH, YEAR, Province, build_province
from tracker import create_app
from tracker.extensions import db

pytestmark = pytest.mark.xdist_group("statement-growth")  # one worker builds both provinces

SMALL, LARGE = 40, 400
HOME_PROJECT = "41082300000100000000"  # bench.generate's code of department 1's first project
ROLES = ("anonymous", *ACCOUNTS)

#: endpoint → the addresses it is asked at (every role asks every one).
PAGES: dict[str, tuple[str, ...]] = {
    "reporting.home": ("/", f"/?year={YEAR}"),
    "auth.account": ("/account",),
    "auth.login": ("/login",),
    "auth.users": ("/users",),
    "auth.user_edit": ("/users/3",),
    "reporting.audit_log": ("/audit", f"/audit?year={YEAR}&month={MONTH}&department={HOME_DEPARTMENT}"),
    "reporting.review": ("/review",),
    "reporting.deadline_page": ("/deadlines",),
    "reporting.imports": ("/imports",),
    "reporting.project": (f"/projects/{YEAR}/{HOME_PROJECT}",),
    "reporting.report": (f"/reports/{HOME_UNIT}/{YEAR}/{MONTH}", f"/reports/{HOME_UNIT}/{YEAR}/{MONTH + 1}"),
    "reporting.report_department": (f"/reports/department/{HOME_DEPARTMENT}/{YEAR}/{MONTH}",),
    "reporting.download_evidence": ("/evidence/1",),
    "reports.dashboard": ("/dashboard", f"/dashboard?year={YEAR}&month={MONTH}&department={HOME_DEPARTMENT}"),
    "reports.delivery_list": ("/deliveries",),
    "reports.delivery_settings": ("/deliveries/settings",),
    "reports.delivery_file": ("/deliveries/1.xlsx",),
    "reports.download": (
        f"/downloads/monitoring/{HOME_DEPARTMENT}/{YEAR}/{MONTH}.xlsx",
        f"/downloads/self-assessment/{HOME_DEPARTMENT}/{YEAR}.xlsx",
        f"/downloads/execution/{HOME_DEPARTMENT}/{YEAR}/{MONTH}.xlsx",
    ),
    "evaluation.monitoring": (
        "/monitoring",
        f"/monitoring?year={YEAR}&month={MONTH}&department={HOME_DEPARTMENT}",
    ),
    "evaluation.self_assessment": (
        "/self-assessment",
        f"/self-assessment?year={YEAR}&department={HOME_DEPARTMENT}",
    ),
    "scheduler.jobs": ("/jobs",),
    # The API: every list, every item.
    "deliveries.Deliveries": ("/api/v1/deliveries",),
    "deliveries.DeliveryItem": ("/api/v1/deliveries/1",),
    "departments.Departments": ("/api/v1/departments",),
    "departments.DepartmentItem": (f"/api/v1/departments/{HOME_DEPARTMENT}",),
    "indicators.Indicators": ("/api/v1/indicators", f"/api/v1/indicators?year={YEAR}&page_size=100"),
    "indicators.IndicatorItem": ("/api/v1/indicators/1",),
    "job-runs.JobRuns": ("/api/v1/job-runs",),
    "job-runs.JobRunItem": ("/api/v1/job-runs/1",),
    "projects.Projects": ("/api/v1/projects", f"/api/v1/projects?year={YEAR}&page_size=100"),
    "projects.ProjectItem": (f"/api/v1/projects/{HOME_PROJECT}",),
    "monthly-reports.Reports": ("/api/v1/reports", f"/api/v1/reports?year={YEAR}&month={MONTH}"),
    "monthly-reports.item": (f"/api/v1/reports/{HOME_UNIT}/{YEAR}/{MONTH}",),
    "department-reports.item": (f"/api/v1/department-reports/{HOME_DEPARTMENT}/{YEAR}/{MONTH}",),
    "spending.Spending": ("/api/v1/spending", f"/api/v1/spending?year={YEAR}"),
    "units.Units": ("/api/v1/units",),
    "units.UnitItem": (f"/api/v1/units/{HOME_UNIT}",),
    "evaluations.Monitoring": (
        f"/api/v1/evaluations/monitoring?year={YEAR}&month={MONTH}&department={HOME_DEPARTMENT}",
    ),
    "evaluations.SelfAssessment": (
        f"/api/v1/evaluations/self-assessment?year={YEAR}&department={HOME_DEPARTMENT}",
    ),
    "api-docs.openapi_json": ("/api/v1/openapi.json",),
}
#: GET routes not counted, and why.
NOT_COUNTED = {
    "static": "files from disk",
    "reports.static": "files from disk",
    "reports.plotly_js": "a file from the plotly package",
    "api_docs_ui.swagger_ui": "the docs page: no database",
    "api_docs_ui.asset": "files from disk",
    "api_docs_ui.initializer": "a template without data",
    "ops.healthz": "answers without the database by design",
    "ops.readyz": "one statement by construction (tests/ops); the province is not migrated, create_all",
    "auth.set_language": "sets a cookie and redirects",
}


@dataclass
class Site:
    app: Flask
    province: Province


@pytest.fixture(autouse=True)
def session():
    """No per-test rollback session: the provinces are their own databases."""
    yield None


def _site(tmp: object, departments: int, home_projects: int) -> Iterator[Site]:
    with fresh_database(tmp) as url:  # type: ignore[arg-type]
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=url,
            UPLOAD_DIR=str(tmp / "uploads"),  # type: ignore[operator]
            REPORT_DIR=str(tmp / "reports"),  # type: ignore[operator]
        )
        with app.app_context():
            province = build_province(departments, home_projects)
            db.session.remove()
        try:
            yield Site(app, province)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Iterator[Site]:
    yield from _site(tmp_path_factory.mktemp("small"), SMALL, 4)


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Iterator[Site]:
    yield from _site(tmp_path_factory.mktemp("large"), LARGE, 40)


def _client(site: Site, role: str):
    from tracker.auth.models import User
    from tracker.auth.services import open_session

    client = site.app.test_client()
    if role == "anonymous":
        return client, {}
    with site.app.app_context():
        user = db.session.scalar(select(User).where(User.username == ACCOUNTS[role]))
        key = open_session(user)
        db.session.commit()
        db.session.remove()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = key
        flask_session["_fresh"] = True
    return client, {"Authorization": f"Bearer {site.province.tokens[role]}"}


@pytest.fixture(scope="module")
def clients(small: Site, large: Site) -> dict[tuple[int, str], tuple]:
    return {
        (site.province.departments, role): _client(site, role) for site in (small, large) for role in ROLES
    }


def _statements(site: Site, client, headers: dict[str, str], path: str) -> tuple[int, list[str]]:
    with site.app.app_context():
        engine = db.engine
    client.get(path, headers=headers if path.startswith("/api/") else {})  # warm: caches, lazy imports
    with counted(engine) as sql:
        response = client.get(path, headers=headers if path.startswith("/api/") else {})
    assert response.status_code < 500, (path, response.status_code)
    return response.status_code, sql


def test_every_get_route_is_counted(small: Site):
    endpoints = {rule.endpoint for rule in small.app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    uncounted = endpoints - set(PAGES) - set(NOT_COUNTED)
    assert not uncounted, f"GET routes neither counted nor set aside: {sorted(uncounted)}"
    assert not (set(PAGES) | set(NOT_COUNTED)) - endpoints, "names of routes that are gone"


CASES = [pytest.param(path, id=path) for paths in PAGES.values() for path in paths]


@pytest.mark.parametrize("path", CASES)
def test_statements_per_request_do_not_grow_with_the_province(small: Site, large: Site, clients, path: str):
    grown = []
    for role in ROLES:
        status, few = _statements(small, *clients[(SMALL, role)], path)
        large_status, many = _statements(large, *clients[(LARGE, role)], path)
        assert status == large_status, (role, status, large_status)
        if len(few) != len(many):
            extra = (Counter(many) - Counter(few)) + (Counter(few) - Counter(many))
            grown.append(f"{role} ({status}): {len(few)} → {len(many)} statements; {dict(extra)}")
    assert not grown, f"{path} grows with the province:\n" + "\n".join(grown)


def _repeated(site: Site, client, headers: dict[str, str], path: str) -> list[str]:
    """The statements one request sends more than once with the same parameters."""
    with site.app.app_context():
        engine = db.engine
    sent: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append(f"{' '.join(statement.split())[:160]} {parameters!r}"[:400])

    client.get(path, headers=headers if path.startswith("/api/") else {})  # warm
    event.listen(engine, "before_cursor_execute", seen)
    try:
        client.get(path, headers=headers if path.startswith("/api/") else {})
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return [f"{n}× {text}" for text, n in Counter(sent).items() if n > 1]


@pytest.mark.parametrize("path", CASES)
def test_no_request_reads_the_same_thing_twice(small: Site, clients, path: str):
    """A bureau's rule-pack picks, a department's bureau, the root's name, the user: each read once
    a request, however many rows or helpers ask for it (issue 13 §3)."""
    twice = {role: found for role in ROLES if (found := _repeated(small, *clients[(SMALL, role)], path))}
    assert not twice, f"{path} repeats statements:\n" + "\n".join(f"{r}: {f}" for r, f in twice.items())
