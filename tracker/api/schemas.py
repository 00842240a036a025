"""marshmallow schemas of the JSON API. Input rows shared with the file imports come from
:mod:`tracker.targets.schemas` (``SpendingRowSchema``); the rest describe what the API returns.

Money leaves as a JSON number rounded half-up to 2 places, only here at the edge (SPEC §2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, fields, validate

from tracker import rules
from tracker.budget.models import SPENDING_CATEGORIES
from tracker.reporting.models import DEVIATION_CATEGORIES, LIKELIHOODS, REPORT_STATUSES
from tracker.reports.models import DELIVERY_STATUSES, REPORT_KINDS
from tracker.targets.schemas import SpendingRowSchema

_REQUIRED: dict[str, Any] = {"required": "不能为空", "null": "不能为空"}


class Money(fields.Float):
    """万元 with 2 decimals: Decimal → JSON number, half-up."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> float | None:
        if value is None:
            return None
        return float(rules.round2(Decimal(value)))


class Quantity(fields.Float):
    """A number in an indicator's own unit (up to 6 decimals), as a JSON number."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> float | None:
        if value is None:
            return None
        return float(Decimal(value))


class Timestamp(fields.DateTime):
    """An instant in ISO 8601 with its offset. SQLite hands back the UTC columns without one."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def _nullable(field: fields.Field) -> fields.Field:
    field.allow_none = True
    return field


# ---------------------------------------------------------------- query arguments


def _int_arg(low: int, high: int, what: str, **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        validate=validate.Range(min=low, max=high, error=f"{what}应在 {low}–{high} 之间"),
        error_messages={**_REQUIRED, "invalid": f"{what}应为整数"},
        **kwargs,
    )


def _code_arg(what: str, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(r"^[0-9A-Za-z]{1,32}$", error=f"{what}格式不正确"),
        error_messages={**_REQUIRED, "invalid": "应为文本"},
        **kwargs,
    )


def _choice_arg(choices: Sequence[str], what: str, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(choices, error=f"{what}应为 " + " / ".join(choices) + " 之一"), **kwargs
    )


class _Args(Schema):
    class Meta:
        unknown = EXCLUDE


class DepartmentArgs(_Args):
    department = _code_arg("部门编码", metadata={"description": "部门编码"})


class ScopeArgs(_Args):
    year = _int_arg(2000, 2100, "年度", metadata={"description": "年度"})
    department = _code_arg("部门编码", metadata={"description": "部门编码"})
    unit = _code_arg("单位编码", metadata={"description": "预算单位编码"})


class IndicatorArgs(ScopeArgs):
    project = fields.String(
        validate=validate.Regexp(r"^\d{20,21}$", error="项目编码应为 20–21 位数字"),
        metadata={"description": "项目编码"},
    )


class ProjectArgs(_Args):
    year = _int_arg(2000, 2100, "年度", metadata={"description": "年度（缺省：最近一年）"})


class SpendingArgs(ScopeArgs):
    month = _int_arg(1, 12, "月份", metadata={"description": "月份"})
    project = fields.String(
        validate=validate.Regexp(r"^(\d{20,21})?$", error="项目编码应为 20–21 位数字，或空（基本支出）"),
        metadata={"description": "项目编码；空字符串为基本支出"},
    )
    category = _choice_arg(SPENDING_CATEGORIES, "类别", metadata={"description": "类别"})


class ReportArgs(ScopeArgs):
    month = _int_arg(1, 12, "月份", metadata={"description": "月份"})
    status = _choice_arg(
        REPORT_STATUSES, "状态", metadata={"description": "draft 草稿 | submitted 已提交 | approved 已审核"}
    )


class MonitoringArgs(_Args):
    year = _int_arg(2000, 2100, "年度", required=True, metadata={"description": "年度"})
    month = _int_arg(1, 12, "月份", required=True, metadata={"description": "截至月份"})
    department = _code_arg("部门编码", metadata={"description": "部门编码（用户可见多个部门时必填）"})


class SelfAssessmentArgs(_Args):
    year = _int_arg(2000, 2100, "年度", required=True, metadata={"description": "年度"})
    department = _code_arg("部门编码", metadata={"description": "部门编码（用户可见多个部门时必填）"})


class RunMonitoringSchema(Schema):
    """重新计算 one department's 绩效运行监控 and store it (the body of a POST)."""

    year = _int_arg(2000, 2100, "年度", required=True, metadata={"description": "年度"})
    month = _int_arg(1, 12, "月份", required=True, metadata={"description": "截至月份"})
    department = _code_arg("部门编码", required=True, metadata={"description": "部门编码"})


class RunSelfAssessmentSchema(Schema):
    """重新计算 one department's 绩效自评 and store it (the body of a POST)."""

    year = _int_arg(2000, 2100, "年度", required=True, metadata={"description": "年度"})
    department = _code_arg("部门编码", required=True, metadata={"description": "部门编码"})


class DeliveryArgs(_Args):
    year = _int_arg(2000, 2100, "年度", metadata={"description": "年度"})
    month = _int_arg(0, 12, "月份", metadata={"description": "月份（0：年度绩效自评）"})
    department = _code_arg("部门编码", metadata={"description": "部门编码"})
    kind = _choice_arg(
        REPORT_KINDS, "类型", metadata={"description": "self-assessment | monitoring | execution"}
    )
    status = _choice_arg(
        DELIVERY_STATUSES, "状态", metadata={"description": "pending | retrying | sent | failed"}
    )


# ---------------------------------------------------------------- departments, units, projects


class DepartmentSchema(Schema):
    code = fields.String(required=True, metadata={"description": "部门编码"})
    name = fields.String(required=True, metadata={"description": "部门名称"})


class UnitSchema(Schema):
    code = fields.String(required=True, metadata={"description": "预算单位编码"})
    name = fields.String(required=True, metadata={"description": "预算单位名称"})
    department = fields.Function(
        lambda unit: unit.department.code,
        required=True,
        metadata={"type": "string", "description": "部门编码"},
    )


class IndicatorSchema(Schema):
    """绩效指标; ``project`` null is a 部门整体 indicator."""

    id = fields.Integer(required=True)
    year = fields.Integer(required=True)
    department = fields.Function(lambda i: i.department.code, required=True, metadata={"type": "string"})
    unit = fields.Function(
        lambda i: i.project.unit.code if i.project else None,
        allow_none=True,
        metadata={"type": "string", "nullable": True, "description": "预算单位编码"},
    )
    project = fields.Function(
        lambda i: i.project.code if i.project else None,
        allow_none=True,
        metadata={"type": "string", "nullable": True, "description": "项目编码"},
    )
    level1 = fields.String(required=True, metadata={"description": "一级指标"})
    level2 = fields.String(required=True, metadata={"description": "二级指标"})
    name = fields.String(required=True, metadata={"description": "三级指标"})
    occurrence = fields.Integer(required=True, metadata={"description": "同一项目内重复的三级指标序号"})
    target = fields.String(required=True, metadata={"description": "指标值（原文）"})
    note = _nullable(fields.String(metadata={"description": "指标值说明"}))
    weight = _nullable(Quantity(metadata={"description": "分值"}))
    comparator = fields.String(required=True, metadata={"description": "GE GT LE LT EQ BETWEEN QUALITATIVE"})
    target_low = _nullable(Quantity(metadata={"description": "指标值下限（或唯一值）"}))
    target_high = _nullable(Quantity(metadata={"description": "指标值上限（区间）"}))
    target_unit = fields.String(required=True, metadata={"description": "计量单位"})
    mode = fields.String(
        attribute="effective_mode",
        required=True,
        metadata={"description": "监控方式 cumulative|level|cap|qualitative|budget"},
    )
    computed_metric = _nullable(fields.String(metadata={"description": "由财务数据计算的指标（SPEC §7）"}))


class BudgetSchema(Schema):
    """Budget and recorded spending of a project (万元), summed from the spending rows of its year."""

    initial = Money(required=True, metadata={"description": "年初预算数"})
    general_public = _nullable(Money(metadata={"description": "一般公共预算"}))
    adjustments = Money(required=True, metadata={"description": "预算调整合计"})
    spent = Money(required=True, metadata={"description": "支出合计"})
    through_month = _nullable(fields.Integer(metadata={"description": "已有支出数据的最后月份"}))


class ProjectSchema(Schema):
    year = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "项目编码"})
    name = fields.String(required=True, metadata={"description": "项目名称"})
    kind = fields.String(
        required=True, metadata={"description": "recurring 其他运转类 | specific 特定目标类"}
    )
    department = fields.String(required=True, metadata={"description": "部门编码"})
    unit = fields.String(required=True, metadata={"description": "预算单位编码"})
    annual_goal = _nullable(fields.String(metadata={"description": "年度总体目标"}))
    budget = fields.Nested(BudgetSchema, required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)


class SpendingEntrySchema(Schema):
    year = fields.Integer(required=True)
    month = fields.Integer(required=True)
    unit = fields.String(required=True, metadata={"description": "预算单位编码"})
    project = _nullable(fields.String(metadata={"description": "项目编码；null 为基本支出"}))
    category = fields.String(required=True, metadata={"description": "类别"})
    amount = Money(required=True, metadata={"description": "金额（万元），当月数"})
    synthetic = fields.Boolean(required=True, metadata={"description": "演示数据"})


class SpendingUpsertSchema(Schema):
    """Bulk upsert of spending rows: the same rows, the same checks as the spending file (SPEC §8)."""

    records = fields.List(
        fields.Nested(SpendingRowSchema),
        required=True,
        validate=validate.Length(min=1, max=10000, error="records 应有 1–10000 条"),
        error_messages=_REQUIRED,
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


# ---------------------------------------------------------------- monthly reports


_VALUE = {"oneOf": [{"type": "number"}, {"type": "string"}], "nullable": True}


class LampSchema(Schema):
    status = fields.String(required=True, metadata={"description": "green|yellow|red|missing|n/a"})
    ratio = _nullable(Quantity())
    expected = _nullable(Quantity())
    explain = fields.String(required=True)


class ReportRowSchema(Schema):
    indicator_id = fields.Integer(required=True)
    project = _nullable(fields.String(metadata={"description": "项目编码；null 为部门整体"}))
    project_name = _nullable(fields.String())
    level1 = fields.String(required=True)
    level2 = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "三级指标"})
    target = fields.String(required=True)
    target_unit = fields.String(required=True)
    qualitative = fields.Boolean(required=True)
    computed = fields.Boolean(required=True, metadata={"description": "由财务数据计算，不能填写"})
    actual = fields.Raw(
        allow_none=True, metadata={**_VALUE, "description": "实际完成值：数字，或定性指标的完成情况"}
    )
    grade_percent = _nullable(Quantity())
    forecast = fields.Raw(allow_none=True, metadata={**_VALUE, "description": "全年预计完成值"})
    likelihood = _nullable(fields.String())
    deviation_category = _nullable(fields.String())
    deviation_cause = _nullable(fields.String())
    corrective_measure = _nullable(fields.String())
    previous_actual = fields.Raw(allow_none=True, metadata={**_VALUE, "description": "上月实际完成值"})
    lamp = fields.Nested(LampSchema, required=True)
    needs_cause = fields.Boolean(required=True, metadata={"description": "黄灯/红灯：须填偏差原因和改进措施"})


class ReportSchema(Schema):
    unit = _nullable(fields.String(metadata={"description": "预算单位编码；null 为部门整体"}))
    department = fields.String(required=True)
    year = fields.Integer(required=True)
    month = fields.Integer(required=True)
    status = fields.String(
        required=True, metadata={"description": "draft 草稿 | submitted 已提交 | approved 已审核"}
    )
    version = fields.Integer(required=True, metadata={"description": "版本（ETag）；0 为尚未保存"})
    imported = fields.Boolean(required=True)
    return_reason = _nullable(fields.String())
    deadline = fields.Date(required=True)
    overdue = fields.Boolean(required=True)
    editable = fields.Boolean(required=True)
    can_review = fields.Boolean(required=True)
    updated_at = _nullable(Timestamp())
    submitted_at = _nullable(Timestamp())
    approved_at = _nullable(Timestamp())
    rows = fields.List(fields.Nested(ReportRowSchema), required=True)


class ReportSummarySchema(Schema):
    unit = _nullable(fields.String())
    department = fields.String(required=True)
    year = fields.Integer(required=True)
    month = fields.Integer(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    imported = fields.Boolean(required=True)
    updated_at = _nullable(Timestamp())
    submitted_at = _nullable(Timestamp())
    approved_at = _nullable(Timestamp())


_TEXT: dict[str, Any] = {"invalid": "应为文本", **_REQUIRED}


class RowValuesSchema(Schema):
    """What a client may set on one indicator; anything else (unit, status, version …) is refused."""

    actual = fields.Raw(
        allow_none=True, metadata={**_VALUE, "description": "实际完成值；定性指标为 达成/部分达成/未达成"}
    )
    grade_percent = fields.Raw(
        allow_none=True, metadata={**_VALUE, "description": "定性指标在其等级区间内的百分比"}
    )
    forecast = fields.Raw(allow_none=True, metadata={**_VALUE, "description": "全年预计完成值"})
    likelihood = fields.String(
        allow_none=True,
        error_messages=_TEXT,
        metadata={"description": "完成目标可能性：" + " / ".join(LIKELIHOODS)},
    )
    deviation_category = fields.String(
        allow_none=True,
        error_messages=_TEXT,
        metadata={"description": "偏差原因类别：" + " / ".join(DEVIATION_CATEGORIES)},
    )
    deviation_cause = fields.String(allow_none=True, error_messages=_TEXT)
    corrective_measure = fields.String(allow_none=True, error_messages=_TEXT)


class ReportValuesSchema(Schema):
    """保存草稿: ``values`` maps an indicator id (as text) to the fields to set; a field left out is
    unchanged, ``""`` or null clears it."""

    values = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,12}$", error="键应为指标 id")),
        values=fields.Nested(RowValuesSchema),
        required=True,
        error_messages=_REQUIRED,
    )


class SubmitSchema(Schema):
    values = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,12}$", error="键应为指标 id")),
        values=fields.Nested(RowValuesSchema),
        load_default=dict,
        metadata={"description": "提交前先保存的值（可选）"},
    )


class ReturnSchema(Schema):
    reason = fields.String(required=True, error_messages=_TEXT, metadata={"description": "退回原因"})


# ---------------------------------------------------------------- evaluations (SPEC §9)


class _Open(Schema):
    """Documents of SPEC §9: known keys described, any later addition passed through."""

    class Meta:
        unknown = INCLUDE


class MonitoringIndicatorSchema(_Open):
    level1 = fields.String()
    name = fields.String(required=True)
    target = fields.String(required=True)
    mode = fields.String(required=True)
    actual = fields.Raw(allow_none=True, metadata=_VALUE)
    expected = _nullable(fields.Float())
    status = fields.String(required=True, metadata={"description": "green|yellow|red|missing|n/a"})


class MonitoringProjectSchema(_Open):
    code = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    budget = _nullable(fields.Float())
    spent = _nullable(fields.Float())
    execution = _nullable(fields.Float(metadata={"description": "预算执行率（%）"}))
    budget_status = _nullable(fields.String())
    indicators = fields.List(fields.Nested(MonitoringIndicatorSchema), required=True)


class MonitoringDepartmentSchema(_Open):
    code = fields.String(required=True)
    metrics = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True), required=True)
    indicators = fields.List(fields.Nested(MonitoringIndicatorSchema), required=True)


class MonitoringDocumentSchema(_Open):
    """绩效运行监控 document, as ``evaluate monitoring --json`` prints it (SPEC §9)."""

    year = fields.Integer(required=True)
    month = fields.Integer(required=True)
    time_progress = fields.Float(required=True, metadata={"description": "时间进度（%）"})
    projects = fields.List(fields.Nested(MonitoringProjectSchema), required=True)
    department = fields.Nested(MonitoringDepartmentSchema, required=True)


class AssessedIndicatorSchema(_Open):
    level1 = fields.String()
    name = fields.String(required=True)
    target = fields.String(required=True)
    actual = fields.Raw(allow_none=True, metadata=_VALUE)
    weight = _nullable(fields.Float())
    score = _nullable(fields.Float())
    met = fields.Boolean(required=True)
    flags = fields.List(fields.String(), required=True)


class ExecutionScoreSchema(_Open):
    rate = _nullable(fields.Float())
    score = _nullable(fields.Float())


class AssessedProjectSchema(_Open):
    code = fields.String(required=True)
    total = _nullable(fields.Float())
    grade = _nullable(fields.String())
    execution = fields.Nested(ExecutionScoreSchema, required=True)
    indicators = fields.List(fields.Nested(AssessedIndicatorSchema), required=True)


class AssessedDepartmentSchema(_Open):
    code = fields.String(required=True)
    total = _nullable(fields.Float())
    grade = _nullable(fields.String())
    indicators = fields.List(fields.Nested(AssessedIndicatorSchema), required=True)


class SelfAssessmentDocumentSchema(_Open):
    """绩效自评 document, as ``evaluate self-assessment --json`` prints it (SPEC §9)."""

    year = fields.Integer(required=True)
    projects = fields.List(fields.Nested(AssessedProjectSchema), required=True)
    department = fields.Nested(AssessedDepartmentSchema, required=True)


# ---------------------------------------------------------------- job runs and deliveries


class DeliveryAttemptSchema(Schema):
    number = fields.Integer(required=True)
    at = Timestamp(required=True)
    ok = fields.Boolean(required=True)
    error = _nullable(fields.String())
    trigger = fields.String(required=True, metadata={"description": "send | retry | resend"})


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
    status = fields.String(required=True, metadata={"description": "pending | retrying | sent | failed"})
    attempts = fields.Integer(required=True)
    last_error = _nullable(fields.String())
    next_attempt_at = _nullable(Timestamp())
    sent_at = _nullable(Timestamp())
    created_at = Timestamp(required=True)
    attempt_log = fields.List(fields.Nested(DeliveryAttemptSchema), required=True)
