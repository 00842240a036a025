"""tracker.reports — the standard forms in XLSX and PDF, 报送 by e-mail, the dashboard (issue 5)."""

from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    """Register this domain's pages."""
    from tracker.reports.views import bp, render_dashboard_panel

    app.register_blueprint(bp)
    app.jinja_env.globals["dashboard_panel"] = render_dashboard_panel
