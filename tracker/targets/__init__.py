"""tracker.targets — 绩效指标 and 年度履职目标: imports of the tables a department publishes, lint, the demo."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the importers of the tables a department publishes (目标表, 项目预算, 部门预算,
    支出, 履职目标): each domain registers the importers of the rows it owns."""
    import tracker.targets.import_bureaus  # noqa: F401
    import tracker.targets.importers  # noqa: F401
