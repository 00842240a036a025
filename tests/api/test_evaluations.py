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


def _runs(year: int = 2023) -> int:
    from sqlalchemy import func, select

    from tracker.evaluation.models import EvaluationRun
    from tracker.extensions import db

    return db.session.scalar(
        select(func.count()).select_from(EvaluationRun).where(EvaluationRun.year == year)
    )


def test_a_post_runs_and_stores_the_evaluation_as_the_command_does(api, cli):
    before = _runs()

    response = api.post(
        "/evaluations/monitoring", as_="dept122", json={"year": 2023, "month": 5, "department": "122"}
    )

    assert response.status_code == 200
    assert _runs() == before + 1
    stored = api.get("/evaluations/monitoring?year=2023&month=5&department=122", as_="dept122")
    assert "X-Evaluated-At" in stored.headers
    assert (
        response.json
        == stored.json
        == evaluate(cli, "monitoring", "--year", "2023", "--month", "5", "--department", "122")
    )


def test_running_again_replaces_the_stored_self_assessment(api):
    for _ in range(2):
        response = api.post(
            "/evaluations/self-assessment", as_="finance", json={"year": 2023, "department": "122"}
        )
        assert response.status_code == 200
    runs = _runs()
    api.post("/evaluations/self-assessment", as_="finance", json={"year": 2023, "department": "122"})
    assert _runs() == runs


@pytest.mark.parametrize(("role", "status"), [("unit122201", 403), ("unit122101", 403)])
def test_reporters_cannot_run_evaluations(api, role, status):
    response = api.post("/evaluations/self-assessment", as_=role, json={"year": 2023, "department": "122"})

    assert response.status_code == status


def test_a_run_names_what_is_wrong_with_its_body(api):
    response = api.post(
        "/evaluations/monitoring", as_="finance", json={"year": 2023, "month": 13, "colour": "red"}
    )

    assert response.status_code == 422
    errors = response.json["errors"]
    assert set(errors) == {"month", "department", "colour"}
    assert errors["month"] == ["月份应在 1–12 之间"]


def test_a_run_for_an_unknown_department_is_404(api):
    response = api.post(
        "/evaluations/monitoring", as_="finance", json={"year": 2023, "month": 7, "department": "999"}
    )

    assert response.status_code == 404
