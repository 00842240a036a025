"""One clock for everything a person reads: times are stored in UTC and shown in the bureau's time
zone (setting ``TIMEZONE``, default Asia/Shanghai) — pages, PDFs, XLSX, e-mails, messages, /jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

__all__ = ["local_zone", "local_time", "local_text"]

DEFAULT_ZONE = "Asia/Shanghai"


def local_zone() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", DEFAULT_ZONE) if has_app_context() else DEFAULT_ZONE
    return ZoneInfo(name)


def local_time(moment: datetime) -> datetime:
    """A stored time (naive on SQLite, which drops the zone: those are UTC) in the local zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(local_zone())


def local_text(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """``2023-08-05 10:30`` in the local zone; empty for no time."""
    return "" if moment is None else local_time(moment).strftime(pattern)
