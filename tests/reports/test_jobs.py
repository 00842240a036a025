"""The 报送 jobs in the scheduler's registry: default dates and a firing that sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.extensions import db
from tracker.reports import delivery as deliveries
from tracker.reports.models import Delivery
from tracker.scheduler.registry import configured_jobs, resolve


@pytest.mark.parametrize(
    ("name", "cron"),
    [
        ("reports.midyear_monitoring", {"month": 8, "day": 15}),
        ("reports.self_assessment", {"month": 2, "day": 28}),
        ("reports.monthly_execution", {"day": 8}),
        ("reports.retry_deliveries", {"minute": "*/5"}),
    ],
)
def test_report_jobs_are_registered_on_their_default_dates(name, cron):
    spec = configured_jobs()[name]

    assert {key: spec.cron[key] for key in cron} == cron


def test_the_self_assessment_job_fired_on_feb_28_sends_last_years_package(scenario, smtp):
    spec = configured_jobs()["reports.self_assessment"]
    _, params = spec.period(datetime(2024, 2, 28, 9, 0))

    [delivery_id] = resolve(spec.func)(**params).ids

    record = db.session.get(Delivery, delivery_id)
    assert (record.kind, record.year, record.month, record.status) == ("self-assessment", 2023, 0, "sent")


def test_the_retry_job_fired_by_the_scheduler_retries_due_deliveries(scenario, smtp):
    smtp.stop()
    record = deliveries.send_package("execution", 2023, 7, "801", now=datetime.now(UTC) - timedelta(hours=1))
    smtp.start()
    spec = configured_jobs()["reports.retry_deliveries"]
    _, params = spec.period(datetime.now())

    assert resolve(spec.func)(**params) == 1
    assert record.status == "sent"


def test_the_midyear_job_sends_january_to_july(scenario, smtp):
    spec = configured_jobs()["reports.midyear_monitoring"]
    [delivery_id] = resolve(spec.func)(**spec.period(datetime(2023, 8, 15, 9, 0))[1]).ids

    record = db.session.get(Delivery, delivery_id)
    assert (record.kind, record.year, record.month) == ("monitoring", 2023, 7)
