"""A province for the statement-count tests: the bench generator's departments, units, projects,
indicators, budgets, spending and approved reports, bulk loaded, plus what the pages read besides —
users of every role (a reporter per unit, an administrator per department), API tokens, stored
monitoring and self-assessment runs, months waiting for review, audit entries, deliveries and job
runs — in proportion to the number of departments.

The home department (code 101) is wider the larger the province (``home_projects``), so a page that
pays per project of the user's own scope grows too, not only one that pays per department.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text, update

from bench.generate import TABLE_ORDER, generate
from tracker.evaluation import service
from tracker.evaluation.bulk import bulk_insert
from tracker.extensions import db

YEAR, MONTH = 2023, 7
HOME_DEPARTMENT, HOME_UNIT = "101", "101001"
UNITS = 2
PROJECTS = 4
NOW = datetime(2023, 8, 5, 12, 0, tzinfo=UTC)
#: username of the account of each role the pages are read as.
ACCOUNTS = {
    "reporter": f"r{HOME_UNIT}",
    "department": f"d{HOME_DEPARTMENT}",
    "finance": "finance",
    "admin": "admin",
}


@dataclass
class Province:
    departments: int
    home_projects: int
    tokens: dict[str, str]  # role → API token secret


def _users(departments: int, password_hash: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"username": "finance", "role": "finance"},
        {"username": "admin", "role": "admin"},
    ]
    unit_id = 0
    for d in range(1, departments + 1):
        code = f"{100 + d}"
        rows.append({"username": f"d{code}", "role": "department", "department_id": d})
        for u in range(UNITS):
            unit_id += 1
            rows.append({"username": f"r{code}{u + 1:03d}", "role": "reporter", "unit_id": unit_id})
    for row in rows:
        row.setdefault("unit_id", None)
        row.setdefault("department_id", None)
        row.update(password_hash=password_hash, display_name="", active=True, created_at=NOW)
    return rows


def _audit_rows(departments: int) -> list[dict[str, Any]]:
    rows = []
    for d in range(1, departments + 1):
        code = f"{100 + d}"
        for u in range(UNITS):
            for month in (MONTH - 1, MONTH):
                rows.append(
                    {
                        "at": NOW,
                        "username": f"r{code}{u + 1:03d}",
                        "action": "update",
                        "entity": "indicator_actual",
                        "entity_id": d,
                        "field": "接待群众数量·actual",
                        "old_value": "1",
                        "new_value": "2",
                        "department_code": code,
                        "unit_code": f"{code}{u + 1:03d}",
                        "year": YEAR,
                        "month": month,
                    }
                )
    return rows


def _deliveries(departments: int) -> list[dict[str, Any]]:
    from tracker.reports import storage

    xlsx, pdf = storage.store(b"PK xlsx", "xlsx"), storage.store(b"%PDF-1.7", "pdf")
    return [
        {
            "kind": "monitoring",
            "department_id": d,
            "year": YEAR,
            "month": MONTH,
            "subject": f"基准部门{d} {YEAR}年绩效监控",
            "xlsx_name": f"{100 + d}.xlsx",
            "xlsx_sha256": xlsx,
            "pdf_name": f"{100 + d}.pdf",
            "pdf_sha256": pdf,
            "recipients": "czj@example.org",
            "delivered_to": "czj@example.org",
            "status": "sent",
            "attempts": 1,
            "created_at": NOW,
            "sent_at": NOW,
        }
        for d in range(1, departments + 1)
    ]


def _job_runs(departments: int) -> list[dict[str, Any]]:
    return [
        {
            "job": "monitoring",
            "period": f"{YEAR}-{month:02d}",
            "params": {"year": YEAR, "month": month},
            "trigger": "schedule",
            "status": "succeeded",
            "started_at": NOW,
            "finished_at": NOW,
            "rows": departments * 50,
            "host": "bench",
        }
        for month in range(1, MONTH + 1)
        for _ in range(max(1, departments // 40))
    ]


def build_province(departments: int, home_projects: int) -> Province:
    """Fill the app's empty database (inside an app context); returns who may be asked for what."""
    from tracker.auth.models import User
    from tracker.auth.services import hash_password
    from tracker.reporting.models import MonthlyReport

    db.create_all()
    tables = db.metadata.tables
    with db.engine.begin() as connection:
        shape = generate(
            departments,
            month=MONTH,
            units=UNITS,
            projects=lambda d: home_projects if d == 1 else PROJECTS,
        )
        for chunk in shape:
            for name in TABLE_ORDER:
                bulk_insert(connection, tables[name], chunk.rows.get(name, []))
        bulk_insert(connection, tables["user"], _users(departments, hash_password("correct horse")))
        bulk_insert(connection, tables["audit_entry"], _audit_rows(departments))
        bulk_insert(connection, tables["delivery"], _deliveries(departments))
        bulk_insert(connection, tables["job_run"], _job_runs(departments))
        if connection.dialect.name == "postgresql":
            for name in (*TABLE_ORDER, "user"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM \"{name}\"))"
                    )
                )
    # The month reported and the year's last (the dashboard's default month: December has reports
    # and spending here), so no page evaluates live on one province and not on the other.
    for month in (MONTH, 12):
        service.evaluate_all(service.MONITORING, YEAR, month)
    service.evaluate_all(service.SELF_ASSESSMENT, YEAR)
    # A real 6th of the month: every fourth department's own month and one unit's month wait for review.
    waiting = select(MonthlyReport.id).where(
        MonthlyReport.year == YEAR,
        MonthlyReport.month == MONTH,
        (MonthlyReport.department_id % 4 == 1),
    )
    db.session.execute(
        update(MonthlyReport)
        .where(MonthlyReport.id.in_(waiting), MonthlyReport.scope_key.not_like("%002"))
        .values(status="submitted", imported=False)
    )
    db.session.commit()
    tokens = {}
    from tracker.api.tokens import issue_token_for

    for role, username in ACCOUNTS.items():
        tokens[role] = issue_token_for(username, name="perf").secret
    db.session.commit()
    assert db.session.scalar(select(User.id).where(User.username == ACCOUNTS["reporter"])) is not None
    return Province(departments, home_projects, tokens)
