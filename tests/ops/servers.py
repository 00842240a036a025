"""Real gunicorn servers on loopback ports over a database of their own, for what only separate
worker processes show (a rate-limit store they share, start-up refusals, the access log)."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gunicorn import __version__ as gunicorn_version

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
PASSWORD = "a-long-password-for-the-ops-tests"
#: gunicorn 27 opens a control socket at one path per user: a test server must not take another's.
QUIET = ["--no-control-socket"] if int(gunicorn_version.split(".")[0]) >= 27 else []


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh machine (none of the app's settings) plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECRET_KEY", "TRACKER_", "SERVER_SOFTWARE", "RATELIMIT_", "LOGIN_"))
    }
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
        DATABASE_URL=f"sqlite:///{tmp_path / 'ops.db'}",
        UPLOAD_DIR=str(tmp_path / "uploads"),
        REPORT_DIR=str(tmp_path / "reports"),
        SCHEDULER_ENABLED="0",
        **extra,
    )
    return env


def run(command: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def migrated_database(tmp_path: Path, *usernames: str) -> None:
    """``flask db upgrade`` and an administrator per name in ``tmp_path``'s database."""
    env = base_env(tmp_path, TRACKER_CONFIG="development")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    done = run([*flask, "db", "upgrade"], env)
    assert done.returncode == 0, done.stderr
    for username in usernames:
        done = run(
            [*flask, "tracker", "create-user", username, "--role", "admin", "--password", PASSWORD], env
        )
        assert done.returncode == 0, done.stderr


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def gunicorn(tmp_path: Path, env: dict[str, str], *, name: str = "web", workers: int = 1) -> Iterator[Server]:
    """``gunicorn wsgi:app`` on a free loopback port until the block ends; its output in a file."""
    port = free_port()
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(GUNICORN), *QUIET, "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, server.output()
            try:
                with urllib.request.urlopen(server.url + "/login", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # TimeoutError: a first request slower than 5 s on a loaded machine is not a failure.
                assert time.monotonic() < deadline, server.output()
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Browser:
    """A cookie jar against one server: GET answers and login form posts, redirects not followed."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(
        self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.server.url + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def login(self, username: str, password: str) -> int:
        _status, _headers, page = self.request("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token, page[:500]
        status, _headers, _page = self.request(
            "/login", {"csrf_token": token.group(1), "username": username, "password": password}
        )
        return status


def new_secret() -> str:
    return secrets.token_hex(32)
