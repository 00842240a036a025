"""The set-based evaluation engine (SPEC §5–§7), as the rest of the tracker sees it.

The engine lives in :mod:`tracker.evaluation.inputs` (bulk reads, typed rows),
:mod:`tracker.evaluation.monitoring` (§5), :mod:`tracker.evaluation.self_assessment` (§6) and
:mod:`tracker.evaluation.results` (what both make); this module re-exports only what is used from
outside the package: ``COUNTED_STATUSES`` (reports.forms) and ``departments_for``
(reports.dashboard, and the services, through which tests replace it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from tracker.evaluation import inputs
from tracker.evaluation.inputs import COUNTED_STATUSES

__all__ = ["COUNTED_STATUSES", "departments_for"]


def departments_for(conn: Connection, year: int, codes: Sequence[str] | None = None) -> list[Any]:
    """(id, code, name) of the departments with indicators in ``year``, by code
    (:func:`tracker.evaluation.inputs.departments_for`). Callers outside the package mix these rows
    with ``Department`` objects (both have ``id``, ``code`` and ``name``), hence the loose type."""
    return inputs.departments_for(conn, year, codes)
