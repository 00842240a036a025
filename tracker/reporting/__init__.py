"""tracker.reporting — monthly reports of actuals, review workflow, evidence, audit log (SPEC §4)."""

from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    """Register this domain's pages."""
    from tracker.reporting.views import bp

    app.register_blueprint(bp)
