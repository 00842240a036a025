"""The monthly report form (issue 3 §3): indicators, values, per-field errors, lamps, causes."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from tests.conftest import login_as
from tests.reporting.helpers import form, report_url
from tracker.reporting.models import IndicatorActual, MonthlyReport


def _report(session, world, month=7, unit=None):
    return session.scalar(
        select(MonthlyReport).where(
            MonthlyReport.scope_key == f"unit:{(unit or world.unit).code}", MonthlyReport.month == month
        )
    )


def test_form_lists_every_indicator_with_target_unit_and_mode(client, world):
    login_as(client, world.reporter)
    page = client.get(report_url(world)).get_data(as_text=True)
    for text in (
        "窗口服务",
        "办件数量",
        "≥120件",
        "群众满意度",
        "服务水平提升",
        "累计型",
        "水平型",
        "定性",
        "产出指标",
    ):
        assert text in page
    assert f'name="i{world.count.id}.actual"' in page
    assert 'name="base_version" value="0"' in page


def test_saving_a_draft_stores_the_values(client, world, session):
    login_as(client, world.reporter)
    response = client.post(
        report_url(world),
        data=form(
            {
                world.count: {"actual": "70", "forecast": "120", "likelihood": "确定能"},
                world.quality: {"actual": "达成"},
            },
            0,
        ),
    )
    assert response.status_code == 302
    report = _report(session, world)
    assert report.status == "draft"
    values = {a.indicator_id: a for a in report.actuals}
    assert values[world.count.id].actual == Decimal(70)
    assert values[world.count.id].likelihood == "确定能"
    assert values[world.quality.id].grade == "达成"


def test_a_bad_number_shows_a_chinese_error_and_keeps_everything_typed(client, world, session):
    login_as(client, world.reporter)
    client.post(report_url(world), data=form({world.count: {"actual": "50"}}, 0))
    version = _report(session, world).version
    response = client.post(
        report_url(world),
        data=form({world.count: {"actual": "80"}, world.rate: {"actual": "九十五"}}, version),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“九十五”不是有效数字" in page
    assert 'value="九十五"' in page and 'value="80"' in page
    session.expire_all()
    assert _report(session, world).actuals[0].actual == Decimal(50)


def test_in_english_the_bad_number_is_explained_in_english(client, world, session):
    client.get("/lang/en")
    login_as(client, world.reporter)

    response = client.post(report_url(world), data=form({world.rate: {"actual": "九十五"}}, 0))

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“九十五” is not a valid number; enter a number (e.g. 12.5)" in page


def test_a_rate_above_100_percent_is_refused(client, world):
    login_as(client, world.reporter)
    page = client.post(report_url(world), data=form({world.rate: {"actual": "120"}}, 0)).get_data(
        as_text=True
    )
    assert "比率应在 0 到 100 之间" in page


def test_a_lagging_value_turns_the_lamp_red_and_shows_the_cause_fields(client, world):
    login_as(client, world.reporter)
    client.post(report_url(world), data=form({world.count: {"actual": "10"}}, 0))
    page = client.get(report_url(world)).get_data(as_text=True)
    row = page[page.index(f'data-indicator-id="{world.count.id}"') :]
    assert 'class="lamp red"' in row[: row.index("</tr>")]
    cause_row = page[page.index(f'data-cause-for="{world.count.id}"') - 40 :]
    assert "hidden" not in cause_row[: cause_row.index(">")]


def test_a_green_value_keeps_the_cause_fields_hidden(client, world):
    login_as(client, world.reporter)
    client.post(report_url(world), data=form({world.count: {"actual": "70"}}, 0))
    page = client.get(report_url(world)).get_data(as_text=True)
    start = page.index(f'data-cause-for="{world.count.id}"')
    assert "cause-row hidden" in page[start - 60 : start]


def test_the_lamp_endpoint_judges_typed_values_with_the_monitoring_rule(client, world):
    login_as(client, world.reporter)
    url = report_url(world) + "/lamp"
    red = client.post(url, json={"indicator_id": world.count.id, "values": {"actual": "10"}}).get_json()
    green = client.post(url, json={"indicator_id": world.count.id, "values": {"actual": "70"}}).get_json()
    capped = client.post(
        url, json={"indicator_id": world.count.id, "values": {"actual": "70", "likelihood": "有可能"}}
    ).get_json()
    assert (red["status"], red["needs_cause"]) == ("red", True)
    assert (green["status"], green["needs_cause"]) == ("green", False)
    assert capped["status"] == "yellow"


def test_the_lamp_endpoint_reports_bad_numbers_instead_of_a_lamp(client, world):
    login_as(client, world.reporter)
    result = client.post(
        report_url(world) + "/lamp", json={"indicator_id": world.count.id, "values": {"actual": "abc"}}
    ).get_json()
    # The old colour would be a lie about what is typed now: 无法判断 (issue 11 §4).
    assert (result["status"], result["label"], result["needs_cause"]) == ("unjudged", "无法判断", False)
    assert "不是有效数字" in result["errors"]["actual"][0]
    ambiguous = client.post(
        report_url(world) + "/lamp", json={"indicator_id": world.count.id, "values": {"actual": "1,5"}}
    ).get_json()
    assert ambiguous["status"] == "unjudged" and "有歧义" in ambiguous["errors"]["actual"][0]


def test_a_form_shown_again_with_a_bad_value_shows_no_old_colour(client, world, session):
    login_as(client, world.reporter)
    client.post(report_url(world), data=form({world.count: {"actual": "120"}}, 0))
    page = client.post(report_url(world), data=form({world.count: {"actual": "12x"}}, 1)).get_data(
        as_text=True
    )
    row = page[page.index(f'data-indicator-id="{world.count.id}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="lamp unjudged"' in row and "无法判断" in row


def test_submitting_without_a_cause_for_a_red_indicator_is_refused_per_field(client, world, session):
    login_as(client, world.reporter)
    response = client.post(
        report_url(world),
        data=form(
            {world.count: {"actual": "10"}, world.rate: {"actual": "95"}, world.quality: {"actual": "达成"}},
            0,
            action="submit",
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "黄灯/红灯指标须选择偏差原因类别" in page
    assert "黄灯/红灯指标须填写改进措施" in page
    assert _report(session, world) is None


def test_in_english_the_missing_causes_are_named_in_english(client, world):
    client.get("/lang/en")
    login_as(client, world.reporter)
    values = {world.count: {"actual": "10"}, world.rate: {"actual": "95"}, world.quality: {"actual": "达成"}}

    page = client.post(report_url(world), data=form(values, 0, action="submit")).get_data(as_text=True)

    assert "A yellow or red indicator needs a deviation cause category" in page
    assert "黄灯/红灯" not in page


def test_a_complete_report_with_causes_is_submitted(client, world, session):
    login_as(client, world.reporter)
    response = client.post(
        report_url(world),
        data=form(
            {
                world.count: {
                    "actual": "10",
                    "deviation_category": "人员保障",
                    "deviation_cause": "窗口人员不足",
                    "corrective_measure": "增派人员",
                },
                world.rate: {"actual": "95"},
                world.quality: {"actual": "达成"},
            },
            0,
            action="submit",
        ),
    )
    assert response.status_code == 302
    report = _report(session, world)
    assert report.status == "submitted"
    assert report.submitted_by_id == world.reporter.id


def test_submitting_with_an_indicator_left_empty_names_it(client, world):
    login_as(client, world.reporter)
    page = client.post(
        report_url(world), data=form({world.count: {"actual": "70"}}, 0, action="submit")
    ).get_data(as_text=True)
    assert "请填写实际完成值" in page and "请选择完成情况" in page


def test_fields_a_user_may_not_set_are_refused_not_ignored(client, world, session):
    login_as(client, world.reporter)
    for forbidden in ("status", "unit", "version", "approved"):
        data = form({world.count: {"actual": "70"}}, 0, **{forbidden: "approved"})
        response = client.post(report_url(world), data=data)
        assert response.status_code == 400, forbidden
        assert forbidden in response.get_data(as_text=True)
    assert _report(session, world) is None


def test_an_unknown_field_of_an_indicator_is_refused(client, world):
    login_as(client, world.reporter)
    response = client.post(report_url(world), data={"base_version": "0", f"i{world.count.id}.computed": "1"})
    assert response.status_code == 400


def test_an_indicator_of_another_unit_cannot_be_written_through_this_form(client, world, session):
    login_as(client, world.reporter)
    foreign_indicator = world.foreign_project.indicators[0]
    response = client.post(
        report_url(world), data={"base_version": "0", f"i{foreign_indicator.id}.actual": "5"}
    )
    assert response.status_code == 422
    assert (
        session.scalar(select(IndicatorActual).where(IndicatorActual.indicator_id == foreign_indicator.id))
        is None
    )


def test_last_months_value_is_shown(client, world):
    login_as(client, world.reporter)
    client.post(report_url(world, month=6), data=form({world.count: {"actual": "58.5"}}, 0))
    page = client.get(report_url(world)).get_data(as_text=True)
    row = page[page.index(f'data-indicator-id="{world.count.id}"') :]
    assert '<td class="num prev" data-label="上月值">58.5</td>' in row[: row.index("</tr>")]


def test_a_computed_department_indicator_is_read_only(client, world, session):
    login_as(client, world.department_user)
    url = f"/reports/department/{world.department.code}/2023/7"
    page = client.get(url).get_data(as_text=True)
    assert "自动计算" in page
    assert f'name="i{world.computed.id}.actual"' not in page
    response = client.post(url, data=form({world.computed: {"actual": "50"}}, 0))
    assert "此指标由财务数据计算，不能填写" in response.get_data(as_text=True)


def test_the_department_enters_its_own_department_indicators(client, world, session):
    login_as(client, world.department_user)
    url = f"/reports/department/{world.department.code}/2023/7"
    assert client.post(url, data=form({world.department_indicator: {"actual": "7"}}, 0)).status_code == 302
    report = session.scalar(select(MonthlyReport).where(MonthlyReport.scope_key == "department:801"))
    assert report.unit_id is None and report.actuals[0].actual == Decimal(7)


def _lagging_budget(session, world) -> None:
    """部门预算总额 100 with 20 spent by July: 预算执行率 20% against 58.33% time progress (red)."""
    from tracker.budget.models import DepartmentBudgetLine, SpendingEntry

    session.add(
        DepartmentBudgetLine(year=2023, department_id=world.department.id, subject="部门预算总额", amount=100)
    )
    session.add(
        SpendingEntry(
            year=2023, month=7, department_id=world.department.id, unit_id=world.unit.id,
            project_code="", category="支出", amount=20,
        )
    )  # fmt: skip
    session.flush()


def test_a_red_computed_metric_needs_a_cause_before_the_department_submits(client, world, session):
    _lagging_budget(session, world)
    login_as(client, world.department_user)
    url = f"/reports/department/{world.department.code}/2023/7"
    refused = client.post(url, data=form({world.department_indicator: {"actual": "7"}}, 0, action="submit"))
    assert refused.status_code == 422
    assert "黄灯/红灯指标须选择偏差原因类别" in refused.get_data(as_text=True)
    cause = {
        "deviation_category": "经费保障",
        "deviation_cause": "资金下达晚",
        "corrective_measure": "加快支付",
    }
    accepted = client.post(
        url,
        data=form({world.department_indicator: {"actual": "7"}, world.computed: cause}, 0, action="submit"),
    )
    assert accepted.status_code == 302
    report = session.scalar(select(MonthlyReport).where(MonthlyReport.scope_key == "department:801"))
    assert report.status == "submitted"
    stored = {a.indicator_id: a for a in report.actuals}
    assert stored[world.computed.id].deviation_cause == "资金下达晚"
    assert stored[world.computed.id].actual is None


def test_not_applicable_is_typed_as_such_needs_its_reason_and_shows_no_lamp(client, world, session):
    """不适用 (issue 10 §3): the event never arose; accepted for a number or a grade, with a reason."""
    login_as(client, world.reporter)
    values = {world.count: {"actual": "不适用"}, world.rate: {"actual": "95"}, world.quality: {"actual": "/"}}
    page = client.post(report_url(world), data=form(values, 0, action="submit")).get_data(as_text=True)
    assert page.count("“不适用”的指标须在偏差原因说明中写明原因") == 2
    assert _report(session, world) is None

    values[world.count]["deviation_cause"] = "本月无办件（大厅改造停业）"
    values[world.quality]["deviation_cause"] = "本月无评价活动"
    response = client.post(report_url(world), data=form(values, 0, action="submit"))
    assert response.status_code == 302
    stored = {a.indicator_id: a for a in _report(session, world).actuals}
    assert (stored[world.count.id].actual, stored[world.count.id].grade) == (None, "不适用")
    assert stored[world.quality.id].grade == "不适用"
    page = client.get(report_url(world)).get_data(as_text=True)
    assert f'id="i{world.count.id}-actual" value="不适用"' in page


def test_the_form_counts_what_is_filled_per_project_and_in_all(client, world):
    login_as(client, world.reporter)
    client.post(
        report_url(world), data=form({world.count: {"actual": "70"}, world.quality: {"actual": "达成"}}, 0)
    )
    page = client.get(report_url(world)).get_data(as_text=True)
    assert page.count("2/3 已填") == 2  # the project's heading, and the form's total by the buttons
    assert 'id="completeness-total"' in page


def test_an_implausible_value_is_saved_but_its_submission_asks_for_a_confirmation(client, world, session):
    """370 件 against ≥120件 (over 3×): saved as a draft, submitted only once the clerk confirms."""
    login_as(client, world.reporter)
    values = {world.count: {"actual": "370"}, world.rate: {"actual": "95"}, world.quality: {"actual": "达成"}}
    response = client.post(report_url(world), data=form(values, 0, action="submit"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "370 超过指标值 120 的 3 倍：请核对单位和数值" in page and 'id="confirm-plausible"' in page
    report = _report(session, world)
    assert report.status == "draft"
    assert {a.indicator_id: a.actual for a in report.actuals}[world.count.id] == Decimal(370)

    confirmed = client.post(
        report_url(world), data=form(values, report.version, action="submit", confirm_plausible="1")
    )
    assert confirmed.status_code == 302
    session.expire_all()
    assert _report(session, world).status == "submitted"


def test_the_lamp_endpoint_returns_the_warnings_of_the_typed_value(client, world):
    login_as(client, world.reporter)
    client.post(report_url(world, month=6), data=form({world.count: {"actual": "80"}}, 0))
    result = client.post(
        report_url(world) + "/lamp", json={"indicator_id": world.count.id, "values": {"actual": "60"}}
    ).get_json()
    assert result["warnings"] == ["累计值 60 低于上月的 80：累计型指标的年度累计值不应减少"]


def test_what_a_row_prints_is_escaped_names_typed_values_and_errors(client, world, session):
    """The rows print without autoescaping (issue 13 §3, form_view escapes them): markup in a name,
    a unit, a typed value and the error quoting it arrives as text."""
    world.count.name = '<b id="x">办件</b>'
    world.count.target_unit = "<i>件</i>"
    session.commit()
    login_as(client, world.reporter)
    page = client.get(report_url(world)).get_data(as_text=True)
    assert '<b id="x">' not in page and "<i>件</i>" not in page
    assert "&lt;b id=&#34;x&#34;&gt;办件&lt;/b&gt;" in page and "&lt;i&gt;件&lt;/i&gt;" in page
    typed = '"><script>alert(1)</script>'
    response = client.post(report_url(world), data=form({world.count: {"actual": typed}}, 0))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
