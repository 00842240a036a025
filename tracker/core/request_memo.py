"""What one request reads more than once and cannot change under it: a finance user's subtree, the
bureaus' rule-pack picks, a department's pack, the root bureau. Kept in ``flask.g`` for the request
and forgotten when the next one begins (``g`` outlives a request under an outer app context, as in
tests and scripts); outside a request nothing is kept, so a job or a command always reads afresh.

A write that changes what is kept (a bureau tree imported, a department moved) calls :func:`forget`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import g, has_request_context

__all__ = ["remembered", "forget"]

_KEY = "_tracker_request_memo"
T = TypeVar("T")


def remembered(key: Hashable, compute: Callable[[], T], *, keep_none: bool = True) -> T:
    """``compute()``, once per request for ``key``; with ``keep_none`` False a None is asked again
    (a row looked up before the request itself creates it)."""
    if not has_request_context():
        return compute()
    memo: dict[Hashable, Any] = g.setdefault(_KEY, {})
    if key not in memo:
        value = compute()
        if value is None and not keep_none:
            return value
        memo[key] = value
    return memo[key]  # type: ignore[no-any-return]


def forget() -> None:
    """Drop everything kept for this request (at its start, and after a write that changes it)."""
    if has_request_context():
        g.pop(_KEY, None)
