"""Job runs (定时任务运行记录) and deliveries (报送记录): query arguments and documents."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from tracker.api.schemas.common import (
    Args,
    Timestamp,
    choice_arg,
    code_arg,
    int_arg,
    nullable,
)
from tracker.reports.models import DELIVERY_STATUSES, REPORT_KINDS
from tracker.scheduler.models import LEDGER_STATUSES


class DeliveryArgs(Args):
    year = int_arg(2000, 2100, "年度", metadata={"description": "年度"})
    month = int_arg(0, 12, "月份", metadata={"description": "月份（0：年度绩效自评）"})
    department = code_arg("部门编码", metadata={"description": "部门编码"})
    kind = choice_arg(
        REPORT_KINDS, "类型", metadata={"description": "self-assessment | monitoring | execution"}
    )
    status = choice_arg(
        DELIVERY_STATUSES, "状态", metadata={"description": "pending | retrying | sent | failed"}
    )


class JobRunArgs(Args):
    job = fields.String(
        validate=validate.Length(max=80, error="任务名最多 80 个字"), metadata={"description": "任务名"}
    )
    status = fields.String(
        validate=validate.OneOf(LEDGER_STATUSES, error="状态应为 " + " / ".join(LEDGER_STATUSES) + " 之一"),
        metadata={"description": "running | succeeded | failed | abandoned"},
    )


class JobRunBureauSchema(Schema):
    bureau = fields.String(required=True, metadata={"description": "财政局编码（无财政局树时为空）"})
    name = fields.String(required=True, metadata={"description": "财政局名称"})
    departments = fields.Integer(required=True, metadata={"description": "部门数"})
    rows = fields.Integer(required=True, metadata={"description": "写入行数"})
    detail = fields.Dict(
        required=True,
        metadata={
            "description": "packs（规则包@版本 → 部门数）、lamps（灯 → 指标数）、grades（等级 → 项目数）；"
            "报送任务：sent、failed、refused、recipients"
        },
    )


class JobRunSchema(Schema):
    id = fields.Integer(required=True)
    job = fields.String(required=True)
    period = fields.String(required=True)
    params = fields.Dict(required=True)
    trigger = fields.String(required=True, metadata={"description": "schedule | catch-up | manual"})
    status = fields.String(
        required=True, metadata={"description": "running | succeeded | failed | abandoned"}
    )
    started_at = Timestamp(required=True)
    finished_at = Timestamp(allow_none=True)
    rows = fields.Integer(allow_none=True, metadata={"description": "写入行数"})
    error = fields.String(allow_none=True)
    host = fields.String(required=True)
    bureaus = fields.List(
        fields.Nested(JobRunBureauSchema),
        required=True,
        metadata={"description": "按财政局分行：财政局用户只见本级及下级财政局"},
    )


class DeliveryAttemptSchema(Schema):
    number = fields.Integer(required=True)
    at = Timestamp(required=True)
    ok = fields.Boolean(required=True)
    error = nullable(fields.String())
    trigger = fields.String(required=True, metadata={"description": "send | retry | resend | interrupted"})


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "self-assessment | monitoring | execution"})
    department = fields.Function(lambda d: d.department.code, required=True, metadata={"type": "string"})
    year = fields.Integer(required=True)
    month = fields.Integer(required=True, metadata={"description": "月份；0 为年度绩效自评"})
    subject = fields.String(required=True)
    xlsx_name = fields.String(required=True)
    xlsx_sha256 = fields.String(required=True)
    pdf_name = fields.String(required=True)
    pdf_sha256 = fields.String(required=True)
    recipients = fields.Function(
        lambda d: d.recipient_list, required=True, metadata={"type": "array", "items": {"type": "string"}}
    )
    status = fields.String(
        required=True, metadata={"description": "pending | retrying | sent | failed | superseded"}
    )
    attempts = fields.Integer(required=True)
    last_error = nullable(fields.String())
    next_attempt_at = nullable(Timestamp())
    sent_at = nullable(Timestamp())
    created_at = Timestamp(required=True)
    attempt_log = fields.List(fields.Nested(DeliveryAttemptSchema), required=True)
