"""Every POST form of every role's pages, submitted once as Chromium would submit it — with the
values the page itself filled in, its CSRF token, through the production configuration — answers
with a page a clerk can read: never a 400/404/405/500, never a framework's raw text, never the login
page. A second test keeps the list honest: every POST route is either reached by such a form or
named below with the reason it has none.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest

from tests.web.conftest import ORIGIN, ROLE_ACCOUNTS, https_client
from tests.web.crawler import Form, page_text, parse_page, raw_text_in, same_site_path, shape
from tracker.targets.demo import DATA as DEMO_DIR

pytestmark = pytest.mark.xdist_group("web-crawl")

#: Roles in the order they are crawled: the reporter submits what the department admin then reviews,
#: finance unlocks a 部门整体 month that the department admin then submits again and finance
#: reviews; the administrator (who deactivates and resets users) comes last.
ORDER = ("reporter", "department", "finance", "department", "finance", "admin")
ROLES = tuple(dict.fromkeys(ORDER))
#: Links a crawl does not follow: they end the session, switch language or download files.
SKIP_LINKS = ("/logout", "/lang/", "/downloads/", "/evidence/", "/api/", "/dashboard/plotly", ".xlsx", ".pdf")
PAGES_PER_SHAPE = 12
MAX_PAGES = 200
BAD_STATUS = {400, 403, 404, 405}

#: POST routes no rendered form reaches, and why (each has its own tests).
NOT_FORMS = {
    "reporting.lamp": "JSON, called by the form's script with the X-CSRFToken header (tests/auth/test_csrf.py)",
    "reporting.lamp_department": "JSON, as reporting.lamp",
    "reporting.autosave": "JSON, the form's script autosaves a draft with the X-CSRFToken header "
    "(tests/reporting/test_autosave.py, tests/browser/test_report_drafts.py)",
    "reporting.autosave_department": "JSON, as reporting.autosave",
}


def _upload_for(form: Form, name: str) -> tuple[bytes, str]:
    """What a clerk would pick in a file input: a real targets file, or a PDF as evidence."""
    if "/imports" in form.action:
        return (DEMO_DIR / "jiaozuo-2023-targets.csv").read_bytes(), "jiaozuo-2023-targets.csv"
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "evidence.pdf"


@dataclass
class Crawl:
    pages: list[str] = field(default_factory=list)
    submitted: list[tuple[str, str, int]] = field(default_factory=list)  # (form, how, status)
    failures: list[str] = field(default_factory=list)
    endpoints: set[str] = field(default_factory=set)


def _login(client, username: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    _links, forms = parse_page(f"{ORIGIN}/login", page)
    login = next(form for form in forms if form.method == "post")
    data = dict(login.fields) | {"username": username, "password": password}
    response = client.post("/login", data=data, headers={"Referer": f"{ORIGIN}/login"})
    assert response.status_code == 302, f"login of {username} answered {response.status_code}"


def _fresh(client, form: Form) -> Form | None:
    """The form as its page renders it now (a clerk clicks on the page in front of them, not on
    one from before the last save): current version, current token."""
    page = same_site_path(form.page, ORIGIN)
    response = client.get(page) if page else None
    if response is None or response.status_code != 200:
        return None
    for candidate in parse_page(form.page, response.get_data(as_text=True))[1]:
        for way in candidate.per_button():
            if _form_key(way) == _form_key(form) and way.action == form.action:
                return way
    return None


def _submit(app, client, form: Form, crawl: Crawl, *, with_files: bool) -> tuple[str, str, bool] | None:
    """Submit ``form`` as its page renders it now; returns the page it ends on: (HTML, address,
    whether a GET brought it — after a redirect — or the POST answered it itself)."""
    fresh = form if form.answered_post else _fresh(client, form)
    if fresh is None:
        crawl.submitted.append((form.describe(), "gone from its page", 0))
        return None
    form = fresh
    path = same_site_path(form.action, ORIGIN)
    if path is None:
        return None
    data: dict[str, object] = {}
    for name, value in form.fields:
        data.setdefault(name, []).append(value)  # type: ignore[union-attr]
    if form.submit and form.submit[0]:
        data.setdefault(form.submit[0], []).append(form.submit[1])  # type: ignore[union-attr]
    for name in form.files:
        if with_files:
            import io

            content, filename = _upload_for(form, name)
            data[name] = (io.BytesIO(content), filename)
        else:
            data[name] = (io_empty(), "")
    response = client.post(
        path,
        data=data,
        content_type="multipart/form-data" if form.files else None,
        headers={"Referer": form.page},  # as a browser sends it; CSRF over https checks it
    )
    how = "with a file" if with_files else "as rendered"
    crawl.submitted.append((form.describe(), how, response.status_code))
    try:
        endpoint, _args = app.url_map.bind("localhost").match(path.split("?")[0], method="POST")
        crawl.endpoints.add(endpoint)
    except Exception as exc:  # noqa: BLE001 — a form whose action no POST route serves is itself a failure
        crawl.failures.append(f"{form.describe()}: no POST route ({exc.__class__.__name__})")
    html = response.get_data(as_text=True)
    if response.status_code >= 500 or response.status_code in BAD_STATUS:
        crawl.failures.append(f"{form.describe()} {how}: HTTP {response.status_code}: {page_text(html)}")
        return None
    hops, address = 0, ORIGIN + path
    while response.status_code in (301, 302, 303) and hops < 5:
        location = response.headers["Location"]
        if "/login" in location and "logout" not in path:
            crawl.failures.append(f"{form.describe()} {how}: the session was lost (sent to {location})")
            return None
        address = ORIGIN + (same_site_path(location, ORIGIN) or location)
        response = client.get(same_site_path(location, ORIGIN) or location)
        html = response.get_data(as_text=True)
        hops += 1
    raw = raw_text_in(html)
    if raw:
        crawl.failures.append(f"{form.describe()} {how}: the page shows raw text {raw!r}: {page_text(html)}")
    return html, address, hops > 0


def io_empty():
    import io

    return io.BytesIO(b"")


def _get_form_url(form: Form) -> str | None:
    """A GET form (the filters) as the address a browser goes to when it is submitted as rendered."""
    path = same_site_path(form.action, ORIGIN)
    if path is None:
        return None
    return (
        path.split("?")[0]
        + "?"
        + urlencode([*form.fields, *([form.submit] if form.submit and form.submit[0] else [])])
    )


def _visit(
    client, crawl: Crawl, queue: deque[str], seen: set[str], per_shape: dict[str, int], forms: dict, done: set
) -> None:
    while queue and len(crawl.pages) < MAX_PAGES:
        path = queue.popleft()
        if path in seen or any(skip in path for skip in SKIP_LINKS):
            continue
        seen.add(path)
        if per_shape.get(shape(path), 0) >= PAGES_PER_SHAPE:
            continue
        response = client.get(path)
        if response.status_code != 200 or not response.mimetype.startswith("text/html"):
            if response.status_code >= 400:
                crawl.failures.append(
                    f"GET {path}: HTTP {response.status_code}: {page_text(response.get_data(as_text=True))}"
                )
            continue
        per_shape[shape(path)] = per_shape.get(shape(path), 0) + 1
        crawl.pages.append(path)
        html = response.get_data(as_text=True)
        raw = raw_text_in(html)
        if raw:
            crawl.failures.append(f"GET {path}: the page shows raw text {raw!r}: {page_text(html)}")
        links, page_forms = parse_page(ORIGIN + path, html)
        queue.extend(p for p in (same_site_path(link, ORIGIN) for link in links) if p)
        for form in page_forms:
            if form.submit is None:
                continue  # nothing to click: a read-only form (an approved month) a browser cannot send
            if form.method == "get":
                url = _get_form_url(form)
                if url:
                    queue.append(url)
            else:
                for way in form.per_button():
                    # Of the pages showing one form, the most filled-in (a month with values to send).
                    known = forms.get(_form_key(way))
                    if known is None or (_filled(way) > _filled(known) and _form_key(way) not in done):
                        forms[_form_key(way)] = way


def _filled(form: Form) -> int:
    return sum(1 for _name, value in form.fields if value)


def _form_key(form: Form) -> tuple[str, str]:
    return (shape(same_site_path(form.action, ORIGIN) or form.action), str(form.submit))


def _submit_all(app, client, crawl: Crawl, forms: dict, done: set) -> list[Form]:
    """Submit every form not yet submitted (and the forms their answers carry); logout is held back."""
    pending = [form for key, form in forms.items() if key not in done]
    logout: list[Form] = []
    while pending:
        # Forms of a route not reached yet go first, the fuller first: 退回 (with its reason) before
        # the 审核通过 beside it that would take both away.
        fresh = [i for i, f in enumerate(pending) if _endpoint(app, f) not in crawl.endpoints]
        first = max(fresh, key=lambda i: len(pending[i].fields), default=0)
        form = pending.pop(first)
        key = _form_key(form)
        if key in done:
            continue
        if "/logout" in form.action:
            logout.append(form)
            continue
        done.add(key)
        for with_files in (False, True) if form.files else (False,):
            answer = _submit(app, client, form, crawl, with_files=with_files)
            if answer is None:
                continue
            html, address, by_get = answer
            # A submission's answer can carry forms of its own (an import's 确认导入).
            for follow in parse_page(address, html)[1]:
                follow.answered_post = not by_get
                for way in follow.per_button() if follow.method == "post" else []:
                    if _form_key(way) not in done:
                        pending.append(way)
    return logout


def _endpoint(app, form: Form) -> str | None:
    try:
        path = (same_site_path(form.action, ORIGIN) or "").split("?")[0]
        return app.url_map.bind("localhost").match(path, method="POST")[0]
    except Exception:  # noqa: BLE001 — reported by _submit
        return None


def crawl_role(app, role: str) -> Crawl:
    client = https_client(app)
    username, password = ROLE_ACCOUNTS[role]
    _login(client, username, password)
    crawl = Crawl(endpoints={"auth.login"})
    forms: dict[tuple[str, str], Form] = {}
    done: set[tuple[str, str]] = set()
    logout: list[Form] = []
    # Twice: what the first round's submissions made (a submitted month, a token, an upload) brings
    # forms of its own (approve and return, revoke, delete).
    for _round in range(2):
        per_shape: dict[str, int] = {}
        _visit(client, crawl, deque(["/"]), set(), per_shape, forms, done)
        logout += _submit_all(app, client, crawl, forms, done)
    for form in logout[:1]:
        _submit(app, client, form, crawl, with_files=False)
    return crawl


@pytest.fixture(scope="module")
def crawls(production_app) -> dict[str, list[Crawl]]:
    done: dict[str, list[Crawl]] = {}
    for role in ORDER:
        done.setdefault(role, []).append(crawl_role(production_app, role))
    return done


@pytest.mark.parametrize("role", ROLES)
def test_every_form_of_the_role_submits_as_rendered(crawls, role):
    for crawl in crawls[role]:
        assert crawl.submitted, f"{role}: no form was found on {crawl.pages}"
        assert not crawl.failures, "\n".join(crawl.failures)


def test_every_post_route_is_reached_by_a_rendered_form(production_app, crawls):
    covered = set().union(*(crawl.endpoints for runs in crawls.values() for crawl in runs))
    missing = []
    for rule in production_app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.rule.startswith("/api/v1"):
            continue
        if rule.endpoint not in covered and rule.endpoint not in NOT_FORMS:
            missing.append(f"{rule.endpoint} {rule.rule}")
    assert not missing, (
        "POST routes no crawled form reaches (cover them or say why in NOT_FORMS):\n"
        + "\n".join(sorted(missing))
    )
