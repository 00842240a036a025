"""``flask tracker import-…`` and ``load-demo`` (SPEC §9): exit 0, or 1 with the row errors on stderr."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from tracker.targets.imports import ImportReport, run_import
from tracker.targets.tables import Limits


def _finish(report: ImportReport) -> None:
    for note in report.notes:
        click.echo(f"读取: {note}")
    for warning in report.warnings:
        click.echo(f"警告: {warning}")
    if report.ok:
        click.echo(report.summary())
        return
    for error in report.errors:
        click.echo(str(error), err=True)
    click.echo(report.summary(), err=True)
    raise SystemExit(1)


def _import_command(kind: str, help_text: str) -> click.Command:
    @click.command(f"import-{kind}", help=help_text)
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="只检查并报告，不写入。")
    def command(file: Path, dry_run: bool) -> None:
        _finish(run_import(kind, file, dry_run=dry_run, limits=Limits.from_config(current_app.config)))

    return command


import_targets = _import_command("targets", "导入绩效目标表（部门整体与项目，CSV/XLSX）。")
import_projects = _import_command("projects", "导入项目与年初预算数。")
import_department = _import_command("department", "导入部门预算总额等科目。")
import_spending = _import_command(
    "spending", "导入按月支出（支出、预算调整、三公经费支出、政府采购支出、结转结余）。"
)
import_actuals = _import_command("actuals", "导入实际完成值（截至月末累计，视为已审核）。")
import_bureaus = _import_command(
    "bureaus", "导入财政局树（财政局编码,财政局名称,上级财政局编码[,规则包][,级次]；上级为空者为根）。"
)
import_departments = _import_command(
    "departments", "导入部门及其所属财政局（部门编码,部门名称,财政局编码；财政局编码为空者属根财政局）。"
)


@click.command("move-department", help="把部门移到另一财政局（记入审计日志；此后的评价按新财政局的规则包）。")
@click.argument("department_code")
@click.argument("bureau_code")
def move_department(department_code: str, bureau_code: str) -> None:
    from sqlalchemy import select

    from tracker.budget.bureaus import BureauNotFound, bureau_by_code
    from tracker.budget.bureaus import move_department as move
    from tracker.budget.models import Department
    from tracker.extensions import db

    department = db.session.scalar(select(Department).where(Department.code == department_code))
    if department is None:
        raise click.ClickException(f"部门 {department_code} 不存在")
    try:
        bureau = bureau_by_code(bureau_code)
    except BureauNotFound:
        raise click.ClickException(f"财政局 {bureau_code} 不存在") from None
    if move(department, bureau):
        db.session.commit()
        click.echo(f"部门 {department.code} {department.name} 已移到 {bureau.code} {bureau.name}")
    else:
        click.echo(f"部门 {department.code} 已在 {bureau.code} {bureau.name}，未改变")


@click.command("import-goals", help="导入部门年度履职目标与主要任务（类别,名称,内容）。")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--year", type=int, required=True)
@click.option("--department", "department_code", required=True)
def import_goals(file: Path, year: int, department_code: str) -> None:
    limits = Limits.from_config(current_app.config)
    _finish(run_import("goals", file, year=year, department_code=department_code, limits=limits))


@click.command(
    "load-demo", help="载入焦作市政务服务和大数据管理局 2023 年数据，以及标注为“演示数据”的模拟支出和完成值。"
)
def load_demo() -> None:
    from tracker.targets.demo import load_demo as load

    for report in load():
        _finish(report)
    click.echo("演示数据已载入：部门 122，2023 年 1–12 月（支出和完成值为模拟的演示数据）。")
