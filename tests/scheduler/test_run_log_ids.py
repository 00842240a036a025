"""Each job run has an id, on every line it logs — the scheduler's own lines and the job's — as a web
request's lines carry the request's id (issue 12 §11)."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tracker.core.log_ids import LogIdFilter
from tracker.scheduler import registry, runner

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def saying_job():
    registry.register_job(
        "test-say", "tests.scheduler.jobs_for_tests:say", {"day": 6}, registry.previous_month
    )
    yield
    registry.JOBS.pop("test-say")


@pytest.fixture
def ids_on_records(caplog):
    """The ids on the records caplog keeps (its handler outlives the test: the filter goes after)."""
    id_filter = LogIdFilter()
    caplog.handler.addFilter(id_filter)
    yield
    caplog.handler.removeFilter(id_filter)


def test_every_line_of_a_run_carries_the_run_s_id_and_another_run_has_another(
    saying_job, session, caplog, ids_on_records
):
    caplog.set_level(logging.INFO, logger="tracker")

    for month in (8, 9):
        runner.run_in_context("test-say", fired=datetime(2023, month, 6, 2, 0, tzinfo=SHANGHAI))
    logging.getLogger("tracker.tests").info("between runs")

    ids = {record.getMessage(): record.request_id for record in caplog.records}
    [first] = {ids[m] for m in ids if "2023-07" in m}
    [second] = {ids[m] for m in ids if "2023-08" in m}
    assert {message for message in ids if ids[message] == first} == {
        next(m for m in ids if m.startswith("job test-say 2023-07: run")),
        "saying 2023-07",
        next(m for m in ids if m.startswith("job test-say 2023-07 succeeded")),
    }
    assert re.fullmatch(r"job-[0-9a-f]{16}", first) and first != second
    assert ids["between runs"] == "-"
