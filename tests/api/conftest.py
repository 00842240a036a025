"""API tests run against the 焦作 demo (``load-demo``), loaded once into this directory's own
database; every test still runs inside a transaction that is rolled back (the root ``session``
fixture), so writes never leak. Tokens of the demo accounts are made once, with the CLI's service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import app_over, fresh_database
from tracker.extensions import db

#: Demo accounts (tracker.auth.services.DEMO_USERS) plus an administrator made here.
ROLES = {"reporter": "unit122201", "department": "dept122", "finance": "finance", "admin": "admin"}


@pytest.fixture(scope="session")
def demo_tokens_store() -> dict[str, str]:
    return {}


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, demo_tokens_store: dict[str, str]) -> Iterator:
    """The app over a database holding the demo (overrides the root ``app`` for tests/api)."""
    from tracker.api.tokens import issue_token_for
    from tracker.auth.services import create_user
    from tracker.targets.demo import load_demo

    files = tmp_path_factory.mktemp("api")
    with fresh_database(files) as url, app_over(url, files) as app:
        with app.app_context():
            for report in load_demo():
                assert report.ok, report.errors[:5]
            create_user("admin", "admin-password", "admin")
            for username in ("unit122101", "unit122201", "unit122301", "dept122", "finance", "admin"):
                demo_tokens_store[username] = issue_token_for(username, name="tests").secret
            db.session.remove()
        yield app


@pytest.fixture
def tokens(demo_tokens_store: dict[str, str]) -> dict[str, str]:
    """username → bearer token of the demo accounts."""
    return demo_tokens_store


class Api:
    """The test client with a bearer token: ``api.get("/projects", as_="unit122201")``."""

    def __init__(self, client, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def headers(self, as_: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = dict(extra or {})
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.tokens.get(as_, as_)}"
        return headers

    def request(
        self, method: str, path: str, as_: str | None = None, headers: dict[str, str] | None = None, **kwargs
    ):
        return self.client.open("/api/v1" + path, method=method, headers=self.headers(as_, headers), **kwargs)

    def get(self, path: str, as_: str | None = None, **kwargs):
        return self.request("GET", path, as_, **kwargs)

    def put(self, path: str, as_: str | None = None, **kwargs):
        return self.request("PUT", path, as_, **kwargs)

    def post(self, path: str, as_: str | None = None, **kwargs):
        return self.request("POST", path, as_, **kwargs)


@pytest.fixture
def api(client, tokens) -> Api:
    return Api(client, tokens)


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): run these tests in one xdist worker")
