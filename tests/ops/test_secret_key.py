"""Production never starts with the public development SECRET_KEY, nor without one; under gunicorn
the configuration is production unless TRACKER_CONFIG says otherwise."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tracker import ConfigurationError, create_app

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
HOWTO = "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"


@pytest.mark.parametrize("key", ["", None, "dev-only-not-secret", "short-secret"])
def test_production_refuses_to_start_without_a_secret_of_its_own(key):
    with pytest.raises(ConfigurationError) as refused:
        create_app("production", SECRET_KEY=key)
    assert "SECRET_KEY" in str(refused.value) and HOWTO in str(refused.value)


def test_production_starts_with_a_real_secret(tmp_path):
    app = create_app(
        "production",
        SECRET_KEY=secrets.token_hex(32),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}",
        RATELIMIT_ALLOW_MEMORY=True,
    )
    assert not app.debug and app.config["SESSION_COOKIE_SECURE"]


def test_a_command_that_serves_no_request_needs_no_secret():
    """The scheduler and ``flask tracker …`` sign no cookie."""
    create_app("production", web=False, SECRET_KEY="")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "TRACKER_CONFIG", "SERVER_SOFTWARE", "RATELIMIT_STORAGE_URI"}
    }
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite:///{tmp_path / 'wsgi.db'}",
        UPLOAD_DIR=str(tmp_path / "uploads"),
        REPORT_DIR=str(tmp_path / "reports"),
        **extra,
    )
    return env


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_gunicorn_without_a_secret_does_not_start(tmp_path):
    done = _run([str(GUNICORN), "--check-config", "wsgi:app"], _env(tmp_path))
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr and HOWTO in done.stderr


def test_gunicorn_with_a_secret_starts_in_production(tmp_path):
    env = _env(tmp_path, SECRET_KEY=secrets.token_hex(32), RATELIMIT_ALLOW_MEMORY="1")
    done = _run([str(GUNICORN), "--check-config", "wsgi:app"], env)
    assert done.returncode == 0, done.stderr


def test_gunicorn_in_development_starts_without_a_secret_as_make_run_does(tmp_path):
    done = _run([str(GUNICORN), "--check-config", "wsgi:app"], _env(tmp_path, TRACKER_CONFIG="development"))
    assert done.returncode == 0, done.stderr


PROBE = "import wsgi; print(wsgi.app.config['REQUIRE_SECRET_KEY'])"


def test_the_wsgi_module_under_gunicorn_is_production(tmp_path):
    done = _run([sys.executable, "-c", PROBE], _env(tmp_path, SERVER_SOFTWARE="gunicorn/23.0.0"))
    assert done.returncode != 0 and "SECRET_KEY is not set" in done.stderr and HOWTO in done.stderr


def test_the_wsgi_module_elsewhere_is_development(tmp_path):
    done = _run([sys.executable, "-c", PROBE], _env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
