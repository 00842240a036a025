"""OpenAPI documentation helpers and the interactive docs (Swagger UI), served from the
``swagger-ui-bundle`` package: no CDN, and no inline script (the pages' CSP forbids it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, send_from_directory, url_for

__all__ = ["errors", "register_docs", "BASE_ERRORS"]

#: Errors any authenticated route may answer.
BASE_ERRORS = (401, 429, 500)
_DESCRIPTIONS = {
    400: "请求格式不正确",
    401: "缺少、无效、过期或已撤销的 API 令牌",
    403: "可以看到此资源，但无权执行此操作",
    404: "资源不存在或不在您的权限范围内",
    409: "操作与当前状态冲突（如修改已提交或已审核的报告）",
    412: "If-Match 中的版本已过期：数据已被他人修改，本次修改未生效",
    422: "数据校验失败，errors 中逐字段列出原因",
    428: "修改需要 If-Match 请求头（先 GET 取得 ETag）",
    429: "请求过于频繁（按令牌限流）",
    500: "服务器内部错误",
}


def errors(blueprint: Any, *codes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the error responses of a route (plus 401, 429 and 500, which every route may give)."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        for code in sorted(set(codes) | set(BASE_ERRORS)):
            func = blueprint.alt_response(
                code, response=HTTPStatus(code).name, description=_DESCRIPTIONS.get(code)
            )(func)
        return func

    return decorator


def _swagger_dir() -> str:
    from swagger_ui_bundle import swagger_ui_path

    return str(swagger_ui_path)


_PAGE = """<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""

_INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: %s,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    withCredentials: false
  });
});
"""

docs = Blueprint("api_docs_ui", __name__, url_prefix="/api/v1/docs")


@docs.get("/")
def swagger_ui() -> Response:
    """接口文档: Swagger UI over /api/v1/openapi.json."""
    page = _PAGE.format(
        title=current_app.config.get("API_TITLE", "API"),
        css=url_for(".asset", filename="swagger-ui.css"),
        icon=url_for(".asset", filename="favicon-32x32.png"),
        bundle=url_for(".asset", filename="swagger-ui-bundle.js"),
        init=url_for(".initializer"),
    )
    return Response(page, mimetype="text/html")


@docs.get("/initializer.js")
def initializer() -> Response:
    spec_url = url_for("api-docs.openapi_json")
    return Response(_INIT % json.dumps(spec_url), mimetype="text/javascript")


_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png"}


@docs.get("/assets/<path:filename>")
def asset(filename: str) -> Response:
    if filename not in _ASSETS:
        abort(404)
    return send_from_directory(_swagger_dir(), filename, max_age=86400)


def register_docs(app: Flask) -> None:
    app.register_blueprint(docs)
