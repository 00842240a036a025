"""The web as a browser meets it: the app in its production configuration (CSRF on, rate limits on,
secure cookies over https), over its own database holding the 焦作 demo plus an administrator.

These tests write for real into that database (a crawl submits every form); nothing else uses it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import fresh_database
from tracker import create_app
from tracker.extensions import db

DEMO_PASSWORD = "tracker-demo"
ADMIN_PASSWORD = "admin-password-1"
#: One account per role: username → password.
ROLE_ACCOUNTS = {
    "reporter": ("unit122201", DEMO_PASSWORD),
    "department": ("dept122", DEMO_PASSWORD),
    "finance": ("finance", DEMO_PASSWORD),
    "admin": ("admin", ADMIN_PASSWORD),
}


@pytest.fixture(autouse=True)
def session():
    """No per-test rollback session: these tests own their database."""
    yield None


@contextlib.contextmanager
def production_app_over(files: Path) -> Iterator:
    """The app in its production configuration over a fresh database holding the demo and an
    administrator, in ``files``."""
    from tracker.auth.services import create_user
    from tracker.targets.demo import load_demo

    with fresh_database(files) as url:
        app = create_app(
            "production",
            SECRET_KEY="a-real-secret-for-the-production-tests",
            SQLALCHEMY_DATABASE_URI=url,
            UPLOAD_DIR=str(files / "uploads"),
            REPORT_DIR=str(files / "reports"),
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=9,  # nothing listens: a send is recorded as failed and left for the retries
            SMTP_TIMEOUT=2,
            FINANCE_BUREAU_EMAIL="czj@example.org",
        )
        assert app.config["WTF_CSRF_ENABLED"] and not app.testing
        with app.app_context():
            db.create_all()
            for report in load_demo():
                assert report.ok, report.errors[:5]
            create_user("admin", ADMIN_PASSWORD, "admin")
            _submitted_department_month()
            db.session.remove()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture(scope="session")
def production_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with production_app_over(tmp_path_factory.mktemp("web")) as app:
        yield app


ORIGIN = "https://localhost"


class HttpsClient(FlaskClient):
    """The test client over https: the production session cookie is Secure."""

    def open(self, *args, **kwargs):
        if not args or isinstance(args[0], str):
            kwargs.setdefault("base_url", ORIGIN)
        return super().open(*args, **kwargs)


def https_client(app) -> HttpsClient:
    return HttpsClient(app, app.response_class, use_cookies=True)


def _submitted_department_month() -> None:
    """The demo's months are imported, so approved; finance meets two 部门整体 months waiting for
    review (one to approve, one to return), as on a real 6th of the month."""
    from sqlalchemy import select

    from tracker.reporting.models import MonthlyReport

    reports = db.session.scalars(
        select(MonthlyReport)
        .where(MonthlyReport.unit_id.is_(None), MonthlyReport.status == "approved")
        .order_by(MonthlyReport.month.desc())
        .limit(2)
    ).all()
    assert len(reports) == 2
    for report in reports:
        report.status = "submitted"
    db.session.commit()


@pytest.fixture
def browser_client(production_app) -> HttpsClient:
    return https_client(production_app)


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one xdist worker")


@pytest.fixture
def smtp(production_app):
    """A real SMTP server the production app sends to while the test runs."""
    from tests.conftest import SmtpServer

    server = SmtpServer()
    server.start()
    saved = {key: production_app.config[key] for key in ("SMTP_PORT", "FINANCE_BUREAU_EMAIL")}
    production_app.config.update(SMTP_PORT=server.port, FINANCE_BUREAU_EMAIL="czj@example.org")
    yield server
    server.stop()
    production_app.config.update(saved)


@pytest.fixture
def no_deliveries(production_app) -> None:
    """No package recorded yet: a send is the first of its package."""
    from tracker.reports.models import Delivery, DeliveryAttempt

    with production_app.app_context():
        db.session.query(DeliveryAttempt).delete()
        db.session.query(Delivery).delete()
        db.session.commit()
        db.session.remove()
