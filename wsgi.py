"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``.

Under gunicorn the configuration is ``production`` unless TRACKER_CONFIG says otherwise: a server
started by hand must not come up with the development settings (its public SECRET_KEY among them);
``make run`` asks for ``development`` explicitly."""

import gc
import os
import sys
from pathlib import Path

from tracker import ConfigurationError, create_app, per_worker_rate_limits
from tracker.cli import serving_no_requests


def under_gunicorn() -> bool:
    """Whether gunicorn is loading this module: its arbiter sets SERVER_SOFTWARE before it forks the
    workers; ``gunicorn --check-config`` loads the app without an arbiter, so its program name counts too."""
    if os.environ.get("SERVER_SOFTWARE", "").lower().startswith("gunicorn"):
        return True
    program = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path()
    return program.name.startswith("gunicorn") or program.parent.name == "gunicorn"


def config_name() -> str | None:
    """TRACKER_CONFIG, else ``production`` under gunicorn, else create_app's default (development)."""
    return os.environ.get("TRACKER_CONFIG") or ("production" if under_gunicorn() else None)


# What start-up builds (modules, mapped classes, the app) lives as long as the process. The cyclic
# collector would walk it again and again while it grows, and once more at exit (a third of a short
# command's time), so it is built with the collector off and then frozen out of its sight: CPython's
# gc.freeze, which its docs also advise before a fork, as the engine's chunk workers are.
gc.disable()
try:
    app = create_app(config_name(), web=not serving_no_requests())
finally:
    gc.freeze()
    gc.enable()

# gunicorn runs several workers: limits counted in each one's memory would not limit.
if under_gunicorn() and (problem := per_worker_rate_limits(app.config)):
    raise ConfigurationError(problem)
