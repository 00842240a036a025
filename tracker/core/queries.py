"""Small pieces of the domains' list queries."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

__all__ = ["where_given"]

T = TypeVar("T")


def where_given(query: Select[T], *filters: tuple[Any, Any]) -> Select[T]:
    """``query`` narrowed to ``column == value`` for each ``(column, value)`` whose value was given
    (not None: ``""`` is a value, the 项目编码 of 基本支出)."""
    for column, value in filters:
        if value is not None:
            query = query.where(column == value)
    return query
