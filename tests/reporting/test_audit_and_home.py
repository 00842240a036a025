"""The audit log (who, when, field, old, new) and the home pages per role (issue 3 §5, §6)."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import login_as
from tracker.core.audit import AuditEntry
from tracker.reporting import review, writing


def _values(world, count="70"):
    return {
        world.count.id: {"actual": count},
        world.rate.id: {"actual": "95"},
        world.quality.id: {"actual": "达成"},
    }


def test_a_changed_actual_is_audited_with_old_and_new_values(world, session):
    report = writing.save_report(world.reporter, world.unit.code, 2023, 7, _values(world, "60"), 0)
    writing.save_report(
        world.department_user, world.unit.code, 2023, 7, {world.count.id: {"actual": "65.5"}}, report.version
    )
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.field == "办件数量·actual").order_by(AuditEntry.id)
    ).all()[-1]
    assert (entry.username, entry.old_value, entry.new_value) == ("d801", "60", "65.5")
    assert (entry.unit_code, entry.department_code, entry.year, entry.month) == ("801001", "801", 2023, 7)


def test_an_unchanged_value_is_not_audited_again(world, session):
    report = writing.save_report(world.reporter, world.unit.code, 2023, 7, _values(world), 0)
    before = session.query(AuditEntry).count()
    writing.save_report(world.reporter, world.unit.code, 2023, 7, _values(world), report.version)
    assert session.query(AuditEntry).count() == before


def test_status_changes_are_audited(world, session):
    report = writing.submit_report(world.reporter, world.unit.code, 2023, 7, 0, _values(world))
    review.return_report(world.department_user, world.unit.code, 2023, 7, report.version, "请补充说明")
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "monthly_report").order_by(AuditEntry.id)
    ).all()
    changes = [(r.action, r.field, r.old_value, r.new_value) for r in rows]
    assert ("submit", "status", "draft", "submitted") in changes
    assert ("status", "status", "submitted", "draft") in changes
    assert ("return", "return_reason", None, "请补充说明") in changes


def test_the_audit_page_filters_by_unit_and_month(client, world):
    writing.save_report(world.reporter, world.unit.code, 2023, 7, {world.count.id: {"actual": "11"}}, 0)
    writing.save_report(world.sibling_reporter, world.sibling.code, 2023, 6, {}, 0)
    writing.save_report(world.reporter, world.unit.code, 2023, 5, {world.count.id: {"actual": "22"}}, 0)
    login_as(client, world.department_user)
    page = client.get(f"/audit?unit={world.unit.code}&year=2023&month=7").get_data(as_text=True)
    assert "办件数量·实际完成值" in page and ">11<" in page
    assert ">22<" not in page and world.sibling.code not in page.split('id="audit"')[1]


def test_the_audit_page_names_actions_fields_and_statuses_in_the_readers_language(client, world):
    """Issue 11 §5: no stored code (``update``, ``monthly_report``, ``draft``) reaches the page."""
    writing.save_report(world.reporter, world.unit.code, 2023, 7, {world.count.id: {"actual": "11"}}, 0)
    login_as(client, world.department_user)
    rows = client.get("/audit?year=2023&month=7").get_data(as_text=True).split("<tbody>")[1]
    assert "<td>修改</td><td>实际完成值</td>" in rows and "<td>新建</td><td>月报</td>" in rows
    assert "<td>状态</td><td></td><td>草稿</td>" in rows
    for code in ("update", "create", "indicator_actual", "monthly_report", ">draft<", "·actual"):
        assert code not in rows
    client.get("/lang/en")
    rows = client.get("/audit?year=2023&month=7").get_data(as_text=True).split("<tbody>")[1]
    assert "<td>Change</td><td>Actual</td>" in rows and "<td>Create</td><td>Monthly report</td>" in rows
    assert "<td>Status</td><td></td><td>Draft</td>" in rows and "办件数量·Actual" in rows


def test_a_department_sees_only_its_own_audit_entries(client, world):
    writing.save_report(
        world.foreign_reporter,
        world.foreign_unit.code,
        2023,
        7,
        {world.foreign_project.indicators[0].id: {"actual": "3"}},
        0,
    )
    writing.save_report(world.reporter, world.unit.code, 2023, 7, {world.count.id: {"actual": "11"}}, 0)
    login_as(client, world.department_user)
    table = client.get("/audit").get_data(as_text=True).split('id="audit"')[1]
    assert "外部指标" not in table and "办件数量" in table
    login_as(client, world.finance)
    table = client.get("/audit").get_data(as_text=True).split('id="audit"')[1]
    assert "外部指标" in table and "办件数量" in table


def test_the_reporter_home_lists_the_units_twelve_months_with_status(client, world):
    writing.submit_report(world.reporter, world.unit.code, 2023, 3, 0, _values(world))
    writing.save_report(world.reporter, world.unit.code, 2023, 4, {world.count.id: {"actual": "1"}}, 0)
    login_as(client, world.reporter)
    page = client.get("/?year=2023").get_data(as_text=True)
    assert page.count("<tr class=") == 12
    march = page[page.index('data-month="3"') :]
    april = page[page.index('data-month="4"') :]
    assert "已提交" in march[: march.index("</tr>")]
    assert "草稿" in april[: april.index("</tr>")]
    assert "窗口服务" in page


def test_the_department_home_shows_which_units_submitted_which_months(client, world):
    writing.submit_report(world.reporter, world.unit.code, 2023, 3, 0, _values(world))
    login_as(client, world.department_user)
    page = client.get("/?year=2023").get_data(as_text=True)
    matrix = page[page.index('id="completeness"') :]
    unit_row = matrix[matrix.index(f'data-scope="{world.unit.code}"') :]
    unit_row = unit_row[: unit_row.index("</tr>")]
    assert unit_row.count("已提交") == 1 and "1/12" in unit_row
    assert f'data-scope="{world.sibling.code}"' in matrix and 'data-scope="department"' in matrix
    assert world.foreign_unit.code not in matrix


def test_finance_picks_the_department_on_its_home(client, world):
    login_as(client, world.finance)
    page = client.get(f"/?year=2023&department={world.other_department.code}").get_data(as_text=True)
    assert f'data-scope="{world.foreign_unit.code}"' in page and f'data-scope="{world.unit.code}"' not in page


def test_the_project_page_shows_targets_and_the_history_of_actuals(client, world):
    writing.save_report(world.reporter, world.unit.code, 2023, 2, {world.count.id: {"actual": "18"}}, 0)
    writing.save_report(world.reporter, world.unit.code, 2023, 3, {world.count.id: {"actual": "1234.5"}}, 0)
    login_as(client, world.reporter)
    page = client.get(f"/projects/2023/{world.project.code}").get_data(as_text=True)
    assert "≥120件" in page and ">18<" in page and "1,234.5" in page
