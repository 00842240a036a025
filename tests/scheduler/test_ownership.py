"""A running claim's owner, in process: its heartbeat, its PostgreSQL session, its lease token; and
the leader's check of its own lock before each job."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from tests.conftest import is_postgresql, login_as
from tests.evaluation.helpers import DepartmentFactory, indicator
from tests.factories import UserFactory
from tests.scheduler import jobs_for_tests
from tracker.evaluation import service as evaluation
from tracker.evaluation.models import EvaluationRun
from tracker.extensions import db
from tracker.scheduler import ledger, registry, runner
from tracker.scheduler.lock import LeaderLock
from tracker.scheduler.models import JobLedger, JobRun
from tracker.types import utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")
postgresql_only = pytest.mark.skipif(not is_postgresql(), reason="needs TEST_DATABASE_URL on PostgreSQL")


@pytest.fixture
def test_jobs():
    registry.register_job(
        "test-count",
        "tests.scheduler.jobs_for_tests:count_calls",
        {"day": 6, "hour": 2},
        registry.previous_month,
    )
    registry.register_job(
        "test-taken-over",
        "tests.scheduler.test_ownership:write_then_lose_the_claim",
        {"day": 6, "hour": 2},
        registry.previous_month,
    )
    jobs_for_tests.CALLS.clear()
    yield
    registry.JOBS.pop("test-count")
    registry.JOBS.pop("test-taken-over")


def write_then_lose_the_claim(year: int, month: int) -> int:
    """Writes a monitoring result set while another process takes the claim over (its lease)."""
    rows = evaluation.evaluate_all(evaluation.MONITORING, year, month, commit=False).rows
    db.session.execute(update(JobLedger).where(JobLedger.job == "test-taken-over").values(lease="another"))
    return rows


def _running_run(session, job: str, period: str, owner: str, *, beat: datetime) -> JobRun:
    """What a scheduler that died mid-job leaves: a running claim and a running run."""
    session.add(
        JobLedger(
            job=job,
            period=period,
            status="running",
            attempts=1,
            claimed_at=beat,
            owner=owner,
            lease="dead-owner",
            heartbeat_at=beat,
        )
    )
    run = JobRun(
        job=job, period=period, params={}, trigger="schedule", status="running", started_at=beat, host=owner
    )
    session.add(run)
    session.commit()
    return run


def test_a_claim_with_a_fresh_heartbeat_is_refused_and_a_stale_one_is_abandoned(session):
    dead = _running_run(session, "beat", "2023-07", "host:1", beat=utcnow() - timedelta(seconds=30))
    stale = timedelta(seconds=60)

    assert ledger.claim(session, "beat", "2023-07", owner="host:2", lease="new", stale=stale) is None
    session.execute(
        update(JobLedger).where(JobLedger.job == "beat").values(heartbeat_at=utcnow() - stale * 2)
    )
    ledger_id = ledger.claim(session, "beat", "2023-07", owner="host:2", lease="new", stale=stale)

    row = session.get(JobLedger, ledger_id)
    session.refresh(dead)
    assert (row.status, row.attempts, row.owner, row.lease) == ("running", 2, "host:2", "new")
    assert (dead.status, dead.finished_at is not None) == ("abandoned", True)
    assert "host:1" in dead.error and "作废" in dead.error


def test_the_dead_owners_finish_changes_nothing(session):
    first = ledger.claim(session, "fence", "2023-07", owner="host:1", lease="one")
    session.execute(
        update(JobLedger).where(JobLedger.id == first).values(heartbeat_at=utcnow() - timedelta(hours=1))
    )
    second = ledger.claim(session, "fence", "2023-07", owner="host:2", lease="two")

    assert second == first  # the same row, claimed again
    assert ledger.finish(session, first, "succeeded", "one") is False
    assert session.scalar(select(JobLedger.status).where(JobLedger.id == first)) == "running"
    assert ledger.finish(session, second, "succeeded", "two") is True


@postgresql_only
def test_on_postgresql_a_claim_whose_owner_session_is_gone_is_abandoned_at_once(session, database_url):
    engine = create_engine(database_url)
    owner = engine.connect()
    backend = owner.execute(text("SELECT pg_backend_pid()")).scalar()
    try:
        ledger_id = ledger.claim(session, "session", "2023-07", owner="host:1", lease="one", backend=backend)
        assert ledger.claim(session, "session", "2023-07", owner="host:2", lease="two") is None  # alive
        owner.close()
        engine.dispose()  # the owner's process dies: its backend ends

        def gone() -> bool:
            session.execute(text("SELECT pg_stat_clear_snapshot()"))
            return not session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend}
            )

        deadline = time.monotonic() + 10
        while not gone() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ledger.claim(session, "session", "2023-07", owner="host:2", lease="two") == ledger_id
    finally:
        owner.close()
        engine.dispose()


def test_a_run_whose_claim_was_taken_over_keeps_none_of_its_writes(test_jobs, session):
    indicator(department=DepartmentFactory(code="501"), target="合规", level1="投入管理指标", name="合规性")
    run_id = runner.run_in_context("test-taken-over", fired=datetime(2023, 8, 6, 2, 0, tzinfo=SHANGHAI))

    run = session.get(JobRun, run_id)
    assert run.status == "abandoned" and "撤销" in run.error
    assert session.scalar(select(func.count()).select_from(EvaluationRun)) == 0


def test_the_leader_runs_again_the_periods_dead_owners_abandoned(test_jobs, session):
    dead = _running_run(session, "test-count", "2023-07", "host:1", beat=utcnow() - timedelta(hours=1))
    session.execute(update(JobRun).where(JobRun.id == dead.id).values(params={"year": 2023, "month": 7}))

    ran = runner.recover()

    assert jobs_for_tests.CALLS == [(2023, 7)]
    assert [session.get(JobRun, run_id).status for run_id in ran] == ["succeeded"]
    assert session.get(JobRun, dead.id).status == "abandoned"
    assert session.scalar(select(JobLedger.status).where(JobLedger.job == "test-count")) == "succeeded"


@time_machine.travel(datetime(2023, 8, 7, 10, 0, tzinfo=SHANGHAI), tick=False)
def test_run_now_runs_a_period_whose_owner_died_and_refuses_one_whose_owner_lives(client, session):
    login_as(client, UserFactory(role="finance"))
    _running_run(session, "execution-metrics", "2023-08-07", "host:1", beat=utcnow() - timedelta(seconds=20))

    page = client.post("/jobs/execution-metrics/run", follow_redirects=True).text
    assert "正在其他进程中运行" in page  # its heartbeat is 20 s old: alive

    session.execute(update(JobLedger).values(heartbeat_at=utcnow() - timedelta(seconds=61)))
    page = client.post("/jobs/execution-metrics/run", follow_redirects=True).text
    assert "任务已完成" in page
    statuses = session.scalars(
        select(JobRun.status).where(JobRun.job == "execution-metrics").order_by(JobRun.id)
    )
    assert list(statuses) == ["abandoned", "succeeded"]


def test_the_heartbeat_keeps_a_claim_alive_until_it_stops(database_url):
    engine = create_engine(
        database_url, connect_args={"timeout": 30} if database_url.startswith("sqlite") else {}
    )
    lease = runner.Lease(engine, interval=0.1).open()
    stale = timedelta(seconds=0.6)
    try:
        with Session(engine) as session:
            ledger_id = ledger.claim(
                session,
                "alive",
                "2023-07",
                owner=lease.owner,
                lease=lease.token,
                backend=lease.backend,
                stale=stale,
            )
            claimed = session.scalar(select(JobLedger.heartbeat_at).where(JobLedger.id == ledger_id))
            session.commit()  # (on SQLite an open read would refuse the beats)
            lease.start(ledger_id)
            time.sleep(0.8)
            session.commit()
            assert session.scalar(select(JobLedger.heartbeat_at).where(JobLedger.id == ledger_id)) > claimed
            # Alive on its heartbeat alone: the owner's database session is not looked at here.
            session.execute(update(JobLedger).where(JobLedger.id == ledger_id).values(owner_backend=None))
            session.commit()
            assert (
                ledger.claim(session, "alive", "2023-07", owner="other", lease="other", stale=stale) is None
            )

            lease.stop()  # the owner hangs: no more heartbeats
            time.sleep(0.8)
            assert (
                ledger.claim(session, "alive", "2023-07", owner="other", lease="other", stale=stale)
                == ledger_id
            )
    finally:
        lease.close()
        with engine.begin() as connection:
            connection.execute(delete(JobLedger).where(JobLedger.job == "alive"))
        engine.dispose()


def test_a_heartbeat_finding_its_claim_taken_over_says_so(database_url):
    engine = create_engine(
        database_url, connect_args={"timeout": 30} if database_url.startswith("sqlite") else {}
    )
    lease = runner.Lease(engine, interval=0.05).open()
    try:
        with Session(engine) as session:
            ledger_id = ledger.claim(session, "lost", "2023-07", owner=lease.owner, lease=lease.token)
            session.execute(update(JobLedger).where(JobLedger.id == ledger_id).values(lease="another"))
            session.commit()
            lease.start(ledger_id)
            assert lease.lost.wait(5)
    finally:
        lease.close()
        with engine.begin() as connection:
            connection.execute(delete(JobLedger).where(JobLedger.job == "lost"))
        engine.dispose()


def test_the_lock_check_notices_a_lost_lock(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    leader, usurper = LeaderLock(url, tmp_path), LeaderLock(url, tmp_path)
    try:
        assert leader.acquire() and leader.check() is True
        if leader.is_postgresql:
            admin = create_engine(url)
            with admin.connect() as connection:
                connection.execute(
                    text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": leader.backend_pid}
                )
            admin.dispose()
        else:
            leader._lock_path().unlink()  # and a new file, which another process may lock
        assert usurper.acquire(timeout=5) is True
        assert leader.check() is False and leader.held is False
        leader.release()  # nothing left to release: no error
    finally:
        leader.release()
        usurper.release()


class _LostLock:
    def check(self) -> bool:
        return False


class _Scheduler:
    running = True
    stopped = False

    def shutdown(self, wait: bool = True) -> None:
        self.running, self.stopped = False, True


def test_a_leader_that_lost_its_lock_runs_no_job_and_stops_its_scheduler(test_jobs, monkeypatch):
    term = runner._Term(_LostLock())  # type: ignore[arg-type]
    term.scheduler = _Scheduler()
    monkeypatch.setattr(runner, "_TERM", term)

    assert runner.run_job("test-count") is None
    assert runner.run_job("test-count") is None

    assert jobs_for_tests.CALLS == []
    assert term.stood_down.is_set() and term.scheduler.stopped
