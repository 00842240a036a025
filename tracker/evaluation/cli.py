"""``flask tracker evaluate monitoring|self-assessment …`` (SPEC §9): store the results, as the
scheduled jobs do, and print one JSON document for one department."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from tracker.evaluation import service

evaluate = AppGroup("evaluate", help="绩效监控与绩效自评：计算、保存并输出结果。")


def _print(document: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False))
        return
    department = document["department"]
    click.echo(
        f"部门 {department['code']} {department.get('name', '')}  规则 {document['rule_pack']['name']}"
        f"@{document['rule_pack']['version']}"
    )
    for project in document["projects"]:
        if "total" in project:
            click.echo(f"  {project['code']} {project['name']}: {project['total']:.2f} 分 {project['grade']}")
        else:
            lamps = [i["status"] for i in project["indicators"]]
            summary = " ".join(
                f"{s}×{lamps.count(s)}" for s in ("green", "yellow", "red", "missing") if s in lamps
            )
            click.echo(
                f"  {project['code']} {project['name']}: 执行 {project['execution']:.2f}% "
                f"({project['budget_status']}) {summary}"
            )
    if department.get("total") is not None:
        click.echo(f"  部门整体: {department['total']:.2f} 分 {department['grade']}")
    elif "total" in department:
        click.echo("  部门整体: 未发布部门整体绩效目标表，不计分")


def _run(kind: str, year: int, month: int | None, department: str | None, as_json: bool) -> None:
    try:
        if kind == service.SELF_ASSESSMENT:
            document = service.run_self_assessment(year, department)
        else:
            document = service.run_monitoring(year, month or 0, department)
    except service.AmbiguousDepartment as exc:
        if as_json:
            raise click.UsageError(str(exc)) from exc
        summary = service.evaluate_all(kind, year, month)
        click.echo(
            f"已计算并保存 {summary.departments} 个部门、{summary.projects} 个项目、"
            f"{summary.indicators} 个指标。"
        )
        return
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    _print(document, as_json)


@evaluate.command("monitoring", help="绩效运行监控（双监控）：截至某月。")
@click.option("--year", type=int, required=True)
@click.option("--month", type=click.IntRange(1, 12), required=True)
@click.option("--department", help="部门编码；该年度只有一个部门时可省略。")
@click.option("--json", "as_json", is_flag=True, help="输出 SPEC §9 的 JSON 文档。")
def monitoring(year: int, month: int, department: str | None, as_json: bool) -> None:
    _run(service.MONITORING, year, month, department, as_json)


@evaluate.command("self-assessment", help="绩效自评：全年（读取 12 月报告与全年支出）。")
@click.option("--year", type=int, required=True)
@click.option("--department", help="部门编码；该年度只有一个部门时可省略。")
@click.option("--json", "as_json", is_flag=True, help="输出 SPEC §9 的 JSON 文档。")
def self_assessment(year: int, department: str | None, as_json: bool) -> None:
    _run(service.SELF_ASSESSMENT, year, None, department, as_json)
