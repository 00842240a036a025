"""One Alembic history builds the schema on SQLite and PostgreSQL, goes down and up again, and
agrees with the models (no autogenerate drift)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from tests.conftest import new_database_url
from tracker import create_app
from tracker.extensions import db


@pytest.fixture
def empty_app(tmp_path):
    url, drop = new_database_url(tmp_path)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def _drift(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(context, db.metadata)


def test_migrations_go_up_down_and_up_again_and_match_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"indicator", "project", "monthly_report", "user"} <= tables
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
    assert _drift(empty_app) == []


def _run_tally_revision(app) -> str:
    """The revision before the one that adds run_tally (whatever number merging gives it)."""
    from alembic.script import ScriptDirectory

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    revision = next(r for r in script.walk_revisions() if (r.module.__doc__ or "").startswith("run_tally"))
    return str(revision.down_revision)


def test_runs_stored_before_run_tally_get_their_lamp_and_score_tallies(empty_app):
    from sqlalchemy import text

    with empty_app.app_context():
        upgrade(revision=_run_tally_revision(empty_app))
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO department (id, code, name) VALUES (1, '801', 'x')"))
            run = (
                "INSERT INTO evaluation_run (id, kind, department_id, year, month, rule_pack, rule_version,"
                " created_at, summary) VALUES (:id, :kind, 1, 2023, :month, 'p', '1', '2023-08-06', '{}')"
            )
            c.execute(
                text(run),
                [
                    {"id": 1, "kind": "monitoring", "month": 7},
                    {"id": 2, "kind": "self_assessment", "month": 0},
                ],
            )
            c.execute(
                text(
                    "INSERT INTO indicator_result (run_id, indicator_id, position, level1, name, target, mode,"
                    " status, needs_cause, flags, explain) VALUES (1, :n, :n, 'a', 'b', 'c', 'level', :status,"
                    " false, '', '{}')"
                ),
                [
                    {"n": 1, "status": "red"},
                    {"n": 2, "status": "red"},
                    {"n": 3, "status": None},
                    {"n": 4, "status": "green"},
                ],
            )
            c.execute(
                text(
                    "INSERT INTO project_result (run_id, project_id, code, name, unit_code, budget, spent, total,"
                    " grade, explain) VALUES (2, :n, 'c', 'n', 'u', 1, 1, :total, :grade, '{}')"
                ),
                [
                    {"n": 1, "total": "85.5", "grade": "良"},
                    {"n": 2, "total": "89.99", "grade": "良"},
                    {"n": 3, "total": "100", "grade": "优"},
                    {"n": 4, "total": None, "grade": None},
                ],
            )
        upgrade()
        with db.engine.connect() as c:
            rows = c.execute(
                text("SELECT run_id, kind, department_id, year, month, name, value FROM run_tally")
            )
            tallies = {(r.run_id, r.kind, r.month, r.name): int(r.value) for r in rows}
    assert tallies == {
        (1, "monitoring", 7, "lamp:red"): 2,
        (1, "monitoring", 7, "lamp:n/a"): 1,
        (1, "monitoring", 7, "lamp:green"): 1,
        (2, "self_assessment", 0, "score:良:8"): 2,
        (2, "self_assessment", 0, "score:优:10"): 1,
    }
