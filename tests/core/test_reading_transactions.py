"""A request's transaction that wrote nothing ends with COMMIT on PostgreSQL, so that psycopg keeps
the statements it has prepared (it forgets them all at a ROLLBACK); anything that wrote — through
the ORM, a Core statement or COPY — and any failed request are rolled back as before."""

from __future__ import annotations

import pytest
from flask import Flask, abort
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from tests.conftest import app_over, fresh_database, is_postgresql
from tracker.budget.models import Department
from tracker.core.database import init_request_transactions, without_prepared_statements
from tracker.evaluation.bulk import bulk_insert
from tracker.extensions import db

on_postgresql = pytest.mark.skipif(not is_postgresql(), reason="psycopg's prepared statements")


@pytest.fixture
def session():
    """Not the suite's per-test session: it would stand in for ``db.session`` in every app, and these
    requests must end their transactions as production's do."""
    yield None


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    """An app of its own, whose requests each push their app context (as they do in production),
    with doors that read, or write and answer without committing."""
    files = tmp_path_factory.mktemp("reading")
    with fresh_database(files) as url, app_over(url, files) as app:

        @app.get("/t/read")
        def read():
            return str(db.session.scalar(select(func.count()).select_from(Department)))

        @app.get("/t/flush")
        def flush():
            db.session.add(Department(code="flushed", name="写入后未提交"))
            db.session.flush()
            return "flushed"

        @app.get("/t/core")
        def core():
            db.session.execute(insert(Department).values(code="core", name="Core 写入"))
            return "inserted"

        @app.get("/t/copy")
        def copy():
            bulk_insert(db.session.connection(), Department.__table__, [{"code": "copied", "name": "COPY"}])
            return "copied"

        @app.get("/t/pending")
        def pending():
            with db.session.no_autoflush:
                db.session.add(Department(code="pending", name="未写出"))
                return str(db.session.scalar(select(func.count()).select_from(Department)))

        @app.get("/t/refused")
        def refused():
            db.session.add(Department(code="refused", name="写入后答 404"))
            db.session.flush()
            abort(404)

        @app.get("/t/fail")
        def fail():
            db.session.scalar(select(func.count()).select_from(Department))
            raise RuntimeError("a failed request")

        yield app


@pytest.fixture
def ends(own_app):
    """How each transaction on the app's engine ended, in order."""
    with own_app.app_context():
        engine = db.engine
    seen: list[str] = []
    listeners = {
        "commit": lambda conn: seen.append("commit"),
        "rollback": lambda conn: seen.append("rollback"),
    }
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    yield seen
    for name, listener in listeners.items():
        event.remove(engine, name, listener)


def _codes(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Department.code)))


@on_postgresql
def test_a_request_that_only_read_commits_and_its_statements_stay_prepared(own_app, ends):
    client = own_app.test_client()
    for _ in range(7):  # psycopg prepares a statement on its fifth run on a connection
        assert client.get("/t/read").status_code == 200
    assert ends == ["commit"] * 7
    with own_app.app_context():
        prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("count(*)" in statement and "department" in statement for statement in prepared), prepared


@pytest.mark.skipif(is_postgresql(), reason="SQLite keeps no prepared statements to save")
def test_on_sqlite_a_reading_request_rolls_back_as_before(own_app, ends):
    assert own_app.test_client().get("/t/read").status_code == 200
    assert ends == ["rollback"]


@pytest.mark.parametrize("door", ["/t/flush", "/t/core"])
def test_a_request_that_wrote_without_committing_is_rolled_back(own_app, ends, door):
    assert own_app.test_client().get(door).status_code == 200
    assert ends == ["rollback"]
    assert not _codes(own_app) & {"flushed", "core"}


def test_a_request_that_added_without_flushing_is_rolled_back(own_app, ends):
    # Committed, the session would write it first: what is pending is not the reading kind.
    assert own_app.test_client().get("/t/pending").status_code == 200
    assert ends == ["rollback"]
    assert "pending" not in _codes(own_app)


def test_a_request_that_wrote_then_answered_an_error_is_rolled_back(own_app, ends):
    assert own_app.test_client().get("/t/refused").status_code == 404
    assert ends == ["rollback"]
    assert "refused" not in _codes(own_app)


def test_the_ending_comes_after_the_session_is_set_up():
    with pytest.raises(RuntimeError, match="after db.init_app"):
        init_request_transactions(Flask("bare"))


@on_postgresql
def test_a_copy_left_uncommitted_is_rolled_back(own_app, ends):
    # COPY passes SQLAlchemy's statement events by; the database still knows the transaction wrote.
    assert own_app.test_client().get("/t/copy").status_code == 200
    assert ends == ["rollback"]
    assert "copied" not in _codes(own_app)


@on_postgresql
def test_a_connection_lost_while_asking_leaves_the_page_answered_and_rolls_back(own_app, ends, monkeypatch):
    asked = Connection.exec_driver_sql

    def lost(self, statement, *args, **kwargs):
        if "if_assigned" in statement:
            raise OperationalError(statement, {}, Exception("server closed the connection"))
        return asked(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "exec_driver_sql", lost)
    assert own_app.test_client().get("/t/read").status_code == 200
    assert ends == ["rollback"]


def test_a_failed_request_is_rolled_back(own_app, ends):
    own_app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        assert own_app.test_client().get("/t/fail").status_code == 500
    finally:
        own_app.config["PROPAGATE_EXCEPTIONS"] = None
    assert ends == ["rollback"]


def test_prepared_statements_can_be_switched_off_for_a_pooler_that_cannot_keep_them():
    options = {"pool_pre_ping": True, "connect_args": {"options": "-c lock_timeout=3000"}}
    off = without_prepared_statements("postgresql+psycopg://db.example/tracker", options)
    assert off["connect_args"] == {"options": "-c lock_timeout=3000", "prepare_threshold": None}
    assert off["pool_pre_ping"] and "prepare_threshold" not in options["connect_args"]
    assert without_prepared_statements("sqlite:///instance/tracker.db", options) == options


@on_postgresql
def test_with_prepared_statements_off_the_connections_prepare_none(tmp_path):
    with (
        fresh_database(tmp_path) as url,
        app_over(url, tmp_path, PREPARED_STATEMENTS=False) as app,
        app.app_context(),
    ):
        assert db.session.connection().connection.driver_connection.prepare_threshold is None
