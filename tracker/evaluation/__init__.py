"""tracker.evaluation — 绩效监控 and 绩效自评: pure rules, the set-based engine, stored results."""

from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    """Register this domain's pages."""
    from tracker.evaluation.views import blueprint

    app.register_blueprint(blueprint)
