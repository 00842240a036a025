"""Real scheduler processes (``flask --app wsgi tracker scheduler``) over a fresh migrated database:
a leader killed mid-job, and a leader whose lock connection is terminated from outside.

Each process runs Flask's command line after :func:`tests.scheduler.jobs_for_tests.only` has put
test jobs in the registry in place of the real ones; timings are made small by the settings'
environment variables (heartbeat, stale window, standby poll).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from tests.conftest import fresh_database, is_postgresql
from tracker.scheduler.lock import LOCK_KEY
from tracker.scheduler.models import JobLedger, JobRun
from tracker.types import utcnow

ROOT = Path(__file__).resolve().parents[2]

#: Registers the named test jobs (first argument), then runs Flask's command line on the rest.
ENTRY = """
import sys
from tests.scheduler import jobs_for_tests
jobs_for_tests.only(sys.argv.pop(1).split(","))
from flask.cli import main
sys.argv[0] = "flask"
main()
"""

postgresql_only = pytest.mark.skipif(not is_postgresql(), reason="needs TEST_DATABASE_URL on PostgreSQL")

T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


class Scheduler:
    """One ``flask --app wsgi tracker scheduler`` process; its output goes to a file."""

    def __init__(self, env: dict[str, str], log: Path, jobs: str, **settings: str) -> None:
        self.log_path = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", ENTRY, jobs, "--app", "wsgi", "tracker", "scheduler"],
                cwd=ROOT,
                env={**env, **settings},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.host_suffix = f":{self.process.pid}"

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, needle: str, timeout: float) -> None:
        def found() -> bool:
            assert self.process.poll() is None, f"the scheduler exited:\n{self.log}"
            return needle in self.log

        try:
            wait_for(found, timeout, f"{needle!r} in the log of {self.process.pid}")
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.log}") from None

    def owns(self, host: str) -> bool:
        return host.endswith(self.host_suffix)

    def kill(self) -> None:
        """kill -9: no finally block, no lock release, no ledger update."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh database migrated by ``flask db upgrade``, and the environment of its processes."""
    tmp = tmp_path_factory.mktemp("failover")
    with fresh_database(tmp) as url:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "DATABASE_URL": url,
            "TRACKER_CONFIG": "development",
            "UPLOAD_DIR": str(tmp / "uploads"),
            "REPORT_DIR": str(tmp / "reports"),
            "SCHEDULER_HEARTBEAT_SECONDS": "0.5",
            "SCHEDULER_STALE_SECONDS": "3",
            "SCHEDULER_STANDBY_SECONDS": "0.5",
        }
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        yield url, env


@pytest.fixture
def schedulers(database, tmp_path) -> Iterator[Callable[..., Scheduler]]:
    _, env = database
    started: list[Scheduler] = []

    def start(jobs: str, **settings: str) -> Scheduler:
        scheduler = Scheduler(env, tmp_path / f"scheduler-{len(started)}.log", jobs, **settings)
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        scheduler.kill()


@pytest.fixture
def engine(database):
    engine = create_engine(database[0], poolclass=NullPool)
    yield engine
    engine.dispose()


def _ledger(engine, job: str) -> list:
    with engine.connect() as connection:
        return list(
            connection.execute(select(JobLedger.status, JobLedger.attempts).where(JobLedger.job == job))
        )


def _runs(engine, job: str) -> list:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(JobRun.status, JobRun.host, JobRun.trigger, JobRun.started_at, JobRun.error)
                .where(JobRun.job == job)
                .order_by(JobRun.id)
            )
        )


def test_a_killed_leaders_run_is_abandoned_and_its_period_runs_again(schedulers, engine):
    """kill -9 of the leader mid-job: the next leader marks the run abandoned and runs the period.

    SQLite: when the dead run's heartbeat is older than the stale window (3 s here). PostgreSQL: at
    once, its owner's database session being gone — the stale window is a minute there, and the
    period must still run again within a few seconds."""
    window = {"SCHEDULER_STALE_SECONDS": "60"} if is_postgresql() else {}
    first = schedulers("test-slow", TEST_JOB_SECONDS="120", **window)
    wait_for(lambda: _ledger(engine, "test-slow") == [("running", 1)], 20, "the first leader's run")
    wait_for(lambda: _runs(engine, "test-slow"), 5, "its run row")
    time.sleep(1.2)  # a heartbeat or two
    first.kill()

    second = schedulers("test-slow", TEST_JOB_SECONDS="0", **window)
    started = time.monotonic()
    wait_for(lambda: _ledger(engine, "test-slow") == [("succeeded", 2)], 20, "the period run again")
    elapsed = time.monotonic() - started

    (dead, dead_host, _, _, error), (rerun, rerun_host, trigger, _, _) = _runs(engine, "test-slow")
    assert (dead, rerun, trigger) == ("abandoned", "succeeded", "catch-up")
    assert first.owns(dead_host) and second.owns(rerun_host)
    assert "作废" in error
    assert "abandoned" in second.log
    # 1.5 s to start a process here; SQLite waits for the stale window, PostgreSQL does not.
    assert elapsed < (12 if is_postgresql() else 15)


@postgresql_only
def test_a_leader_whose_lock_connection_is_terminated_runs_no_job_and_stands_down(schedulers, engine):
    """Split brain: the leader's lock backend is terminated from outside, and the standby takes the
    lock. The old leader must run nothing after that, stand down, and stand by (taking over again
    when the new leader dies)."""
    first = schedulers("test-tick", SCHEDULER_STANDBY_SECONDS="2")
    first.wait_log("scheduler leader", 20)
    second = schedulers("test-tick", SCHEDULER_STANDBY_SECONDS="0.3")
    second.wait_log("standing by", 20)
    wait_for(lambda: any(first.owns(r.host) for r in _runs(engine, "test-tick")), 10, "the leader's ticks")

    with engine.connect() as connection:
        holders = connection.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid::bigint = :high AND objid::bigint = :low"
            ),
            {"high": LOCK_KEY >> 32, "low": LOCK_KEY & 0xFFFFFFFF},
        ).scalars()
        (backend,) = list(holders)
        # Waits (up to 5 s) until the backend is gone: from here on, no lock check can pass.
        assert connection.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": backend}).scalar()
        terminated = utcnow()
        connection.commit()

    wait_for(
        lambda: any(second.owns(r.host) for r in _runs(engine, "test-tick")), 15, "the new leader's ticks"
    )
    time.sleep(2.5)  # the old leader had a couple of firings to run jobs in
    late = [
        (run.status, run.started_at)
        for run in _runs(engine, "test-tick")
        if first.owns(run.host) and (run.started_at - terminated).total_seconds() > 0.5
    ]
    assert late == []
    first.wait_log("standing down", 1)
    assert first.process.poll() is None
    assert "standing by" in first.log.split("standing down", 1)[1]

    second.kill()
    since = utcnow()
    wait_for(
        lambda: any(first.owns(r.host) and r.started_at > since for r in _runs(engine, "test-tick")),
        15,
        "the old leader leading again",
    )
