"""The benchmark's province generator is deterministic and shaped as issue 4 §6 says."""

from __future__ import annotations

from bench.generate import PROJECTS_PER_DEPARTMENT, generate


def _rows(departments: int):
    return [chunk.rows for chunk in generate(departments, chunk=2)]


def test_the_same_seed_gives_the_same_province():
    assert _rows(3) == _rows(3)


def test_each_department_has_twenty_projects_of_ten_indicators_plus_its_own_ten():
    (rows, *_) = _rows(2)
    assert len(rows["project"]) == 2 * PROJECTS_PER_DEPARTMENT
    assert len(rows["indicator"]) == 2 * (PROJECTS_PER_DEPARTMENT * 10 + 10)
    assert {r["computed_metric"] for r in rows["indicator"] if r["project_id"] is None} >= {
        "预算执行率",
        "结转结余率",
    }
