"""Monitoring and self-assessment services: results, storage, replacement, contract."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from tests.evaluation.helpers import (
    DepartmentFactory,
    ProjectFactory,
    UnitFactory,
    budget_line,
    indicator,
    report,
    spend,
    validate,
)
from tracker.evaluation import service
from tracker.evaluation.models import EvaluationRun, IndicatorResult, ProjectResult, RunTally


@pytest.fixture
def dept(session):
    """A department with one project of five indicators and three department indicators."""
    department = DepartmentFactory(code="801")
    unit = UnitFactory(department=department, code="801101")
    project = ProjectFactory(unit=unit, department=department, initial_budget=D("15.00"))
    ind = {
        "people": indicator(project, target="≥35 万人", name="接待群众数量"),
        "rate": indicator(project, target="≥98%", name="大厅正常运行率"),
        "cost": indicator(project, target="≤15 万元", level1="成本指标", name="项目支出成本"),
        "effect": indicator(project, target="明显", level1="效益指标", name="提升群众办事体验"),
        "count": indicator(project, target="≥10个", name="系统数量"),
        "exec": indicator(department=department, target="≥95%", level1="投入管理指标", name="预算执行率"),
        "carry": indicator(department=department, target="≤5%", level1="投入管理指标", name="结转结余率"),
        "legal": indicator(
            department=department, target="合规", level1="投入管理指标", name="资金使用合规性"
        ),
    }
    budget_line(department, "部门预算总额", "100.00")
    spend(project, 2023, 1, "5", "预算调整")
    for month in range(1, 8):
        spend(project, 2023, month, "1.4")
        spend(unit, 2023, month, "5.6")
    report(
        department,
        unit,
        2023,
        7,
        {
            ind["people"]: "20.5",
            ind["rate"]: "50",
            ind["cost"]: {
                "actual": D(16),
                "deviation_category": "经费保障",
                "corrective_measure": "压缩开支",
            },
            ind["effect"]: "部分达成",
        },
    )
    return {"department": department, "unit": unit, "project": project, **ind}


def _statuses(document):
    return {i["name"]: i["status"] for i in document["projects"][0]["indicators"]}


def test_monitoring_document_matches_the_contract(dept):
    validate(service.run_monitoring(2023, 7, "801"), "monitoring")


def test_monitoring_lamps_follow_spec_5(dept):
    document = service.run_monitoring(2023, 7, "801")
    assert _statuses(document) == {
        "接待群众数量": "green",
        "大厅正常运行率": "red",
        "项目支出成本": "red",
        "提升群众办事体验": "yellow",
        "系统数量": "missing",
    }


def test_cumulative_expected_is_target_times_time_progress(dept):
    document = service.run_monitoring(2023, 7, "801")
    people = document["projects"][0]["indicators"][0]
    assert (people["actual"], people["expected"], people["mode"]) == (20.5, 20.42, "cumulative")
    assert document["time_progress"] == 58.33


def test_budget_execution_uses_the_adjusted_budget(dept):
    project = service.run_monitoring(2023, 7, "801")["projects"][0]
    assert (project["budget"], project["spent"], project["execution"], project["budget_status"]) == (
        20.0,
        9.8,
        49.0,
        "green",
    )


def test_department_metrics_are_computed_and_carry_over_waits_for_december(dept):
    department = service.run_monitoring(2023, 7, "801")["department"]
    assert department["metrics"]["预算执行率"] == 46.67  # 49 / (100 + 5)
    assert department["metrics"]["结转结余率"] is None
    lamps = {i["name"]: (i["status"], i["actual"], i["mode"]) for i in department["indicators"]}
    assert lamps["预算执行率"] == ("green", 46.67, "budget")  # (49/105) / (7/12) = 0.8 exactly
    assert lamps["结转结余率"] == ("n/a", None, "level")


def test_missing_department_report_and_missing_causes_are_listed(dept):
    department = service.run_monitoring(2023, 7, "801")["department"]
    assert {"unit": None, "status": "none"} in department["missing_reports"]
    # 项目支出成本 is red too, but its report gives a cause and a measure.
    assert [c["name"] for c in department["missing_causes"] if c["project"]] == [
        "大厅正常运行率",
        "提升群众办事体验",
    ]


def test_draft_reports_do_not_count(dept, session):
    session.execute(
        IndicatorResult.__table__.update().values(status="x")  # no rows yet: harmless
    )
    from tracker.reporting.models import MonthlyReport

    session.execute(MonthlyReport.__table__.update().values(status="draft"))
    document = service.run_monitoring(2023, 7, "801")
    assert set(_statuses(document).values()) == {"missing"}
    assert {"unit": "801101", "status": "draft"} in document["department"]["missing_reports"]


def test_rerunning_replaces_the_result_set(dept, session):
    service.run_monitoring(2023, 7, "801")
    service.run_monitoring(2023, 7, "801")
    assert session.scalar(select(func.count()).select_from(EvaluationRun)) == 1
    assert session.scalar(select(func.count()).select_from(IndicatorResult)) == 8
    assert session.scalar(select(func.count()).select_from(ProjectResult)) == 1


def test_stored_result_reads_back_as_computed(dept):
    fresh = service.run_monitoring(2023, 7, "801")
    stored = service.stored_monitoring(2023, 7, "801")
    stored.pop("evaluated_at")
    assert stored == fresh


def test_each_result_records_its_rule_pack_and_explain(dept, session):
    service.run_monitoring(2023, 7, "801")
    run = session.scalar(select(EvaluationRun))
    assert (run.rule_pack, run.rule_version) == ("national-2020", "2020.1")
    explain = session.scalar(select(IndicatorResult.explain).where(IndicatorResult.name == "接待群众数量"))
    assert explain["rule"] == "national-2020@2020.1"
    assert explain["inputs"]["actual"].startswith("20.5")
    assert "累计型" in explain["formula"]


def test_several_departments_need_a_department_code(dept):
    other = DepartmentFactory(code="802")
    indicator(department=other, target="合规", level1="投入管理指标", name="x")
    with pytest.raises(service.AmbiguousDepartment):
        service.run_monitoring(2023, 7)


def test_evaluate_all_stores_every_department(dept, session):
    other = DepartmentFactory(code="802")
    indicator(department=other, target="合规", level1="投入管理指标", name="x")
    summary = service.evaluate_all(service.MONITORING, 2023, 7, chunk=1)
    assert summary.departments == 2
    assert session.scalar(select(func.count()).select_from(EvaluationRun)) == 2


def _stored_documents(kind: str, codes: list[str]) -> list[dict]:
    documents = []
    for code in codes:
        if kind == service.MONITORING:
            document = service.stored_monitoring(2023, 7, code)
        else:
            document = service.stored_self_assessment(2023, code)
        assert document is not None
        document.pop("evaluated_at")
        documents.append(document)
    return documents


def _stored_tallies(session) -> list[tuple]:
    rows = select(
        RunTally.department_id, RunTally.kind, RunTally.year, RunTally.month, RunTally.name, RunTally.value
    )
    return sorted(tuple(row) for row in session.execute(rows))


@pytest.mark.parametrize("kind", [service.MONITORING, service.SELF_ASSESSMENT])
def test_chunks_computed_in_child_processes_store_what_a_serial_run_stores(dept, session, kind):
    for code in ("802", "803"):
        other = DepartmentFactory(code=code)
        indicator(department=other, target="合规", level1="投入管理指标", name="资金使用合规性")
        indicator(department=other, target="≥95%", level1="投入管理指标", name="预算执行率")
    codes = ["801", "802", "803"]
    serial = service.evaluate_all(kind, 2023, 7, chunk=1, parallel=False, commit=False)
    expected = _stored_documents(kind, codes)
    tallies = _stored_tallies(session)
    forked = service.evaluate_all(kind, 2023, 7, chunk=1, parallel=True, commit=False)
    assert forked == serial
    assert _stored_documents(kind, codes) == expected
    assert _stored_tallies(session) == tallies and tallies
    assert session.scalar(select(func.count()).select_from(EvaluationRun)) == 3
    assert session.scalar(select(func.count()).select_from(IndicatorResult)) == serial.indicators


def test_a_failing_child_process_leaves_earlier_results(dept, session, monkeypatch):
    service.run_monitoring(2023, 7, "801")
    before = session.scalar(select(func.count()).select_from(IndicatorResult))
    other = DepartmentFactory(code="802")
    indicator(department=other, target="合规", level1="投入管理指标", name="x")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "_compute", broken)
    with pytest.raises(RuntimeError, match="boom"):
        service.evaluate_all(service.MONITORING, 2023, 7, chunk=1, parallel=True)
    assert session.scalar(select(func.count()).select_from(IndicatorResult)) == before


def test_a_failure_leaves_earlier_results(dept, session, monkeypatch):
    service.run_monitoring(2023, 7, "801")
    before = session.scalar(select(func.count()).select_from(IndicatorResult))

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "bulk_insert", broken)
    with pytest.raises(RuntimeError):
        service.evaluate_all(service.MONITORING, 2023, 7)
    assert session.scalar(select(func.count()).select_from(IndicatorResult)) == before


# ---------------------------------------------------------------- self-assessment


@pytest.fixture
def year_end(dept):
    department, unit = dept["department"], dept["unit"]
    for month in range(8, 13):
        spend(dept["project"], 2023, month, "1.4")
    report(
        department,
        unit,
        2023,
        12,
        {
            dept["people"]: "36",  # met
            dept["rate"]: "49",  # 49/98 = 0.5
            dept["cost"]: "16",  # 1 − 1/15
            dept["effect"]: "部分达成",  # 70 %
            # 系统数量 not reported → 0
        },
    )
    report(department, None, 2023, 12, {dept["legal"]: "达成"})
    return dept


def test_self_assessment_matches_the_contract(year_end):
    validate(service.run_self_assessment(2023, "801"), "self-assessment")


def test_self_assessment_scores_by_spec_6(year_end):
    project = service.run_self_assessment(2023, "801")["projects"][0]
    scores = {i["name"]: (i["weight"], i["score"], i["met"], i["flags"]) for i in project["indicators"]}
    # No 满意度: its 10 go to 产出 (50 → 56.25, 4 indicators of 14.0625) and 效益 (30 → 33.75).
    assert scores["接待群众数量"] == (14.06, 14.06, True, [])
    assert scores["大厅正常运行率"] == (14.06, 7.03, False, [])
    assert scores["项目支出成本"] == (14.06, 13.13, False, [])
    assert scores["系统数量"] == (14.06, 0.0, False, ["未填报"])
    assert scores["提升群众办事体验"] == (33.75, 23.63, False, [])
    assert project["execution"] == {"rate": 84.0, "score": 8.4}  # 16.8 / 20
    # 8.4 + 14.0625 + 7.03125 + 13.125 + 0 + 23.625 = 66.24375
    assert (project["total"], project["grade"]) == (66.24, "中")


def test_department_self_assessment_uses_its_own_table(year_end):
    department = service.run_self_assessment(2023, "801")["department"]
    scores = {i["name"]: (i["weight"], i["score"], i["actual"]) for i in department["indicators"]}
    third = round(100 / 3, 2)
    assert scores["资金使用合规性"] == (third, third, "达成")
    assert scores["结转结余率"][2] is not None  # computed at year end


def test_reviewer_percent_inside_the_band_changes_the_score(year_end, session):
    from tests.factories import UserFactory

    finance = UserFactory(role="finance")
    service.set_override(
        finance,
        year_end["effect"].id,
        qualitative_percent=D(75),
        overachieved=None,
        note="材料充分",
        grade="部分达成",
    )
    project = service.run_self_assessment(2023, "801")["projects"][0]
    effect = next(i for i in project["indicators"] if i["name"] == "提升群众办事体验")
    assert effect["score"] == 25.31  # 33.75 × 75 %
    assert "75" in effect["explain"]["formula"]


def test_reviewer_percent_outside_the_band_is_refused(year_end):
    from tests.factories import UserFactory

    finance = UserFactory(role="finance")
    with pytest.raises(service.OverrideRejected):
        service.set_override(
            finance,
            year_end["effect"].id,
            qualitative_percent=D(90),
            overachieved=None,
            note="",
            grade="部分达成",
        )


def test_reviewer_flags_overachievement_with_a_note(year_end):
    from tests.factories import UserFactory

    finance = UserFactory(role="finance")
    service.set_override(
        finance,
        year_end["people"].id,
        qualitative_percent=None,
        overachieved=True,
        note="目标过低",
        grade=None,
    )
    project = service.run_self_assessment(2023, "801")["projects"][0]
    people = next(i for i in project["indicators"] if i["name"] == "接待群众数量")
    assert people["flags"] == ["指标值设定偏低"]
    assert "目标过低" in people["explain"]["formula"]


def test_reporters_cannot_override(year_end):
    from tests.factories import UserFactory
    from tracker.auth.access import Forbidden

    reporter = UserFactory(role="reporter", unit_id=year_end["unit"].id)
    with pytest.raises(Forbidden):
        service.set_override(
            reporter,
            year_end["effect"].id,
            qualitative_percent=D(75),
            overachieved=None,
            note="",
            grade="部分达成",
        )


def test_a_reviewers_override_is_in_the_audit_log(year_end, session):
    from tests.factories import UserFactory
    from tracker.core.audit import AuditEntry

    finance = UserFactory(role="finance")
    service.set_override(
        finance,
        year_end["effect"].id,
        qualitative_percent=D(75),
        overachieved=None,
        note="材料充分",
        grade="部分达成",
    )
    entries = session.execute(
        select(AuditEntry.field, AuditEntry.new_value, AuditEntry.username).where(
            AuditEntry.entity == "reviewer_override"
        )
    ).all()
    assert {(e.field, e.new_value) for e in entries} == {("qualitative_percent", "75"), ("note", "材料充分")}
    assert {e.username for e in entries} == {finance.username}


# ---------------------------------------------------------------- 不适用 (issue 10 §3)


@pytest.fixture
def not_arisen(dept):
    """December: 系统数量 did not arise (不适用, with its reason); the rest as reported."""
    department, unit = dept["department"], dept["unit"]
    report(
        department,
        unit,
        2023,
        12,
        {
            dept["people"]: "36",
            dept["rate"]: "98",
            dept["cost"]: "15",
            dept["effect"]: "达成",
            dept["count"]: {
                "grade": "不适用",
                "deviation_category": "其他",
                "deviation_cause": "本年度无新增系统",
            },
        },
    )
    return dept


def _project_scores(document):
    return {
        i["name"]: (i["weight"], i["score"], i["flags"], i["actual"])
        for i in document["projects"][0]["indicators"]
    }


def test_not_applicable_is_left_out_and_its_points_shared_in_its_category(not_arisen):
    document = service.run_self_assessment(2023, "801")
    validate(document, "self-assessment")
    scores = _project_scores(document)
    # 产出 56.25 (no 满意度) among the three 产出/成本 indicators left: 18.75 each.
    assert scores["系统数量"] == (0.0, 0.0, ["不适用"], "不适用")
    assert [scores[n][0] for n in ("接待群众数量", "大厅正常运行率", "项目支出成本")] == [18.75] * 3
    # Execution 9.8 / 20 → 4.9; indicators 3 × 18.75 + 33.75 (效益 达成) = 90: nothing lost to 不适用.
    assert document["projects"][0]["total"] == 94.9
    monitoring = service.run_monitoring(2023, 12, "801")
    lamp = next(i for i in monitoring["projects"][0]["indicators"] if i["name"] == "系统数量")
    assert (lamp["status"], lamp["actual"]) == ("n/a", "不适用")


def test_the_zero_pack_and_a_reviewer_score_it_zero(not_arisen, app, monkeypatch):
    from dataclasses import replace

    from tests.factories import UserFactory
    from tracker.core.settings import rule_packs

    versions = rule_packs().versions
    national = versions["national-2020"]
    zero_pack = replace(national[-1], not_applicable_scoring="zero")
    monkeypatch.setitem(versions, "national-2020", (zero_pack,))
    scores = _project_scores(service.run_self_assessment(2023, "801"))
    assert scores["系统数量"][:3] == (14.06, 0.0, ["不适用"])
    monkeypatch.setitem(versions, "national-2020", national)

    assert _project_scores(service.run_self_assessment(2023, "801"))["系统数量"][0] == 0.0
    service.set_override(
        UserFactory(role="finance"), not_arisen["count"].id, qualitative_percent=None, overachieved=None,
        note="应当发生而未做", not_applicable_zero=True,
    )  # fmt: skip
    scores = _project_scores(service.run_self_assessment(2023, "801"))
    assert scores["系统数量"][:3] == (14.06, 0.0, ["不适用"])
