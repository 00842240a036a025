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


def test_the_departments_sit_under_county_bureaus_of_a_province_tree_with_two_packs():
    (rows, *more) = _rows(4)
    bureaus = {row["id"]: row for row in rows["bureau"]}
    levels = [row["level"] for row in bureaus.values()]
    assert (levels.count("province"), levels.count("city"), levels.count("county")) == (1, 15, 150)
    for row in bureaus.values():
        parent = bureaus.get(row["parent_id"])
        assert row["path"] == (parent["path"] if parent else "/") + row["code"] + "/"
    assert {row["rule_pack"] for row in bureaus.values()} == {
        None,
        "national-2020",
        "sichuan-zhongjiang-2022",
    }
    departments = [row for chunk in (rows, *more) for row in chunk["department"]]
    placed = [bureaus[row["bureau_id"]] for row in departments]
    assert {b["level"] for b in placed} == {"county"} and len({b["id"] for b in placed}) == 4


def test_without_bureaus_every_department_belongs_to_the_root():
    (rows, *_) = [chunk.rows for chunk in generate(2, bureaus=False)]
    assert "bureau" not in rows and {row["bureau_id"] for row in rows["department"]} == {None}
