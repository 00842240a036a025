"""部门整体 年度资金 (the self-assessment form's fund rows) and 全年预算数, from the engine's one rule."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from tracker.budget.money import FundLine, department_fund_lines
from tracker.rules import adjusted_budget


@pytest.mark.parametrize(
    ("initial", "adjustments", "budget"),
    [(D("100"), D("0"), D("100")), (D("100"), D("-12.5"), D("87.5")), (None, D("5"), None)],
)
def test_the_full_year_budget_is_the_initial_budget_plus_adjustments(initial, adjustments, budget):
    assert adjusted_budget(initial, adjustments) == budget


def test_spending_without_a_project_code_is_basic_expenditure_and_both_add_up_to_the_total():
    spending = {
        ("", "支出"): D("30"),
        ("", "预算调整"): D("2"),
        ("P1", "支出"): D("40"),
        ("P2", "支出"): D("5"),
        ("P1", "预算调整"): D("-10"),
        ("P1", "三公经费支出"): D("1"),
    }
    lines = {"部门预算总额": D("200"), "基本支出": D("80"), "项目支出": D("120")}

    funds = department_fund_lines(spending, lines)

    assert list(funds) == ["年度资金总额", "基本支出", "项目支出"]
    assert funds["基本支出"] == FundLine(D("80"), D("82"), D("30"))
    assert funds["项目支出"] == FundLine(D("120"), D("110"), D("45"))
    assert funds["年度资金总额"] == FundLine(D("200"), D("192"), D("75"))


def test_a_missing_budget_line_leaves_its_budget_unknown_but_counts_its_spending():
    funds = department_fund_lines({("", "支出"): D("3")}, {"部门预算总额": D("10")})

    assert funds["基本支出"] == FundLine(None, None, D("3"))
    assert funds["年度资金总额"] == FundLine(D("10"), D("10"), D("3"))
