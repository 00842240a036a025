"""tracker.targets — 部门, 预算单位, 项目, budgets, 绩效指标: the grammar, imports and lint."""
