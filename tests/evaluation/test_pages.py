"""/monitoring and /self-assessment: who sees what, and the reviewer's form."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from tests.conftest import login_as
from tests.evaluation.helpers import DepartmentFactory, ProjectFactory, UnitFactory, indicator, report
from tests.factories import UserFactory
from tracker.evaluation.models import EvaluationRun, ReviewerOverride


@pytest.fixture
def two(session):
    """Departments 601 (with a project, a qualitative indicator and a December report) and 602."""
    mine = DepartmentFactory(code="601", name="本部门")
    unit = UnitFactory(department=mine, code="601101")
    project = ProjectFactory(unit=unit, department=mine, code="41080023000000060101", name="本部门项目")
    effect = indicator(project, target="明显", level1="效益指标", name="群众体验")
    report(mine, unit, 2023, 12, {effect: "部分达成"})
    report(mine, unit, 2023, 6, {effect: "部分达成"})
    other = DepartmentFactory(code="602", name="别的部门")
    indicator(department=other, target="合规", level1="投入管理指标", name="别人的指标")
    return {"mine": mine, "other": other, "unit": unit, "effect": effect}


def _user(role, **kwargs):
    return UserFactory(role=role, **kwargs)


@pytest.mark.parametrize("path", ["/monitoring?year=2023&month=6", "/self-assessment?year=2023"])
def test_pages_need_a_login(client, two, path):
    assert client.get(path).status_code in (302, 401)


@pytest.mark.parametrize(
    "path", ["/monitoring?year=2023&month=6&department=601", "/self-assessment?year=2023"]
)
def test_department_user_sees_their_department(client, two, path):
    login_as(client, _user("department", department_id=two["mine"].id))
    response = client.get(path)
    assert response.status_code == 200
    assert "本部门项目" in response.text and "别的部门" not in response.text


@pytest.mark.parametrize(
    "path", ["/monitoring?year=2023&month=6&department=602", "/self-assessment?year=2023&department=602"]
)
def test_another_department_is_404(client, two, path):
    login_as(client, _user("department", department_id=two["mine"].id))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/monitoring?year=2023&month=6", "/self-assessment?year=2023"])
def test_reporters_may_not_see_evaluations(client, two, path):
    login_as(client, _user("reporter", unit_id=two["unit"].id))
    assert client.get(path).status_code == 403


def test_finance_sees_every_department(client, two):
    login_as(client, _user("finance"))
    response = client.get("/monitoring?year=2023&month=6&department=602")
    assert response.status_code == 200 and "别的部门" in response.text and "本部门" in response.text


def test_monitoring_page_shows_lamps_and_missing_causes(client, two):
    login_as(client, _user("finance"))
    text = client.get("/monitoring?year=2023&month=6&department=601").text
    assert "缺少偏差原因" in text and "群众体验" in text and "lamp yellow" in text
    assert "实时计算，尚未保存" in text


def test_run_now_stores_the_result(client, two, session):
    login_as(client, _user("department", department_id=two["mine"].id))
    response = client.post("/monitoring/run", data={"department": "601", "year": "2023", "month": "6"})
    assert response.status_code == 302
    assert session.scalar(select(EvaluationRun.department_id)) == two["mine"].id
    assert "已保存的结果" in client.get("/monitoring?year=2023&month=6&department=601").text


def test_reviewer_sets_a_percent_inside_the_band(client, two, session):
    login_as(client, _user("department", department_id=two["mine"].id))
    response = client.post(
        "/self-assessment/override",
        data={
            "department": "601",
            "year": "2023",
            "indicator_id": two["effect"].id,
            "grade": "部分达成",
            "percent": "75",
            "overachieved": "",
            "note": "证据充分",
        },
    )
    assert response.status_code == 302
    override = session.scalar(select(ReviewerOverride))
    assert (override.qualitative_percent, override.note) == (D(75), "证据充分")
    text = client.get("/self-assessment?year=2023&department=601").text
    assert "档内 75%" in text


def test_a_percent_outside_the_band_is_refused(client, two, session):
    login_as(client, _user("department", department_id=two["mine"].id))
    client.post(
        "/self-assessment/override",
        data={
            "department": "601",
            "year": "2023",
            "indicator_id": two["effect"].id,
            "grade": "部分达成",
            "percent": "95",
            "overachieved": "",
            "note": "",
        },
    )
    assert session.scalar(select(ReviewerOverride)) is None


def test_another_departments_indicator_cannot_be_reviewed(client, two, session):
    other_indicator = session.scalar(select(ReviewerOverride))  # none yet
    assert other_indicator is None
    login_as(client, _user("department", department_id=two["other"].id))
    response = client.post(
        "/self-assessment/override",
        data={
            "department": "601",
            "year": "2023",
            "indicator_id": two["effect"].id,
            "grade": "部分达成",
            "percent": "75",
            "overachieved": "",
            "note": "",
        },
    )
    assert response.status_code == 404


def test_a_department_without_its_own_table_says_so_instead_of_0_points(client, two, session):
    """601 published project targets but no 部门整体绩效目标表 (issue 10 §10)."""
    from datetime import date

    from tests.evaluation.helpers import validate
    from tracker.evaluation import service
    from tracker.reports.service import build_package

    document = service.run_self_assessment(2023, "601")
    validate(document, "self-assessment")
    assert (document["department"]["total"], document["department"]["grade"]) == (None, None)
    assert document["projects"][0]["total"] is not None
    login_as(client, _user("department", department_id=two["mine"].id))
    page = client.get("/self-assessment?year=2023").text
    assert 'id="no-department-table"' in page and "未发布部门整体绩效目标表" in page
    assert "— 0.00 分" not in page
    package = build_package("self-assessment", 2023, None, "601", report_date=date(2024, 1, 31))
    assert [sheet.title for sheet in package.sheets] == ["项目支出绩效自评表"]
