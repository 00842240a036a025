"""部门, 预算单位, 项目 (with budget and indicators) and 绩效指标: their query arguments and documents."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from tracker.api.schemas.common import (
    Args,
    Money,
    Quantity,
    ScopeArgs,
    code_arg,
    int_arg,
    nullable,
)


class DepartmentArgs(Args):
    department = code_arg("部门编码", metadata={"description": "部门编码"})


class IndicatorArgs(ScopeArgs):
    project = fields.String(
        validate=validate.Regexp(r"^\d{20,21}$", error="项目编码应为 20–21 位数字"),
        metadata={"description": "项目编码"},
    )


class ProjectArgs(Args):
    year = int_arg(2000, 2100, "年度", metadata={"description": "年度（缺省：最近一年）"})


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
    note = nullable(fields.String(metadata={"description": "指标值说明"}))
    weight = nullable(Quantity(metadata={"description": "分值"}))
    comparator = fields.String(required=True, metadata={"description": "GE GT LE LT EQ BETWEEN QUALITATIVE"})
    target_low = nullable(Quantity(metadata={"description": "指标值下限（或唯一值）"}))
    target_high = nullable(Quantity(metadata={"description": "指标值上限（区间）"}))
    target_unit = fields.String(required=True, metadata={"description": "计量单位"})
    mode = fields.String(
        attribute="effective_mode",
        required=True,
        metadata={"description": "监控方式 cumulative|level|cap|qualitative|budget"},
    )
    computed_metric = nullable(fields.String(metadata={"description": "由财务数据计算的指标（SPEC §7）"}))


class BudgetSchema(Schema):
    """Budget and recorded spending of a project (万元), summed from the spending rows of its year."""

    initial = Money(required=True, metadata={"description": "年初预算数"})
    general_public = nullable(Money(metadata={"description": "一般公共预算"}))
    adjustments = Money(required=True, metadata={"description": "预算调整合计"})
    spent = Money(required=True, metadata={"description": "支出合计"})
    through_month = nullable(fields.Integer(metadata={"description": "已有支出数据的最后月份"}))


class ProjectSchema(Schema):
    year = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "项目编码"})
    name = fields.String(required=True, metadata={"description": "项目名称"})
    kind = fields.String(
        required=True, metadata={"description": "recurring 其他运转类 | specific 特定目标类"}
    )
    department = fields.String(required=True, metadata={"description": "部门编码"})
    unit = fields.String(required=True, metadata={"description": "预算单位编码"})
    annual_goal = nullable(fields.String(metadata={"description": "年度总体目标"}))
    budget = fields.Nested(BudgetSchema, required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)
