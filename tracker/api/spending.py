"""支出数据 over the API: list the monthly spending rows, and upsert them in bulk with the same
importer, row schema and all-or-nothing rule as the spending file (SPEC §7, §8)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from tracker.api.core import ApiBlueprint, current_api_user
from tracker.api.docs import errors
from tracker.api.errors import ApiError
from tracker.api.paging import page
from tracker.api.schemas.spending import (
    ImportReportSchema,
    SpendingArgs,
    SpendingEntrySchema,
    SpendingUpsertSchema,
)
from tracker.auth import access
from tracker.targets import reading
from tracker.targets.imports import ImportReport, import_records

__all__ = ["spending", "row_errors"]

spending = ApiBlueprint(
    "spending",
    __name__,
    url_prefix="/api/v1/spending",
    description="支出数据（当月数，按类别）：查询与批量写入（与支出文件导入相同的校验，全部成功或全部不写入）",
)


def row_errors(report: ImportReport) -> dict[str, list[str]]:
    """Import row errors keyed like request-body errors: ``records.<index from 0>.<field>``."""
    out: dict[str, list[str]] = {}
    for error in report.errors:
        key = "records" if error.line <= 0 else f"records.{error.line - 1}"
        if error.column:
            key = f"{key}.{error.column}"
        out.setdefault(key, []).append(error.reason)
    return out


@spending.route("")
class Spending(MethodView):
    @spending.arguments(SpendingArgs, location="query")
    @spending.response(200, SpendingEntrySchema(many=True))
    @spending.paginate(page_size=20)
    @errors(spending, 404)
    def get(self, args: dict[str, Any], pagination_parameters: PaginationParameters) -> list[dict[str, Any]]:
        """支出记录列表（可按年度、月份、部门、单位、项目、类别筛选）"""
        query = reading.spending_query(
            current_api_user(),
            year=args.get("year"),
            month=args.get("month"),
            department_code=args.get("department"),
            unit_code=args.get("unit"),
            project_code=args.get("project"),
            category=args.get("category"),
        )
        entries = page(query, pagination_parameters)
        units = reading.unit_codes({e.unit_id for e in entries})
        return [
            {
                "year": e.year,
                "month": e.month,
                "unit": units[e.unit_id],
                "project": e.project_code or None,
                "category": e.category,
                "amount": e.amount,
                "synthetic": e.synthetic,
            }
            for e in entries
        ]

    @spending.arguments(SpendingUpsertSchema)
    @spending.response(200, ImportReportSchema)
    @errors(spending, 403, 422)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """批量写入支出记录（按 年度+月份+单位+项目+类别 更新或新增）；任何一行有误则全部不写入，
        errors 逐行列出（records.<序号>.<字段>）。dry_run 为 true 时只校验。部门管理员可用。"""
        user = current_api_user()
        if not access.can_import(user):
            raise access.refuse(user, "api spending upsert")
        report = import_records("spending", body["records"], user=user, dry_run=body["dry_run"])
        if not report.ok:
            raise ApiError(422, f"共 {len(report.errors)} 处错误，未写入任何数据。", row_errors(report))
        return {
            "ok": report.ok,
            "dry_run": report.dry_run,
            "rows": report.rows,
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "warnings": report.warnings,
        }
