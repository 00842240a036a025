"""The review queue at /review (issue 3 §4): each report named by its unit's code and name."""

from __future__ import annotations

import re

from tests.conftest import login_as
from tracker.reporting import writing


def _values(world):
    return {
        world.count.id: {"actual": "70"},
        world.rate.id: {"actual": "95"},
        world.quality.id: {"actual": "达成"},
    }


def _row(page: str, scope: str) -> str:
    match = re.search(rf'<tr data-scope="{scope}".*?</tr>', page, re.S)
    assert match, f"no queue row for {scope}"
    return match.group(0)


def test_the_queue_shows_the_units_name_beside_its_code(client, world):
    writing.submit_report(world.reporter, world.unit.code, 2023, 5, 0, _values(world))
    login_as(client, world.department_user)
    row = _row(client.get("/review").get_data(as_text=True), "unit:801001")
    assert "801001 甲一单位" in row


def test_finance_sees_department_reports_with_the_departments_name(client, world):
    values = {world.department_indicator.id: {"actual": "8"}}
    writing.submit_report(world.department_user, None, 2023, 5, 0, values, department_code="801")
    login_as(client, world.finance)
    row = _row(client.get("/review").get_data(as_text=True), "department:801")
    assert "801 测试部门甲" in row and "部门整体" in row


def test_the_queue_leaves_out_other_departments_units(client, world):
    values = {world.foreign_project.indicators[0].id: {"actual": "5"}}
    writing.submit_report(world.foreign_reporter, world.foreign_unit.code, 2023, 5, 0, values)
    login_as(client, world.department_user)
    assert "802001" not in client.get("/review").get_data(as_text=True)
