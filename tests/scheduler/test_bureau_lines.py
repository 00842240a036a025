"""Scheduled jobs over a province (issue 15 §5): one pass for every bureau, each department with its
bureau's rule pack and recipients, and the run's lines per bureau — each finance user reading only
its subtree's, on /jobs and over the API."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.auth.bureau_world import READS, BureauWorld, build_bureau_world
from tests.conftest import login_as
from tracker.api.tokens import issue_token_for
from tracker.budget.models import Department
from tracker.evaluation.models import EvaluationRun
from tracker.extensions import db
from tracker.reports.models import ReportRecipient
from tracker.scheduler import runner
from tracker.scheduler.models import JobRun, JobRunBureau

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: department code → its bureau's code and name (tests/auth/bureau_world.py).
PLACED = {
    "P01": ("510000", "四川省财政厅"),
    "C01": ("510600", "德阳市财政局"),
    "K101": ("510623", "中江县财政局"),
    "K201": ("510681", "广汉市财政局"),
}


@pytest.fixture
def world(session) -> BureauWorld:
    world = build_bureau_world()
    world.bureaus["510623"].rule_pack = "sichuan-zhongjiang-2022"  # 中江 picks the 四川 pack
    db.session.commit()
    return world


def _monitoring_run(trigger: str = "schedule") -> JobRun:
    run_id = runner.run_in_context(
        "monthly-monitoring", fired=datetime(2023, 7, 6, 2, 0, tzinfo=SHANGHAI), trigger=trigger
    )
    run = db.session.get(JobRun, run_id)
    assert run is not None and run.status == "succeeded", run and run.error
    return run


def _lines(run: JobRun) -> dict[str, JobRunBureau]:
    return {
        line.bureau_code: line
        for line in db.session.scalars(select(JobRunBureau).where(JobRunBureau.run_id == run.id))
    }


def test_the_monthly_job_runs_every_bureau_in_one_pass_each_with_its_pack_and_records_a_line_each(world):
    run = _monitoring_run()

    lines = _lines(run)
    assert {code: (line.bureau_name, line.departments) for code, line in lines.items()} == {
        code: (name, 1) for code, name in PLACED.values()
    }
    assert lines["510623"].detail["packs"] == {"sichuan-zhongjiang-2022@2022.1": 1}
    assert lines["510681"].detail["packs"] == {"national-2020@2020.1": 1}
    assert sum(line.rows for line in lines.values()) == run.rows
    # one project and one 部门整体 indicator per department, each of them lit
    assert all(sum(line.detail["lamps"].values()) == 2 for line in lines.values())
    stored = {
        d: pack
        for d, pack in db.session.execute(select(EvaluationRun.department_id, EvaluationRun.rule_pack))
    }
    assert stored[world.places["K101"].department.id] == "sichuan-zhongjiang-2022"


def test_each_run_records_its_own_lines(world):
    first, second = _monitoring_run(), _monitoring_run("manual")
    assert len(_lines(first)) == len(_lines(second)) == 4


def test_a_run_counts_only_the_departments_its_pass_evaluated(world):
    """A department the pass did not evaluate (no targets this year) keeps the run stored for it
    earlier; the new run's lines do not count it."""
    first = _monitoring_run()
    stored = db.session.scalars(
        select(EvaluationRun).where(EvaluationRun.department_id == world.places["K101"].department.id)
    ).one()
    idle = Department(code="K102", name="中江县某局（无本年目标）", bureau=world.bureaus["510623"])
    db.session.add(idle)
    db.session.flush()
    db.session.add(
        EvaluationRun(
            kind=stored.kind,
            department_id=idle.id,
            year=stored.year,
            month=stored.month,
            rule_pack=stored.rule_pack,
            rule_version=stored.rule_version,
            created_at=stored.created_at,
            summary={},
        )
    )
    db.session.commit()

    second = _monitoring_run("manual")
    assert _lines(first)["510623"].departments == _lines(second)["510623"].departments == 1
    assert second.rows == first.rows


@pytest.mark.parametrize("username", ["fin-sc", "fin-dy", "fin-zj", "fin-root"])
def test_jobs_page_shows_a_finance_user_its_subtree_bureaus_lines_only(client, world, username):
    _monitoring_run()
    login_as(client, world.finance[username])

    page = client.get("/jobs").text

    shown = {code for code, (_, name) in PLACED.items() if name in page}
    assert shown == READS[username]


def test_the_api_lists_a_runs_lines_of_the_callers_subtree(client, world):
    run = _monitoring_run()
    for username in ("fin-dy", "fin-zj"):
        token = issue_token_for(username, name="tests").secret
        headers = {"Authorization": f"Bearer {token}"}
        expected = {PLACED[code][0] for code in READS[username]}

        listed = client.get("/api/v1/job-runs", headers=headers).json
        one = client.get(f"/api/v1/job-runs/{run.id}", headers=headers).json

        [mine] = [item for item in listed if item["id"] == run.id]
        assert {line["bureau"] for line in mine["bureaus"]} == expected
        assert {line["bureau"] for line in one["bureaus"]} == expected
        assert all(line["departments"] == 1 for line in one["bureaus"])


def test_the_package_job_sends_each_department_to_its_bureaus_recipients_and_counts_per_bureau(world, smtp):
    from tracker.reports.jobs import send_monthly_execution_reports

    db.session.add(ReportRecipient(scope_key="bureau:510600", email="dy@example.org"))
    db.session.add(ReportRecipient(scope_key="bureau:510681", email="gh@example.org"))
    db.session.commit()

    outcome = send_monthly_execution_reports(date(2023, 7, 8))

    lines = {line.code: line for line in outcome.lines}
    assert {code: line.detail.get("sent") for code, line in lines.items()} == {
        code: 1 for code, _ in PLACED.values()
    }
    assert lines["510623"].detail["recipients"] == ["dy@example.org"]  # inherited from 德阳
    assert lines["510681"].detail["recipients"] == ["gh@example.org"]
    assert lines["510000"].detail["recipients"] == ["czj@example.org"]  # FINANCE_BUREAU_EMAIL
    envelopes = {tuple(envelope) for envelope, _ in smtp.inbox.messages}
    assert envelopes == {("czj@example.org",), ("dy@example.org",), ("gh@example.org",)}
    assert outcome.rows == len(outcome.ids) == 4


@pytest.mark.parametrize(
    ("username", "runs_now"), [("fin-sc", True), ("fin-root", True), ("fin-dy", False), ("fin-zj", False)]
)
def test_only_the_root_bureau_starts_a_run_of_every_bureau(client, world, username, runs_now):
    """立即运行 runs the whole installation: the root's finance may, a city or county bureau may not
    (its page offers no button, a forged post is 403), and reads its own lines' rows only."""
    run = _monitoring_run()
    login_as(client, world.finance[username])
    page = client.get("/jobs").text
    assert ('class="inline run-now"' in page) is runs_now
    assert ('id="run-now-note"' in page) is not runs_now
    answer = client.post("/jobs/monthly-monitoring/run", data={"year": "2023", "month": "6"})
    assert answer.status_code == (302 if runs_now else 403)
    token = issue_token_for(username, name="tests").secret
    one = client.get(f"/api/v1/job-runs/{run.id}", headers={"Authorization": f"Bearer {token}"}).json
    mine = sum(
        line.rows for code, line in _lines(run).items() if code in {PLACED[c][0] for c in READS[username]}
    )
    assert one["rows"] == (run.rows if runs_now else mine)
