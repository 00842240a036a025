"""Real-browser tests: the app served by werkzeug on a free loopback port over its own database loaded
with ``load-demo``, driven by Debian's chromium through Playwright (sync API).

Other helpers reuse ``live_server`` (its ``.url``) and ``page``. Mark tests ``@pytest.mark.browser``
and ``@pytest.mark.xdist_group("browser")`` so one worker owns the browser.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import app_over, fresh_database
from tracker.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = Path(__file__).resolve().parent.parent.parent / "test-output" / "browser"
DEMO_PASSWORD = "tracker-demo"


@pytest.fixture(autouse=True)
def session():
    """Browser tests talk to their own server and database: no per-test rollback session here."""
    yield None


@dataclass
class LiveServer:
    url: str
    app: object

    def login(self, page, username: str, password: str = DEMO_PASSWORD) -> None:
        page.goto(f"{self.url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)

    def logout(self, page) -> None:
        page.click("header form button[type=submit]")
        page.wait_for_url(lambda url: "/login" in url)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    files = tmp_path_factory.mktemp("live")
    from tracker.targets.demo import load_demo

    with fresh_database(files) as url, app_over(url, files, WTF_CSRF_ENABLED=True) as app:
        with app.app_context():
            for report in load_demo():
                assert report.ok, report.errors[:5]
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
        finally:
            server.shutdown()
            thread.join()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


@pytest.fixture
def screenshots(request) -> Path:
    """The test's output folder for screenshots (git-ignored)."""
    folder = OUTPUT / request.node.name.replace("/", "_")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
