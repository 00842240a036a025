"""Test harness: one database per test session (SQLite file, or a fresh PostgreSQL database when
``TEST_DATABASE_URL`` points at a server), and a rollback per test.

Every service uses ``db.session``; here it is replaced by a session bound to one connection whose
outer transaction is rolled back after each test, so services may ``commit()`` freely (the commit
releases a SAVEPOINT) and nothing leaks between tests.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import scoped_session, sessionmaker

from config import _database_url
from tracker import create_app
from tracker.extensions import db

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
DATA = Path(__file__).resolve().parent.parent / "tracker" / "demo_data"


def _create_database(base_url: str) -> tuple[str, object]:
    """A new, empty database for this session; returns its URL and a function that drops it."""
    if not base_url.startswith("postgresql"):
        raise ValueError(base_url)
    url = make_url(base_url)
    name = f"tracker_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def new_database_url(tmp_dir: Path) -> tuple[str, object]:
    """A fresh empty database of the kind this run tests (SQLite file or PostgreSQL)."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if base:
        return _create_database(_database_url(base))
    path = tmp_dir / f"{uuid.uuid4().hex[:8]}.db"
    return f"sqlite:///{path}", lambda: None


@contextlib.contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """The URL of a fresh empty database (see ``new_database_url``), dropped on exit."""
    url, drop = new_database_url(tmp_dir)
    try:
        yield url
    finally:
        drop()  # type: ignore[operator]


@contextlib.contextmanager
def app_over(database_url: str, files: Path, **config: object) -> Iterator:
    """The testing app over ``database_url`` with its schema created, uploads and reports under
    ``files``; its session and engine are released on exit."""
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_DIR=str(files / "uploads"),
        REPORT_DIR=str(files / "reports"),
        **config,
    )
    with app.app_context():
        db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def is_postgresql() -> bool:
    return os.environ.get("TEST_DATABASE_URL", "").startswith(("postgres", "postgresql"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    with app_over(database_url, tmp_path_factory.mktemp("files")) as app:
        yield app
        with app.app_context():
            db.session.remove()
            db.drop_all()


@pytest.fixture(autouse=True)
def session(app):
    """The per-test session, inside an app context, rolled back at the end of the test. Requests to
    ``app`` in a test reuse that context, so its teardowns (how a request's transaction ends,
    ``core.database.end_reading_transaction``) run per request only for apps of their own, as in
    ``tests/web`` (``production_app_over``) and ``tests/core/test_reading_transactions.py``."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(  # type: ignore[assignment]
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original  # type: ignore[assignment]
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli(app):
    """Invoke ``flask tracker …`` commands: ``cli.invoke(args=["tracker", "import-targets", path])``."""
    return app.test_cli_runner(mix_stderr=False) if _runner_takes_mix_stderr() else app.test_cli_runner()


def _runner_takes_mix_stderr() -> bool:
    import inspect

    from click.testing import CliRunner

    return "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


def login_as(client, user) -> None:
    """Log ``user`` in on ``client`` without the login form (the form has its own tests): a login
    session of its own, as the form opens."""
    from tracker.auth.services import open_session

    key = open_session(user)
    db.session.commit()  # a request that rolls back (a dry run) must not take the login with it
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = key
        flask_session["_fresh"] = True


# --- a real SMTP server on a free loopback port (reports' deliveries, reporting's reminders) ---


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message). Addresses put in
    ``refuse`` are answered 550 at RCPT, as a server does for an unknown mailbox."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.original_content, policy=policy.default))
        )
        return "250 OK"


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    server = SmtpServer()
    server.start()
    saved = {
        key: app.config[key]
        for key in (
            "SMTP_HOST",
            "SMTP_PORT",
            "SMTP_SECURITY",
            "SMTP_USER",
            "MAIL_FROM",
            "FINANCE_BUREAU_EMAIL",
            "SMTP_TIMEOUT",
        )
    }
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=server.port,
        SMTP_SECURITY="none",
        SMTP_USER="",
        MAIL_FROM="tracker@example.org",
        FINANCE_BUREAU_EMAIL="czj@example.org",
        SMTP_TIMEOUT=5,
    )
    yield server
    server.stop()
    app.config.update(saved)
