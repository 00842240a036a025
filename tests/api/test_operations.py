"""Job runs and deliveries over the API: what the /jobs and delivery pages show, to the same roles."""

from __future__ import annotations

from sqlalchemy import select

from tracker.budget.models import Department
from tracker.extensions import db
from tracker.reports.models import Delivery, DeliveryAttempt
from tracker.scheduler.models import JobRun
from tracker.types import utcnow


def test_finance_reads_job_runs_newest_first_filtered_by_status(api):
    for status in ("succeeded", "failed"):
        db.session.add(
            JobRun(
                job="monthly_monitoring",
                period="2023-06",
                params={"year": 2023, "month": 6},
                trigger="schedule",
                status=status,
                started_at=utcnow(),
                rows=12,
                host="h",
            )
        )
    db.session.flush()

    everything = api.get("/job-runs", as_="finance").json
    failed = api.get("/job-runs?status=failed", as_="finance").json

    assert [run["status"] for run in everything[:2]] == ["failed", "succeeded"]
    assert [run["status"] for run in failed] == ["failed"] and failed[0]["params"] == {
        "year": 2023,
        "month": 6,
    }
    assert api.get(f"/job-runs/{failed[0]['id']}", as_="admin").json["job"] == "monthly_monitoring"


def test_a_department_reads_its_deliveries_with_every_attempt(api):
    department = db.session.scalar(select(Department).where(Department.code == "122"))
    delivery = Delivery(
        kind="monitoring",
        department_id=department.id,
        year=2023,
        month=7,
        subject="双监控",
        xlsx_name="a.xlsx",
        xlsx_sha256="0" * 64,
        pdf_name="a.pdf",
        pdf_sha256="1" * 64,
        recipients="czj@example.org,copy@example.org",
        status="sent",
        attempts=1,
    )
    delivery.attempt_log.append(DeliveryAttempt(number=1, ok=True, trigger="send"))
    db.session.add(delivery)
    db.session.flush()

    listed = api.get("/deliveries?year=2023&kind=monitoring", as_="dept122").json
    one = api.get(f"/deliveries/{delivery.id}", as_="finance").json

    assert [d["id"] for d in listed] == [delivery.id]
    assert (
        one["recipients"] == ["czj@example.org", "copy@example.org"] and one["attempt_log"][0]["ok"] is True
    )
    assert api.get(f"/deliveries/{delivery.id}", as_="unit122201").status_code == 404
