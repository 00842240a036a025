"""tracker.budget — the budget the targets come with: 部门, 预算单位, 项目, budget lines and spending,
and the one reading of money (:mod:`tracker.budget.money`)."""
