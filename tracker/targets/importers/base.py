"""What the importers of this domain share (SPEC §1, §8): references looked up in bulk, the checks
that keep a department's rows its own, departments and units made or renamed, audit entries of the
changed fields, lint after the write."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from tracker.auth.access import can_import_department_tables, can_manage_department, writable_projects
from tracker.budget.models import Department, Project, Unit
from tracker.extensions import db
from tracker.targets import lint
from tracker.targets.imports import ImportContext
from tracker.targets.upsert import apply, existing_rows, ids_by_key, plan_upsert

OUT_OF_SCOPE = "不存在或不在您的管理范围内"
#: A code a user's file may not use because another department holds it; it names no owner (SPEC §1).
UNUSABLE = "已被使用或不可用"


def departments_by_code(codes: set[str]) -> dict[str, Department]:
    if not codes:
        return {}
    return {d.code: d for d in db.session.scalars(select(Department).where(Department.code.in_(codes)))}


def units_by_code(codes: set[str]) -> dict[str, tuple[int, int, str]]:
    """unit code → (unit id, department id, department code)."""
    if not codes:
        return {}
    rows = db.session.execute(
        select(Unit.code, Unit.id, Unit.department_id, Department.code)
        .join(Department, Unit.department_id == Department.id)
        .where(Unit.code.in_(codes))
    )
    return {code: (uid, did, dcode) for code, uid, did, dcode in rows}


def check_department_scope(ctx: ImportContext) -> dict[str, Department]:
    """Rows of departments the user may not manage are errors; the command line may do anything."""
    existing = departments_by_code({row.values["department_code"] for row in ctx.rows})
    if ctx.user is None:
        return existing
    for row in ctx.rows:
        department = existing.get(row.values["department_code"])
        if department is None or not can_manage_department(ctx.user, department.id):
            ctx.error(row.line, "department_code", f"部门编码 {row.values['department_code']} {OUT_OF_SCOPE}")
    return existing


def check_unit_department(ctx: ImportContext, units: dict[str, tuple[int, int, str]]) -> None:
    """A unit belongs to one department, in the database and across the file. A user is not told
    which department holds a code that is not theirs."""
    seen: dict[str, tuple[str, int]] = {}
    for row in ctx.rows:
        code = row.values.get("unit_code")
        if not code:
            continue
        department_code = row.values["department_code"]
        if code in units and units[code][2] != department_code:
            if ctx.user is not None:
                ctx.error(row.line, "unit_code", f"单位编码 {code} {UNUSABLE}")
            else:
                ctx.error(
                    row.line, "unit_code", f"单位 {code} 属于部门 {units[code][2]}，不是 {department_code}"
                )
        elif code in seen and seen[code][0] != department_code:
            ctx.error(row.line, "unit_code", f"单位 {code} 在第 {seen[code][1]} 行属于部门 {seen[code][0]}")
        seen.setdefault(code, (department_code, row.line))


def check_duplicates(ctx: ImportContext, key: Any, column: str, what: str) -> None:
    first: dict[Any, int] = {}
    for row in ctx.rows:
        k = key(row.values)
        if k in first:
            ctx.error(row.line, column, f"{what}与第 {first[k]} 行重复")
        else:
            first[k] = row.line


def ensure_departments(names: dict[str, str | None]) -> dict[str, int]:
    """Create missing departments (named by code until a target table names them); rename those
    whose name the file gives."""
    existing = existing_rows(Department, ["code"], ["name"], Department.code.in_(names))
    rows = [{"code": code, "name": name or code} for code, name in names.items()]
    named = [r for r in rows if names[r["code"]] or (r["code"],) not in existing]
    apply(Department, plan_upsert(named, ["code"], existing, ["name"]))
    return {code: did for (code,), did in ids_by_key(Department, ["code"], [(c,) for c in names]).items()}


def ensure_units(units: dict[str, tuple[str, str | None]], department_ids: dict[str, int]) -> dict[str, int]:
    """``units``: code → (department code, name or None)."""
    existing = existing_rows(Unit, ["code"], ["name", "department_id"], Unit.code.in_(units))
    rows = []
    for code, (department_code, name) in units.items():
        row: dict[str, Any] = {"code": code, "department_id": department_ids[department_code]}
        if name or (code,) not in existing:
            row["name"] = name or code
        rows.append(row)
    apply(Unit, plan_upsert(rows, ["code"], existing, ["name", "department_id"]))
    return {code: uid for (code,), uid in ids_by_key(Unit, ["code"], [(c,) for c in units]).items()}


def _project_ids(year: int, codes: set[str]) -> dict[str, tuple[int, int]]:
    """project code → (project id, unit id) for ``year``."""
    if not codes:
        return {}
    rows = db.session.execute(
        select(Project.code, Project.id, Project.unit_id).where(Project.year == year, Project.code.in_(codes))
    )
    return {code: (pid, uid) for code, pid, uid in rows}


def department_admins_only(ctx: ImportContext, what: str) -> bool:
    """Budgets and targets are the department's own (SPEC §1): its admin imports them, or the CLI."""
    if not can_import_department_tables(ctx.user):
        ctx.error(0, "", f"只有部门管理员可以导入{what}")
        return False
    return True


def audit_changes(
    ctx: ImportContext,
    entity: str,
    plan: Any,
    existing: dict,
    department_ids: dict[str, int],
    fields: tuple[str, ...],
) -> list[dict[str, Any]]:
    """Audit entries for the changed ``fields`` of rows the plan updates."""
    codes = {did: code for code, did in department_ids.items()}
    by_id = {row["id"]: row for row in existing.values()}
    return [
        {
            "action": "import",
            "entity": entity,
            "entity_id": row_id,
            "field": field,
            "old": old,
            "new": new,
            "department_code": codes.get(by_id[row_id]["department_id"]),
            "year": by_id[row_id]["year"],
        }
        for row_id, field, old, new in plan.changes
        if field in fields
    ]


def projects_named(ctx: ImportContext) -> dict[int, dict[str, tuple[int, int]]]:
    """year → {project code → (project id, unit id)} of the existing projects the rows name."""
    by_year: dict[int, set[str]] = defaultdict(set)
    for row in ctx.rows:
        if row.values.get("project_code"):
            by_year[row.values["year"]].add(row.values["project_code"])
    return {year: _project_ids(year, codes) for year, codes in by_year.items()}


def check_foreign_projects(
    ctx: ImportContext, named: dict[int, dict[str, tuple[int, int]]]
) -> set[tuple[int, str]]:
    """Rows of a user naming an existing project it may not write (another department's) are
    errors, with one message whoever owns it; returns those (年度, 项目编码). The command line may
    name any project."""
    if ctx.user is None:
        return set()
    existing = {(year, code) for year, codes in named.items() for code in codes}
    foreign = existing - writable_projects(ctx.user, existing)
    for row in ctx.rows:
        key = (row.values["year"], row.values.get("project_code"))
        if key in foreign:
            ctx.error(row.line, "project_code", f"项目编码 {key[1]} {UNUSABLE}")
    return foreign


def run_lint(ctx: ImportContext, department_ids: set[int], years: set[int]) -> None:
    for year in sorted(years):
        ctx.report.warnings.extend(lint.lint_departments(year, department_ids))
