"""The /audit page at province scale (issue 13 §1): finance picks a department (a typed code), then
one of its units — the page never lists every unit of the province — and reads a page of entries
at a time."""

from __future__ import annotations

import re

from sqlalchemy import insert

from tests.conftest import login_as
from tests.factories import DepartmentFactory, UnitFactory
from tracker.core.audit import AuditEntry
from tracker.extensions import db
from tracker.reporting.audit_log import PAGE_SIZE
from tracker.types import utcnow


def _entries(unit_code: str, department_code: str, count: int, month: int = 7) -> None:
    db.session.execute(
        insert(AuditEntry),
        [
            {
                "at": utcnow(),
                "username": "r",
                "action": "update",
                "entity": "indicator_actual",
                "field": f"条目{unit_code}-{n}",
                "department_code": department_code,
                "unit_code": unit_code,
                "year": 2023,
                "month": month,
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def _options(page: str) -> list[str]:
    return re.findall(r'<option value="(\d{4,})"', page)


def _rows(page: str) -> list[str]:
    return re.findall(r"<td>(条目[^<]*)</td>", page)


def test_finance_is_offered_no_unit_until_it_picks_a_department(client, world):
    for n in range(30):
        UnitFactory(department=DepartmentFactory(code=f"7{n:02d}"), code=f"7{n:02d}001")
    login_as(client, world.finance)

    page = client.get("/audit").get_data(as_text=True)
    assert _options(page) == [] and 'name="unit"' in page and 'name="department"' in page

    page = client.get(f"/audit?department={world.department.code}").get_data(as_text=True)
    assert _options(page) == [world.unit.code, world.sibling.code]


def test_finance_filters_by_department_then_unit(client, world):
    _entries(world.unit.code, world.department.code, 2)
    _entries(world.sibling.code, world.department.code, 3)
    _entries(world.foreign_unit.code, world.other_department.code, 4)
    login_as(client, world.finance)

    by_department = client.get(f"/audit?department={world.department.code}").get_data(as_text=True)
    by_unit = client.get(f"/audit?department={world.department.code}&unit={world.sibling.code}")

    assert len(_rows(by_department)) == 5
    assert _rows(by_unit.get_data(as_text=True)) == [f"条目{world.sibling.code}-{n}" for n in (2, 1, 0)]
    assert f'<option value="{world.sibling.code}" selected' in by_unit.get_data(as_text=True)


def test_a_typed_unit_code_alone_filters_by_it_and_offers_its_department(client, world):
    _entries(world.unit.code, world.department.code, 2)
    _entries(world.sibling.code, world.department.code, 3)
    login_as(client, world.finance)

    page = client.get(f"/audit?unit={world.unit.code}").get_data(as_text=True)

    assert len(_rows(page)) == 2
    assert f'name="department" value="{world.department.code}"' in page


def test_entries_come_a_page_at_a_time(client, world):
    _entries(world.unit.code, world.department.code, PAGE_SIZE + 5)
    login_as(client, world.department_user)

    first = client.get(f"/audit?unit={world.unit.code}&year=2023").get_data(as_text=True)
    second = client.get(f"/audit?unit={world.unit.code}&year=2023&page=2").get_data(as_text=True)

    assert len(_rows(first)) == PAGE_SIZE and len(_rows(second)) == 5
    assert f"/audit?page=2&amp;unit={world.unit.code}&amp;year=2023" in first.replace(
        "year=2023&amp;page=2", ""
    )
    assert 'rel="next"' in first and 'rel="next"' not in second and 'rel="prev"' in second
    assert not set(_rows(first)) & set(_rows(second))


def test_a_unit_of_another_department_says_so(client, world):
    login_as(client, world.finance)

    response = client.get(f"/audit?department={world.department.code}&unit={world.foreign_unit.code}")

    assert response.status_code == 422
    assert f"单位“{world.foreign_unit.code}”不属于部门“{world.department.code}”" in response.get_data(
        as_text=True
    )


def test_an_unknown_code_and_a_bad_page_say_which_and_why(client, world):
    login_as(client, world.finance)

    unknown = client.get("/audit?department=999")
    bad_page = client.get("/audit?page=0")

    assert unknown.status_code == 404 and "没有可查看的编码“999”" in unknown.get_data(as_text=True)
    assert bad_page.status_code == 400 and "页码：须在 1 到 10000 之间" in bad_page.get_data(as_text=True)


def test_a_department_admin_cannot_pick_another_department(client, world):
    _entries(world.foreign_unit.code, world.other_department.code, 1)
    login_as(client, world.department_user)

    response = client.get(f"/audit?department={world.other_department.code}")

    assert response.status_code == 404 and not _rows(response.get_data(as_text=True))
