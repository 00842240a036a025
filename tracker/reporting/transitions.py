"""The workflow of a monthly report as one table (SPEC §4): 草稿 draft → 已提交 submitted → 已审核
approved, or back to draft when returned (退回) or unlocked (解锁, finance only).

:data:`TRANSITIONS` is the only place that says which action may follow which status; writing and
review ask :func:`next_status` and refuse what the table does not list.
"""

from __future__ import annotations

__all__ = ["STATUS_LABELS", "TRANSITIONS", "ACTIONS", "next_status"]

STATUS_LABELS = {"draft": "草稿", "submitted": "已提交", "approved": "已审核"}

#: (status, action) → the status after the action. ``save`` keeps a draft a draft: only a draft
#: may be edited; a submitted report waits for review and an approved one is locked.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "save"): "draft",
    ("draft", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "return"): "draft",
    ("approved", "unlock"): "draft",
}

ACTIONS = frozenset(action for _, action in TRANSITIONS)


def next_status(status: str, action: str) -> str | None:
    """The status a report in ``status`` moves to by ``action``, or None when the action is refused."""
    return TRANSITIONS.get((status, action))
