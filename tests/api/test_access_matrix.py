"""The same access rules as the pages (SPEC §1), through the API: role × route × own/foreign.

On the demo (department 122: units 122101, 122201, 122301) plus a foreign department made here.
A reporter's token sees only its unit; anything foreign answers 404, exactly like a resource that
does not exist; actions a role may not take on a resource it sees answer 403.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import IndicatorFactory, ProjectFactory
from tracker.budget.models import Project
from tracker.targets.models import Indicator

OWN_PROJECT = "410800230000000011625"  # 122201
SIBLING_PROJECT = "41080022000000053196"  # 122101, same department
UNIT_122201_PROJECTS = ["410800230000000011625", "410800230000000011626", "410800230000000011631"]


@pytest.fixture
def foreign(session):
    """A department the demo accounts do not belong to, with one project and indicator, under the
    demo's 焦作市财政局 (whose finance user reads it; the bureau scoping has its own matrix)."""
    from tracker.budget.bureaus import bureau_by_code

    indicator = IndicatorFactory(year=2023)
    indicator.project.department.bureau = bureau_by_code("410800")
    return {
        "department": indicator.project.department.code,
        "unit": indicator.project.unit.code,
        "project": indicator.project.code,
        "indicator": indicator.id,
    }


def _indicator_of(project_code: str) -> int:
    from tracker.extensions import db

    return db.session.scalar(
        select(Indicator.id)
        .join(Project, Indicator.project_id == Project.id)
        .where(Project.code == project_code)
    )


def _department_indicator() -> int:
    from tracker.extensions import db

    return db.session.scalar(select(Indicator.id).where(Indicator.project_id.is_(None)))


# (path template, {role: expected status}); {own}/{sibling}/{foreign_*}/{dept_indicator} are filled in.
# The 系统管理员 (SPEC §1: users, roles, settings; and the jobs) reads no department's data: 404 as foreign.
READER, DEPT, FIN, ADMIN = "unit122201", "dept122", "finance", "admin"
MATRIX = [
    ("/departments/122", {READER: 200, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/departments/{foreign_department}", {READER: 404, DEPT: 404, FIN: 200, ADMIN: 404}),
    ("/units/122201", {READER: 200, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/units/122101", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/units/{foreign_unit}", {READER: 404, DEPT: 404, FIN: 200, ADMIN: 404}),
    ("/projects/{own}", {READER: 200, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/projects/{sibling}", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/projects/{foreign_project}", {READER: 404, DEPT: 404, FIN: 200, ADMIN: 404}),
    ("/projects/{own}?year=2022", {READER: 404, DEPT: 404, FIN: 404, ADMIN: 404}),
    ("/indicators/{own_indicator}", {READER: 200, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/indicators/{sibling_indicator}", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/indicators/{dept_indicator}", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/indicators/{foreign_indicator}", {READER: 404, DEPT: 404, FIN: 200, ADMIN: 404}),
    ("/reports/122201/2023/6", {READER: 200, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/reports/122101/2023/6", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/reports/{foreign_unit}/2023/6", {READER: 404, DEPT: 404, FIN: 200, ADMIN: 404}),
    ("/reports/122201/2023/13", {READER: 404, DEPT: 404, FIN: 404, ADMIN: 404}),
    ("/department-reports/122/2023/6", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/department-reports/{foreign_department}/2023/6", {READER: 404, DEPT: 404, FIN: 200, ADMIN: 404}),
    ("/projects?unit=122101", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/projects?department={foreign_department}", {READER: 404, DEPT: 404, FIN: 200, ADMIN: 404}),
    ("/spending?unit=122201", {READER: 200, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/spending?unit=122101", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/reports?unit=122301", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    (
        "/evaluations/monitoring?year=2023&month=6&department=122",
        {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404},
    ),
    (
        "/evaluations/monitoring?year=2023&month=6&department={foreign_department}",
        {READER: 404, DEPT: 404, FIN: 200, ADMIN: 404},
    ),
    ("/evaluations/self-assessment?year=2023&department=122", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/deliveries?department=122", {READER: 404, DEPT: 200, FIN: 200, ADMIN: 404}),
    ("/deliveries?department={foreign_department}", {READER: 404, DEPT: 404, FIN: 200, ADMIN: 404}),
    (
        "/evaluations/monitoring?year=2023&month=6&department=999",
        {READER: 404, DEPT: 404, FIN: 404, ADMIN: 404},
    ),
    ("/job-runs", {READER: 403, DEPT: 403, FIN: 200, ADMIN: 200}),
]
CASES = [(path, role, status) for path, expected in MATRIX for role, status in expected.items()]


@pytest.mark.parametrize(("path", "role", "status"), CASES, ids=[f"{r}:{p}" for p, r, _ in CASES])
def test_each_role_reads_exactly_what_the_pages_let_it_read(api, foreign, path, role, status):
    values = {
        "own": OWN_PROJECT,
        "sibling": SIBLING_PROJECT,
        "own_indicator": _indicator_of(OWN_PROJECT),
        "sibling_indicator": _indicator_of(SIBLING_PROJECT),
        "dept_indicator": _department_indicator(),
        **{f"foreign_{key}": value for key, value in foreign.items()},
    }

    response = api.get(path.format(**values), as_=role)

    assert response.status_code == status, response.json
    if status == 404:
        assert response.json == {"code": 404, "status": "not_found", "message": "资源不存在。"}


def test_a_reporter_lists_exactly_its_units_three_projects(api):
    response = api.get("/projects", as_="unit122201")

    assert response.status_code == 200
    assert sorted(p["code"] for p in response.json) == UNIT_122201_PROJECTS
    assert {p["unit"] for p in response.json} == {"122201"}


@pytest.mark.parametrize(
    ("role", "projects"),
    [
        ("unit122101", 6),
        ("unit122201", 3),
        ("unit122301", 1),
        ("dept122", 10),
        ("finance", 12),  # 10 of 122, 1 of the demo county department, 1 foreign
        ("admin", 0),  # the 系统管理员 manages users, roles, settings and jobs, not departments' data
    ],
)
def test_project_lists_are_narrowed_to_what_the_role_may_read(api, foreign, role, projects):
    response = api.get("/projects?page_size=100", as_=role)

    assert len(response.json) == projects


@pytest.mark.parametrize(
    ("path", "role", "visible"),
    [
        ("/units", "unit122201", {"122201"}),
        ("/units", "dept122", {"122101", "122201", "122301"}),
        ("/reports?year=2023&month=6", "unit122201", {"122201"}),
        ("/reports?year=2023&month=6", "dept122", {"122101", "122201", "122301", None}),
        ("/spending?year=2023&month=3&page_size=100", "unit122201", {"122201"}),
    ],
)
def test_lists_hold_only_the_users_units(api, path, role, visible):
    response = api.get(path, as_=role)

    key = "code" if path.startswith("/units") else "unit"
    assert {item[key] for item in response.json} == visible


def test_a_reporter_sees_no_department_indicators_in_the_indicator_list(api):
    response = api.get("/indicators?page_size=100", as_="unit122201")

    assert len(response.json) == 6 + 5 + 8
    assert all(item["unit"] == "122201" for item in response.json)


@pytest.mark.parametrize(
    ("role", "action", "status"),
    [
        ("unit122201", "approve", 403),  # sees its report, may not review it
        ("finance", "approve", 403),  # finance reviews 部门整体 reports, not units'
        ("unit122101", "approve", 404),  # a foreign unit's report does not exist for it
        ("unit122101", "submit", 404),
        ("finance", "submit", 403),
    ],
)
def test_report_actions_follow_the_review_rules(api, role, action, status):
    response = api.post(f"/reports/122201/2023/6/{action}", as_=role, headers={"If-Match": '"2"'}, json={})

    assert response.status_code == status, response.json


def test_a_reporter_cannot_bulk_write_spending(api):
    record = {"year": 2023, "month": 1, "unit_code": "122201", "category": "支出", "amount": "1.00"}

    response = api.post("/spending", as_="unit122201", json={"records": [record]})

    assert response.status_code == 403 and response.json["message"] == "没有权限执行此操作。"


def test_a_foreign_project_of_another_year_is_404_too(api, foreign):
    ProjectFactory(year=2024, code=OWN_PROJECT, unit__code="999001")

    assert api.get(f"/projects/{OWN_PROJECT}?year=2024", as_="unit122201").status_code == 404
    assert api.get(f"/projects/{OWN_PROJECT}", as_="unit122201").json["year"] == 2023
