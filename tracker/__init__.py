"""绩效目标跟踪 — the app factory: config, extensions, blueprints, CLI."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from flask import Flask

from config import CONFIGS, INSTANCE_DIR

DOMAINS = ("targets", "reporting", "evaluation", "reports", "scheduler", "auth", "api")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def create_app(config_name: str | None = None, **overrides: object) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES), instance_path=str(INSTANCE_DIR))
    config_name = config_name or os.environ.get("TRACKER_CONFIG", "development")
    app.config.from_object(CONFIGS[config_name])
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    # Clerks and scripts read 中文 in JSON as written, not as \uXXXX escapes.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    from tracker import models  # noqa: F401  (every model registered before anything queries)
    from tracker.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)

    from tracker.cli import tracker_cli

    for domain in DOMAINS:
        module = importlib.import_module(f"tracker.{domain}")
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)
    app.cli.add_command(tracker_cli)
    return app
