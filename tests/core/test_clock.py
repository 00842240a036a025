"""Every time a person reads is in the bureau's time zone (Asia/Shanghai by default)."""

from __future__ import annotations

from datetime import UTC, datetime

from tracker.core.clock import local_text
from tracker.core.errors import Conflict


def test_a_stored_utc_time_is_shown_in_shanghai(app):
    with app.app_context():
        assert local_text(datetime(2023, 8, 5, 2, 30, tzinfo=UTC)) == "2023-08-05 10:30"


def test_a_naive_time_from_sqlite_is_taken_as_utc(app):
    with app.app_context():
        assert local_text(datetime(2023, 12, 31, 20, 0)) == "2024-01-01 04:00"


def test_another_time_zone_is_a_setting(app):
    saved = app.config["TIMEZONE"]
    app.config["TIMEZONE"] = "Asia/Urumqi"
    try:
        with app.app_context():
            assert local_text(datetime(2023, 8, 5, 2, 30, tzinfo=UTC)) == "2023-08-05 08:30"
    finally:
        app.config["TIMEZONE"] = saved


def test_the_conflict_message_says_when_in_shanghai_time(app):
    with app.test_request_context():
        message = str(Conflict("unit122201", datetime(2023, 8, 5, 2, 30, tzinfo=UTC), 3))
    assert "于 2023-08-05 10:30 修改" in message
