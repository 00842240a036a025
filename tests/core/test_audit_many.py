"""``audit.record_many``: the entries of one change, in one statement — who and when once for all
of them, each entry's own field, old and new value as text."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from tests.factories import UserFactory
from tracker.core import audit
from tracker.core.audit import AuditEntry
from tracker.extensions import db


def _change() -> list[dict]:
    scope = {"department_code": "122", "unit_code": "122201", "year": 2023, "month": 8}
    return [
        {
            "action": "update",
            "entity": "indicator_actual",
            "entity_id": 7,
            "field": "预算执行率·actual",
            "old": Decimal("60.000000"),
            "new": Decimal("95.5"),
            **scope,
        },
        {
            "action": "update",
            "entity": "indicator_actual",
            "entity_id": 8,
            "field": "系统维护时限·forecast",
            "old": None,
            "new": Decimal("24"),
            **scope,
        },
        {"action": "create", "entity": "monthly_report", "field": "status", "new": "draft", **scope},
    ]


def test_the_entries_of_one_change_share_who_and_when(session):
    clerk = UserFactory(username="r122201")
    session.flush()
    rows = _change()
    audit.record_many(rows, user=clerk)
    stored = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.entity, e.entity_id, e.field, e.old_value, e.new_value) for e in stored] == [
        ("update", "indicator_actual", 7, "预算执行率·actual", "60", "95.5"),
        ("update", "indicator_actual", 8, "系统维护时限·forecast", None, "24"),
        ("create", "monthly_report", None, "status", None, "draft"),
    ]
    assert {(e.at, e.user_id, e.username) for e in stored} == {(stored[0].at, clerk.id, "r122201")}
    assert {(e.department_code, e.unit_code, e.year, e.month) for e in stored} == {("122", "122201", 2023, 8)}
    assert rows == _change()  # the caller's rows are read, not taken apart


def test_entries_without_a_user_are_the_systems(session):
    audit.record_many(_change()[:1])
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.user_id, entry.username) == (None, "system")
