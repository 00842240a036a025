"""tracker.evaluation — 绩效监控 and 绩效自评: pure rules, the set-based engine, stored results."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprints and CLI commands."""
    from tracker.cli import tracker_cli
    from tracker.evaluation.cli import COMMANDS
    from tracker.evaluation.views import blueprint

    for command in COMMANDS:
        tracker_cli.add_command(command)
    app.register_blueprint(blueprint)
