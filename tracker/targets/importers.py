"""Importers of this domain's files (SPEC §8): targets, projects and budgets, department totals,
spending, department goals. Each checks references in bulk, then upserts on natural keys."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from tracker.auth.access import can_manage_department, writable_projects
from tracker.budget.models import (
    PROJECT_KINDS,
    Department,
    DepartmentBudgetLine,
    Project,
    SpendingEntry,
    Unit,
)
from tracker.core.audit import record_many
from tracker.extensions import db
from tracker.rules.grammar import parse_target
from tracker.rules.modes import METRIC_MODES, computed_metric_for, infer_mode
from tracker.targets import lint
from tracker.targets.imports import ImportContext, register_importer
from tracker.targets.models import DepartmentGoal, Indicator
from tracker.targets.schemas import (
    DepartmentLineRowSchema,
    GoalRowSchema,
    ProjectRowSchema,
    SpendingRowSchema,
    TargetRowSchema,
)
from tracker.targets.upsert import apply, existing_rows, ids_by_key, plan_upsert, upsert

_OUT_OF_SCOPE = "不存在或不在您的管理范围内"
#: A code a user's file may not use because another department holds it; it names no owner (SPEC §1).
_UNUSABLE = "已被使用或不可用"


def _departments_by_code(codes: set[str]) -> dict[str, Department]:
    if not codes:
        return {}
    return {d.code: d for d in db.session.scalars(select(Department).where(Department.code.in_(codes)))}


def _units_by_code(codes: set[str]) -> dict[str, tuple[int, int, str]]:
    """unit code → (unit id, department id, department code)."""
    if not codes:
        return {}
    rows = db.session.execute(
        select(Unit.code, Unit.id, Unit.department_id, Department.code)
        .join(Department, Unit.department_id == Department.id)
        .where(Unit.code.in_(codes))
    )
    return {code: (uid, did, dcode) for code, uid, did, dcode in rows}


def _check_department_scope(ctx: ImportContext) -> dict[str, Department]:
    """Rows of departments the user may not manage are errors; the command line may do anything."""
    existing = _departments_by_code({row.values["department_code"] for row in ctx.rows})
    if ctx.user is None:
        return existing
    for row in ctx.rows:
        department = existing.get(row.values["department_code"])
        if department is None or not can_manage_department(ctx.user, department.id):
            ctx.error(
                row.line, "department_code", f"部门编码 {row.values['department_code']} {_OUT_OF_SCOPE}"
            )
    return existing


def _check_unit_department(ctx: ImportContext, units: dict[str, tuple[int, int, str]]) -> None:
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
                ctx.error(row.line, "unit_code", f"单位编码 {code} {_UNUSABLE}")
            else:
                ctx.error(
                    row.line, "unit_code", f"单位 {code} 属于部门 {units[code][2]}，不是 {department_code}"
                )
        elif code in seen and seen[code][0] != department_code:
            ctx.error(row.line, "unit_code", f"单位 {code} 在第 {seen[code][1]} 行属于部门 {seen[code][0]}")
        seen.setdefault(code, (department_code, row.line))


def _check_duplicates(ctx: ImportContext, key: Any, column: str, what: str) -> None:
    first: dict[Any, int] = {}
    for row in ctx.rows:
        k = key(row.values)
        if k in first:
            ctx.error(row.line, column, f"{what}与第 {first[k]} 行重复")
        else:
            first[k] = row.line


def _ensure_departments(names: dict[str, str | None]) -> dict[str, int]:
    """Create missing departments (named by code until a target table names them); rename those
    whose name the file gives."""
    existing = existing_rows(Department, ["code"], ["name"], Department.code.in_(names))
    rows = [{"code": code, "name": name or code} for code, name in names.items()]
    named = [r for r in rows if names[r["code"]] or (r["code"],) not in existing]
    apply(Department, plan_upsert(named, ["code"], existing, ["name"]))
    return {code: did for (code,), did in ids_by_key(Department, ["code"], [(c,) for c in names]).items()}


def _ensure_units(units: dict[str, tuple[str, str | None]], department_ids: dict[str, int]) -> dict[str, int]:
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


def _department_admins_only(ctx: ImportContext, what: str) -> bool:
    """Budgets and targets are the department's own (SPEC §1): its admin imports them, or the CLI."""
    if ctx.user is not None and ctx.user.role != "department":
        ctx.error(0, "", f"只有部门管理员可以导入{what}")
        return False
    return True


def _audit_changes(
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


def _projects_named(ctx: ImportContext) -> dict[int, dict[str, tuple[int, int]]]:
    """year → {project code → (project id, unit id)} of the existing projects the rows name."""
    by_year: dict[int, set[str]] = defaultdict(set)
    for row in ctx.rows:
        if row.values.get("project_code"):
            by_year[row.values["year"]].add(row.values["project_code"])
    return {year: _project_ids(year, codes) for year, codes in by_year.items()}


def _check_foreign_projects(
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
            ctx.error(row.line, "project_code", f"项目编码 {key[1]} {_UNUSABLE}")
    return foreign


def _run_lint(ctx: ImportContext, department_ids: set[int], years: set[int]) -> None:
    for year in sorted(years):
        ctx.report.warnings.extend(lint.lint_departments(year, department_ids))


@register_importer("targets")
class TargetsImporter:
    """部门整体 and 项目 绩效目标表 (SPEC §3, §8)."""

    schema = TargetRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not _department_admins_only(ctx, "绩效目标表"):
            return
        _check_department_scope(ctx)
        units = _units_by_code({r.values["unit_code"] for r in ctx.rows if r.values.get("unit_code")})
        _check_unit_department(ctx, units)
        unit_codes = {uid: code for code, (uid, _, _) in units.items()}
        named = _projects_named(ctx)
        foreign = _check_foreign_projects(ctx, named)
        for year, existing in named.items():
            for row in ctx.rows:
                code = row.values.get("project_code")
                if row.values["year"] == year and code in existing and (year, code) not in foreign:
                    owner = unit_codes.get(existing[code][1])
                    if owner != row.values["unit_code"]:
                        ctx.error(
                            row.line,
                            "unit_code",
                            f"项目 {code} 已属于另一个单位，不能改到 {row.values['unit_code']}",
                        )

    def write(self, ctx: ImportContext) -> None:
        rows = [r.values for r in ctx.rows]
        department_ids = _ensure_departments({r["department_code"]: r["department_name"] for r in rows})
        unit_ids = _ensure_units(
            {r["unit_code"]: (r["department_code"], r.get("unit_name")) for r in rows if r.get("unit_code")},
            department_ids,
        )
        project_ids = self._write_projects(rows, department_ids, unit_ids)
        self._write_indicators(ctx, department_ids, project_ids)
        _run_lint(ctx, set(department_ids.values()), {r["year"] for r in rows})

    def _write_projects(
        self, rows: list[dict], department_ids: dict[str, int], unit_ids: dict[str, int]
    ) -> dict[tuple[int, str], int]:
        projects: dict[tuple[int, str], dict[str, Any]] = {}
        for r in rows:
            if r.get("project_code"):
                projects.setdefault(
                    (r["year"], r["project_code"]),
                    {
                        "year": r["year"],
                        "code": r["project_code"],
                        "name": r["project_name"],
                        "kind": PROJECT_KINDS[r["project_kind"]],
                        "department_id": department_ids[r["department_code"]],
                        "unit_id": unit_ids[r["unit_code"]],
                        "target_table_amount": r.get("project_amount"),
                    },
                )
        if not projects:
            return {}
        years = {year for year, _ in projects}
        existing = existing_rows(
            Project,
            ["year", "code"],
            ["name", "kind", "target_table_amount"],
            Project.year.in_(years) & Project.code.in_({code for _, code in projects}),
        )
        plan = plan_upsert(
            projects.values(), ["year", "code"], existing, ["name", "kind", "target_table_amount"]
        )
        # A project first seen in a target table takes its 项目金额 as budget until the budget file
        # (年初预算数) arrives; lint flags any difference.
        for row in plan.inserts:
            row["initial_budget"] = row["target_table_amount"] or 0
        apply(Project, plan)
        return ids_by_key(Project, ["year", "code"], projects.keys())

    def _write_indicators(
        self, ctx: ImportContext, department_ids: dict[str, int], project_ids: dict[tuple[int, str], int]
    ) -> None:
        incoming = []
        line_of: dict[tuple, int] = {}
        occurrences: dict[tuple, int] = defaultdict(int)
        positions: dict[tuple, int] = defaultdict(int)
        for parsed in ctx.rows:
            r = parsed.values
            scope = r.get("project_code") or ""
            department_id = department_ids[r["department_code"]]
            scope_key = (r["year"], department_id, scope)
            occurrences[(*scope_key, r["name"])] += 1
            positions[scope_key] += 1
            row = self._indicator_row(r, department_id, scope, project_ids)
            row["occurrence"] = occurrences[(*scope_key, r["name"])]
            row["position"] = positions[scope_key]
            incoming.append(row)
            line_of[(r["year"], department_id, scope, r["name"], row["occurrence"])] = parsed.line
        key = ["year", "department_id", "scope_code", "name", "occurrence"]
        compared = [c for c in incoming[0] if c not in key]
        years = {r["year"] for r in incoming}
        plan, existing = upsert(
            Indicator,
            incoming,
            key,
            compared,
            Indicator.year.in_(years) & Indicator.department_id.in_(set(department_ids.values())),
        )
        ctx.tally(plan)
        self._audit(ctx, plan, existing, department_ids)
        scopes = {(r["year"], r["department_id"], r["scope_code"]) for r in incoming}
        left_out = [k for k in existing if (k[0], k[1], k[2]) in scopes and k not in line_of]
        for year, _, scope, name, _ in left_out:
            where = f"项目 {scope}" if scope else "部门整体"
            ctx.report.warnings.append(f"{year} 年{where}的指标“{name}”不在本文件中，已保留未删除")

    @staticmethod
    def _indicator_row(
        r: dict[str, Any], department_id: int, scope: str, project_ids: dict[tuple[int, str], int]
    ) -> dict[str, Any]:
        target = parse_target(r["target"], r["level1"], r.get("level2") or "")
        metric = None if scope else computed_metric_for(r["name"])
        mode = (
            METRIC_MODES[metric]
            if metric
            else infer_mode(target.comparator, target.unit, r["level1"], r.get("level2") or "")
        )
        return {
            "year": r["year"],
            "department_id": department_id,
            "scope_code": scope,
            "name": r["name"],
            "project_id": project_ids[(r["year"], scope)] if scope else None,
            "level1": r["level1"],
            "level2": r.get("level2") or "",
            "target": r["target"],
            "note": r.get("note"),
            "weight": r.get("weight"),
            "comparator": target.comparator.value,
            "target_low": target.low,
            "target_high": target.high,
            "target_unit": target.unit,
            "target_text": target.text,
            "mode": mode.value,
            "computed_metric": metric,
        }

    @staticmethod
    def _audit(ctx: ImportContext, plan: Any, existing: dict, department_ids: dict[str, int]) -> None:
        codes = {did: code for code, did in department_ids.items()}
        entries: list[dict[str, Any]] = [
            {
                "action": "import",
                "entity": "indicator",
                "field": "target",
                "new": row["target"],
                "department_code": codes[row["department_id"]],
                "year": row["year"],
            }
            for row in plan.inserts
        ]
        fields = ("level1", "level2", "target", "note", "weight", "name")
        entries.extend(_audit_changes(ctx, "indicator", plan, existing, department_ids, fields))
        record_many(entries, user=ctx.user)


@register_importer("projects")
class ProjectsImporter:
    """项目 and their 年初预算数 (SPEC §8)."""

    schema = ProjectRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not _department_admins_only(ctx, "项目预算"):
            return
        _check_department_scope(ctx)
        _check_unit_department(ctx, _units_by_code({r.values["unit_code"] for r in ctx.rows}))
        _check_foreign_projects(ctx, _projects_named(ctx))
        _check_duplicates(ctx, lambda v: (v["year"], v["project_code"]), "project_code", "项目编码")

    def write(self, ctx: ImportContext) -> None:
        rows = [r.values for r in ctx.rows]
        department_ids = _ensure_departments({r["department_code"]: None for r in rows})
        unit_ids = _ensure_units(
            {r["unit_code"]: (r["department_code"], r["unit_name"]) for r in rows}, department_ids
        )
        incoming = [
            {
                "year": r["year"],
                "code": r["project_code"],
                "name": r["project_name"],
                "kind": PROJECT_KINDS[r["project_kind"]],
                "department_id": department_ids[r["department_code"]],
                "unit_id": unit_ids[r["unit_code"]],
                "initial_budget": r["initial_budget"],
                "general_budget": r.get("general_budget"),
            }
            for r in rows
        ]
        compared = ["name", "kind", "department_id", "unit_id", "initial_budget", "general_budget"]
        plan, existing = upsert(
            Project,
            incoming,
            ["year", "code"],
            compared,
            Project.year.in_({r["year"] for r in rows}) & Project.code.in_({r["code"] for r in incoming}),
        )
        ctx.tally(plan)
        fields = ("initial_budget", "general_budget", "name")
        record_many(_audit_changes(ctx, "project", plan, existing, department_ids, fields), user=ctx.user)
        _run_lint(ctx, set(department_ids.values()), {r["year"] for r in rows})


@register_importer("department")
class DepartmentLinesImporter:
    """Department totals: 部门预算总额, 基本支出, 项目支出, “三公”经费预算, 政府采购预算 …"""

    schema = DepartmentLineRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not _department_admins_only(ctx, "部门预算"):
            return
        _check_department_scope(ctx)
        _check_duplicates(ctx, lambda v: (v["year"], v["department_code"], v["subject"]), "subject", "科目")

    def write(self, ctx: ImportContext) -> None:
        rows = [r.values for r in ctx.rows]
        department_ids = _ensure_departments({r["department_code"]: None for r in rows})
        incoming = [
            {
                "year": r["year"],
                "department_id": department_ids[r["department_code"]],
                "subject": r["subject"],
                "amount": r["amount"],
            }
            for r in rows
        ]
        key = ["year", "department_id", "subject"]
        plan, existing = upsert(
            DepartmentBudgetLine,
            incoming,
            key,
            ["amount"],
            DepartmentBudgetLine.department_id.in_(set(department_ids.values())),
        )
        ctx.tally(plan)


@register_importer("spending")
class SpendingImporter:
    """Monthly spending by 类别 (SPEC §7, §8): one month's amount, never cumulative."""

    schema = SpendingRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not _department_admins_only(ctx, "支出数据"):
            return
        units = _units_by_code({r.values["unit_code"] for r in ctx.rows})
        # Another department's unit reads as one that does not exist, here and for its projects.
        units = {
            code: unit
            for code, unit in units.items()
            if ctx.user is None or can_manage_department(ctx.user, unit[1])
        }
        for row in ctx.rows:
            if row.values["unit_code"] not in units:
                ctx.error(row.line, "unit_code", f"单位编码 {row.values['unit_code']} {_OUT_OF_SCOPE}")
        self._check_projects(ctx, units)
        _check_duplicates(
            ctx,
            lambda v: (v["year"], v["month"], v["unit_code"], v.get("project_code") or "", v["category"]),
            "category",
            "同一单位、项目、月份和类别",
        )

    @staticmethod
    def _check_projects(ctx: ImportContext, units: dict[str, tuple[int, int, str]]) -> None:
        projects = _projects_named(ctx)
        ctx.options["projects"] = projects
        # Another department's project reads as one that does not exist.
        writable = writable_projects(ctx.user, {(y, c) for y, codes in projects.items() for c in codes})
        for row in ctx.rows:
            code = row.values.get("project_code")
            if not code:
                continue
            year = row.values["year"]
            found = projects[year].get(code) if (year, code) in writable else None
            unit = units.get(row.values["unit_code"])
            if found is None:
                ctx.error(row.line, "project_code", f"{row.values['year']} 年没有项目 {code}")
            elif unit is not None and found[1] != unit[0]:
                ctx.error(row.line, "project_code", f"项目 {code} 不属于单位 {row.values['unit_code']}")

    def write(self, ctx: ImportContext) -> None:
        units = _units_by_code({r.values["unit_code"] for r in ctx.rows})
        projects = ctx.options["projects"]
        incoming = []
        for parsed in ctx.rows:
            r = parsed.values
            code = r.get("project_code") or ""
            unit_id, department_id, _ = units[r["unit_code"]]
            incoming.append(
                {
                    "year": r["year"],
                    "month": r["month"],
                    "unit_id": unit_id,
                    "department_id": department_id,
                    "project_code": code,
                    "project_id": projects[r["year"]][code][0] if code else None,
                    "category": r["category"],
                    "amount": r["amount"],
                    "synthetic": ctx.synthetic,
                }
            )
        key = ["year", "month", "unit_id", "project_code", "category"]
        plan, existing = upsert(
            SpendingEntry,
            incoming,
            key,
            ["amount", "synthetic"],
            SpendingEntry.unit_id.in_({r["unit_id"] for r in incoming})
            & SpendingEntry.year.in_({r["year"] for r in incoming}),
        )
        ctx.tally(plan)


@register_importer("goals")
class GoalsImporter:
    """年度履职目标 and 年度主要任务 of one department (its file names neither year nor department:
    the caller passes ``year`` and ``department_code``)."""

    schema = GoalRowSchema

    def check(self, ctx: ImportContext) -> None:
        code = ctx.options.get("department_code")
        department = _departments_by_code({code}).get(code) if code else None
        if ctx.user is not None and (
            department is None or not can_manage_department(ctx.user, department.id)
        ):
            # Another department's code reads exactly as one that does not exist.
            ctx.error(0, "", f"部门 {code} {_OUT_OF_SCOPE}")
        elif department is None or ctx.options.get("year") is None:
            ctx.error(0, "", f"部门 {code} 不存在：请先导入该部门的预算或目标")
        else:
            ctx.options["department_id"] = department.id
        _check_duplicates(ctx, lambda v: (v["category"], v.get("name") or ""), "name", "类别与名称")

    def write(self, ctx: ImportContext) -> None:
        year, department_id = ctx.options["year"], ctx.options["department_id"]
        incoming = [
            {
                "year": year,
                "department_id": department_id,
                "category": r.values["category"],
                "name": r.values.get("name") or "",
                "content": r.values["content"],
            }
            for r in ctx.rows
        ]
        key = ["year", "department_id", "category", "name"]
        plan, existing = upsert(
            DepartmentGoal,
            incoming,
            key,
            ["content"],
            (DepartmentGoal.year == year) & (DepartmentGoal.department_id == department_id),
        )
        ctx.tally(plan)
