"""The demo's three finance users, as each meets the production site (issue 15 §2): 修武县财政局 walks
every page its links reach and never meets 焦作市's own department; 焦作市财政局 reads both; the
province's 河南省财政厅 reads both too. Logged in through the login form, CSRF on, over https."""

from __future__ import annotations

from collections import deque

import pytest

from tests.web.conftest import ORIGIN
from tests.web.crawler import parse_page, same_site_path
from tests.web.test_delivery_forms import _logged_in

pytestmark = pytest.mark.xdist_group("web-crawl")

CITY_DEPARTMENT = "焦作市政务服务和大数据管理局"
COUNTY_DEPARTMENT = "修武县农业农村局（演示数据）"
SKIP = ("/logout", "/lang/", "/api/", "/dashboard/plotly", "/evidence/")
MAX_PAGES = 80


def _walk(client) -> dict[str, str]:
    """Every page the links reach from the home page (downloads included): path → text."""
    queue, seen, pages = deque(["/", "/dashboard", "/deliveries", "/audit", "/review"]), set(), {}
    while queue and len(pages) < MAX_PAGES:
        path = queue.popleft()
        if path in seen or any(skip in path for skip in SKIP):
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        if not response.mimetype.startswith("text/html"):
            pages[path] = response.headers.get("Content-Disposition", "")
            continue
        html = response.get_data(as_text=True)
        pages[path] = html
        links, forms = parse_page(ORIGIN + path, html)
        queue.extend(p for p in (same_site_path(link, ORIGIN) for link in links) if p)
        for form in forms:
            if form.method == "get" and form.submit is not None:
                target = same_site_path(form.action, ORIGIN)
                if target:
                    queue.append(target.split("?")[0])
    return pages


def test_the_county_bureau_walks_its_own_county_only(production_app):
    client = _logged_in(production_app, "finance-xiuwu")
    pages = _walk(client)
    assert len(pages) > 10
    leaks = [path for path, text in pages.items() if CITY_DEPARTMENT in text or "/122/" in path]
    assert leaks == []
    assert any(COUNTY_DEPARTMENT in text for text in pages.values())
    for path in (
        "/reports/department/122/2023/6",
        "/downloads/monitoring/122/2023/6.xlsx",
        "/dashboard?department=122",
        "/dashboard?bureau=410800",
        "/monitoring?year=2023&month=6&department=122",
        "/audit?department=122",
    ):
        assert client.get(path).status_code == 404, path


def test_the_county_bureau_recomputes_its_department_and_not_the_citys(production_app):
    """重新计算 from the monitoring page's own form (token and all); the same post for 焦作's is 404."""
    client = _logged_in(production_app, "finance-xiuwu")
    path = "/monitoring?year=2023&month=6&department=821"
    forms = [
        f for f in parse_page(ORIGIN + path, client.get(path).get_data(as_text=True))[1] if "/run" in f.action
    ]
    assert forms, "the page offers 重新计算"
    data = dict(forms[0].fields)
    answer = client.post("/monitoring/run", data=data, headers={"Referer": ORIGIN + path})
    assert answer.status_code == 302
    foreign = client.post(
        "/monitoring/run", data=data | {"department": "122"}, headers={"Referer": ORIGIN + path}
    )
    assert foreign.status_code == 404


@pytest.mark.parametrize("username", ["finance", "finance-henan"])
def test_the_city_and_the_province_read_both_departments(production_app, username):
    client = _logged_in(production_app, username)
    text = client.get("/dashboard?year=2023&month=6").get_data(as_text=True)
    assert 'id="bureau-picker"' in text
    assert "修武县财政局" in text
    for code in ("122", "821"):
        assert client.get(f"/reports/department/{code}/2023/6").status_code == 200, code


def test_the_county_bureau_sets_its_own_deadline_from_the_page(production_app):
    """/deadlines's form as rendered (token and all), as 修武县财政局: its department's month moves,
    焦作市's own does not."""
    from sqlalchemy import select

    from tracker.budget.models import Department
    from tracker.extensions import db
    from tracker.reporting.deadlines import deadline_for

    def september() -> dict[str, str]:
        with production_app.app_context():
            due = {
                d.code: deadline_for(2023, 9, d).isoformat()
                for d in db.session.scalars(select(Department).where(Department.code.in_(["122", "821"])))
            }
            db.session.remove()
        return due

    before = september()
    client = _logged_in(production_app, "finance-xiuwu")
    path = "/deadlines?year=2023"
    page = client.get(path).get_data(as_text=True)
    form = next(
        f for f in parse_page(ORIGIN + path, page)[1] if f.method == "post" and "/deadlines" in f.action
    )
    data = dict(form.fields) | {"month": "9", "due_date": "2023-10-13"}
    answer = client.post("/deadlines", data=data, headers={"Referer": ORIGIN + path})
    assert answer.status_code == 302
    assert "本局设置" in client.get(path).get_data(as_text=True)
    assert september() == {"821": "2023-10-13", "122": before["122"]}
