"""WCAG 2.1 A/AA on every page of every role (issue 11 §7; GB/T 37668 asks it of government sites):
axe-core, injected by Playwright into each page a role reaches from its home page, finds nothing.

axe-core comes from package-lock.json (``make test`` runs ``npm ci``)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest
from sqlalchemy import select

from tracker.auth.models import User
from tracker.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ADMIN_PASSWORD = "admin-password-1"
ROLES = {
    "reporter": ("unit122201", None),
    "department": ("dept122", None),
    "finance": ("finance", None),
    "admin": ("admin", ADMIN_PASSWORD),
}
#: Links that are not pages: files, the language switch, logging out.
NOT_PAGES = ("/logout", "/lang/", "/download", "/export", ".xlsx", ".pdf", ".csv", "/evidence/", "/api/")
MAX_PAGES = 45
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def admin(live_server):
    from tracker.auth.services import create_user

    with live_server.app.app_context():
        if db.session.scalar(select(User).where(User.username == "admin")) is None:
            create_user("admin", ADMIN_PASSWORD, "admin")
        db.session.remove()


def _shape(url: str) -> str:
    """One page per route shape: /reports/122201/2023/7 and /reports/122201/2023/8 are one."""
    parsed = urlparse(url)
    return (
        re.sub(r"\d+", "N", parsed.path)
        + "?"
        + ",".join(sorted(q.split("=")[0] for q in parsed.query.split("&") if q))
    )


def _pages_of(page, base: str) -> list[str]:
    """Same-site page links from the home page and from each page found (breadth first), one per
    route shape."""
    seen: list[str] = []
    shapes: set[str] = set()
    queue = [f"{base}/"]
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen or _shape(url) in shapes:
            continue
        response = page.goto(url)
        if (
            response is None
            or response.status != 200
            or "text/html" not in response.headers.get("content-type", "")
        ):
            continue
        seen.append(url)
        shapes.add(_shape(url))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            link = urldefrag(href)[0]
            if urlparse(link).netloc != urlparse(base).netloc or any(part in link for part in NOT_PAGES):
                continue
            if link not in seen and link not in queue and _shape(link) not in shapes:
                queue.append(link)
    return seen


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_the_role_passes_axe(live_server, page, admin, role):
    assert AXE.exists(), "axe-core is missing: run `npm ci` (make test does)"
    username, password = ROLES[role]
    if password:
        live_server.login(page, username, password)
    else:
        live_server.login(page, username)
    failures = []
    pages = _pages_of(page, live_server.url)
    assert len(pages) >= 3, pages
    for url in pages:
        page.goto(url)
        page.evaluate(AXE.read_text(encoding="utf-8"))  # not a script tag: the CSP allows none inline
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            TAGS,
        )
        for violation in result["violations"]:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            failures.append(
                f"{url.removeprefix(live_server.url)}: {violation['id']} ({len(violation['nodes'])}) {targets}"
            )
    assert not failures, f"{len(failures)} WCAG A/AA violations on {len(pages)} pages:\n" + "\n".join(
        failures
    )
