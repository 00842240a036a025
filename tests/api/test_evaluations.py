"""Evaluation results over the API are the SPEC §9 documents, exactly as ``flask tracker evaluate
… --json`` prints them, for those who may read the department as a whole."""

from __future__ import annotations

import json

import pytest


def evaluate(cli, *args: str) -> dict:
    result = cli.invoke(args=["tracker", "evaluate", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_monitoring_equals_the_commands_json(api, cli):
    printed = evaluate(cli, "monitoring", "--year", "2023", "--month", "7", "--department", "122")

    response = api.get("/evaluations/monitoring?year=2023&month=7&department=122", as_="dept122")

    assert response.status_code == 200
    assert response.json == printed
    assert "X-Evaluated-At" in response.headers


def test_self_assessment_equals_the_commands_json(api, cli):
    printed = evaluate(cli, "self-assessment", "--year", "2023", "--department", "122")

    response = api.get("/evaluations/self-assessment?year=2023&department=122", as_="finance")

    assert response.json == printed


def test_an_evaluation_never_run_is_computed_for_the_answer_and_not_stored(api, cli):
    from sqlalchemy import func, select

    from tracker.evaluation.models import EvaluationRun
    from tracker.extensions import db

    runs = db.session.scalar(select(func.count()).select_from(EvaluationRun))
    response = api.get("/evaluations/monitoring?year=2023&month=5", as_="dept122")

    assert response.status_code == 200 and response.json["month"] == 5
    assert "X-Evaluated-At" not in response.headers
    assert db.session.scalar(select(func.count()).select_from(EvaluationRun)) == runs
    assert response.json == evaluate(
        cli, "monitoring", "--year", "2023", "--month", "5", "--department", "122"
    )


def test_the_document_has_the_spec_shape(api):
    document = api.get("/evaluations/monitoring?year=2023&month=7", as_="dept122").json

    assert {"year", "month", "time_progress", "projects", "department"} <= set(document)
    assert document["time_progress"] == 58.33
    project = document["projects"][0]
    assert {"code", "name", "unit", "budget", "spent", "execution", "budget_status", "indicators"} <= set(
        project
    )
    assert {"level1", "name", "target", "mode", "actual", "expected", "status"} <= set(
        project["indicators"][0]
    )


@pytest.mark.parametrize("role", ["unit122201", "unit122101"])
def test_reporters_cannot_read_department_evaluations(api, role):
    response = api.get("/evaluations/self-assessment?year=2023&department=122", as_=role)

    assert response.status_code == 404


def test_a_year_without_targets_is_404(api):
    assert api.get("/evaluations/self-assessment?year=2030", as_="dept122").status_code == 404
