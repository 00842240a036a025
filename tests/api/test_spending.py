"""Bulk upsert of spending rows (SPEC §7, §8): the spending file's schema and importer, all or
nothing, every bad row named by its index and field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import ProjectFactory, UnitFactory
from tracker.budget.models import SpendingEntry
from tracker.extensions import db

PROJECT = "410800230000000011625"  # unit 122201


def record(**changes) -> dict:
    # 政府采购支出 rows are not in the demo, so these are new rows.
    row = {
        "year": 2023,
        "month": 1,
        "unit_code": "122201",
        "project_code": PROJECT,
        "category": "政府采购支出",
        "amount": "1.50",
    }
    row.update(changes)
    return {key: value for key, value in row.items() if value is not None}


def entries() -> int:
    return db.session.scalar(
        select(func.count()).select_from(SpendingEntry).where(SpendingEntry.category == "政府采购支出")
    )


def total() -> int:
    return db.session.scalar(select(func.count()).select_from(SpendingEntry))


def post(api, records, **extra):
    return api.post("/spending", as_="dept122", json={"records": records, **extra})


def test_valid_records_are_upserted_and_counted(api):
    response = post(api, [record(), record(month=2, amount=2), record(project_code=None, amount="3万元")])

    assert response.status_code == 200, response.json
    assert response.json | {"warnings": []} == {
        "ok": True,
        "dry_run": False,
        "rows": 3,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "warnings": [],
    }
    stored = db.session.scalar(
        select(SpendingEntry).where(
            SpendingEntry.category == "政府采购支出", SpendingEntry.project_code == ""
        )
    )
    assert stored.amount == Decimal("3.00") and not stored.synthetic


def test_sending_the_same_records_again_changes_nothing(api):
    before = entries()
    post(api, [record(), record(month=2)])

    again = post(api, [record(), record(month=2, amount="9")])

    assert (again.json["unchanged"], again.json["updated"], again.json["inserted"]) == (1, 1, 0)
    assert entries() == before + 2


def test_a_dry_run_checks_everything_and_writes_nothing(api):
    before = total()

    response = post(api, [record()], dry_run=True)

    assert response.json["ok"] and response.json["dry_run"] and response.json["inserted"] == 1
    assert total() == before


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        (record(amount="abc"), "records.1.amount", "不是有效的数字"),
        (record(amount="1.2345678"), "records.1.amount", "最多 6 位小数"),
        (record(amount="-1"), "records.1.amount", "只有“预算调整”可以为负数"),
        (record(month=13), "records.1.month", "月份应在 1–12 之间"),
        (record(category="其他"), "records.1.category", "应为 支出"),
        (record(project_code="123"), "records.1.project_code", "项目编码"),
        (record(unit_code=None), "records.1.unit_code", "不能为空"),
        (record(colour="red"), "records.1.colour", "不允许设置此字段"),
        (
            record(year=2023, project_code="41080022000000053196"),
            "records.1.project_code",
            "不属于单位 122201",
        ),
        (record(unit_code="999999"), "records.1.unit_code", "不存在或不在您的管理范围内"),
    ],
)
def test_one_bad_record_refuses_the_whole_batch_naming_it(api, bad, field, message):
    before = total()

    response = post(api, [record(), bad, record(month=3)])

    assert response.status_code == 422
    assert list(response.json["errors"]) == [field]
    assert message in response.json["errors"][field][0]
    assert total() == before


def test_every_bad_record_is_reported_at_once(api):
    response = post(api, [record(amount="x"), record(), record(unit_code="999999"), record(month=0)])

    # Shape errors are found first (the request schema); references are checked once shapes are right.
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"records.0.amount", "records.3.month"}


def test_reference_errors_of_several_records_are_all_named(api):
    before = total()

    response = post(api, [record(unit_code="999999"), record(), record(unit_code="888888")])

    assert set(response.json["errors"]) == {"records.0.unit_code", "records.2.unit_code"}
    assert response.json["message"] == "共 2 处错误，未写入任何数据。"
    assert total() == before


def test_a_unit_of_another_department_is_refused_as_if_it_did_not_exist(api):
    foreign = UnitFactory()

    response = post(api, [record(unit_code=foreign.code, project_code=None)])

    assert response.status_code == 422
    assert response.json["errors"] == {
        "records.0.unit_code": [f"单位编码 {foreign.code} 不存在或不在您的管理范围内"]
    }


def test_duplicate_records_in_one_batch_are_refused(api):
    response = post(api, [record(), record(amount="2")])

    assert response.status_code == 422 and "records.1.category" in response.json["errors"]


@pytest.mark.parametrize("body", [{}, {"records": []}, {"records": "x"}, {"records": [1]}])
def test_a_malformed_batch_is_422(api, body):
    response = api.post("/spending", as_="dept122", json=body)

    assert response.status_code == 422 and response.json["errors"]


def test_listed_spending_is_filtered_and_paginated(api):
    response = api.get("/spending?year=2023&month=3&unit=122201&category=支出&page_size=2", as_="dept122")

    assert response.status_code == 200
    assert {(e["unit"], e["month"], e["category"]) for e in response.json} == {("122201", 3, "支出")}
    assert '"total": ' in response.headers["X-Pagination"]


def test_a_project_of_another_department_is_refused_as_if_it_did_not_exist(api):
    foreign, missing = ProjectFactory(), "41080099999999999999"
    before = total()

    refused = post(api, [record(project_code=foreign.code)])
    nonexistent = post(api, [record(project_code=missing)])

    assert refused.status_code == nonexistent.status_code == 422
    assert refused.json["errors"] == {"records.0.project_code": [f"2023 年没有项目 {foreign.code}"]}
    assert str(nonexistent.json).replace(missing, foreign.code) == str(refused.json)
    assert total() == before
