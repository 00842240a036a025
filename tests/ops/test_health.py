"""/healthz says the process answers (no database); /readyz says its database answers and is at the
migrations' head, else 503 with the reason. No login, no cookie, no rate limit."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from tests.conftest import new_database_url
from tracker import create_app
from tracker.extensions import db, limiter


@pytest.fixture
def make_app(tmp_path):
    made = []

    def make(url: str | None = None, **config):
        if url is None:
            url, drop = new_database_url(tmp_path)
            made.append(drop)
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, **config)
        made.append(app)
        return app

    yield make
    for item in reversed(made):
        if callable(item) and not hasattr(item, "app_context"):
            item()
        else:
            with item.app_context():
                db.session.remove()
                db.engine.dispose()


def _get(app, path):
    return app.test_client().get(path)


def _head(app) -> str:
    from tracker.ops import code_heads

    (head,) = code_heads(app.extensions["migrate"].directory)
    return head


def _schema_at(app, revision: str | None) -> None:
    """The schema, stamped as Alembic stamps it. (Not ``flask_migrate.upgrade()`` here: Alembic's
    env.py reconfigures logging for the whole process, silencing the loggers later tests read.)"""
    with app.app_context():
        db.create_all()
        if revision is None:
            return
        with db.engine.begin() as connection:
            connection.execute(
                text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
            )
            connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": revision})


def test_healthz_answers_ok_without_a_database(make_app, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    with app.app_context():
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    response = _get(app, "/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"
    assert response.mimetype == "text/plain" and "Set-Cookie" not in response.headers
    assert statements == []


def test_readyz_is_ready_at_the_migrations_head(make_app):
    app = make_app()
    _schema_at(app, _head(app))
    response = _get(app, "/readyz")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_data(as_text=True) == "ready\n" and "Set-Cookie" not in response.headers


def test_readyz_is_503_when_the_database_does_not_answer(make_app, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    response = _get(app, "/readyz")
    assert response.status_code == 503
    assert response.get_data(as_text=True).startswith("not ready: database unreachable")


def test_readyz_is_503_on_a_database_without_migrations(make_app):
    app = make_app()
    _schema_at(app, None)
    response = _get(app, "/readyz")
    assert response.status_code == 503
    assert "database not migrated to head: at no revision, code expects" in response.get_data(as_text=True)


def test_readyz_is_503_on_a_database_behind_the_code(make_app):
    app = make_app()
    _schema_at(app, "0002")
    response = _get(app, "/readyz")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "database not migrated to head: at 0002" in body and f"code expects {_head(app)}" in body


def test_no_login_is_needed_and_no_rate_limit_counts(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    _schema_at(app, _head(app))
    limiter.reset()
    client = app.test_client()
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
    # The default limit does apply elsewhere: the exemption is what lets the probes through.
    assert [client.get("/lang/zh").status_code for _ in range(3)] == [302, 302, 429]
    limiter.reset()
