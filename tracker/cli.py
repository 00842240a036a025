"""The ``flask --app wsgi tracker …`` command group. Each domain adds its commands in its own ``cli.py``."""

from __future__ import annotations

from flask.cli import AppGroup

tracker_cli = AppGroup("tracker", help="绩效目标跟踪: imports, evaluation, reports, scheduler, users.")
