"""One page of a domain's list query, as flask-smorest's ``paginate`` asks for it: the total goes in
``pagination.item_count`` (the X-Pagination header), and a page past the last is empty."""

from __future__ import annotations

from typing import TypeVar

from flask_smorest.pagination import PaginationParameters
from sqlalchemy import Select, func, select

from tracker.extensions import db

__all__ = ["page"]

T = TypeVar("T")


def page(query: Select[T], pagination: PaginationParameters) -> list[T]:
    """The rows of ``query`` on the requested page: two statements (the count, the page), plus what
    the query's loader options fetch for the page."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pagination.item_count = total
    if (pagination.page - 1) * pagination.page_size >= total:
        # Past the last page: nothing to fetch (and no offset too large for the database).
        return []
    offset = (pagination.page - 1) * pagination.page_size
    return list(db.session.scalars(query.limit(pagination.page_size).offset(offset)))
