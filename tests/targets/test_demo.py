"""``load-demo``: the real 焦作 data plus labelled synthetic spending and actuals."""

from __future__ import annotations

from sqlalchemy import func, select

from tracker.budget.models import Project, SpendingEntry
from tracker.extensions import db
from tracker.reporting.models import MonthlyReport
from tracker.targets.models import DepartmentGoal, Indicator


def _load(cli):
    result = cli.invoke(args=["tracker", "load-demo"])
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result


def test_demo_loads_the_real_data_and_labelled_synthetic_months(cli):
    result = _load(cli)
    assert "模拟的演示数据" in result.output
    # 焦作's 88 indicators of 10 projects, and the synthetic county department's 5 of 1 (SPEC §1a).
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == 88 + 5
    assert db.session.scalar(select(func.count()).select_from(Project)) == 10 + 1
    assert db.session.scalar(select(func.count()).select_from(DepartmentGoal)) == 5
    assert db.session.scalar(select(func.count()).where(SpendingEntry.synthetic.is_(False))) == 0
    months = set(db.session.scalars(select(MonthlyReport.month)))
    assert months == set(range(1, 13))
    assert all(r.synthetic and r.status == "approved" for r in db.session.scalars(select(MonthlyReport)))


def test_demo_leaves_the_reports_the_story_needs_missing(cli):
    _load(cli)
    scopes = set(db.session.execute(select(MonthlyReport.scope_key, MonthlyReport.month)).all())
    assert ("unit:122201", 7) not in scopes and ("unit:122201", 8) in scopes
    assert ("unit:122301", 10) not in scopes and ("unit:122301", 9) in scopes
    assert ("department:122", 10) in scopes


def test_demo_overruns_one_cost_cap_after_a_budget_adjustment(cli):
    _load(cli)
    adjustment = db.session.scalar(select(SpendingEntry).where(SpendingEntry.category == "预算调整"))
    assert (adjustment.project_code, adjustment.month) == ("41080022000000085206", 5)
    spent = db.session.scalar(
        select(func.sum(SpendingEntry.amount)).where(
            SpendingEntry.project_code == "41080022000000085206", SpendingEntry.category == "支出"
        )
    )
    assert spent > 10


def test_loading_the_demo_twice_changes_nothing(cli):
    _load(cli)
    again = _load(cli)
    assert "新增 0，更新 0" in again.output
    assert "新增 1" not in again.output
