"""What every resource's schemas use: money, quantities and instants as the API writes them, and the
query arguments' fields with their Chinese messages.

Money leaves as a JSON number rounded half-up to 2 places, only here at the edge (SPEC §2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from tracker import rules

REQUIRED: dict[str, Any] = {"required": "不能为空", "null": "不能为空"}
#: An actual or forecast: a number, or a qualitative indicator's grade (text), or null.
VALUE = {"oneOf": [{"type": "number"}, {"type": "string"}], "nullable": True}


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


def nullable(field: fields.Field) -> fields.Field:
    field.allow_none = True
    return field


def int_arg(low: int, high: int, what: str, **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        validate=validate.Range(min=low, max=high, error=f"{what}应在 {low}–{high} 之间"),
        error_messages={**REQUIRED, "invalid": f"{what}应为整数"},
        **kwargs,
    )


def code_arg(what: str, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(r"^[0-9A-Za-z]{1,32}$", error=f"{what}格式不正确"),
        error_messages={**REQUIRED, "invalid": "应为文本"},
        **kwargs,
    )


def choice_arg(choices: Sequence[str], what: str, **kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(choices, error=f"{what}应为 " + " / ".join(choices) + " 之一"), **kwargs
    )


class Args(Schema):
    class Meta:
        unknown = EXCLUDE


class DepartmentArgs(Args):
    department = code_arg("部门编码", metadata={"description": "部门编码"})


class ScopeArgs(Args):
    year = int_arg(2000, 2100, "年度", metadata={"description": "年度"})
    department = code_arg("部门编码", metadata={"description": "部门编码"})
    unit = code_arg("单位编码", metadata={"description": "预算单位编码"})
