"""Monthly reports over the API (SPEC §4): ETag / If-Match optimistic locking, values refused
not ignored, and the submit / approve / return workflow through the pages' own services.

Unit 122201 has no July 2023 report in the demo: it starts as an unsaved draft (version 0).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.factories import IndicatorFactory, UserFactory
from tracker.api.tokens import issue_token
from tracker.core.audit import AuditEntry
from tracker.extensions import db
from tracker.reporting.models import IndicatorActual, MonthlyReport

JULY = "/reports/122201/2023/7"


def first_row(api, path=JULY, as_="unit122201") -> dict:
    return api.get(path, as_=as_).json["rows"][0]


def july() -> MonthlyReport | None:
    return db.session.scalar(
        select(MonthlyReport).where(MonthlyReport.scope_key == "unit:122201", MonthlyReport.month == 7)
    )


def test_reading_a_report_gives_its_version_as_etag(api):
    response = api.get("/reports/122201/2023/6", as_="unit122201")

    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{response.json["version"]}"'
    assert response.json["status"] == "approved" and len(response.json["rows"]) == 19


def test_an_unsaved_report_reads_as_an_empty_draft_of_version_0(api):
    response = api.get(JULY, as_="unit122201")

    assert response.headers["ETag"] == '"0"'
    assert response.json["status"] == "draft" and response.json["editable"] is True
    assert all(row["actual"] is None for row in response.json["rows"])


def test_saving_with_the_current_etag_stores_the_values_and_moves_the_etag(api):
    row = first_row(api)

    response = api.put(
        JULY,
        as_="unit122201",
        headers={"If-Match": '"0"'},
        json={"values": {str(row["indicator_id"]): {"actual": 80.5}}},
    )

    assert response.status_code == 200, response.json
    assert response.headers["ETag"] == f'"{july().version}"' != '"0"'
    saved = next(r for r in response.json["rows"] if r["indicator_id"] == row["indicator_id"])
    assert saved["actual"] == 80.5
    stored = db.session.scalar(
        select(IndicatorActual).where(
            IndicatorActual.indicator_id == row["indicator_id"], IndicatorActual.report_id == july().id
        )
    )
    assert stored.actual == Decimal("80.5")
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.entity == "indicator_actual",
                AuditEntry.month == 7,
                AuditEntry.username == "unit122201",
            )
        )
        == 1
    )


def test_saving_without_if_match_is_428_and_changes_nothing(api):
    row = first_row(api)

    response = api.put(JULY, as_="unit122201", json={"values": {str(row["indicator_id"]): {"actual": "1"}}})

    assert response.status_code == 428
    assert "If-Match" in response.json["message"]
    assert july() is None


def test_a_stale_if_match_is_412_and_changes_nothing(api):
    row = first_row(api)
    key = str(row["indicator_id"])
    first = api.put(
        JULY, as_="unit122201", headers={"If-Match": '"0"'}, json={"values": {key: {"actual": "10"}}}
    )

    response = api.put(
        JULY, as_="unit122201", headers={"If-Match": '"0"'}, json={"values": {key: {"actual": "99"}}}
    )

    assert response.status_code == 412
    assert response.json["status"] == "precondition_failed" and "unit122201" in response.json["message"]
    assert response.headers["ETag"] == first.headers["ETag"] == f'"{july().version}"'
    assert july().actuals[0].actual == Decimal("10")


def test_the_later_of_two_editors_gets_412_naming_who_saved_first(api):
    reporter, admin = "unit122201", "dept122"
    key = str(first_row(api)["indicator_id"])
    etag = api.get(JULY, as_=reporter).headers["ETag"]
    assert api.get(JULY, as_=admin).headers["ETag"] == etag

    first = api.put(JULY, as_=admin, headers={"If-Match": etag}, json={"values": {key: {"actual": "5"}}})
    second = api.put(JULY, as_=reporter, headers={"If-Match": etag}, json={"values": {key: {"actual": "6"}}})

    assert (first.status_code, second.status_code) == (200, 412)
    assert "dept122" in second.json["message"]
    assert july().actuals[0].actual == Decimal("5")


@pytest.mark.parametrize("if_match", ["*", 'W/"0"', '"abc"', '"1", "2"'])
def test_an_if_match_that_cannot_name_the_current_version_changes_nothing(api, if_match):
    key = str(first_row(api)["indicator_id"])

    response = api.put(
        JULY, as_="unit122201", headers={"If-Match": if_match}, json={"values": {key: {"actual": "1"}}}
    )

    assert response.status_code in (412, 428)
    assert july() is None


def test_one_of_several_if_match_tags_naming_the_current_version_is_enough(api):
    key = str(first_row(api)["indicator_id"])

    response = api.put(
        JULY, as_="unit122201", headers={"If-Match": '"7", "0"'}, json={"values": {key: {"actual": "1"}}}
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"values": {}, "status": "approved"}, "status"),
        ({"values": {}, "unit": "122101"}, "unit"),
        ({"values": {}, "version": 9}, "version"),
        ({"values": {}, "approved": True}, "approved"),
        ({"values": {"{id}": {"status": "approved"}}}, "values.{id}.status"),
        ({"values": {"{id}": {"approved_at": "2023-01-01"}}}, "values.{id}.approved_at"),
    ],
)
def test_fields_a_client_may_not_set_are_refused_not_ignored(api, body, field):
    key = str(first_row(api)["indicator_id"])
    body = {
        "values": {k.replace("{id}", key): v for k, v in body["values"].items()},
        **{k: v for k, v in body.items() if k != "values"},
    }

    response = api.put(JULY, as_="unit122201", headers={"If-Match": '"0"'}, json=body)

    assert response.status_code == 422
    assert response.json["errors"] == {field.replace("{id}", key): ["不允许设置此字段"]}
    assert july() is None


def test_a_bad_value_is_422_with_a_chinese_message_by_field(api):
    key = str(first_row(api)["indicator_id"])

    response = api.put(
        JULY,
        as_="unit122201",
        headers={"If-Match": '"0"'},
        json={"values": {key: {"actual": "很多", "likelihood": "也许"}}},
    )

    assert response.status_code == 422
    assert response.json["message"] == "提交的数据有误。"
    assert "不是有效数字" in response.json["errors"][f"{key}.actual"][0]
    assert "完成目标可能性应为" in response.json["errors"][f"{key}.likelihood"][0]
    assert july() is None


@pytest.mark.parametrize("control", ["\x1b[2J", "\x07", "\x00", "\x9b"])
def test_a_control_character_in_a_json_value_is_refused_by_name_and_nothing_is_saved(api, control):
    """A script's PUT carries what a file cannot (issue 12 §11): ESC, BEL, NUL or a C1 CSI in a
    cause is refused by name, the other fields too stay unsaved."""
    key = str(first_row(api)["indicator_id"])

    response = api.put(
        JULY,
        as_="unit122201",
        headers={"If-Match": '"0"'},
        json={"values": {key: {"actual": "10", "deviation_cause": f"人员调整{control}发布偏少"}}},
    )

    assert response.status_code == 422
    (message,) = response.json["errors"][f"{key}.deviation_cause"]
    assert "控制字符" in message and "U+00" in message and control not in message
    assert july() is None


def test_an_indicator_of_another_unit_is_refused(api):
    other = api.get("/reports/122101/2023/7", as_="dept122").json["rows"][0]["indicator_id"]

    response = api.put(
        JULY, as_="unit122201", headers={"If-Match": '"0"'}, json={"values": {str(other): {"actual": "1"}}}
    )

    assert response.status_code == 422 and "indicators" in response.json["errors"]


def test_a_json_number_is_read_exactly_not_as_a_float(api):
    key = str(first_row(api)["indicator_id"])

    api.put(
        JULY,
        as_="unit122201",
        headers={"If-Match": '"0"'},
        data='{"values": {"' + key + '": {"actual": 0.1}}}',
        content_type="application/json",
    )

    assert july().actuals[0].actual == Decimal("0.1")


# ---------------------------------------------------------------- workflow, on a one-indicator unit


@pytest.fixture
def small(session):
    """A unit with one ≥100个 indicator, its reporter and department admin, each with a token."""
    indicator = IndicatorFactory(target="≥100个")
    unit = indicator.project.unit
    reporter = UserFactory(username="r-small", role="reporter", unit=unit)
    reviewer = UserFactory(username="d-small", role="department", department=unit.department)
    return {
        "path": f"/reports/{unit.code}/2023/3",
        "key": str(indicator.id),
        "reporter": issue_token(reporter).secret,
        "reviewer": issue_token(reviewer).secret,
    }


def _save(api, small, etag='"0"', actual="100"):
    return api.put(
        small["path"],
        as_=small["reporter"],
        headers={"If-Match": etag},
        json={"values": {small["key"]: {"actual": actual}}},
    )


def test_submit_approve_goes_through_the_workflow(api, small):
    saved = _save(api, small)
    submitted = api.post(
        small["path"] + "/submit", as_=small["reporter"], headers={"If-Match": saved.headers["ETag"]}
    )
    approved = api.post(
        small["path"] + "/approve", as_=small["reviewer"], headers={"If-Match": submitted.headers["ETag"]}
    )

    assert [submitted.json["status"], approved.json["status"]] == ["submitted", "approved"]
    assert approved.headers["ETag"] == f'"{approved.json["version"]}"' != submitted.headers["ETag"]


def test_a_red_indicator_cannot_be_submitted_without_cause_and_measure(api, small):
    saved = _save(api, small, actual="1")

    response = api.post(
        small["path"] + "/submit", as_=small["reporter"], headers={"If-Match": saved.headers["ETag"]}
    )

    assert response.status_code == 422
    assert set(response.json["errors"]) == {
        f"{small['key']}.{f}" for f in ("deviation_category", "deviation_cause", "corrective_measure")
    }


def test_submit_may_save_the_values_it_carries(api, small):
    response = api.post(
        small["path"] + "/submit",
        as_=small["reporter"],
        headers={"If-Match": '"0"'},
        json={"values": {small["key"]: {"actual": "100"}}},
    )

    assert response.status_code == 200 and response.json["status"] == "submitted"


def test_returning_needs_a_reason_and_sends_the_report_back_to_draft(api, small):
    submitted = api.post(
        small["path"] + "/submit",
        as_=small["reporter"],
        headers={"If-Match": '"0"'},
        json={"values": {small["key"]: {"actual": "100"}}},
    )
    etag = submitted.headers["ETag"]

    without = api.post(small["path"] + "/return", as_=small["reviewer"], headers={"If-Match": etag}, json={})
    returned = api.post(
        small["path"] + "/return",
        as_=small["reviewer"],
        headers={"If-Match": etag},
        json={"reason": "数字有误"},
    )

    assert without.status_code == 422 and without.json["errors"] == {"reason": ["不能为空"]}
    assert returned.json["status"] == "draft" and returned.json["return_reason"] == "数字有误"


def test_editing_a_submitted_report_is_409(api, small):
    submitted = api.post(
        small["path"] + "/submit",
        as_=small["reporter"],
        headers={"If-Match": '"0"'},
        json={"values": {small["key"]: {"actual": "100"}}},
    )

    response = _save(api, small, etag=submitted.headers["ETag"], actual="90")

    assert response.status_code == 409 and response.json["message"] == "报告已提交，等待审核，不能修改。"


def test_approving_a_draft_is_409(api, small):
    saved = _save(api, small)

    response = api.post(
        small["path"] + "/approve", as_=small["reviewer"], headers={"If-Match": saved.headers["ETag"]}
    )

    assert response.status_code == 409 and "草稿" in response.json["message"]


def test_a_stale_approve_is_412_and_leaves_the_report_submitted(api, small):
    api.post(
        small["path"] + "/submit",
        as_=small["reporter"],
        headers={"If-Match": '"0"'},
        json={"values": {small["key"]: {"actual": "100"}}},
    )

    response = api.post(small["path"] + "/approve", as_=small["reviewer"], headers={"If-Match": '"0"'})

    assert response.status_code == 412
    assert api.get(small["path"], as_=small["reviewer"]).json["status"] == "submitted"


def test_finance_unlocks_the_department_whole_report_and_the_department_corrects_it(api):
    path = "/department-reports/122/2023/7"
    locked = api.get(path, as_="dept122")
    row = next(r for r in locked.json["rows"] if not r["computed"])
    values = {"values": {str(row["indicator_id"]): {"actual": "达成" if row["qualitative"] else "1"}}}
    refused = api.put(path, as_="dept122", headers={"If-Match": locked.headers["ETag"]}, json=values)

    unlocked = api.post(path + "/unlock", as_="finance", headers={"If-Match": locked.headers["ETag"]})
    saved = api.put(path, as_="dept122", headers={"If-Match": unlocked.headers["ETag"]}, json=values)

    assert locked.json["unit"] is None and locked.json["status"] == "approved"
    assert refused.status_code == 409 and "锁定" in refused.json["message"]
    assert unlocked.json["status"] == "draft"
    assert saved.status_code == 200, saved.json
