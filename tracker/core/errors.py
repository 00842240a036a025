"""The domain's refusals, raised by services and turned into answers by every door: a page shows
the message, the API a problem document, a command a line on stderr.

``NotFound`` is a foreign or missing resource (404: a user never learns another unit's data exists),
``Forbidden`` an action the user's role does not allow (403), ``ValidationFailed`` per-field errors
(422), ``InvalidState`` an action that does not fit the report's status, ``Conflict`` a stale save
(409, SPEC §4).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext

from tracker.core.clock import local_text

__all__ = ["NotFound", "Forbidden", "ValidationFailed", "InvalidState", "Conflict"]


class NotFound(Exception):
    """The resource does not exist for this user (404)."""


class Forbidden(Exception):
    """The user may see the resource but not do this (403): e.g. a reporter approving."""


class ValidationFailed(Exception):
    """Per-field errors in Chinese: ``{"<indicator id>.<field>": [...], "reason": [...], ...}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("；".join(f"{k}: {'，'.join(v)}" for k, v in errors.items()))


class InvalidState(ValidationFailed):
    """The action does not fit the report's status (e.g. editing an approved, locked report)."""

    def __init__(self, message: str) -> None:
        super().__init__({"status": [message]})
        self.message = message


class Conflict(Exception):
    """The report changed since the user loaded it (乐观锁): the save is refused, never merged."""

    def __init__(self, changed_by: str | None, changed_at: datetime | None, version: int) -> None:
        self.changed_by = changed_by or "system"
        self.changed_at = changed_at
        self.version = version
        when = local_text(changed_at)
        super().__init__(
            gettext(
                "此报告已被 %(user)s 于 %(when)s 修改，您的保存未生效。请刷新页面后重新填写。",
                user=self.changed_by,
                when=when,
            )
        )
