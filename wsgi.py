"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``."""

import gc

from tracker import create_app
from tracker.cli import serving_no_requests

# What start-up builds (modules, mapped classes, the app) lives as long as the process. The cyclic
# collector would walk it again and again while it grows, and once more at exit (a third of a short
# command's time), so it is built with the collector off and then frozen out of its sight: CPython's
# gc.freeze, which its docs also advise before a fork, as the engine's chunk workers are.
gc.disable()
app = create_app(web=not serving_no_requests())
gc.freeze()
gc.enable()
