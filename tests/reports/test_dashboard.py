"""The 看板 at any scale: stored results read set-based, the rest evaluated in memory and never
stored by a page, the worst departments first when there are many."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import login_as
from tests.factories import DepartmentFactory, IndicatorFactory, UserFactory
from tracker.budget.models import Project
from tracker.evaluation import overview
from tracker.evaluation import service as evaluation
from tracker.evaluation.models import EvaluationRun
from tracker.extensions import db
from tracker.reports import dashboard


@pytest.fixture
def finance(scenario):
    return UserFactory(role="finance")


@pytest.fixture
def second(scenario):
    """A second department whose only indicator is red in July: no report, nothing done."""
    department = DepartmentFactory(code="802", name="第二部门")
    IndicatorFactory(
        project__department=department, project__unit__department=department, name="第二部门指标"
    )
    return department


def _runs() -> int:
    return db.session.scalar(select(func.count()).select_from(EvaluationRun))


def _view(data: dict) -> tuple:
    return (
        data["counts"],
        [
            (row["department"], row["scope"], row["name"], row["status"], row["ratio"])
            for row in data["worst"]
        ],
        data["charts"]["distribution"]["data"],
        data["charts"]["grades"]["data"],
        data["charts"]["progress"]["data"],
    )


def test_a_page_evaluates_what_no_job_has_stored_and_stores_nothing(finance, second):
    before = _runs()

    dashboard.dashboard_data(finance, year=2023, month=7)

    assert _runs() == before


def test_stored_results_and_results_evaluated_for_the_page_agree(finance, second):
    live = dashboard.dashboard_data(finance, year=2023, month=7)
    evaluation.evaluate_all(evaluation.MONITORING, 2023, 7)
    evaluation.evaluate_all(evaluation.SELF_ASSESSMENT, 2023)

    stored = dashboard.dashboard_data(finance, year=2023, month=7)

    assert _view(stored) == _view(live)
    assert sum(live["counts"]["801"].values()) == 5
    projects = db.session.scalar(select(func.count()).select_from(Project))
    assert sum(sum(bar["y"]) for bar in live["charts"]["distribution"]["data"]) == projects


def test_beyond_the_live_limit_unevaluated_departments_are_named_not_evaluated(
    client, finance, second, monkeypatch
):
    monkeypatch.setattr(overview, "LIVE_LIMIT", 1)
    evaluation.evaluate_all(evaluation.MONITORING, 2023, 7, department_codes=["801"])
    login_as(client, finance)

    page = client.get("/dashboard?year=2023&month=7").get_data(as_text=True)

    assert "尚未评价的部门不计入：绩效监控 0 个，绩效自评 2 个" in page


def test_with_many_departments_the_table_lists_the_worst_and_says_so(client, finance, second, monkeypatch):
    monkeypatch.setattr(dashboard, "TABLE_LIMIT", 1)
    data = dashboard.dashboard_data(finance, year=2023, month=7)
    login_as(client, finance)

    page = client.get("/dashboard?year=2023&month=7").get_data(as_text=True)

    worse = max(("801", "802"), key=lambda code: data["counts"].get(code, {}).get("red", 0))
    assert [d.code for d in data["departments"]] == [worse]
    assert "共 2 个部门，列出红灯、黄灯和未填报最多的 1 个" in page


def test_with_many_departments_progress_is_one_line_of_their_sum(finance, second, monkeypatch):
    monkeypatch.setattr(dashboard, "PROGRESS_LINES", 1)

    lines = dashboard.dashboard_data(finance, year=2023, month=7)["charts"]["progress"]["data"]

    assert [line["name"] for line in lines] == ["时间进度", "2 个部门合计 预算执行进度"]


def test_the_summed_progress_is_the_same_from_stored_runs_and_evaluated_for_the_page(
    scenario, finance, second, monkeypatch
):
    monkeypatch.setattr(dashboard, "PROGRESS_LINES", 1)

    def summed() -> list:
        return dashboard.dashboard_data(finance, year=2023, month=7)["charts"]["progress"]["data"][1]["y"]

    live = summed()
    evaluation.evaluate_all(evaluation.MONITORING, 2023, 7)
    stored = summed()

    # 802 has no 部门预算总额: the sum is 801's alone.
    rates = [evaluation.department_metrics(2023, m, "801")["预算执行率"] for m in range(1, 8)]
    assert live == stored == [float((rate * 100).quantize(Decimal("0.01"))) for rate in rates]


def test_execution_by_month_follows_the_departments_metric(scenario, second):
    departments = evaluation.engine.departments_for(db.session.connection(), 2023, ["801", "802"])

    rates = overview.execution_by_month(2023, 7, departments)

    for month in (1, 3, 7):
        expected = evaluation.department_metrics(2023, month, "801")["预算执行率"]
        assert rates[scenario.department.id][month - 1] == expected
    # 802 has no 部门预算总额: its rate is unknown.
    assert rates[second.id] == [None] * 7
    assert rates[scenario.department.id][6] == Decimal("25.2") / Decimal("105")
