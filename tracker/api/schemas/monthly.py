"""Monthly reports of actuals (SPEC §4): the list's query arguments, the report and its rows, and
what a client may send to save, submit or return one."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from tracker.api.schemas.common import (
    REQUIRED,
    VALUE,
    Quantity,
    ScopeArgs,
    Timestamp,
    choice_arg,
    int_arg,
    nullable,
)
from tracker.reporting.models import DEVIATION_CATEGORIES, LIKELIHOODS, REPORT_STATUSES


class ReportArgs(ScopeArgs):
    month = int_arg(1, 12, "月份", metadata={"description": "月份"})
    status = choice_arg(
        REPORT_STATUSES, "状态", metadata={"description": "draft 草稿 | submitted 已提交 | approved 已审核"}
    )


class LampSchema(Schema):
    status = fields.String(required=True, metadata={"description": "green|yellow|red|missing|n/a"})
    ratio = nullable(Quantity())
    expected = nullable(Quantity())
    explain = fields.String(required=True)


class ReportRowSchema(Schema):
    indicator_id = fields.Integer(required=True)
    project = nullable(fields.String(metadata={"description": "项目编码；null 为部门整体"}))
    project_name = nullable(fields.String())
    level1 = fields.String(required=True)
    level2 = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "三级指标"})
    target = fields.String(required=True)
    target_unit = fields.String(required=True)
    qualitative = fields.Boolean(required=True)
    computed = fields.Boolean(required=True, metadata={"description": "由财务数据计算，不能填写"})
    actual = fields.Raw(
        allow_none=True, metadata={**VALUE, "description": "实际完成值：数字，或定性指标的完成情况"}
    )
    grade_percent = nullable(Quantity())
    forecast = fields.Raw(allow_none=True, metadata={**VALUE, "description": "全年预计完成值"})
    likelihood = nullable(fields.String())
    deviation_category = nullable(fields.String())
    deviation_cause = nullable(fields.String())
    corrective_measure = nullable(fields.String())
    previous_actual = fields.Raw(allow_none=True, metadata={**VALUE, "description": "上月实际完成值"})
    lamp = fields.Nested(LampSchema, required=True)
    needs_cause = fields.Boolean(required=True, metadata={"description": "黄灯/红灯：须填偏差原因和改进措施"})


class ReportSchema(Schema):
    unit = nullable(fields.String(metadata={"description": "预算单位编码；null 为部门整体"}))
    department = fields.String(required=True)
    year = fields.Integer(required=True)
    month = fields.Integer(required=True)
    status = fields.String(
        required=True, metadata={"description": "draft 草稿 | submitted 已提交 | approved 已审核"}
    )
    version = fields.Integer(required=True, metadata={"description": "版本（ETag）；0 为尚未保存"})
    imported = fields.Boolean(required=True)
    return_reason = nullable(fields.String())
    deadline = fields.Date(required=True)
    overdue = fields.Boolean(required=True)
    editable = fields.Boolean(required=True)
    can_review = fields.Boolean(required=True)
    updated_at = nullable(Timestamp())
    submitted_at = nullable(Timestamp())
    approved_at = nullable(Timestamp())
    rows = fields.List(fields.Nested(ReportRowSchema), required=True)


class ReportSummarySchema(Schema):
    unit = nullable(fields.String())
    department = fields.String(required=True)
    year = fields.Integer(required=True)
    month = fields.Integer(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    imported = fields.Boolean(required=True)
    updated_at = nullable(Timestamp())
    submitted_at = nullable(Timestamp())
    approved_at = nullable(Timestamp())


TEXT: dict[str, Any] = {"invalid": "应为文本", **REQUIRED}


class RowValuesSchema(Schema):
    """What a client may set on one indicator; anything else (unit, status, version …) is refused."""

    actual = fields.Raw(
        allow_none=True, metadata={**VALUE, "description": "实际完成值；定性指标为 达成/部分达成/未达成"}
    )
    grade_percent = fields.Raw(
        allow_none=True, metadata={**VALUE, "description": "定性指标在其等级区间内的百分比"}
    )
    forecast = fields.Raw(allow_none=True, metadata={**VALUE, "description": "全年预计完成值"})
    likelihood = fields.String(
        allow_none=True,
        error_messages=TEXT,
        metadata={"description": "完成目标可能性：" + " / ".join(LIKELIHOODS)},
    )
    deviation_category = fields.String(
        allow_none=True,
        error_messages=TEXT,
        metadata={"description": "偏差原因类别：" + " / ".join(DEVIATION_CATEGORIES)},
    )
    deviation_cause = fields.String(allow_none=True, error_messages=TEXT)
    corrective_measure = fields.String(allow_none=True, error_messages=TEXT)


class ReportValuesSchema(Schema):
    """保存草稿: ``values`` maps an indicator id (as text) to the fields to set; a field left out is
    unchanged, ``""`` or null clears it."""

    values = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,12}$", error="键应为指标 id")),
        values=fields.Nested(RowValuesSchema),
        required=True,
        error_messages=REQUIRED,
    )


class SubmitSchema(Schema):
    values = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,12}$", error="键应为指标 id")),
        values=fields.Nested(RowValuesSchema),
        load_default=dict,
        metadata={"description": "提交前先保存的值（可选）"},
    )


class ReturnSchema(Schema):
    reason = fields.String(required=True, error_messages=TEXT, metadata={"description": "退回原因"})
