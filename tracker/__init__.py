"""绩效目标跟踪 — the app factory: config, extensions, blueprints, CLI."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

DOMAINS = ("targets", "reporting", "evaluation", "reports", "scheduler", "auth", "api")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
log = logging.getLogger("tracker")


class ConfigurationError(RuntimeError):
    """The configuration is unsafe or incomplete for what the app is asked to do; the message says
    which setting and how to set it."""


def _check_secret_key(config: dict) -> None:
    """A web app in production signs its session and CSRF cookies with SECRET_KEY: with the public
    development key (or none) anyone could forge a login, so it does not start."""
    from config import DEV_SECRET_KEY, MIN_SECRET_KEY_LENGTH, SECRET_KEY_HOWTO

    key = config.get("SECRET_KEY") or ""
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    if key == DEV_SECRET_KEY:
        problem = "is the public development key"
    elif not key:
        problem = "is not set"
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problem = f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    else:
        return
    raise ConfigurationError(
        f"SECRET_KEY {problem}: the production configuration does not start without a secret of its own. "
        f"Set one in the environment, kept the same across restarts and workers, e.g. "
        f"export {SECRET_KEY_HOWTO} (or TRACKER_CONFIG=development on a development machine)."
    )


def per_worker_rate_limits(config: Mapping[str, Any]) -> str | None:
    """What is wrong with counting rate limits in each worker's memory in this configuration, or
    ``None``: in production N workers (and every restart) would each allow the full count of
    failed logins."""
    if not config.get("REQUIRE_SHARED_RATELIMIT_STORAGE") or not config.get("RATELIMIT_ENABLED", True):
        return None
    if config.get("RATELIMIT_ALLOW_MEMORY"):
        return None
    uri = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if not uri.startswith("memory://"):
        return None
    return (
        "RATELIMIT_STORAGE_URI is memory://: each worker process counts failed logins and API calls "
        "on its own, so the limits multiply by the number of workers and reset on every restart. "
        "Set a store the workers share, e.g. export RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379 "
        "(or RATELIMIT_ALLOW_MEMORY=1 to accept per-worker limits)."
    )


def _load_rule_packs(app: Flask) -> None:
    """The rule pack files (SPEC §6a), validated: a bad one stops the start, naming file and key."""
    from tracker.core.settings import RulePackError, init_rule_packs

    try:
        init_rule_packs(app)
    except RulePackError as exc:
        raise ConfigurationError(f"规则包无效，应用不启动：\n{exc}") from None


def _check_rate_limit_storage(app: Flask) -> None:
    problem = per_worker_rate_limits(app.config)
    if problem:
        log.warning("!!! %s", problem)
        return
    if not app.config.get("RATELIMIT_ENABLED", True) or not app.config.get(
        "REQUIRE_SHARED_RATELIMIT_STORAGE"
    ):
        return
    from tracker.extensions import limiter

    try:
        reachable = limiter.storage.check()
    except Exception:  # noqa: BLE001 - any failure of the store's client means the same here
        reachable = False
    if not reachable:
        log.error(
            "the rate-limit store %s does not answer: logins and API calls fail until it does",
            app.config.get("RATELIMIT_STORAGE_URI"),
        )


def create_app(config_name: str | None = None, *, web: bool = True, **overrides: object) -> Flask:
    """The app. ``web=False`` builds what a process that serves no request needs — a ``flask tracker``
    command, a scheduled job: config, database, templates, language and the commands, but no pages,
    API, login, CSRF or rate limits. Each domain's ``init_app`` wires the first part, its
    ``init_web`` the second."""
    # Imported here, not at the top: Flask imports this package (for the ``tracker`` command group)
    # before it has put the project directory, where config.py lives, on the import path.
    from config import CONFIGS, INSTANCE_DIR

    app = Flask(__name__, template_folder=str(TEMPLATES), instance_path=str(INSTANCE_DIR))
    config_name = config_name or os.environ.get("TRACKER_CONFIG", "development")
    app.config.from_object(CONFIGS[config_name])
    app.config.update(overrides)
    if web and app.config.get("REQUIRE_SECRET_KEY"):
        _check_secret_key(app.config)
    _load_rule_packs(app)
    os.makedirs(app.instance_path, exist_ok=True)
    # Clerks and scripts read 中文 in JSON as written, not as \uXXXX escapes.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    from tracker import models  # noqa: F401  (every model registered before anything queries)
    from tracker.cli import tracker_cli
    from tracker.core.database import (
        engine_options_with_timeouts,
        init_request_transactions,
        timeout_settings,
        without_prepared_statements,
    )
    from tracker.extensions import csrf, db, limiter, migrate

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    options = engine_options_with_timeouts(
        url, app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}, timeout_settings(app.config, web=web)
    )
    if not app.config.get("PREPARED_STATEMENTS", True):
        options = without_prepared_statements(url, options)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    init_request_transactions(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    if web:
        from tracker import ops, web_input

        ops.init_web(app)  # first: the request id exists before any other hook answers
        web_input.init_web(app)  # before any blueprint: its <int:…> routes take the bounded id
        csrf.init_app(app)
        limiter.init_app(app)
        _check_rate_limit_storage(app)
        proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
        if proxies > 0:
            from werkzeug.middleware.proxy_fix import ProxyFix

            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    for domain in DOMAINS:
        module = importlib.import_module(f"tracker.{domain}")
        for hook in ("init_app", "init_web") if web else ("init_app",):
            init = getattr(module, hook, None)
            if init is not None:
                init(app)
    app.cli.add_command(tracker_cli)
    return app
