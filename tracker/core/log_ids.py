"""An id on every log line, for the lines of one unit of work to be read together: a web request's
(``tracker.ops``) or a scheduled job run's. Outside a request, the id is the one bound here for the
work in progress (a context variable: each thread and each run its own); ``-`` when there is none."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

__all__ = ["LOG_FORMAT", "LogIdFilter", "bound_log_id", "current_log_id", "configure_logging"]

#: The one log format of the processes: the id in brackets after the logger's name.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_CURRENT: ContextVar[str | None] = ContextVar("tracker_log_id", default=None)


def current_log_id() -> str | None:
    return _CURRENT.get()


@contextlib.contextmanager
def bound_log_id(value: str | None = None) -> Iterator[str]:
    """Every line logged inside the block carries ``value`` (a new id by default)."""
    value = value or uuid.uuid4().hex
    token = _CURRENT.set(value)
    try:
        yield value
    finally:
        _CURRENT.reset(token)


class LogIdFilter(logging.Filter):
    """Puts ``request_id`` on a record: the id bound for the work it was logged in, ``-`` outside
    any. Never drops a record."""

    def current(self) -> str | None:
        return current_log_id()

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = self.current() or "-"
        return True


def configure_logging(level: str, id_filter: type[LogIdFilter] = LogIdFilter) -> None:
    """The filter on the root logger's handlers; where nothing else configured logging, one handler
    to stderr with the id in each line; the ``tracker`` loggers at ``level``."""
    root = logging.getLogger()
    if not root.handlers:
        stderr = logging.StreamHandler()
        stderr.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(stderr)
    for handler in root.handlers:
        if not any(isinstance(f, LogIdFilter) for f in handler.filters):
            handler.addFilter(id_filter())
    logging.getLogger("tracker").setLevel(str(level or "INFO").upper())
