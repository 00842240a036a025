"""tracker.reports — the standard forms in XLSX and PDF, 报送 by e-mail, the dashboard (issue 5)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this domain's blueprint and CLI commands."""
    from tracker.reports import cli  # noqa: F401  (adds ``report`` and ``send-reports``)
    from tracker.reports.views import bp, render_dashboard_panel

    app.register_blueprint(bp)
    app.jinja_env.globals["dashboard_panel"] = render_dashboard_panel
    # Pages use ``_()``; until Flask-Babel's i18n extension is installed, it is the identity.
    app.jinja_env.globals.setdefault("_", lambda text, **kwargs: text % kwargs if kwargs else text)
