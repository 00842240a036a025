"""The 部门整体 and 项目 绩效目标表 (SPEC §3, §8): departments, units, projects and their 绩效指标,
each indicator's 指标值 parsed with its 一级指标 and 二级指标."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tracker.budget.models import PROJECT_KINDS, Project
from tracker.core.audit import record_many
from tracker.rules.columns import ReadTarget, read_target
from tracker.rules.modes import METRIC_MODES, computed_metric_for, infer_mode
from tracker.targets.importers.base import (
    audit_changes,
    check_department_scope,
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
from tracker.targets.models import Indicator
from tracker.targets.schemas import TargetRowSchema
from tracker.targets.upsert import apply, existing_rows, ids_by_key, plan_upsert, upsert


@register_importer("targets")
class TargetsImporter:
    """部门整体 and 项目 绩效目标表 (SPEC §3, §8)."""

    schema = TargetRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not department_admins_only(ctx, "绩效目标表"):
            return
        check_department_scope(ctx)
        units = units_by_code({r.values["unit_code"] for r in ctx.rows if r.values.get("unit_code")})
        check_unit_department(ctx, units)
        unit_codes = {uid: code for code, (uid, _, _) in units.items()}
        named = projects_named(ctx)
        foreign = check_foreign_projects(ctx, named)
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
        department_ids = ensure_departments({r["department_code"]: r["department_name"] for r in rows})
        unit_ids = ensure_units(
            {r["unit_code"]: (r["department_code"], r.get("unit_name")) for r in rows if r.get("unit_code")},
            department_ids,
        )
        project_ids = self._write_projects(rows, department_ids, unit_ids)
        self._write_indicators(ctx, department_ids, project_ids)
        run_lint(ctx, set(department_ids.values()), {r["year"] for r in rows})

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
            read = read_target(
                r["target"], r["level1"], r.get("level2") or "", unit=r.get("unit") or "",
                direction=r.get("direction") or "", nature=r.get("nature") or "", year=r["year"],
            )  # fmt: skip
            if read.note:
                ctx.note(parsed.line, "target", read.note)
            row = self._indicator_row(r, department_id, scope, project_ids, read)
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
        r: dict[str, Any],
        department_id: int,
        scope: str,
        project_ids: dict[tuple[int, str], int],
        read: ReadTarget,
    ) -> dict[str, Any]:
        target = read.target
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
            "target": read.text,
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
        entries.extend(audit_changes(ctx, "indicator", plan, existing, department_ids, fields))
        record_many(entries, user=ctx.user)
