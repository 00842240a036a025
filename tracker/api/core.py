"""The machinery of ``/api/v1``: the flask-smorest ``Api``, blueprints with bearer-token auth, per-token
rate limits, JSON parsed with exact decimals, and one error body for every error (issue 6).

Cookies never authenticate an API call: the user comes only from ``Authorization: Bearer …``, and
the API is exempt from CSRF because no browser credential is accepted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Flask, Request, Response, current_app, request
from flask_limiter.util import get_remote_address
from flask_smorest import Api, Blueprint
from marshmallow import ValidationError
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException, default_exceptions

from tracker.api.errors import ApiError, ErrorSchema, error_response, flatten_errors
from tracker.api.tokens import TokenError, authenticate_token
from tracker.auth.access import Forbidden, NotFound
from tracker.auth.models import User
from tracker.extensions import csrf, limiter
from tracker.web_input import strict_loads

__all__ = ["api", "ApiBlueprint", "current_api_user", "register", "DEFAULT_RATE_LIMIT", "BEARER"]

log = logging.getLogger("tracker.api")

DEFAULT_RATE_LIMIT = "300 per minute"
BEARER = "bearerAuth"
#: Every error an API route may answer: each gets a handler on every API blueprint.
HANDLED_CODES = (400, 401, 403, 404, 405, 406, 409, 412, 413, 415, 422, 428, 429, 500)


class DecimalJsonParser(FlaskParser):
    """JSON numbers become ``Decimal``, never float: 12.3 stays 12.3 (SPEC §2)."""

    DEFAULT_VALIDATION_STATUS = 422

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return webargs_core.missing
        data = req.get_data(cache=True)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"Bytes decoding error : {exc.reason}", doc="", pos=exc.start) from exc
        return strict_loads(text, parse_float=Decimal)


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = DecimalJsonParser()


class TrackerApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        # flask-smorest would answer every HTTPException of the whole app (pages too) in JSON;
        # the API's handlers are registered on its own blueprints and /api/ paths instead.
        return None

    def handle_http_exception(self, error: HTTPException) -> Response:
        return http_error(error)

    def _register_pagination_header(self) -> None:
        # An HTTP header value is text: document it as the JSON text it is.
        self.spec.components.header(
            "PAGINATION",
            {
                "description": (
                    "分页信息（JSON 文本）：total 总条数、total_pages 总页数、first_page、last_page、"
                    "page 当前页、previous_page、next_page（见 PaginationMetadata）"
                ),
                "schema": {"type": "string"},
            },
            lazy=True,
        )


api = TrackerApi()


def current_api_user() -> User:
    """The user of the bearer token of this request (checked by :func:`_authenticate`)."""
    user, _token, error = _resolve_token()
    if error is not None:
        raise ApiError(401, error)
    return user


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


_AUTH_KEY = "tracker.api_auth"


def _resolve_token() -> tuple[Any, Any, str | None]:
    """(user, token, error) of this request's bearer token, computed once per request.

    Kept in the WSGI environ, not ``g``: an app context (and its ``g``) may outlive one request.
    """
    cached = request.environ.get(_AUTH_KEY)
    if cached is None:
        secret = _bearer()
        if secret is None:
            cached = (None, None, "需要 API 令牌：请在请求头中加入 Authorization: Bearer <令牌>。")
        else:
            try:
                user, token = authenticate_token(secret)
                cached = (user, token, None)
            except TokenError as exc:
                cached = (None, None, str(exc))
        request.environ[_AUTH_KEY] = cached
    return cached


def rate_limit_key() -> str:
    """Per token when the request carries a valid one, else per client address."""
    _user, token, _error = _resolve_token()
    return f"api-token:{token.id}" if token is not None else f"api-ip:{get_remote_address()}"


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


def _authenticate() -> None:
    _user, _token, error = _resolve_token()
    if error is not None:
        log.warning("api 401: path=%s ip=%s reason=%s", request.path, request.remote_addr, error)
        raise ApiError(401, error, headers={"WWW-Authenticate": 'Bearer realm="tracker"'})


def http_error(error: HTTPException) -> Response:
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = None
    message = data.get("message")
    if "errors" in data:
        errors = flatten_errors(data["errors"])
    elif "messages" in data:
        errors = flatten_errors(data["messages"])
    headers = dict(data.get("headers") or {})
    if code == 429:
        log.warning("api 429: path=%s ip=%s", request.path, request.remote_addr)
    valid_methods = getattr(error, "valid_methods", None)
    if code == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return error_response(code, message, errors, headers=headers)


def _api_error(error: ApiError) -> Response:
    return error_response(error.code, error.message, error.errors, status=error.status, headers=error.headers)


def _not_found(_error: NotFound) -> Response:
    return error_response(404)


def _forbidden(_error: Forbidden) -> Response:
    return error_response(403)


def _validation(error: ValidationError) -> Response:
    return error_response(422, None, flatten_errors(error.messages))


def _install_handlers(target: Any) -> None:
    for code in HANDLED_CODES:
        target.register_error_handler(code, http_error)
    target.register_error_handler(ApiError, _api_error)
    target.register_error_handler(NotFound, _not_found)
    target.register_error_handler(Forbidden, _forbidden)
    target.register_error_handler(ValidationError, _validation)


_prepared: set[str] = set()


def _prepare(blueprint: ApiBlueprint) -> None:
    """Token auth, the shared per-token rate limit and error handlers: once per blueprint object,
    however many apps are created (tests make several)."""
    if blueprint.name in _prepared:
        return
    _prepared.add(blueprint.name)
    blueprint.before_request(_authenticate)
    _install_handlers(blueprint)
    limiter.shared_limit(_rate_limit, scope="api-v1", key_func=rate_limit_key)(blueprint)


class NoCookies:
    """WSGI middleware: requests to ``/api/`` reach the app without their cookies, so no session
    (login, idle timeout, language) can act on an API call; only the bearer token counts."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO", "").startswith("/api/"):
            environ.pop("HTTP_COOKIE", None)
        return self.wsgi_app(environ, start_response)


def register(app: Flask, blueprints: list[ApiBlueprint]) -> None:
    """Register the resource blueprints on ``app`` (after ``api.init_app(app)``)."""
    app.wsgi_app = NoCookies(app.wsgi_app)  # type: ignore[method-assign]
    for blueprint in blueprints:
        _prepare(blueprint)
        # The API takes no cookie credentials at all, so there is no cross-site request to forge.
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    _claim_api_paths(app)


def _claim_api_paths(app: Flask) -> None:
    """Errors raised before a request reaches an API blueprint (an unknown /api/ URL, a method a
    route does not take, an uncaught exception) answer the API's error body on /api/ paths; other
    paths keep whatever handler the app had."""
    for code in HANDLED_CODES:
        exception = default_exceptions.get(code)
        if exception is None:
            continue
        previous = app.error_handler_spec[None][code].get(exception)
        app.register_error_handler(code, _api_or(previous, code))


def _api_or(previous: Any, code: int) -> Callable[[HTTPException], Any]:
    def handler(error: HTTPException) -> Any:
        if request.path.startswith("/api/"):
            if code == 500:
                original = getattr(error, "original_exception", None)
                if original is not None:
                    log.error("api 500: path=%s", request.path, exc_info=original)
                return error_response(500)
            return http_error(error)
        if previous is not None:
            return previous(error)
        return error

    return handler
