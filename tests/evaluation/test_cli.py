"""``flask tracker evaluate …`` (SPEC §9)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.evaluation.helpers import DepartmentFactory, indicator, validate
from tracker.evaluation.models import EvaluationRun


def _department(code: str):
    department = DepartmentFactory(code=code)
    indicator(department=department, target="合规", level1="投入管理指标", name="资金使用合规性")
    return department


def test_monitoring_json_is_one_document_on_stdout(cli, session):
    _department("701")
    result = cli.invoke(
        args=["tracker", "evaluate", "monitoring", "--year", "2023", "--month", "3", "--json"]
    )
    assert result.exit_code == 0
    document = json.loads(result.output)
    validate(document, "monitoring")
    assert (document["year"], document["month"], document["department"]["code"]) == (2023, 3, "701")


def test_the_command_stores_its_result_once_however_often_it_runs(cli, session):
    _department("701")
    for _ in range(2):
        cli.invoke(args=["tracker", "evaluate", "self-assessment", "--year", "2023", "--json"])
    assert session.scalar(select(func.count()).select_from(EvaluationRun)) == 1


def test_json_needs_a_department_when_the_year_has_several(cli, session):
    _department("701")
    _department("702")
    result = cli.invoke(
        args=["tracker", "evaluate", "monitoring", "--year", "2023", "--month", "3", "--json"]
    )
    assert result.exit_code == 2
    assert "--department" in (result.output + (getattr(result, "stderr", "") or ""))


def test_without_json_every_department_is_evaluated(cli, session):
    _department("701")
    _department("702")
    result = cli.invoke(args=["tracker", "evaluate", "monitoring", "--year", "2023", "--month", "3"])
    assert result.exit_code == 0 and "2 个部门" in result.output
    assert session.scalar(select(func.count()).select_from(EvaluationRun)) == 2


def test_unknown_department_exits_with_an_error(cli, session):
    result = cli.invoke(
        args=[
            "tracker",
            "evaluate",
            "monitoring",
            "--year",
            "2023",
            "--month",
            "3",
            "--department",
            "999",
            "--json",
        ]
    )
    assert result.exit_code == 1
