"""项目 and their 年初预算数 (SPEC §8)."""

from __future__ import annotations

from tracker.budget.models import PROJECT_KINDS, Project
from tracker.core.audit import record_many
from tracker.targets.importers.base import (
    audit_changes,
    check_department_scope,
    check_duplicates,
    check_foreign_projects,
    check_unit_department,
    department_admins_only,
    ensure_departments,
    ensure_units,
    projects_named,
    run_lint,
    units_by_code,
)
from tracker.targets.imports import ImportContext, register_importer
from tracker.targets.schemas import ProjectRowSchema
from tracker.targets.upsert import upsert


@register_importer("projects")
class ProjectsImporter:
    """项目 and their 年初预算数 (SPEC §8)."""

    schema = ProjectRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not department_admins_only(ctx, "项目预算"):
            return
        check_department_scope(ctx)
        check_unit_department(ctx, units_by_code({r.values["unit_code"] for r in ctx.rows}))
        check_foreign_projects(ctx, projects_named(ctx))
        check_duplicates(ctx, lambda v: (v["year"], v["project_code"]), "project_code", "项目编码")

    def write(self, ctx: ImportContext) -> None:
        rows = [r.values for r in ctx.rows]
        department_ids = ensure_departments({r["department_code"]: None for r in rows})
        unit_ids = ensure_units(
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
        record_many(audit_changes(ctx, "project", plan, existing, department_ids, fields), user=ctx.user)
        run_lint(ctx, set(department_ids.values()), {r["year"] for r in rows})
