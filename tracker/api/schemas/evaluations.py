"""绩效运行监控 and 绩效自评 (SPEC §9): the query arguments, the bodies of a 重新计算, and the documents
exactly as ``flask tracker evaluate … --json`` prints them."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields

from tracker.api.schemas.common import VALUE, Args, code_arg, int_arg, nullable


class MonitoringArgs(Args):
    year = int_arg(2000, 2100, "年度", required=True, metadata={"description": "年度"})
    month = int_arg(1, 12, "月份", required=True, metadata={"description": "截至月份"})
    department = code_arg("部门编码", metadata={"description": "部门编码（用户可见多个部门时必填）"})


class SelfAssessmentArgs(Args):
    year = int_arg(2000, 2100, "年度", required=True, metadata={"description": "年度"})
    department = code_arg("部门编码", metadata={"description": "部门编码（用户可见多个部门时必填）"})


class RunMonitoringSchema(Schema):
    """重新计算 one department's 绩效运行监控 and store it (the body of a POST)."""

    year = int_arg(2000, 2100, "年度", required=True, metadata={"description": "年度"})
    month = int_arg(1, 12, "月份", required=True, metadata={"description": "截至月份"})
    department = code_arg("部门编码", required=True, metadata={"description": "部门编码"})


class RunSelfAssessmentSchema(Schema):
    """重新计算 one department's 绩效自评 and store it (the body of a POST)."""

    year = int_arg(2000, 2100, "年度", required=True, metadata={"description": "年度"})
    department = code_arg("部门编码", required=True, metadata={"description": "部门编码"})


class _Open(Schema):
    """Documents of SPEC §9: known keys described, any later addition passed through."""

    class Meta:
        unknown = INCLUDE


class MonitoringIndicatorSchema(_Open):
    level1 = fields.String()
    name = fields.String(required=True)
    target = fields.String(required=True)
    mode = fields.String(required=True)
    actual = fields.Raw(allow_none=True, metadata=VALUE)
    expected = nullable(fields.Float())
    status = fields.String(required=True, metadata={"description": "green|yellow|red|missing|n/a"})


class MonitoringProjectSchema(_Open):
    code = fields.String(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    budget = nullable(fields.Float())
    spent = nullable(fields.Float())
    execution = nullable(fields.Float(metadata={"description": "预算执行率（%）"}))
    budget_status = nullable(fields.String())
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
    actual = fields.Raw(allow_none=True, metadata=VALUE)
    weight = nullable(fields.Float())
    score = nullable(fields.Float())
    met = fields.Boolean(required=True)
    flags = fields.List(fields.String(), required=True)


class ExecutionScoreSchema(_Open):
    rate = nullable(fields.Float())
    score = nullable(fields.Float())


class AssessedProjectSchema(_Open):
    code = fields.String(required=True)
    total = nullable(fields.Float())
    grade = nullable(fields.String())
    execution = fields.Nested(ExecutionScoreSchema, required=True)
    indicators = fields.List(fields.Nested(AssessedIndicatorSchema), required=True)


class AssessedDepartmentSchema(_Open):
    code = fields.String(required=True)
    total = nullable(fields.Float())
    grade = nullable(fields.String())
    indicators = fields.List(fields.Nested(AssessedIndicatorSchema), required=True)


class SelfAssessmentDocumentSchema(_Open):
    """绩效自评 document, as ``evaluate self-assessment --json`` prints it (SPEC §9)."""

    year = fields.Integer(required=True)
    projects = fields.List(fields.Nested(AssessedProjectSchema), required=True)
    department = fields.Nested(AssessedDepartmentSchema, required=True)
