"""tracker.targets — 部门, 预算单位, 项目, budgets, 绩效指标: the grammar, imports and lint."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tracker.cli import tracker_cli
    from tracker.targets.cli import COMMANDS

    for command in COMMANDS:
        tracker_cli.add_command(command)
