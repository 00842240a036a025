"""Production says loudly when its rate limits are counted per worker (memory://), and gunicorn
does not start so; behind a trusted proxy the limits count per client address."""

from __future__ import annotations

import logging

from tests.ops.servers import GUNICORN, base_env, new_secret, run
from tracker import create_app

SHARED = "RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379"


def _production(tmp_path, **config):
    return create_app(
        "production",
        SECRET_KEY=new_secret(),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}",
        **config,
    )


def test_production_with_per_worker_limits_warns_at_start(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="tracker"):
        _production(tmp_path, RATELIMIT_STORAGE_URI="memory://")
    warnings = [
        r.getMessage() for r in caplog.records if r.name == "tracker" and r.levelno >= logging.WARNING
    ]
    assert any("memory://" in m and SHARED in m for m in warnings), warnings


def test_no_warning_when_per_worker_limits_are_accepted_or_a_store_is_shared(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="tracker"):
        _production(tmp_path, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_ALLOW_MEMORY=True)
        create_app("development", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'd.db'}")
    assert not [r for r in caplog.records if "memory://" in r.getMessage()]


def test_gunicorn_in_production_refuses_per_worker_limits(tmp_path):
    done = run([str(GUNICORN), "--check-config", "wsgi:app"], base_env(tmp_path, SECRET_KEY=new_secret()))
    assert done.returncode != 0
    assert "RATELIMIT_STORAGE_URI is memory://" in done.stderr and SHARED in done.stderr


def test_gunicorn_in_production_starts_with_limits_accepted_per_worker(tmp_path):
    env = base_env(tmp_path, SECRET_KEY=new_secret(), RATELIMIT_ALLOW_MEMORY="1")
    done = run([str(GUNICORN), "--check-config", "wsgi:app"], env)
    assert done.returncode == 0, done.stderr
