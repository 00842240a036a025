"""Job functions the scheduler tests register by name (module-level, plain arguments)."""

from __future__ import annotations

from tracker.evaluation import service

CALLS: list[tuple[int, int]] = []


def write_then_fail(year: int, month: int) -> int:
    """Writes a whole monitoring result set, then fails: nothing of it may stay."""
    service.evaluate_all(service.MONITORING, year, month, commit=False)
    raise RuntimeError("数据源中断")


def count_calls(year: int, month: int) -> int:
    CALLS.append((year, month))
    return 1
