"""A stored run's tallies (``run_tally``): the counts and sums the 看板 adds up over a province
without reading its result rows (issue 13 §2). Each evaluation computes its department's with its
results; the service writes them with the run and deletes them with it.

- monitoring: ``lamp:<status>``, the indicators of each lamp (``n/a`` for none), and for each month
  m of the run's 1…M, ``spent:m`` and ``budget:m`` — 支出 and 全年预算数 through m — when the
  department's 全年预算数 is known and not zero, the departments a summed 预算执行进度 counts (SPEC §7);
- self-assessment: ``score:<grade>:<d>``, the projects of each 等级 whose total lies in
  [10d, 10d + 10) (d = 10 for 100).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

__all__ = [
    "LAMP_STATUSES",
    "lamp_name",
    "score_name",
    "spent_name",
    "budget_name",
    "monitoring_tallies",
    "self_assessment_tallies",
    "tally_rows",
]

LAMP_STATUSES = ("green", "yellow", "red", "missing", "n/a")


def lamp_name(status: str) -> str:
    return f"lamp:{status}"


def score_name(grade: str, decile: int) -> str:
    return f"score:{grade}:{decile}"


def spent_name(month: int) -> str:
    return f"spent:{month}"


def budget_name(month: int) -> str:
    return f"budget:{month}"


def monitoring_tallies(
    indicators: Iterable[Mapping[str, Any]], series: list[tuple[Decimal, Decimal] | None]
) -> dict[str, Decimal]:
    """A department's lamp counts and its 预算执行进度 series (:func:`tracker.budget.money.execution_series`)."""
    counts = Counter(row["status"] or "n/a" for row in indicators)
    tallies = {lamp_name(status): Decimal(count) for status, count in counts.items()}
    for month, point in enumerate(series, start=1):
        if point is not None:
            tallies[spent_name(month)], tallies[budget_name(month)] = point
    return tallies


def self_assessment_tallies(projects: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    """A department's projects by 等级 and ten-point band of their total."""
    counts = Counter(
        score_name(row["grade"] or "", int(Decimal(row["total"]) // 10))
        for row in projects
        if row.get("total") is not None
    )
    return {name: Decimal(count) for name, count in counts.items()}


def tally_rows(
    kind: str, year: int, month: int, results: Iterable[Any], run_ids: Iterable[int]
) -> list[dict[str, Any]]:
    """The ``run_tally`` rows of ``results`` (DepartmentResults), each with its department's run id."""
    return [
        {
            "run_id": run_id,
            "kind": kind,
            "department_id": result.department.id,
            "year": year,
            "month": month,
            "name": name,
            "value": value,
        }
        for result, run_id in zip(results, run_ids, strict=True)
        for name, value in result.tallies.items()
    ]
