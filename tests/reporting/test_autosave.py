"""自动保存 of a draft (the report form's script): the same service and version check as 保存草稿, a
JSON answer the form shows (已保存 hh:mm / 未保存：原因), and a page that tells the script what is
saved, so a copy kept in the browser is dropped only once a save went through (SPEC §4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from tests.conftest import login_as
from tests.reporting.helpers import form, report_url
from tracker.core.audit import AuditEntry
from tracker.reporting import services
from tracker.reporting.models import MonthlyReport

AUGUST_3_1030_SHANGHAI = datetime(2023, 8, 3, 2, 30, tzinfo=UTC)


def _url(world, month: int = 7, unit=None) -> str:
    return report_url(world, month, unit) + "/autosave"


def _report(session, world, month: int = 7) -> MonthlyReport | None:
    session.expire_all()
    return session.scalar(
        select(MonthlyReport).where(
            MonthlyReport.scope_key == f"unit:{world.unit.code}", MonthlyReport.month == month
        )
    )


def _values(report: MonthlyReport) -> dict[int, object]:
    return {a.indicator_id: a for a in report.actuals}


def _body(version: int, rows: dict) -> dict:
    return {"base_version": version, "values": {str(i.id): fields for i, fields in rows.items()}}


def test_autosave_saves_the_rows_and_answers_the_new_version_and_the_time_in_shanghai(client, world, session):
    with time_machine.travel(AUGUST_3_1030_SHANGHAI, tick=False):
        login_as(client, world.reporter)  # the session cookie is signed at the time travelled to
        response = client.post(
            _url(world), json=_body(0, {world.count: {"actual": "70", "likelihood": "确定能"}})
        )
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    report = _report(session, world)
    assert answer["ok"] is True and answer["version"] == report.version
    assert answer["saved_at"] == "10:30" and answer["message"] == "已保存 10:30"
    assert answer["csrf_token"]
    assert report.status == "draft"
    assert _values(report)[world.count.id].actual == Decimal(70)
    assert _values(report)[world.count.id].likelihood == "确定能"
    audited = session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.field.like("办件数量·%"))
    )
    assert audited == 2  # actual and likelihood, as 保存草稿 records them

    login_as(client, world.reporter)  # back in the present
    again = client.post(_url(world), json=_body(answer["version"], {world.count: {"actual": "71"}}))
    assert again.status_code == 200
    report = _report(session, world)
    assert again.get_json()["version"] == report.version > answer["version"]
    assert _values(report)[world.count.id].actual == Decimal(71)
    assert _values(report)[world.count.id].likelihood == "确定能"  # a field not sent is left as it is


def test_autosave_on_a_stale_version_is_a_conflict_and_writes_nothing(client, world, session):
    with time_machine.travel(AUGUST_3_1030_SHANGHAI, tick=False):
        services.save_report(
            world.department_user, world.unit.code, 2023, 7, {world.count.id: {"actual": "60"}}, 0
        )
    login_as(client, world.reporter)
    # The reporter's form was loaded before the department's save: version 0.
    response = client.post(_url(world), json=_body(0, {world.count: {"actual": "65"}}))
    assert response.status_code == 409
    answer = response.get_json()
    assert answer["ok"] is False and answer["conflict"] is True
    assert answer["version"] == _report(session, world).version
    assert "此报告已被 d801 于 2023-08-03 10:30 修改" in answer["message"]
    assert "自动保存未生效" in answer["message"]
    assert _values(_report(session, world))[world.count.id].actual == Decimal(60)


def test_an_invalid_value_is_422_with_the_field_errors_and_nothing_is_written(client, world, session):
    login_as(client, world.reporter)
    response = client.post(
        _url(world), json=_body(0, {world.count: {"actual": "70"}, world.rate: {"actual": "九十五"}})
    )
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["ok"] is False
    assert list(answer["errors"]) == [f"{world.rate.id}.actual"]
    assert "“九十五”不是有效数字" in answer["errors"][f"{world.rate.id}.actual"][0]
    assert answer["message"].startswith("有 1 处需要修改：“九十五”不是有效数字")
    assert _report(session, world) is None  # not even the draft was created
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_foreign_units_report_is_404(client, world, session):
    login_as(client, world.reporter)
    body = _body(0, {world.count: {"actual": "70"}})
    assert client.post(_url(world, unit=world.foreign_unit), json=body).status_code == 404
    assert client.post(_url(world, unit=world.sibling), json=body).status_code == 404
    assert client.post("/reports/department/801/2023/7/autosave", json=body).status_code == 404
    login_as(client, world.foreign_department_user)
    assert client.post(_url(world), json=body).status_code == 404
    assert session.scalar(select(func.count()).select_from(MonthlyReport)) == 0
    login_as(client, world.reporter)
    assert client.post(_url(world), json=body).status_code == 200  # its own unit's: saved


def test_who_may_read_but_not_write_is_refused(client, world, session):
    login_as(client, world.finance)
    response = client.post(_url(world), json=_body(0, {world.count: {"actual": "70"}}))
    assert response.status_code == 403
    assert response.get_json()["ok"] is False
    assert _report(session, world) is None


def test_the_department_autosaves_its_own_department_report(client, world, session):
    login_as(client, world.department_user)
    response = client.post(
        "/reports/department/801/2023/7/autosave",
        json=_body(0, {world.department_indicator: {"actual": "6"}}),
    )
    assert response.status_code == 200
    report = session.scalar(select(MonthlyReport).where(MonthlyReport.scope_key == "department:801"))
    assert response.get_json()["version"] == report.version
    assert _values(report)[world.department_indicator.id].actual == Decimal(6)


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_a_report_that_is_no_longer_a_draft_is_refused(client, world, session, status):
    complete = {
        world.count.id: {"actual": "70"},
        world.rate.id: {"actual": "95"},
        world.quality.id: {"actual": "达成"},
    }
    report = services.submit_report(world.reporter, world.unit.code, 2023, 7, 0, complete)
    if status == "approved":
        report = services.approve_report(world.department_user, world.unit.code, 2023, 7, report.version)
    version = report.version
    login_as(client, world.reporter)
    response = client.post(_url(world), json=_body(version, {world.count: {"actual": "1"}}))
    assert response.status_code == 409
    answer = response.get_json()
    assert answer["ok"] is False and answer["locked"] is True
    assert ("已锁定" if status == "approved" else "等待审核") in answer["message"]
    report = _report(session, world)
    assert report.version == version and _values(report)[world.count.id].actual == Decimal(70)


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"values": {}},
        {"base_version": "0", "values": {"1": {"actual": "1"}}},
        {"base_version": True, "values": {"1": {"actual": "1"}}},
        {"base_version": 0, "values": {}},
        {"base_version": 0, "values": {"x": {"actual": "1"}}},
        {"base_version": 0, "values": {"1": {"status": "approved"}}},
        {"base_version": 0, "values": {"1": {"actual": 12.5}}},
        {"base_version": 0, "values": {"1": ["actual"]}},
    ],
)
def test_a_malformed_body_is_400_and_writes_nothing(client, world, session, body):
    login_as(client, world.reporter)
    response = client.post(_url(world), json=body)
    assert response.status_code == 400
    assert response.get_json()["ok"] is False
    assert _report(session, world) is None


# ---------------------------------------------------------------- what the page tells the script


def test_an_editable_form_carries_the_autosave_address_and_the_texts(client, world):
    login_as(client, world.reporter)
    page = client.get(report_url(world)).get_data(as_text=True)
    assert f'data-autosave-url="{_url(world)}"' in page
    assert f'data-draft-user="{world.reporter.id}"' in page
    assert f'data-draft-path="{report_url(world)}"' in page
    assert 'data-timezone="Asia/Shanghai"' in page
    assert 'data-text-restored="已恢复上次未保存的填写内容（{time}）。"' in page
    assert 'data-text-unsaved="未保存：{reason}"' in page
    assert 'id="autosave-state"' in page and 'id="draft-notice"' in page
    assert "data-own-version" not in page and "data-stored" not in page


def test_in_english_the_scripts_texts_are_english(client, world):
    client.get("/lang/en")
    login_as(client, world.reporter)
    page = client.get(report_url(world)).get_data(as_text=True)
    assert 'data-text-restored="Restored the entries you had not saved ({time})."' in page
    assert 'data-text-unsaved="Not saved: {reason}"' in page
    assert "Discard the restored entries" in page


def test_a_locked_form_has_no_autosave(client, world):
    report = services.submit_report(
        world.reporter,
        world.unit.code,
        2023,
        7,
        0,
        {
            world.count.id: {"actual": "70"},
            world.rate.id: {"actual": "95"},
            world.quality.id: {"actual": "达成"},
        },
    )
    services.approve_report(world.department_user, world.unit.code, 2023, 7, report.version)
    login_as(client, world.reporter)
    page = client.get(report_url(world)).get_data(as_text=True)
    assert "data-autosave-url" not in page and 'id="draft-notice"' not in page


def test_the_page_after_a_save_names_the_version_this_session_made(client, world, session):
    login_as(client, world.reporter)
    response = client.post(report_url(world), data=form({world.count: {"actual": "70"}}, 0))
    assert response.status_code == 302
    version = _report(session, world).version
    page = client.get(report_url(world)).get_data(as_text=True)
    assert f'data-own-version="{version}"' in page
    # Another month's page does not take it for its own.
    assert "data-own-version" not in client.get(report_url(world, 8)).get_data(as_text=True)
    answer = client.post(_url(world), json=_body(version, {world.count: {"actual": "71"}})).get_json()
    page = client.get(report_url(world)).get_data(as_text=True)
    assert f'data-own-version="{answer["version"]}"' in page


def test_a_form_shown_again_with_what_was_typed_names_what_is_saved(client, world, session):
    login_as(client, world.reporter)
    client.post(report_url(world), data=form({world.count: {"actual": "50"}}, 0))
    version = _report(session, world).version
    response = client.post(
        report_url(world),
        data=form({world.count: {"actual": "80"}, world.rate: {"actual": "九十五"}}, version),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(rf'name="i{world.count.id}\.actual"[^>]*value="80" data-stored="50"', page)
    assert re.search(rf'name="i{world.rate.id}\.actual"[^>]*value="九十五" data-stored=""', page)


# ---------------------------------------------------------------- CSRF on, sessions that ended


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def _meta_token(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_autosave_needs_the_token_in_a_header(client, world, session, csrf_on):
    login_as(client, world.reporter)
    token = _meta_token(client.get(report_url(world)).get_data(as_text=True))
    body = _body(0, {world.count: {"actual": "70"}})
    refused = client.post(_url(world), json=body)
    assert refused.status_code == 400
    assert refused.get_json() == {"ok": False, "login": False, "message": "页面已过期，请刷新页面。"}
    assert _report(session, world) is None
    response = client.post(_url(world), json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 200
    # The answer's fresh token works for the form's next post as the page's did.
    fresh = response.get_json()["csrf_token"]
    again = client.post(
        _url(world),
        json=_body(response.get_json()["version"], {world.count: {"actual": "71"}}),
        headers={"X-CSRFToken": fresh},
    )
    assert again.status_code == 200


def test_without_a_session_autosave_says_so_and_the_form_goes_to_login(client, world, session, csrf_on):
    login_as(client, world.reporter)
    token = _meta_token(client.get(report_url(world)).get_data(as_text=True))
    client.delete_cookie("session")  # the browser dropped it: expired, closed, cleared
    body = _body(0, {world.count: {"actual": "70"}})
    response = client.post(_url(world), json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.get_json()["login"] is True
    assert response.get_json()["message"] == "登录已过期，请重新登录。"

    posted = client.post(report_url(world), data=form({world.count: {"actual": "70"}}, 0, csrf_token=token))
    assert posted.status_code == 302
    assert posted.headers["Location"] == f"/login?next=/reports/{world.unit.code}/2023/7"
    login_page = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "登录已过期，表单尚未保存。" in login_page
    assert _report(session, world) is None


def test_a_signed_in_post_with_a_bad_token_is_still_refused(client, world, session, csrf_on):
    login_as(client, world.reporter)
    response = client.post(report_url(world), data=form({world.count: {"actual": "70"}}, 0))
    assert response.status_code == 400
    assert _report(session, world) is None
