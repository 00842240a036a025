"""A stored run carries its tallies (issue 13 §2): lamp counts, 预算执行进度 by month and 自评 totals
by 等级 and band, which the 看板 adds up over a province instead of reading the result rows; and
storing runs of a period stores the period's summary over every department."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import delete, func, select

from tests.evaluation.test_service import dept  # noqa: F401 (the fixture)
from tracker.evaluation import service, summaries
from tracker.evaluation.models import EvaluationRun, IndicatorResult, PeriodSummary, ProjectResult, RunTally
from tracker.reporting.models import IndicatorActual


def _tallies(session, kind: str) -> dict[str, Decimal]:
    rows = session.execute(select(RunTally.name, RunTally.value).where(RunTally.kind == kind))
    return {name: value for name, value in rows}


def test_a_monitoring_run_tallies_its_lamps_as_its_rows_have_them(dept, session):  # noqa: F811
    service.run_monitoring(2023, 7, "801")

    statuses = Counter(status or "n/a" for status in session.scalars(select(IndicatorResult.status)))
    lamps = {
        name[5:]: int(v) for name, v in _tallies(session, service.MONITORING).items() if name[:5] == "lamp:"
    }
    assert lamps == dict(statuses) and sum(lamps.values()) == 8


def test_a_monitoring_run_tallies_spending_and_budget_month_by_month(dept, session):  # noqa: F811
    service.run_monitoring(2023, 7, "801")

    tallies = _tallies(session, service.MONITORING)
    for month in range(1, 8):
        rate = service.department_metrics(2023, month, "801")["预算执行率"]
        assert tallies[f"spent:{month}"] / tallies[f"budget:{month}"] == rate
    # 部门预算总额 100 + 预算调整 5; 支出 (1.4 + 5.6) a month.
    assert tallies["budget:7"] == Decimal(105) and tallies["spent:7"] == Decimal(49)
    assert "spent:8" not in tallies


def test_a_self_assessment_run_tallies_its_projects_by_grade_and_band(dept, session):  # noqa: F811
    service.run_self_assessment(2023, "801")

    (total, grade) = session.execute(select(ProjectResult.total, ProjectResult.grade)).one()
    assert _tallies(session, service.SELF_ASSESSMENT) == {f"score:{grade}:{int(total // 10)}": Decimal(1)}


def test_a_rerun_replaces_the_tallies(dept, session):  # noqa: F811
    service.run_monitoring(2023, 7, "801")
    first = _tallies(session, service.MONITORING)
    service.run_monitoring(2023, 7, "801")

    assert _tallies(session, service.MONITORING) == first
    runs = session.scalars(select(EvaluationRun.id)).all()
    assert session.scalar(select(func.count(func.distinct(RunTally.run_id)))) == len(runs) == 1
    assert set(session.scalars(select(RunTally.run_id))) == set(runs)


def _second_department():
    from tests.evaluation.helpers import DepartmentFactory, indicator

    other = DepartmentFactory(code="802")
    indicator(department=other, target="≥95%", level1="投入管理指标", name="预算执行率")
    indicator(department=other, target="合规", level1="投入管理指标", name="资金使用合规性")


def test_storing_a_period_stores_its_summary_as_the_runs_make_it(dept, session):  # noqa: F811
    _second_department()
    service.evaluate_all(service.MONITORING, 2023, 7)
    service.evaluate_all(service.SELF_ASSESSMENT, 2023)

    for kind, month in ((service.MONITORING, 7), (service.SELF_ASSESSMENT, 0)):
        stored = session.scalar(select(PeriodSummary.document).where(PeriodSummary.kind == kind))
        assert stored == summaries._make(session.connection(), kind, 2023, month, None)
        assert stored["departments"] == 2
    monitoring = session.scalar(
        select(PeriodSummary.document).where(PeriodSummary.kind == service.MONITORING)
    )
    assert [row["code"] for row in monitoring["table"]] == ["801", "802"]  # 801 has the red lamps
    assert monitoring["worst"] and monitoring["sums"]["budget:7"] == "105.000000"


def test_a_departments_rerun_stores_the_periods_summary_again(dept, session):  # noqa: F811
    _second_department()
    service.evaluate_all(service.MONITORING, 2023, 7)
    first = session.scalar(select(PeriodSummary.document))
    session.execute(delete(IndicatorActual))  # 801's July report loses its actuals

    service.run_monitoring(2023, 7, "801")

    again = session.scalar(select(PeriodSummary.document))
    assert session.scalar(select(func.count()).select_from(PeriodSummary)) == 1
    lamps = {row["code"]: row["lamps"] for row in again["table"]}
    assert lamps["801"]["missing"] > {row["code"]: row["lamps"] for row in first["table"]}["801"]["missing"]
    assert again == summaries._make(session.connection(), service.MONITORING, 2023, 7, None)
