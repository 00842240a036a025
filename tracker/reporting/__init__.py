"""tracker.reporting — monthly reports of actuals, review workflow, evidence, audit log (SPEC §4)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the importer of monthly actuals (实际完成值), the rows this domain owns."""
    import tracker.reporting.import_actuals  # noqa: F401


def init_web(app: Flask) -> None:
    """Register this domain's pages."""
    from tracker.reporting.views import bp

    app.register_blueprint(bp)
