"""A department's 年度履职目标 and 年度主要任务 (SPEC §6, §8)."""

from __future__ import annotations

from tracker.auth.access import can_manage_department
from tracker.targets.importers.base import OUT_OF_SCOPE, check_duplicates, departments_by_code
from tracker.targets.imports import ImportContext, register_importer
from tracker.targets.models import DepartmentGoal
from tracker.targets.schemas import GoalRowSchema
from tracker.targets.upsert import upsert


@register_importer("goals")
class GoalsImporter:
    """年度履职目标 and 年度主要任务 of one department (its file names neither year nor department:
    the caller passes ``year`` and ``department_code``)."""

    schema = GoalRowSchema

    def check(self, ctx: ImportContext) -> None:
        code = ctx.options.get("department_code")
        department = departments_by_code({code}).get(code) if code else None
        if ctx.user is not None and (
            department is None or not can_manage_department(ctx.user, department.id)
        ):
            # Another department's code reads exactly as one that does not exist.
            ctx.error(0, "", f"部门 {code} {OUT_OF_SCOPE}")
        elif department is None or ctx.options.get("year") is None:
            ctx.error(0, "", f"部门 {code} 不存在：请先导入该部门的预算或目标")
        else:
            ctx.options["department_id"] = department.id
        check_duplicates(ctx, lambda v: (v["category"], v.get("name") or ""), "name", "类别与名称")

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
