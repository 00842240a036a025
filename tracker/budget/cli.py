"""``flask tracker rule-packs``: the rule packs this installation read, and where each is used."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.budget.packs import PackUse, pack_uses
from tracker.core.settings import evaluation_day, rule_packs
from tracker.rules.packs import RulePack


def _points(pack: RulePack) -> str:
    parts = [f"{name} {points}" for name, points in pack.category_points]
    return " · ".join([*parts, f"预算执行率 {pack.execution_points}"])


def _use(use: PackUse | None) -> str:
    if use is None:
        return "未使用"
    parts = ["安装默认（RULE_PACK）"] if use.default else []
    parts += [f"财政局 {code} {name}" for code, name in use.bureaus]
    parts.append(f"评价部门 {use.departments} 个")
    return "；".join(parts)


def _file(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


@click.command(
    "rule-packs", help="列出规则包（名称@版本、生效日期、依据）及其使用情况（哪些财政局选用、安装默认）。"
)
def rule_packs_command() -> None:
    packs, uses, today = rule_packs(), pack_uses(), evaluation_day()
    for name in packs.names():
        in_effect = packs.get(name, today)
        for pack in packs.versions[name]:
            now = "（今日适用）" if pack is in_effect and len(packs.versions[name]) > 1 else ""
            click.echo(f"{pack.label}  生效 {pack.effective.isoformat()}{now}")
            click.echo(f"  依据：{pack.regulation}")
            if pack.source:
                click.echo(f"  来源：{pack.source}")
            click.echo(f"  分值：{_points(pack)}")
            click.echo(f"  文件：{_file(packs.files.get(pack.label, ''))}")
        click.echo(f"  使用：{_use(uses.get(name))}")
    for name, use in uses.items():
        if name not in packs:
            click.echo(f"{name}  没有这个规则包的文件：{_use(use)}（这些部门的评价会失败）", err=True)
