"""What a clerk's flow on the 5th costs the database (issue 13 §1, §3), measured as statements — the
machine-independent part of a request's cost — through the production stack with CSRF on: log in,
open the month, three live lamps, 保存草稿, 提交审核, as the form's page sends them.

Each request reads each thing once (no statement sent twice with the same parameters), and the
flow stays within the statements it costs now; the bench (``bench.rush``) times it."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import delete, event, select
from werkzeug.datastructures import MultiDict

from bench import clerks
from tests.conftest import is_postgresql
from tests.web.conftest import ORIGIN, ROLE_ACCOUNTS, https_client, production_app_over
from tracker.budget.models import Unit
from tracker.extensions import db
from tracker.reporting.models import IndicatorActual, MonthlyReport

UNIT, YEAR, MONTH = "122201", 2023, 11
#: Statements of each request of the flow today (a fresh month: the save inserts its rows), as
#: SQLite sees them; on PostgreSQL the save's two bulk writes are COPYs, which pass the statement
#: event by. A change that needs more is a change to look at, not a number to raise.
BUDGET = {"login POST": 2, "form GET": 5, "lamp POST": 2, "save POST": 6, "submit POST": 7}
#: On PostgreSQL a request that only read asks, before it ends, whether its transaction wrote: one
#: that did not commits, and keeps the statements psycopg has prepared (tracker.core.database).
ASKS_WHETHER_IT_WROTE = {"form GET", "lamp POST"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The demo with the unit's November not yet reported: the month the clerk fills."""
    with production_app_over(tmp_path_factory.mktemp("flow")) as app:
        with app.app_context():
            report = db.session.scalar(
                select(MonthlyReport)
                .join(Unit)
                .where(Unit.code == UNIT, MonthlyReport.year == YEAR, MonthlyReport.month == MONTH)
            )
            if report is not None:
                db.session.execute(delete(IndicatorActual).where(IndicatorActual.report_id == report.id))
                db.session.delete(report)
                db.session.commit()
            db.session.remove()
        yield app


class Sent:
    """Statements (with their parameters) sent on the engine, by request."""

    def __init__(self, engine) -> None:
        self.engine, self.now = engine, None
        self.by_request: dict[str, list[list[str]]] = {}

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.now is not None:
            self.by_request[self.now][-1].append(f"{' '.join(statement.split())[:200]} {parameters!r}"[:500])

    def request(self, kind: str, send):
        self.now = kind
        self.by_request.setdefault(kind, []).append([])
        try:
            return send()
        finally:
            self.now = None


def test_a_clerks_flow_reads_each_thing_once_and_stays_within_its_statements(app):
    with app.app_context():
        engine = db.engine
    sent = Sent(engine)
    client = https_client(app)
    path = f"/reports/{UNIT}/{YEAR}/{MONTH}"
    event.listen(engine, "before_cursor_execute", sent)
    try:
        token = clerks.csrf_token(client.get("/login").data)
        username, password = ROLE_ACCOUNTS["reporter"]
        login = {"csrf_token": token, "username": username, "password": password}
        at_login = {"Referer": f"{ORIGIN}/login"}
        response = sent.request("login POST", lambda: client.post("/login", data=login, headers=at_login))
        assert response.status_code == 302
        page = sent.request("form GET", lambda: client.get(path))
        assert page.status_code == 200
        form = clerks.read_form(page.data)
        assert form.version == 0, "the month must be a fresh one"
        for indicator, comparator, low in form.rows[:3]:
            typed = clerks.GRADE if comparator == "QUALITATIVE" else clerks._number(comparator, low)
            payload = {"indicator_id": indicator, "values": {"actual": typed}}
            headers = {"X-CSRFToken": form.token, "Referer": ORIGIN + path}
            lamp = sent.request(
                "lamp POST",
                lambda p=payload, h=headers: client.post(f"{path}/lamp", json=p, headers=h),
            )
            assert lamp.status_code == 200, lamp.data[:300]
        values, on_form = form.values(), {"Referer": ORIGIN + path}
        save = MultiDict([("csrf_token", form.token), ("base_version", "0"), ("action", "save"), *values])
        saved = sent.request("save POST", lambda: client.post(path, data=save, headers=on_form))
        assert saved.status_code == 302, saved.data[:300]
        submit = [("csrf_token", form.token), ("base_version", "1"), ("action", "submit")]
        submit = MultiDict([*submit, ("confirm_plausible", "1"), *values])
        submitted = sent.request("submit POST", lambda: client.post(path, data=submit, headers=on_form))
        assert submitted.status_code == 302, submitted.data[:300]
    finally:
        event.remove(engine, "before_cursor_execute", sent)
    assert "已提交" in client.get(path).get_data(as_text=True)

    repeated = {
        kind: twice
        for kind, requests in sent.by_request.items()
        for statements in requests
        if (twice := [f"{n}× {s}" for s, n in Counter(statements).items() if n > 1])
    }
    assert not repeated, repeated
    costs = {kind: max(len(s) for s in requests) for kind, requests in sent.by_request.items()}
    budget = {kind: n + (kind in ASKS_WHETHER_IT_WROTE and is_postgresql()) for kind, n in BUDGET.items()}
    over = {kind: (costs[kind], most) for kind, most in budget.items() if costs[kind] > most}
    assert not over, f"statements (sent, budget): {over}; all: {costs}"
