"""Imports of the 财政局 tree and of where each department's budget is (SPEC §1a):
``bureaus.csv`` (财政局编码,财政局名称,上级财政局编码[,规则包][,级次]) and ``departments.csv``
(部门编码,部门名称,财政局编码). All or nothing, idempotent, from the command line only: the tree
decides who reads what, so no page or token may change it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tracker.budget.bureaus import level_for_depth, rebuild_paths, tree_paths
from tracker.budget.models import Bureau, Department
from tracker.core import request_memo
from tracker.core.audit import record_many
from tracker.core.settings import rule_packs
from tracker.extensions import db
from tracker.targets.imports import ImportContext, register_importer
from tracker.targets.schemas import _code, _one_of, _RowSchema, _text
from tracker.targets.upsert import upsert

__all__ = ["BureauRowSchema", "DepartmentPlacementRowSchema", "LEVEL_NAMES"]

#: 级次 as a file writes it → Bureau.level.
LEVEL_NAMES = {"省": "province", "市": "city", "县": "county", "区": "county"}


class BureauRowSchema(_RowSchema):
    code = _code(what="财政局编码")
    name = _text(required=True, max_length=200)
    parent_code = _code(required=False, what="上级财政局编码")
    rule_pack = _text(max_length=40)
    level = _one_of(tuple(LEVEL_NAMES))


class DepartmentPlacementRowSchema(_RowSchema):
    department_code = _code(what="部门编码")
    department_name = _text(required=True, max_length=200)
    bureau_code = _code(required=False, what="财政局编码")


def _command_line_only(ctx: ImportContext, what: str) -> bool:
    if ctx.user is not None:
        ctx.error(0, "", f"{what}只能在命令行导入（flask --app wsgi tracker import-{ctx.kind}）")
        return False
    return True


def _duplicates(ctx: ImportContext, key: str, what: str) -> None:
    first: dict[str, int] = {}
    for row in ctx.rows:
        value = row.values[key]
        if value in first:
            ctx.error(row.line, key, f"{what} {value} 与第 {first[value]} 行重复")
        else:
            first.setdefault(value, row.line)


def _existing_parents() -> dict[str, str | None]:
    parent = Bureau.__table__.alias("parent")
    rows = db.session.execute(
        select(Bureau.code, parent.c.code).outerjoin(parent, parent.c.id == Bureau.parent_id)
    )
    return {code: parent_code for code, parent_code in rows}


@register_importer("bureaus")
class BureausImporter:
    """The tree: one root (blank 上级), every parent known (in the file or already imported), no
    cycles. Re-importing changes names, parents, packs and levels; a bureau is never deleted here."""

    schema = BureauRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not _command_line_only(ctx, "财政局"):
            return
        _duplicates(ctx, "code", "财政局编码")
        for row in ctx.rows:
            pack = row.values.get("rule_pack")
            if pack and pack not in rule_packs():
                ctx.error(
                    row.line, "rule_pack", f"规则包 {pack} 不存在（tracker rule-packs 列出可用的规则包）"
                )
        existing = _existing_parents()
        parents = dict(existing)
        parents.update({row.values["code"]: row.values.get("parent_code") for row in ctx.rows})
        _, broken = tree_paths(parents)
        roots = sorted(code for code, parent in parents.items() if parent is None)
        for row in ctx.rows:
            code, parent = row.values["code"], row.values.get("parent_code")
            if parent is not None and parent not in parents:
                ctx.error(row.line, "parent_code", f"上级财政局编码 {parent} 不存在")
            elif code in broken:
                ctx.error(row.line, "parent_code", f"财政局 {code} 的上级形成循环")
            elif parent is None and len(roots) > 1:
                others = "、".join(r for r in roots if r != code)
                ctx.error(row.line, "parent_code", f"只能有一个根财政局（上级为空），已有 {others}")
        if not roots and not ctx.report.errors:
            ctx.error(0, "", "没有根财政局：应有一行的上级财政局编码为空")

    def write(self, ctx: ImportContext) -> None:
        request_memo.forget()  # rule-pack picks and subtrees read earlier in this request change
        parents = _existing_parents()
        parents.update({row.values["code"]: row.values.get("parent_code") for row in ctx.rows})
        paths, _ = tree_paths(parents)
        existing = {b.code: b for b in db.session.scalars(select(Bureau))}
        audit: list[dict[str, Any]] = []
        for row in ctx.rows:
            values = row.values
            bureau = existing.get(values["code"])
            level = LEVEL_NAMES.get(values.get("level") or "") or level_for_depth(
                paths[values["code"]].count("/") - 2
            )
            wanted = {"name": values["name"], "level": level, "rule_pack": values.get("rule_pack")}
            if bureau is None:
                bureau = existing[values["code"]] = Bureau(
                    code=values["code"], path=paths[values["code"]], **wanted
                )
                db.session.add(bureau)
                ctx.report.inserted += 1
                audit.append({"action": "create", "entity": "bureau", "field": "code", "new": values["code"]})
                continue
            changed = [(f, getattr(bureau, f), v) for f, v in wanted.items() if getattr(bureau, f) != v]
            if parents[values["code"]] != (bureau.parent.code if bureau.parent else None):
                changed.append(
                    ("parent", bureau.parent.code if bureau.parent else None, values.get("parent_code"))
                )
            for field, old, new in changed:
                if field != "parent":
                    setattr(bureau, field, new)
                audit.append(
                    {
                        "action": "import",
                        "entity": "bureau",
                        "entity_id": bureau.id,
                        "field": field,
                        "old": old,
                        "new": new,
                    }
                )
            ctx.report.updated += bool(changed)
            ctx.report.unchanged += not changed
        db.session.flush()
        for row in ctx.rows:
            parent = row.values.get("parent_code")
            existing[row.values["code"]].parent = existing.get(parent) if parent else None
        db.session.flush()
        rebuild_paths()
        for entry in audit:
            entry.setdefault("entity_id", existing[entry["new"]].id if entry["action"] == "create" else None)
        record_many(audit, user=ctx.user)


@register_importer("departments")
class DepartmentsImporter:
    """Each department's 财政局 (blank: the root) and name; a department whose bureau changes has
    moved, audited, and is evaluated with its new bureau's rule pack from then on (SPEC §1a)."""

    schema = DepartmentPlacementRowSchema

    def check(self, ctx: ImportContext) -> None:
        if not _command_line_only(ctx, "部门所属财政局"):
            return
        _duplicates(ctx, "department_code", "部门编码")
        codes = {row.values["bureau_code"] for row in ctx.rows if row.values.get("bureau_code")}
        known = set(db.session.scalars(select(Bureau.code).where(Bureau.code.in_(codes))))
        for row in ctx.rows:
            code = row.values.get("bureau_code")
            if code and code not in known:
                ctx.error(
                    row.line,
                    "bureau_code",
                    f"财政局编码 {code} 不存在（先导入财政局：tracker import-bureaus）",
                )

    def write(self, ctx: ImportContext) -> None:
        request_memo.forget()  # the departments' packs and the finance subtrees change
        bureau_ids = {
            code: bureau_id for code, bureau_id in db.session.execute(select(Bureau.code, Bureau.id))
        }
        codes = {bureau_id: code for code, bureau_id in bureau_ids.items()}
        incoming = [
            {
                "code": row.values["department_code"],
                "name": row.values["department_name"],
                "bureau_id": bureau_ids.get(row.values.get("bureau_code") or ""),
            }
            for row in ctx.rows
        ]
        plan, existing = upsert(
            Department,
            incoming,
            ["code"],
            ["name", "bureau_id"],
            Department.code.in_({r["code"] for r in incoming}),
        )
        ctx.tally(plan)
        department_codes = {row["id"]: code for (code,), row in existing.items()}
        audit: list[dict[str, Any]] = [
            {
                "action": "move" if field == "bureau_id" else "import",
                "entity": "department",
                "entity_id": row_id,
                "field": "bureau" if field == "bureau_id" else field,
                "old": codes.get(old) if field == "bureau_id" else old,
                "new": codes.get(new) if field == "bureau_id" else new,
                "department_code": department_codes[row_id],
            }
            for row_id, field, old, new in plan.changes
        ]
        audit += [
            {
                "action": "create",
                "entity": "department",
                "field": "bureau",
                "new": codes.get(row["bureau_id"]),
                "department_code": row["code"],
            }
            for row in plan.inserts
        ]
        record_many(audit, user=ctx.user)
