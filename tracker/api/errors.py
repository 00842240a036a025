"""Error bodies of the JSON API: ``{"code": …, "status": …, "message": …, "errors": {field: [...]}}``.

Every error the API can answer (401 … 500) goes through :func:`error_response`, with a Chinese
message by default. marshmallow and webargs write their messages in English; they are translated
here, at the edge, so a schema written elsewhere (the imports' row schemas) needs no change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields

__all__ = ["MESSAGES", "ErrorSchema", "ApiError", "error_response", "flatten_errors", "translate"]

#: The default Chinese message and machine-readable status of every HTTP error the API answers.
MESSAGES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式不正确。"),
    401: ("unauthorized", "需要有效的 API 令牌（Authorization: Bearer …）。"),
    403: ("forbidden", "没有权限执行此操作。"),
    404: ("not_found", "资源不存在。"),
    405: ("method_not_allowed", "不支持此请求方法。"),
    406: ("not_acceptable", "无法提供所请求的格式。"),
    409: ("conflict", "操作与当前状态冲突。"),
    412: ("precondition_failed", "数据已被他人修改（版本不一致），本次修改未生效。请重新读取后再提交。"),
    413: ("payload_too_large", "请求内容过大。"),
    415: ("unsupported_media_type", "请求体应为 JSON（Content-Type: application/json）。"),
    422: ("validation_failed", "提交的数据有误。"),
    428: ("precondition_required", "缺少 If-Match 请求头：请先读取资源，并在修改时带上其 ETag。"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试。"),
    500: ("server_error", "服务器内部错误。"),
    503: ("unavailable", "服务暂不可用，请稍后再试。"),
}


class ErrorSchema(Schema):
    """错误响应: the same shape for every error of the API."""

    code = fields.Integer(required=True, metadata={"description": "HTTP 状态码"})
    status = fields.String(required=True, metadata={"description": "错误类别（英文标识，如 not_found）"})
    message = fields.String(required=True, metadata={"description": "中文错误说明"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={
            "description": "逐字段错误：字段名 → 错误说明列表；批量数据为 records.<序号>.<字段>（序号从 0 起）"
        },
    )


class ApiError(Exception):
    """An error a view raises on purpose, with its own message and field errors."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
        *,
        status: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message or MESSAGES.get(code, MESSAGES[500])[1])
        self.code = code
        self.message = message or MESSAGES.get(code, MESSAGES[500])[1]
        self.errors = dict(errors or {})
        self.status = status
        self.headers = dict(headers or {})


# marshmallow / webargs / flask-smorest message templates → Chinese.
_EXACT = {
    "Missing data for required field.": "不能为空",
    "Field may not be null.": "不能为空",
    "Unknown field.": "不允许设置此字段",
    "Invalid value.": "值无效",
    "Invalid input type.": "类型不正确",
    "Invalid JSON body.": "请求体不是有效的 JSON",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid string.": "应为文本",
    "Not a valid boolean.": "应为 true 或 false",
    "Not a valid mapping type.": "应为 JSON 对象",
    "Not a valid list.": "应为列表",
    "Not a valid date.": "应为日期（YYYY-MM-DD）",
    "Not a valid datetime.": "应为日期时间（ISO 8601）",
    "Not a valid email address.": "邮箱地址无效",
    "Special numeric values (nan or infinity) are not permitted.": "不允许 NaN 或无穷大",
    "Number too large.": "数字过大",
    "Shorter than minimum length 1.": "不能为空",
}
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        r"应在 \1 到 \2 之间",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), r"不能小于 \1"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), r"不能大于 \1"),
    (re.compile(r"^Must be greater than (\S+)\.$"), r"应大于 \1"),
    (re.compile(r"^Must be less than (\S+)\.$"), r"应小于 \1"),
    (re.compile(r"^Must be one of: (.*)\.$"), r"应为以下之一：\1"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), r"长度应在 \1 到 \2 之间"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), r"长度不能少于 \1"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), r"长度不能超过 \1"),
    (re.compile(r"^String does not match expected pattern\.$"), r"格式不正确"),
]


def translate(message: str) -> str:
    """A marshmallow/webargs message in Chinese; messages already Chinese pass unchanged."""
    if message in _EXACT:
        return _EXACT[message]
    for pattern, replacement in _PATTERNS:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested marshmallow/webargs messages → ``{"a.b.c": [...]}``, locations (json, query …) dropped."""
    out: dict[str, list[str]] = {}
    for key, texts in _walk(messages, prefix):
        out.setdefault(key or "_schema", []).extend(translate(t) for t in texts)
    return out


_LOCATIONS = {"json", "query", "querystring", "path", "view_args", "headers", "form", "files", "cookies"}


def _walk(messages: Any, prefix: str) -> Iterator[tuple[str, list[str]]]:
    if isinstance(messages, Mapping):
        # A Dict field nests its errors under "key"/"value": the entry's own key names it well enough.
        if prefix and messages and set(messages) <= {"key", "value"}:
            for inner in messages.values():
                yield from _walk(inner, prefix)
            return
        for name, inner in messages.items():
            name = str(name)
            if not prefix and name in _LOCATIONS:
                yield from _walk(inner, "")
                continue
            if name == "_schema":
                yield from _walk(inner, prefix)
                continue
            yield from _walk(inner, f"{prefix}.{name}" if prefix else name)
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            yield prefix, list(messages)
        else:
            for inner in messages:
                yield from _walk(inner, prefix)
    elif messages is not None:
        yield prefix, [str(messages)]


def error_response(
    code: int,
    message: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    *,
    status: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    default_status, default_message = MESSAGES.get(code, (f"http_{code}", MESSAGES[500][1]))
    body: dict[str, Any] = {
        "code": code,
        "status": status or default_status,
        "message": message or default_message,
    }
    if errors:
        body["errors"] = {key: list(values) for key, values in errors.items()}
    response = jsonify(body)
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
