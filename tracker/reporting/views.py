"""Pages of monthly reporting: home, the report form, review, audit, project history, imports, deadlines.

One blueprint, ``reporting`` (:mod:`~tracker.reporting.views_common`); importing this module
registers the pages of :mod:`~tracker.reporting.views_report`, :mod:`~tracker.reporting.views_pages`
and :mod:`~tracker.reporting.views_imports` on it.
"""

from __future__ import annotations

from tracker.reporting import views_autosave, views_imports, views_pages, views_report
from tracker.reporting.views_common import bp

__all__ = ["bp", "views_autosave", "views_imports", "views_pages", "views_report"]
