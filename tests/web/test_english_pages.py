"""One language at a time (issue 11 §5): with English chosen, no page of any role shows a Chinese
character in its own words — text, titles, labels, placeholders, the form script's messages —
except data: names of departments, units, projects and indicators, targets as published, what users
typed. The data is read from the database, so whatever a page shows that is not there is the page's.

The main pages of each role are walked (home, report form, review, /audit, /dashboard, /deliveries,
/jobs, /deadlines, the evaluation pages) and from each, every linked page of a new shape."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests.web.conftest import ORIGIN, ROLE_ACCOUNTS, https_client
from tests.web.crawler import parse_page, same_site_path, shape
from tracker.auth.models import User
from tracker.budget.models import Bureau, Department, DepartmentBudgetLine, Project, Unit
from tracker.core.audit import AuditEntry
from tracker.evaluation.models import IndicatorResult, ProjectResult, ReviewerOverride
from tracker.extensions import db
from tracker.reporting.models import (
    DEVIATION_CATEGORIES,
    GRADES,
    LIKELIHOODS,
    Evidence,
    IndicatorActual,
    MonthlyReport,
)
from tracker.reports.models import Delivery, DeliveryAttempt
from tracker.rules import LAMP_NAMES, NOT_APPLICABLE_GRADE, wording
from tracker.rules.modes import METRIC_MODES
from tracker.scheduler.models import JobRun
from tracker.targets.models import DepartmentGoal, Indicator

pytestmark = pytest.mark.xdist_group("web-crawl")

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
MAIN_PAGES = {
    "reporter": ["/", "/reports/122201/2023/6", "/reports/122201/2023/7", "/account"],
    "department": [
        "/",
        "/review",
        "/audit",
        "/dashboard?year=2023&month=10",
        "/deliveries",
        "/monitoring?department=122&year=2023&month=10",
        "/self-assessment?department=122&year=2023",
        "/reports/122201/2023/6",
        "/reports/department/122/2023/6",
        "/imports",
    ],
    "finance": [
        "/",
        "/review",
        "/audit",
        "/dashboard?year=2023&month=12",
        "/deliveries",
        "/deliveries/settings",
        "/jobs",
        "/deadlines",
        "/monitoring?department=122&year=2023&month=12",
        "/self-assessment?department=122&year=2023",
        "/reports/department/122/2023/12",
    ],
    "admin": ["/", "/jobs", "/users", "/account"],
}
SKIP_LINKS = ("/logout", "/lang/", "/downloads/", "/evidence/", "/api/", "/dashboard/plotly", ".xlsx", ".pdf")
MAX_PAGES = 40
#: Attributes a person reads or hears; data-text-* are the form script's messages.
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
#: Columns holding data: names as published, targets, what users typed, what was sent or failed.
DATA_COLUMNS = (
    Bureau.name,
    Department.name,
    Unit.name,
    Project.name,
    Project.annual_goal,
    DepartmentBudgetLine.subject,
    DepartmentGoal.category,
    DepartmentGoal.name,
    DepartmentGoal.content,
    Indicator.level1,
    Indicator.level2,
    Indicator.name,
    Indicator.target,
    Indicator.note,
    Indicator.target_unit,
    IndicatorActual.deviation_cause,
    IndicatorActual.corrective_measure,
    MonthlyReport.return_reason,
    Evidence.filename,
    User.display_name,
    ProjectResult.name,
    IndicatorResult.level1,
    IndicatorResult.name,
    IndicatorResult.target,
    ReviewerOverride.note,
    AuditEntry.old_value,
    AuditEntry.new_value,
    Delivery.subject,
    Delivery.last_error,
    DeliveryAttempt.error,
    JobRun.error,
)
#: Words with an English term: never data, even where a column holds them (a metric's name is data
#: when it names an indicator: 预算执行率 is one of the published indicators).
WORDS = {
    *GRADES,
    NOT_APPLICABLE_GRADE,
    *LIKELIHOODS,
    *DEVIATION_CATEGORIES,
    *LAMP_NAMES.values(),
    *wording.VOCABULARY,
} - set(METRIC_MODES)


class _Words(HTMLParser):
    """What a person reads on a page, piece by piece: text, the attributes above and data-text-*,
    a button's value; not scripts, styles or what is marked lang="zh" (the switch 中文)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if self._skip:
            if tag == self._skip[-1]:
                self._skip.append(tag)
            return
        if tag in ("script", "style") or values.get("lang", "").startswith("zh"):
            self._skip.append(tag)
            return
        for key, value in values.items():
            if key in READ_ATTRIBUTES or key.startswith("data-text-"):
                self.pieces.append(value)
        if tag == "input" and values.get("type") in ("submit", "button"):
            self.pieces.append(values.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if self._skip and tag == self._skip[-1]:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.pieces.append(data.strip())


def _data(app) -> list[str]:
    with app.app_context():
        found: set[str] = set()
        for column in DATA_COLUMNS:
            found |= {value for value in db.session.scalars(select(column).distinct()) if value}
        db.session.remove()
    return sorted(
        (value for value in found if HAN.search(value) and value not in WORDS), key=len, reverse=True
    )


def chinese_outside_data(html: str, data: list[str]) -> list[str]:
    """The pieces of ``html`` a person reads that hold a Chinese character once the data is taken out."""
    parser = _Words()
    parser.feed(html)
    left = []
    for piece in parser.pieces:
        rest = piece
        for value in data:
            if value in rest:
                rest = rest.replace(value, " ")
        if HAN.search(rest):
            left.append(piece[:160])
    return left


def _english_client(app, username: str, password: str):
    client = https_client(app)
    page = client.get("/login").get_data(as_text=True)
    login = next(form for form in parse_page(f"{ORIGIN}/login", page)[1] if form.method == "post")
    data = dict(login.fields) | {"username": username, "password": password}
    assert client.post("/login", data=data, headers={"Referer": f"{ORIGIN}/login"}).status_code == 302
    client.get("/lang/en")
    return client


@pytest.mark.parametrize("role", list(MAIN_PAGES))
def test_english_pages_show_no_chinese_but_data(production_app, role):
    client = _english_client(production_app, *ROLE_ACCOUNTS[role])
    data = _data(production_app)
    queue = list(MAIN_PAGES[role])
    shapes: set[str] = set()
    visited: list[str] = []
    found: dict[str, list[str]] = {}
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        main = path in MAIN_PAGES[role]
        if not main and shape(path) in shapes:
            continue
        shapes.add(shape(path))
        response = client.get(path)
        if main:
            assert response.status_code == 200, f"{role} {path}: {response.status_code}"
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html, f"{role} {path} is not in English"
        visited.append(path)
        if left := chinese_outside_data(html, data):
            found[path] = sorted(set(left))
        for link in parse_page(ORIGIN + path, html)[0]:
            target = same_site_path(link, ORIGIN)
            if target and not any(skip in target for skip in SKIP_LINKS) and shape(target) not in shapes:
                queue.append(target)
    assert len(visited) >= len(MAIN_PAGES[role])
    report = "\n".join(f"{path}:\n  " + "\n  ".join(pieces[:12]) for path, pieces in found.items())
    assert not found, f"Chinese in the English pages of {role} ({len(visited)} pages):\n{report}"


def test_the_check_sees_chinese_a_page_itself_writes(production_app):
    """The check can fail: a page's own Chinese word is found, a name from the database is not."""
    data = _data(production_app)
    page = '<p title="绿灯">122 焦作市政务服务和大数据管理局</p><span lang="zh-CN">中文</span><p>已提交</p>'
    assert chinese_outside_data(page, data) == ["绿灯", "已提交"]


def test_the_dashboard_charts_speak_english_too(production_app):
    """The Plotly figures are JSON in <script> tags the page check skips: their titles, legends,
    axes and hover texts are checked here, the department names (data) taken out."""
    import json
    import re

    client = _english_client(production_app, *ROLE_ACCOUNTS["finance"])
    html = client.get("/dashboard?year=2023&month=7").get_data(as_text=True)
    figures = re.findall(r'<script type="application/json" id="figure-[a-z]+">(.*?)</script>', html, re.S)
    assert len(figures) == 5
    data = _data(production_app)
    left = []
    for figure in figures:
        text = json.dumps(json.loads(figure), ensure_ascii=False)
        for value in data:
            # The worst-indicator bars name their project by its first ten characters.
            text = text.replace(value, " ").replace(value[:10], " ")
        left += HAN.findall(text)
    assert left == []
