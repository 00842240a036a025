"""Import of monthly actuals (SPEC §4, §8): year-to-date values as of the end of 月份. Imported
actuals count as approved; they are not held to the deviation-cause rule (the monitoring report
lists those gaps instead)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from functools import partial
from typing import Any

from sqlalchemy import select, update

from tracker.auth.access import (
    can_import_actuals,
    can_manage_department,
    can_write_unit_report,
    import_home_department,
    writable_projects,
)
from tracker.auth.models import User
from tracker.budget.models import Department, Project, Unit
from tracker.budget.packs import department_rule_packs
from tracker.core.audit import record_many
from tracker.extensions import db
from tracker.reporting.models import ACTUAL_VALUE_FIELDS, IndicatorActual, MonthlyReport, report_scope_key
from tracker.rules.actuals import parse_actual
from tracker.rules.grammar import Comparator, Target, TargetSyntaxError
from tracker.targets.imports import ImportContext, register_importer
from tracker.targets.models import Indicator
from tracker.targets.schemas import ActualRowSchema, split_deviation_cause
from tracker.targets.upsert import apply, existing_rows, ids_by_key, plan_upsert, upsert
from tracker.types import utcnow


def target_of(row: Any) -> Target:
    """The parsed 指标值 of an indicator (ORM object or mapping) as stored beside its text."""
    get = row.get if isinstance(row, Mapping) else partial(getattr, row)
    return Target(
        Comparator(str(get("comparator"))),
        get("target_low"),
        get("target_high"),
        get("target_unit") or "",
        get("target_text") or "",
    )


@register_importer("actuals")
class ActualsImporter:
    schema = ActualRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not can_import_actuals(ctx.user):
            ctx.error(0, "", "只有填报员和部门管理员可以导入实际完成值")
            return
        indicators = self._indicators(ctx)
        # Each department's pack (its bureau's), as the form and the evaluation use (SPEC §6a).
        pack_of = department_rule_packs(
            db.session.connection(), {f["department_id"] for f in indicators.values()}
        )
        resolved: dict[int, dict[str, Any]] = {}
        first: dict[tuple, int] = {}
        for row in ctx.rows:
            values = row.values
            found = indicators.get(row.line)
            if found is None:
                continue
            if found["computed_metric"]:
                ctx.error(row.line, "name", f"“{values['name']}”由财务数据自动计算，不能填报或导入")
                continue
            key = (values["year"], values["month"], found["id"])
            if key in first:
                ctx.error(row.line, "name", f"与第 {first[key]} 行是同一指标同一月份")
                continue
            first[key] = row.line
            band_of = pack_of[found["department_id"]].band
            parsed = self._values(ctx, row.line, values, target_of(found), band_of)
            if parsed is not None:
                resolved[row.line] = {**found, **parsed}
        ctx.options["resolved"] = resolved

    def _indicators(self, ctx: ImportContext) -> dict[int, dict[str, Any]]:
        """line → the indicator row it names (with its project's unit), checking access."""
        years = {r.values["year"] for r in ctx.rows}
        columns = [
            Indicator.id, Indicator.year, Indicator.department_id, Indicator.scope_code, Indicator.name,
            Indicator.occurrence, Indicator.comparator, Indicator.target_low, Indicator.target_high,
            Indicator.target_unit, Indicator.target_text, Indicator.computed_metric,
            Department.code.label("department_code"), Project.unit_id, Unit.code.label("unit_code"),
        ]  # fmt: skip
        names = {r.values["name"] for r in ctx.rows}
        rows = db.session.execute(
            select(*columns)
            .join(Department, Indicator.department_id == Department.id)
            .outerjoin(Project, Indicator.project_id == Project.id)
            .outerjoin(Unit, Project.unit_id == Unit.id)
            .where(Indicator.year.in_(years), Indicator.name.in_(names))
        ).mappings()
        by_key: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
        departments_with_own: dict[int, set[str]] = defaultdict(set)
        for row in rows:
            scope = row["scope_code"] or row["department_code"]
            by_key[(row["year"], scope, row["name"])].append(dict(row))
            if not row["scope_code"]:
                departments_with_own[row["year"]].add(row["department_code"])
        # A project the user may not write (another department's or unit's) reads as none at all.
        projects = writable_projects(
            ctx.user,
            {(r.values["year"], r.values["project_code"]) for r in ctx.rows if r.values.get("project_code")},
        )
        found: dict[int, dict[str, Any]] = {}
        for parsed in ctx.rows:
            values = parsed.values
            if values.get("project_code") and (values["year"], values["project_code"]) not in projects:
                ctx.error(
                    parsed.line, "project_code", f"{values['year']} 年没有项目 {values['project_code']}"
                )
                continue
            scope = values.get("project_code") or self._department_of(
                ctx, parsed.line, values, departments_with_own
            )
            if scope is None:
                continue
            matches = by_key.get((values["year"], scope, values["name"]), [])
            if matches and not self._may_write(ctx.user, matches[0]):
                matches = []
            if not matches:
                where = f"项目 {scope}" if values.get("project_code") else f"部门 {scope} 的部门整体目标"
                ctx.error(parsed.line, "name", f"{values['year']} 年{where}中没有三级指标“{values['name']}”")
            elif len(matches) > 1:
                ctx.error(
                    parsed.line, "name", f"三级指标“{values['name']}”在目标表中出现多次，无法确定是哪一个"
                )
            else:
                found[parsed.line] = matches[0]
        return found

    @staticmethod
    def _department_of(
        ctx: ImportContext, line: int, values: dict, departments_with_own: dict[int, set[str]]
    ) -> str | None:
        if values.get("department_code"):
            return values["department_code"]
        home = import_home_department(ctx.user)
        if home is not None:
            return home.code
        candidates = departments_with_own.get(values["year"], set())
        if len(candidates) == 1:
            return next(iter(candidates))
        ctx.error(line, "project_code", "部门整体指标需要“部门编码”列来确定部门")
        return None

    @staticmethod
    def _may_write(user: User | None, indicator: dict[str, Any]) -> bool:
        if user is None:
            return True
        if indicator["unit_id"] is None:
            return can_manage_department(user, indicator["department_id"])
        return can_write_unit_report(user, indicator["unit_id"])

    @staticmethod
    def _values(ctx: ImportContext, line: int, values: dict, target: Target, band_of: Any) -> dict | None:
        out: dict[str, Any] = {}
        ok = True
        for key, number_field, grade_field in (
            ("actual", "actual", "grade"),
            ("forecast", "forecast", "forecast_grade"),
        ):
            out[number_field], out[grade_field] = None, None
            if not values.get(key):
                continue
            try:
                parsed = parse_actual(values[key], target, year=values["year"])
            except TargetSyntaxError as exc:
                ctx.error(line, key, str(exc))
                ok = False
                continue
            if parsed.note:
                ctx.note(line, key, parsed.note)
            if key == "actual" and parsed.not_applicable and not values.get("deviation_cause"):
                ctx.error(
                    line,
                    "deviation_cause",
                    "“不适用”须在偏差原因中说明原因（如：其他：本年度未发生安全事故）",
                )
                ok = False
                continue
            out[number_field], out[grade_field] = parsed.number, parsed.grade
            if key == "actual":
                out["grade_percent"] = parsed.percent
                if parsed.percent is not None and not band_of(parsed.grade).contains(parsed.percent):
                    band = band_of(parsed.grade)
                    ctx.error(line, key, f"“{parsed.grade}”的百分比应在 {band.low}–{band.high}% 之间")
                    ok = False
        out.setdefault("grade_percent", None)
        out["likelihood"] = values.get("likelihood")
        out["deviation_category"], out["deviation_cause"] = None, None
        if values.get("deviation_cause"):
            category, detail = split_deviation_cause(values["deviation_cause"])
            out["deviation_category"], out["deviation_cause"] = category, detail or None
        out["corrective_measure"] = values.get("corrective_measure")
        return out if ok else None

    def write(self, ctx: ImportContext) -> None:
        resolved: dict[int, dict[str, Any]] = ctx.options["resolved"]
        month_of = {row.line: row.values["month"] for row in ctx.rows}
        reports: dict[str, dict[str, Any]] = {}
        for line, found in resolved.items():
            scope_key = report_scope_key(found["unit_code"], found["department_code"])
            reports.setdefault(
                f"{found['year']}/{month_of[line]}/{scope_key}",
                {
                    "year": found["year"],
                    "month": month_of[line],
                    "scope_key": scope_key,
                    "department_id": found["department_id"],
                    "unit_id": found["unit_id"],
                },
            )
        report_ids = self._ensure_reports(ctx, list(reports.values()))
        incoming = []
        for line, found in resolved.items():
            scope_key = report_scope_key(found["unit_code"], found["department_code"])
            report_id = report_ids[(found["year"], month_of[line], scope_key)]
            incoming.append(
                {
                    "report_id": report_id,
                    "indicator_id": found["id"],
                    **{f: found[f] for f in ACTUAL_VALUE_FIELDS},
                }
            )
        key = ["report_id", "indicator_id"]
        plan, existing = upsert(
            IndicatorActual,
            incoming,
            key,
            ACTUAL_VALUE_FIELDS,
            IndicatorActual.report_id.in_(set(report_ids.values())),
        )
        ctx.tally(plan)
        changed_reports = {row["report_id"] for row in plan.inserts} | {
            existing_by_id["report_id"]
            for existing_by_id in existing.values()
            if existing_by_id["id"] in {u["id"] for u in plan.updates}
        }
        self._approve(ctx, changed_reports)
        self._audit(ctx, plan, existing, reports, report_ids)

    @staticmethod
    def _ensure_reports(ctx: ImportContext, reports: list[dict[str, Any]]) -> dict[tuple, int]:
        key = ["year", "month", "scope_key"]
        existing = existing_rows(
            MonthlyReport,
            key,
            ["status"],
            MonthlyReport.scope_key.in_({r["scope_key"] for r in reports})
            & MonthlyReport.year.in_({r["year"] for r in reports}),
        )
        new = [
            {**r, "status": "approved", "imported": True, "synthetic": ctx.synthetic, "version": 1,
             "approved_at": utcnow(), "approved_by_id": getattr(ctx.user, "id", None)}
            for r in reports
            if (r["year"], r["month"], r["scope_key"]) not in existing
        ]  # fmt: skip
        apply(MonthlyReport, plan_upsert(new, key, {}, []))
        return ids_by_key(MonthlyReport, key, [(r["year"], r["month"], r["scope_key"]) for r in reports])

    @staticmethod
    def _approve(ctx: ImportContext, report_ids: set[int]) -> None:
        """Reports whose values changed are approved and their version bumped, so anyone editing
        them in a form meets a conflict instead of overwriting the import."""
        if not report_ids:
            return
        db.session.execute(
            update(MonthlyReport)
            .where(MonthlyReport.id.in_(report_ids))
            .values(
                status="approved",
                imported=True,
                return_reason=None,
                version=MonthlyReport.version + 1,
                updated_at=utcnow(),
                updated_by_id=getattr(ctx.user, "id", None),
                approved_at=utcnow(),
                approved_by_id=getattr(ctx.user, "id", None),
            )
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    def _audit(ctx: ImportContext, plan: Any, existing: dict, reports: dict, report_ids: dict) -> None:
        scope_of = {report_ids[(r["year"], r["month"], r["scope_key"])]: r for r in reports.values()}
        report_of_actual = {row["id"]: row["report_id"] for row in existing.values()}
        department_codes = dict(
            db.session.execute(
                select(Department.id, Department.code).where(
                    Department.id.in_({r["department_id"] for r in reports.values()})
                )
            ).all()
        )

        def where(report_id: int) -> dict[str, Any]:
            r = scope_of[report_id]
            unit = r["scope_key"].split(":", 1)[1] if r["scope_key"].startswith("unit:") else None
            return {"unit_code": unit, "department_code": department_codes.get(r["department_id"]),
                    "year": r["year"], "month": r["month"]}  # fmt: skip

        entries = [
            {"action": "import", "entity": "indicator_actual", "field": "actual",
             "new": row["actual"] if row["actual"] is not None else row["grade"], **where(row["report_id"])}
            for row in plan.inserts
        ]  # fmt: skip
        entries.extend(
            {"action": "import", "entity": "indicator_actual", "entity_id": actual_id, "field": field,
             "old": old, "new": new, **where(report_of_actual[actual_id])}
            for actual_id, field, old, new in plan.changes
        )  # fmt: skip
        record_many(entries, user=ctx.user)
