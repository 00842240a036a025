"""The scheduler: ledger, leader lock, failures, idempotence, catch-up, /jobs."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import create_engine, delete, func, select
from sqlalchemy.orm import Session

from tests.conftest import login_as
from tests.evaluation.helpers import DepartmentFactory, indicator
from tests.factories import UserFactory
from tests.scheduler import jobs_for_tests
from tracker.evaluation.models import EvaluationRun
from tracker.scheduler import ledger, registry, runner
from tracker.scheduler.lock import LeaderLock
from tracker.scheduler.models import JobLedger, JobRun

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def test_jobs():
    registry.register_job(
        "test-fail",
        "tests.scheduler.jobs_for_tests:write_then_fail",
        {"day": 6, "hour": 2},
        registry.previous_month,
    )
    registry.register_job(
        "test-count",
        "tests.scheduler.jobs_for_tests:count_calls",
        {"day": 6, "hour": 2},
        registry.previous_month,
    )
    jobs_for_tests.CALLS.clear()
    yield
    registry.JOBS.pop("test-fail")
    registry.JOBS.pop("test-count")


@pytest.fixture
def departments(session):
    for code in ("501", "502"):
        indicator(
            department=DepartmentFactory(code=code), target="合规", level1="投入管理指标", name="合规性"
        )


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_racing_claims_give_the_period_to_exactly_one(database_url):
    engine = create_engine(
        database_url, connect_args={"timeout": 30} if database_url.startswith("sqlite") else {}
    )
    barrier = threading.Barrier(8)
    results: list[int | None] = []

    def contender():
        with Session(engine) as session:
            barrier.wait()
            results.append(ledger.claim(session, "race", "2023-07"))

    threads = [threading.Thread(target=contender) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 8
        assert len([r for r in results if r is not None]) == 1
    finally:
        with engine.begin() as connection:
            connection.execute(delete(JobLedger).where(JobLedger.job == "race"))
        engine.dispose()


def test_a_second_scheduler_stands_by_while_the_leader_holds_the_lock(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    leader, standby = LeaderLock(url, tmp_path), LeaderLock(url, tmp_path)
    try:
        assert leader.acquire() is True
        assert standby.acquire() is False
        leader.release()
        assert standby.acquire() is True
    finally:
        leader.release()
        standby.release()


def test_a_period_already_run_is_not_run_again(test_jobs, session):
    fired = datetime(2023, 8, 6, 2, 0, tzinfo=SHANGHAI)
    first = runner.run_in_context("test-count", fired=fired)
    second = runner.run_in_context("test-count", fired=fired)
    assert first is not None and second is None
    assert jobs_for_tests.CALLS == [(2023, 7)]


def test_a_failing_job_is_recorded_and_leaves_nothing_half_written(test_jobs, departments, session):
    run_id = runner.run_in_context("test-fail", fired=datetime(2023, 8, 6, 2, 0, tzinfo=SHANGHAI))
    run = session.get(JobRun, run_id)
    assert (run.status, run.period, run.params) == ("failed", "2023-07", {"year": 2023, "month": 7})
    assert "数据源中断" in run.error and run.finished_at is not None
    assert _count(session, EvaluationRun) == 0
    assert session.scalar(select(JobLedger.status).where(JobLedger.job == "test-fail")) == "failed"


def test_after_a_failure_the_next_run_of_the_period_succeeds(test_jobs, departments, session, monkeypatch):
    fired = datetime(2023, 8, 6, 2, 0, tzinfo=SHANGHAI)
    runner.run_in_context("test-fail", fired=fired)
    monkeypatch.setitem(
        registry.JOBS,
        "test-fail",
        registry.JobSpec(
            "test-fail",
            "tracker.scheduler.jobs:monthly_monitoring",
            {"day": 6, "hour": 2},
            registry.previous_month,
        ),
    )
    run = session.get(JobRun, runner.run_in_context("test-fail", fired=fired))
    assert (run.status, run.rows) == ("succeeded", 2 + 2)  # two departments, one indicator each
    assert _count(session, EvaluationRun) == 2


def test_rerunning_the_monitoring_job_replaces_its_results(departments, session):
    fired = datetime(2023, 8, 6, 2, 0, tzinfo=SHANGHAI)
    runner.run_in_context("monthly-monitoring", fired=fired)
    runner.run_in_context("monthly-monitoring", fired=fired, trigger="manual")
    assert _count(session, JobRun, JobRun.status == "succeeded") == 2
    assert _count(session, EvaluationRun, EvaluationRun.month == 7) == 2


@time_machine.travel(datetime(2023, 8, 7, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_catch_up_runs_the_missed_periods_once(departments, session):
    ran = runner.catch_up(
        only={"monthly-monitoring", "midyear-monitoring", "self-assessment", "execution-metrics"}
    )
    periods = set(session.execute(select(JobRun.job, JobRun.period).where(JobRun.id.in_(ran))).all())
    assert periods == {("monthly-monitoring", "2023-07"), ("execution-metrics", "2023-08-07")}
    assert runner.catch_up(only={"monthly-monitoring", "execution-metrics"}) == []


@pytest.mark.parametrize(
    ("cron", "now", "expected"),
    [
        ({"day": 6, "hour": 2, "minute": 0}, datetime(2023, 8, 6, 1, 59), datetime(2023, 7, 6, 2, 0)),
        ({"day": 6, "hour": 2, "minute": 0}, datetime(2023, 8, 6, 2, 0), datetime(2023, 8, 6, 2, 0)),
        ({"month": 1, "day": 20, "hour": 3, "minute": 0}, datetime(2024, 2, 1), datetime(2024, 1, 20, 3, 0)),
    ],
)
def test_last_fire_time_in_shanghai(cron, now, expected):
    spec = registry.JobSpec("x", "m:f", cron)
    assert runner.last_fire_time(spec, now.replace(tzinfo=SHANGHAI)) == expected.replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("fired", "period", "params"),
    [
        (datetime(2023, 8, 6, 2), "2023-07", {"year": 2023, "month": 7}),
        (datetime(2024, 1, 6, 2), "2023-12", {"year": 2023, "month": 12}),
    ],
)
def test_monthly_monitoring_covers_the_previous_month(fired, period, params):
    assert registry.previous_month(fired) == (period, params)


def test_default_schedules_follow_issue_4():
    jobs = registry.configured_jobs()
    assert jobs["monthly-monitoring"].cron == {"day": 6, "hour": 2, "minute": 0}
    assert jobs["midyear-monitoring"].cron == {"month": 8, "day": 10, "hour": 3, "minute": 0}
    assert jobs["self-assessment"].cron == {"month": 1, "day": 20, "hour": 3, "minute": 0}
    assert jobs["execution-metrics"].cron == {"hour": 1, "minute": 0}
    assert runner.JOB_DEFAULTS == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def test_settings_override_or_disable_a_schedule():
    jobs = registry.configured_jobs({"monthly-monitoring": {"day": 7, "hour": 4}, "execution-metrics": None})
    assert jobs["monthly-monitoring"].cron == {"day": 7, "hour": 4}
    assert "execution-metrics" not in jobs


def test_jobs_page_is_for_finance_and_admin(client, session):
    login_as(client, UserFactory(role="department"))
    assert client.get("/jobs").status_code == 403


@time_machine.travel(datetime(2023, 8, 7, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_finance_runs_a_job_now_and_sees_the_run(client, departments, session):
    login_as(client, UserFactory(role="finance"))
    response = client.post("/jobs/execution-metrics/run")
    assert response.status_code == 302
    page = client.get("/jobs").text
    assert "execution-metrics" in page and "成功" in page
    assert _count(session, EvaluationRun, EvaluationRun.kind == "metrics") == 2


def test_the_lock_holds_across_processes_and_dies_with_its_holder(app, tmp_path):
    import subprocess
    import sys

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tracker.scheduler.lock import LeaderLock; "
            f"lock = LeaderLock({url!r}, {str(tmp_path)!r}); print(lock.acquire(), flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    mine = LeaderLock(url, tmp_path)
    try:
        assert holder.stdout.readline().strip() == "True"
        assert mine.acquire() is False
        holder.stdin.close()  # the holder exits without releasing: the kernel / server frees the lock
        holder.wait(timeout=30)
        assert mine.acquire(timeout=20) is True
    finally:
        mine.release()
        holder.kill()


@pytest.mark.parametrize(
    ("cron", "text"),
    [
        ({"day": 6, "hour": 2}, "每月6日 02:00"),
        ({"month": 8, "day": 10, "hour": 3}, "每年8月10日 03:00"),
        ({"hour": 8, "minute": 30}, "每日 08:30"),
        ({"hour": 1}, "每日 01:00"),
        ({"minute": "*/5"}, "每 5 分钟"),
    ],
)
def test_a_schedule_is_shown_as_a_clerk_reads_it(app, cron, text):
    from tracker.scheduler.service import describe_cron

    with app.test_request_context():
        assert describe_cron(cron) == text


def test_the_jobs_page_speaks_one_language_at_a_time(client, session):
    """Issue 11 §5: descriptions and schedules in Chinese or in English, never raw cron fields."""
    login_as(client, UserFactory(role="finance"))
    chinese = client.get("/jobs").text
    assert "上月绩效运行监控（全部部门）" in chinese and "每月6日 02:00" in chinese
    assert "{&#39;day&#39;" not in chinese and "'day'" not in chinese
    client.get("/lang/en")
    english = client.get("/jobs").text
    assert "Performance monitoring of last month (all departments)" in english
    assert "上月绩效运行监控" not in english and "向财政局报送" not in english


@time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_run_now_asks_for_the_period_and_runs_the_one_chosen(client, departments, session):
    """Issue 11 §6: 立即运行 on /jobs asks for the period — here July 2023, not last month of today."""
    login_as(client, UserFactory(role="finance"))
    page = client.get("/jobs").text
    form = page[page.index('action="/jobs/monthly-monitoring/run"') :]
    form = form[: form.index("</form>")]
    assert 'name="year"' in form and 'name="month"' in form
    assert client.post("/jobs/monthly-monitoring/run", data={"year": "2023", "month": "7"}).status_code == 302
    run = session.scalar(select(JobRun).where(JobRun.job == "monthly-monitoring"))
    assert (run.period, run.trigger, run.status) == ("2023-07", "manual", "succeeded")
    assert _count(session, EvaluationRun, EvaluationRun.kind == "monitoring", EvaluationRun.month == 7) == 2

    refused = client.post(
        "/jobs/monthly-monitoring/run", data={"year": "2023", "month": "13"}, follow_redirects=True
    )
    assert "月份：" in refused.text
    assert session.scalar(select(func.count()).select_from(JobRun)) == 1
