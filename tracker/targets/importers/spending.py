"""Monthly spending by 类别 (SPEC §7, §8): one month's amount, never cumulative."""

from __future__ import annotations

from tracker.auth.access import can_manage_department, writable_projects
from tracker.budget.models import SpendingEntry
from tracker.targets.importers.base import (
    OUT_OF_SCOPE,
    check_duplicates,
    department_admins_only,
    projects_named,
    units_by_code,
)
from tracker.targets.imports import ImportContext, register_importer
from tracker.targets.schemas import SpendingRowSchema
from tracker.targets.upsert import upsert


@register_importer("spending")
class SpendingImporter:
    """Monthly spending by 类别 (SPEC §7, §8): one month's amount, never cumulative."""

    schema = SpendingRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not department_admins_only(ctx, "支出数据"):
            return
        units = units_by_code({r.values["unit_code"] for r in ctx.rows})
        # Another department's unit reads as one that does not exist, here and for its projects.
        units = {
            code: unit
            for code, unit in units.items()
            if ctx.user is None or can_manage_department(ctx.user, unit[1])
        }
        for row in ctx.rows:
            if row.values["unit_code"] not in units:
                ctx.error(row.line, "unit_code", f"单位编码 {row.values['unit_code']} {OUT_OF_SCOPE}")
        self._check_projects(ctx, units)
        check_duplicates(
            ctx,
            lambda v: (v["year"], v["month"], v["unit_code"], v.get("project_code") or "", v["category"]),
            "category",
            "同一单位、项目、月份和类别",
        )

    @staticmethod
    def _check_projects(ctx: ImportContext, units: dict[str, tuple[int, int, str]]) -> None:
        projects = projects_named(ctx)
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
        units = units_by_code({r.values["unit_code"] for r in ctx.rows})
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
