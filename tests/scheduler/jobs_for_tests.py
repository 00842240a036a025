"""Job functions the scheduler tests register by name (module-level, plain arguments)."""

from __future__ import annotations

import os
import time
from datetime import date, datetime

from tracker.evaluation import service
from tracker.scheduler import registry

CALLS: list[tuple[int, int]] = []


def write_then_fail(year: int, month: int) -> int:
    """Writes a whole monitoring result set, then fails: nothing of it may stay."""
    service.evaluate_all(service.MONITORING, year, month, commit=False)
    raise RuntimeError("数据源中断")


def count_calls(year: int, month: int) -> int:
    CALLS.append((year, month))
    return 1


def slow(today: date) -> int:
    """Takes ``TEST_JOB_SECONDS`` (the scheduler process's environment): long enough to be killed."""
    time.sleep(float(os.environ.get("TEST_JOB_SECONDS", "0")))
    return 1


def tick() -> int:
    return 1


def by_second(fired: datetime) -> registry.Period:
    return fired.strftime("%Y-%m-%dT%H:%M:%S"), {}


#: The jobs a scheduler process under test runs instead of the real ones (see :func:`only`).
TEST_JOBS = {
    # Daily at 00:00: the scheduler's catch-up at start runs today's period.
    "test-slow": (
        "tests.scheduler.jobs_for_tests:slow",
        {"hour": 0, "minute": 0},
        registry.by_fire_date,
        True,
    ),
    # Every second, a period per second.
    "test-tick": ("tests.scheduler.jobs_for_tests:tick", {"second": "*"}, by_second, False),
}


def only(names: list[str]) -> None:
    """Make the registry hold just the named test jobs (a scheduler process under test)."""
    registry.JOBS.clear()
    registry.load_domain_jobs = lambda domains=(): None  # type: ignore[assignment]
    for name in names:
        func, cron, period, catch_up = TEST_JOBS[name]
        registry.register_job(name, func, cron, period, catch_up=catch_up)


def say(year: int, month: int) -> int:
    """Logs one line of its own, as a real job's service does."""
    import logging

    logging.getLogger("tracker.tests").info("saying %s-%02d", year, month)
    return 1
