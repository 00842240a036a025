"""A request the database keeps waiting answers 503 with a retry message, and writes nothing (issue
12 §10): on PostgreSQL a table locked by another session stops a page, an import and an API call at
the request's lock timeout (or its statement timeout), instead of freezing them for as long as the
lock is held. Jobs, the scheduler and commands wait longer.

Each test holds the lock from a connection of its own and makes the request from a thread; the
request must come back while the lock is still held."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.conftest import app_over, fresh_database, is_postgresql, login_as
from tests.reporting.world import build_world
from tracker import create_app
from tracker.auth.models import User
from tracker.extensions import db
from tracker.reporting.models import MonthlyReport

postgresql_only = pytest.mark.skipif(
    not is_postgresql(),
    reason="SQLite has no statement_timeout or lock_timeout: a writer waits for the file lock for "
    "pysqlite's busy timeout instead (its 'database is locked' answers the same 503, tested below)",
)
#: The longest a request may take while the lock is held before the test calls it frozen.
FROZEN = 60
#: The world's department administrator, a page of its unit's report and a project of the unit.
ADMIN, PAGE, PROJECT = "d801", "/reports/801001/2023/7", "41080023000000090001"


@pytest.fixture(autouse=True)
def session():
    """No rollback session: these apps own their databases, and another connection must see them."""
    yield None


@pytest.fixture
def make_app(tmp_path) -> Iterator:
    """``make_app(**config)``: the testing app over a fresh database holding the web tests' world."""
    with contextlib.ExitStack() as stack:

        def make(**config: object):
            url = stack.enter_context(fresh_database(tmp_path))
            app = stack.enter_context(app_over(url, tmp_path, **config))
            with app.app_context():
                build_world()
                db.session.commit()
                db.session.remove()
            return app

        yield make


@contextlib.contextmanager
def locked(app, table: str, mode: str = "ACCESS EXCLUSIVE") -> Iterator[None]:
    """``table`` locked by another session until the block ends (on SQLite: the whole file)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()
        return
    engine = create_engine(url, poolclass=NullPool)
    connection = engine.connect()
    try:
        connection.execute(text(f"LOCK TABLE {table} IN {mode} MODE"))
        yield
    finally:
        connection.rollback()
        connection.close()
        engine.dispose()


def _while_locked(request) -> object:
    """The response of ``request()``, made in a thread; fails if it does not come back."""
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(request()), daemon=True)
    thread.start()
    thread.join(timeout=FROZEN)
    assert done, f"the request was still waiting for the lock after {FROZEN} s"
    return done[0]


def _logged_in(app, username: str = ADMIN):
    client = app.test_client()
    with app.app_context():
        login_as(client, db.session.scalar(select(User).where(User.username == username)))
        db.session.remove()
    return client


def _busy(response, *, api: bool = False) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    if api:
        assert response.is_json and response.json["status"] == "database_busy"
        assert "数据库正忙" in response.json["message"] and "重试" in response.json["message"]
    else:
        page = response.get_data(as_text=True)
        assert "数据库正忙" in page and "没有写入任何内容" in page and "重试" in page


@postgresql_only
def test_a_page_that_needs_a_locked_table_answers_503_at_the_lock_timeout(make_app, caplog):
    app = make_app(WEB_LOCK_TIMEOUT_SECONDS=1, WEB_STATEMENT_TIMEOUT_SECONDS=30)
    client = _logged_in(app)
    with locked(app, "indicator"):
        response = _while_locked(lambda: client.get(PAGE))

    _busy(response)
    assert "lock timeout" in caplog.text
    assert client.get(PAGE).status_code == 200


@postgresql_only
def test_a_statement_past_its_timeout_answers_503(make_app, caplog):
    app = make_app(WEB_LOCK_TIMEOUT_SECONDS=0, WEB_STATEMENT_TIMEOUT_SECONDS=1)
    client = _logged_in(app)

    with locked(app, "indicator"):
        response = _while_locked(lambda: client.get(PAGE))

    _busy(response)
    assert "statement timeout" in caplog.text


@postgresql_only
def test_an_import_confirmed_while_its_table_is_locked_answers_503_and_writes_nothing(make_app):
    app = make_app(WEB_LOCK_TIMEOUT_SECONDS=1, WEB_STATEMENT_TIMEOUT_SECONDS=30)
    client = _logged_in(app)
    content = f"年度,月份,项目编码,三级指标,实际完成值\n2023,3,{PROJECT},办件数量,30\n".encode()
    preview = client.post(
        "/imports",
        data={"kind": "actuals", "file": (io.BytesIO(content), "actuals.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    start = preview.index('action="/imports/') + len('action="/imports/')
    confirm = f"/imports/{preview[start : preview.index('/confirm', start)]}/confirm"

    with locked(app, "monthly_report", "EXCLUSIVE"):  # reads pass, writes wait
        response = _while_locked(lambda: client.post(confirm))

    _busy(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(MonthlyReport.id))) == 0
        db.session.remove()
    assert client.post(confirm).status_code == 302, "the same confirmation goes through once it may"
    with app.app_context():
        assert db.session.scalar(select(func.count(MonthlyReport.id))) == 1
        db.session.remove()


@postgresql_only
def test_an_api_call_that_needs_a_locked_table_answers_503_in_json(make_app):
    from tracker.api.tokens import issue_token_for

    app = make_app(WEB_LOCK_TIMEOUT_SECONDS=1, WEB_STATEMENT_TIMEOUT_SECONDS=30)
    with app.app_context():
        secret = issue_token_for(ADMIN).secret
        db.session.commit()
    client = app.test_client()

    with locked(app, "indicator"):
        response = _while_locked(
            lambda: client.get("/api/v1/indicators?year=2023", headers={"Authorization": f"Bearer {secret}"})
        )

    _busy(response, api=True)


@postgresql_only
def test_jobs_and_commands_wait_longer_than_web_requests(database_url):
    def settings(web: bool) -> tuple[str, str]:
        app = create_app(
            "production",
            web=web,
            SECRET_KEY="a-real-secret-for-the-production-tests",
            SQLALCHEMY_DATABASE_URI=database_url,
            RATELIMIT_ENABLED=False,
        )
        with app.app_context(), db.engine.connect() as connection:
            query = "SELECT setting FROM pg_settings WHERE name = :name"
            found = tuple(
                connection.execute(text(query), {"name": name}).scalar()
                for name in ("statement_timeout", "lock_timeout")
            )
            db.engine.dispose()
        return found

    assert settings(web=True) == ("5000", "3000")
    assert settings(web=False) == ("1800000", "60000")


@pytest.mark.skipif(is_postgresql(), reason="SQLite's own lock: the PostgreSQL tests above cover theirs")
def test_on_sqlite_a_page_that_waits_past_the_busy_timeout_answers_503(make_app):
    app = make_app()
    client = _logged_in(app)

    with locked(app, "indicator"):
        response = _while_locked(lambda: client.get(PAGE))

    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "数据库正忙" in response.get_data(as_text=True)
