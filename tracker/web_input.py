"""Input a browser or a script may send that no view should have to think about, answered with a
clear 4xx before any view runs: a path or query with a NUL byte (PostgreSQL cannot even compare
it), an id beyond the database's integer, and JSON that is not JSON (NaN, Infinity, a key twice,
nesting deeper than any form of ours).

Part of the web layer's wiring (like :mod:`tracker.ops`), not of a domain."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

__all__ = ["init_web", "strict_loads", "StrictJSONError", "MAX_ID", "MAX_JSON_DEPTH"]

#: The largest id a route accepts: PostgreSQL's ``integer``; beyond it a row cannot exist (404).
MAX_ID = 2**31 - 1
MAX_JSON_DEPTH = 32


class DatabaseId(IntegerConverter):
    """``<int:…>`` in every route: a number the id column can hold, else no such page (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class StrictJSONError(json.JSONDecodeError):
    """A body that is JSON to Python but not to anyone else; a JSONDecodeError, so every reader
    (Flask, webargs) answers it as a body it cannot read (400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "", 0)


def _no_constant(name: str) -> Any:
    raise StrictJSONError(f"JSON 中不能使用 {name}")


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise StrictJSONError(f"JSON 对象中键“{key}”重复")
        seen[key] = value
    return seen


def _depth(value: Any, limit: int) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise StrictJSONError(f"JSON 嵌套超过 {limit} 层")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


class StrictJSONProvider(DefaultJSONProvider):
    """Reads request bodies as strict JSON: NaN, Infinity, a repeated key or nesting deeper than
    :data:`MAX_JSON_DEPTH` are refused (Flask answers 400 for a body it cannot read)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return strict_loads(s, **kwargs)


def strict_loads(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` refusing NaN/Infinity, a repeated key and nesting deeper than
    :data:`MAX_JSON_DEPTH` with :class:`StrictJSONError`."""
    kwargs.setdefault("parse_constant", _no_constant)
    kwargs.setdefault("object_pairs_hook", _no_repeated_keys)
    try:
        value = json.loads(text, **kwargs)
    except RecursionError as exc:
        raise StrictJSONError(f"JSON 嵌套超过 {MAX_JSON_DEPTH} 层") from exc
    _depth(value, MAX_JSON_DEPTH)
    return value


def _refuse_nul() -> None:
    # ``next`` is read by the redirect check, which sends anything odd home.
    if "\x00" in request.path or any(
        "\x00" in value for key, value in request.args.items(multi=True) if key != "next"
    ):
        abort(400, description="地址中含有不允许的空字符（NUL）。")


#: Query parameters that name a period, and the values they may take: anything else is no period of
#: ours (404, as a period without data), answered before a view builds a date from it.
PERIOD_PARAMETERS = {"year": (2000, 2100), "month": (1, 12)}


def _refuse_odd_periods() -> None:
    if request.path.startswith("/api/"):
        return  # the API's schemas name the field in a 422 of their own
    for name, (low, high) in PERIOD_PARAMETERS.items():
        raw = request.args.get(name)
        if raw is None or raw == "":
            continue
        if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
            what = "年度" if name == "year" else "月份"
            abort(
                404, description=f"查询参数 {name}（{what}）应为 {low}–{high} 之间的整数，收到“{raw[:20]}”。"
            )


def init_web(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseId
    app.json = StrictJSONProvider(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.before_request(_refuse_nul)
    app.before_request(_refuse_odd_periods)
