"""The evaluation jobs: module-level functions with plain arguments, named by text in the registry.

Each writes in the caller's transaction (``commit=False``) and returns the rows written: the runner
commits only when the whole job succeeded, so a failing job leaves nothing half-written.
"""

from __future__ import annotations

from tracker.evaluation import service

__all__ = ["monthly_monitoring", "midyear_monitoring", "annual_self_assessment", "execution_metrics"]


def monthly_monitoring(year: int, month: int) -> int:
    """绩效运行监控 of ``month`` for every department."""
    return service.evaluate_all(service.MONITORING, year, month, commit=False).rows


def midyear_monitoring(year: int, month: int = 7) -> int:
    """双监控 of January–July, re-run on Aug 10 after late reports and approvals."""
    return service.evaluate_all(service.MONITORING, year, month, commit=False).rows


def annual_self_assessment(year: int) -> int:
    """绩效自评 of ``year`` for every department."""
    return service.evaluate_all(service.SELF_ASSESSMENT, year, commit=False).rows


def execution_metrics(year: int, month: int) -> int:
    """SPEC §7 execution-rate metrics of every department as of ``month``."""
    return service.refresh_metrics(year, month, commit=False).rows
