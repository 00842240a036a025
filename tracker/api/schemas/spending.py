"""支出数据: the list's query arguments, the rows it answers, and the bulk upsert with its report.
Input rows are the spending file's own (:class:`tracker.targets.schemas.SpendingRowSchema`)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from tracker.api.schemas.common import (
    REQUIRED,
    Money,
    ScopeArgs,
    choice_arg,
    int_arg,
    nullable,
)
from tracker.budget.models import SPENDING_CATEGORIES
from tracker.targets.schemas import SpendingRowSchema


class SpendingArgs(ScopeArgs):
    month = int_arg(1, 12, "月份", metadata={"description": "月份"})
    project = fields.String(
        validate=validate.Regexp(r"^(\d{20,21})?$", error="项目编码应为 20–21 位数字，或空（基本支出）"),
        metadata={"description": "项目编码；空字符串为基本支出"},
    )
    category = choice_arg(SPENDING_CATEGORIES, "类别", metadata={"description": "类别"})


class SpendingEntrySchema(Schema):
    year = fields.Integer(required=True)
    month = fields.Integer(required=True)
    unit = fields.String(required=True, metadata={"description": "预算单位编码"})
    project = nullable(fields.String(metadata={"description": "项目编码；null 为基本支出"}))
    category = fields.String(required=True, metadata={"description": "类别"})
    amount = Money(required=True, metadata={"description": "金额（万元），当月数"})
    synthetic = fields.Boolean(required=True, metadata={"description": "演示数据"})


class SpendingUpsertSchema(Schema):
    """Bulk upsert of spending rows: the same rows, the same checks as the spending file (SPEC §8)."""

    records = fields.List(
        fields.Nested(SpendingRowSchema),
        required=True,
        validate=validate.Length(min=1, max=10000, error="records 应有 1–10000 条"),
        error_messages=REQUIRED,
    )
    dry_run = fields.Boolean(load_default=False, metadata={"description": "只校验不写入（预检）"})


class ImportReportSchema(Schema):
    ok = fields.Boolean(required=True)
    dry_run = fields.Boolean(required=True)
    rows = fields.Integer(required=True)
    inserted = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    warnings = fields.List(fields.String(), required=True)
