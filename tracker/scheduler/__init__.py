"""tracker.scheduler — the scheduler process, named jobs, the run ledger and the leader lock."""

from __future__ import annotations

from flask import Flask


def init_web(app: Flask) -> None:
    """Register this domain's pages (``/jobs``)."""
    from tracker.scheduler.views import blueprint

    app.register_blueprint(blueprint)
