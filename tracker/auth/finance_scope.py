"""The finance side of the one access rule (SPEC §1a): what a finance user's bureau reads — its own
departments and bureaus and those of every bureau below it, all of them for the root. Reached
through :mod:`tracker.auth.access`, which every door calls; kept apart for its size only."""

from __future__ import annotations

from sqlalchemy import select

from tracker.auth.models import User
from tracker.budget import bureaus
from tracker.budget.models import Bureau
from tracker.core.request_memo import remembered
from tracker.extensions import db

__all__ = ["finance_department_ids", "finance_bureau_ids", "readable_bureaus"]


def _is_finance(user: User | None) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.role == "finance"


def finance_department_ids(user: User) -> set[int] | None:
    """The departments of a finance user's bureau and every bureau below it (SPEC §1a); ``None`` for
    the root bureau (or a finance user placed nowhere): every department. Asked on every door of a
    request, so it is read once per request."""
    ids = remembered(
        ("finance_department_ids", user.id, user.bureau_id),
        lambda: bureaus.subtree_department_ids(user.bureau),
    )
    return None if ids is None else set(ids)


def finance_bureau_ids(user: User | None) -> set[int] | None:
    """The bureaus a finance user reads (its own and those below); ``None`` for the root: all."""
    if user is None or not _is_finance(user):
        return set()
    bureau = user.bureau
    if bureau is None or bureaus.is_root(bureau):
        return None
    return bureaus.subtree_bureau_ids(bureau)


def readable_bureaus(user: User | None) -> list[Bureau]:
    """The bureaus a finance user reads, by path (a parent before its children): the bureau picker."""
    ids = finance_bureau_ids(user)
    query = select(Bureau).order_by(Bureau.path)
    if ids is not None:
        query = query.where(Bureau.id.in_(ids or {-1}))
    return list(db.session.scalars(query))
