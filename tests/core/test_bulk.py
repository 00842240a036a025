"""Many rows in a fixed number of statements (``tracker.core.bulk``): COPY on PostgreSQL, an
executemany elsewhere — the same rows either way, inside the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, func, select

from tracker.core import bulk
from tracker.core.audit import AuditEntry
from tracker.extensions import db

TABLE = cast(Table, AuditEntry.__table__)
AT = datetime(2023, 8, 5, 1, 2, 3, tzinfo=UTC)


def _entries(n: int, field: str = "bulk") -> list[dict]:
    return [
        {
            "at": AT,
            "username": "r122201",
            "action": "update",
            "entity": "indicator_actual",
            "entity_id": i,
            "field": field,
            "old_value": None if i % 2 else "60",
            "new_value": f"值{i}\t含制表符\n与换行\\",
            "year": 2023,
            "month": 8,
        }
        for i in range(n)
    ]


def _stored(field: str = "bulk") -> list[tuple]:
    return list(
        db.session.execute(
            select(AuditEntry.entity_id, AuditEntry.old_value, AuditEntry.new_value, AuditEntry.at)
            .where(AuditEntry.field == field)
            .order_by(AuditEntry.entity_id)
        )
    )


def test_rows_inserted_in_bulk_read_back_as_written():
    bulk.insert_rows(TABLE, _entries(300))
    stored = _stored()
    assert len(stored) == 300
    # Tabs, newlines and backslashes are data, not COPY's separators.
    assert stored[1][:3] == (1, None, "值1\t含制表符\n与换行\\")
    assert stored[2][1] == "60"
    assert all((row[3] if row[3].tzinfo else row[3].replace(tzinfo=UTC)) == AT for row in stored)


def test_rows_updated_in_bulk_change_only_the_rows_named():
    bulk.insert_rows(TABLE, _entries(5))
    ids = db.session.scalars(
        select(AuditEntry.id).where(AuditEntry.field == "bulk").order_by(AuditEntry.id)
    ).all()
    bulk.update_rows(TABLE, "id", [{"id": ids[0], "new_value": "一"}, {"id": ids[3], "new_value": None}])
    # A second update in the same transaction starts from no leftover changes.
    bulk.update_rows(TABLE, "id", [{"id": ids[1], "new_value": "二"}])
    values = [row[2] for row in _stored()]
    assert values[0] == "一" and values[1] == "二" and values[3] is None
    assert values[2] == _entries(5)[2]["new_value"] and values[4] == _entries(5)[4]["new_value"]


def test_a_rolled_back_transaction_keeps_none_of_the_bulk_rows():
    nested = db.session.begin_nested()
    bulk.insert_rows(TABLE, _entries(50, field="gone"))
    assert len(_stored("gone")) == 50
    nested.rollback()
    assert _stored("gone") == []
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.field == "gone")) == 0
    )


def test_nothing_to_write_sends_nothing():
    bulk.insert_rows(TABLE, [])
    bulk.update_rows(TABLE, "id", [])
