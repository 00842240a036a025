"""The business actions on monthly reports, under the one name the JSON API uses.

The actions live in :mod:`tracker.reporting.reading` (get_report, preview_lamp, typed_lamps),
:mod:`tracker.reporting.writing` (save_report, submit_report) and :mod:`tracker.reporting.review`
(approve_report, return_report, unlock_report); the workflow's table is
:mod:`tracker.reporting.transitions`. This module only re-exports them for callers outside the
package (``tracker.api.monthly``); code in ``tracker.reporting`` imports the modules themselves.
"""

from __future__ import annotations

from tracker.core.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from tracker.reporting.reading import ReportData, ReportRow, get_report, preview_lamp, scope_key, typed_lamps
from tracker.reporting.review import approve_report, return_report, unlock_report
from tracker.reporting.transitions import STATUS_LABELS
from tracker.reporting.writing import save_report, submit_report

__all__ = [
    "NotFound",
    "Forbidden",
    "Conflict",
    "ValidationFailed",
    "InvalidState",
    "ReportData",
    "ReportRow",
    "get_report",
    "save_report",
    "submit_report",
    "approve_report",
    "return_report",
    "unlock_report",
    "preview_lamp",
    "typed_lamps",
    "scope_key",
    "STATUS_LABELS",
]
