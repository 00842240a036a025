"""Statements per API list request: a fixed number, whatever the page size (no N+1).

Every list endpoint is asked for a page of 20 and a page of 100 rows, over more than 100 rows the
caller may read, with a SQLAlchemy ``before_cursor_execute`` listener counting what reaches the
database during the request; a project read alone takes as many with 2 indicators as with 40.
The session's identity map is emptied before each request, so a lazy load the page triggers is a
statement here as it is in production.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from tracker.budget.models import Department, Project, SpendingEntry, Unit
from tracker.extensions import db
from tracker.reporting.models import MonthlyReport
from tracker.reports.models import Delivery, DeliveryAttempt
from tracker.scheduler.models import JobRun
from tracker.targets.models import Indicator

#: More rows than the largest page, so a page of 100 is full.
MANY = 105
#: The statements one list request may take: token and user, the access scope, the count, the page
#: and its related rows.
MOST = 8

#: (path, who reads more than 100 rows there)
LISTS = [
    ("/departments", "finance"),
    ("/units", "finance"),
    ("/projects", "finance"),
    ("/projects?year=2023", "dept122"),
    ("/projects", "unit122201"),
    ("/indicators", "finance"),
    ("/indicators", "dept122"),
    ("/indicators", "unit122201"),
    ("/spending", "finance"),
    ("/spending", "unit122201"),
    ("/reports", "finance"),
    ("/reports", "dept122"),
    ("/deliveries", "finance"),
    ("/deliveries", "dept122"),
    ("/job-runs", "finance"),
]


def indicators_of(project: Project, positions: range) -> list[Indicator]:
    """A ``≥100个`` 产出指标 of ``project`` at each position."""
    return [
        Indicator(
            year=2023,
            department_id=project.department_id,
            project_id=project.id,
            scope_code=project.code,
            position=k,
            level1="产出指标",
            level2="数量指标",
            name=f"指标{k}",
            target="≥100个",
            comparator="GE",
            target_low=Decimal(100),
            target_unit="个",
            mode="cumulative",
        )
        for k in positions
    ]


@pytest.fixture
def many(session) -> None:
    """Over 100 rows of every listed resource: projects (each with two indicators, spending of two
    months and a monthly report) in demo unit 122201, departments with a unit each, deliveries of
    department 122 with two attempts each, job runs."""
    unit = session.scalar(select(Unit).where(Unit.code == "122201"))
    city = unit.department.bureau  # 焦作市财政局, whose finance user lists them
    now = datetime(2023, 6, 1, tzinfo=UTC)
    for n in range(MANY):
        department = Department(code=f"8{n:03d}", name=f"查询部门{n}", bureau=city)
        session.add(department)
        session.flush()
        other = Unit(code=f"8{n:03d}01", name=f"查询单位{n}", department_id=department.id)
        project = Project(
            year=2023,
            code=f"41080099{n:012d}",
            name=f"查询项目{n}",
            kind="recurring",
            department_id=unit.department_id,
            unit_id=unit.id,
            initial_budget=Decimal("10"),
        )
        session.add_all([other, project])
        session.flush()
        session.add_all(indicators_of(project, range(1, 3)))
        for month in (1, 2):
            session.add(
                SpendingEntry(
                    year=2023,
                    month=month,
                    department_id=unit.department_id,
                    unit_id=unit.id,
                    project_code=project.code,
                    project_id=project.id,
                    category="支出",
                    amount=Decimal("1.5"),
                )
            )
        report = MonthlyReport(
            year=1900 + n,  # years the demo has no report of
            month=1,
            department_id=unit.department_id,
            unit_id=unit.id,
            scope_key=f"unit:{unit.code}",
            status="submitted",
        )
        delivery = Delivery(
            kind="monitoring",
            department_id=unit.department_id,
            year=2023,
            month=1 + n % 12,
            subject=f"报送{n}",
            xlsx_name="a.xlsx",
            xlsx_sha256=f"{n:064d}",
            pdf_name="a.pdf",
            pdf_sha256=f"{n:064d}",
            recipients="czj@example.org",
            status="sent",
            attempts=2,
        )
        delivery.attempt_log = [DeliveryAttempt(number=k, at=now, ok=k == 2) for k in (1, 2)]
        run = JobRun(
            job="reminders", period=f"2023-{n}", trigger="manual", status="succeeded", started_at=now
        )
        session.add_all([report, delivery, run])
    session.flush()
    session.expunge_all()


@contextlib.contextmanager
def counted() -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def statements_for(api, path: str, user: str, page_size: int) -> int:
    """Statements of one GET of ``path`` as ``user``, with an empty identity map; the page is full."""
    db.session.expunge_all()
    separator = "&" if "?" in path else "?"
    with counted() as statements:
        response = api.get(f"{path}{separator}page_size={page_size}", as_=user)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(response.get_json()) == page_size
    assert json.loads(response.headers["X-Pagination"])["total"] > 100
    return len(statements)


@pytest.mark.parametrize(("path", "user"), LISTS)
def test_a_list_takes_as_many_statements_for_100_rows_as_for_20(api, many, path: str, user: str) -> None:
    # The token's first use of the minute writes its last_used_at: not the list's statements.
    api.get("/departments?page_size=1", as_=user)
    small = statements_for(api, path, user, 20)
    large = statements_for(api, path, user, 100)
    assert large == small, f"{path} as {user}: {small} statements for 20 rows, {large} for 100"
    assert small <= MOST, f"{path} as {user}: {small} statements"


def item_statements(api, path: str, user: str) -> tuple[int, dict]:
    db.session.expunge_all()
    with counted() as statements:
        response = api.get(path, as_=user)
    assert response.status_code == 200, response.get_data(as_text=True)
    return len(statements), response.get_json()


def test_a_project_takes_as_many_statements_with_40_indicators_as_with_2(api, many) -> None:
    project = db.session.scalar(select(Project).where(Project.code == "41080099000000000001"))
    db.session.add_all(indicators_of(project, range(3, 41)))
    db.session.flush()
    api.get("/departments?page_size=1", as_="dept122")
    two, small = item_statements(api, "/projects/41080099000000000000?year=2023", "dept122")
    forty, large = item_statements(api, "/projects/41080099000000000001?year=2023", "dept122")
    assert (len(small["indicators"]), len(large["indicators"])) == (2, 40)
    assert two == forty <= MOST


def test_the_counter_sees_a_lazy_load(api, many) -> None:
    """The listener counts what the request runs: a lazy load after the identity map is emptied is one."""
    project = db.session.scalar(select(Project).where(Project.code == "41080099000000000000"))
    db.session.expunge_all()
    project = db.session.get(Project, project.id)
    with counted() as statements:
        _ = project.unit.code
    assert len(statements) == 1
