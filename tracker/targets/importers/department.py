"""A department's budget lines: 部门预算总额, 基本支出, 项目支出, “三公”经费预算, 政府采购预算 … (SPEC §7, §8)."""

from __future__ import annotations

from tracker.budget.models import DepartmentBudgetLine
from tracker.targets.importers.base import (
    check_department_scope,
    check_duplicates,
    department_admins_only,
    ensure_departments,
)
from tracker.targets.imports import ImportContext, register_importer
from tracker.targets.schemas import DepartmentLineRowSchema
from tracker.targets.upsert import upsert


@register_importer("department")
class DepartmentLinesImporter:
    """Department totals: 部门预算总额, 基本支出, 项目支出, “三公”经费预算, 政府采购预算 …"""

    schema = DepartmentLineRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not department_admins_only(ctx, "部门预算"):
            return
        check_department_scope(ctx)
        check_duplicates(ctx, lambda v: (v["year"], v["department_code"], v["subject"]), "subject", "科目")

    def write(self, ctx: ImportContext) -> None:
        rows = [r.values for r in ctx.rows]
        department_ids = ensure_departments({r["department_code"]: None for r in rows})
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
