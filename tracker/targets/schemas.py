"""marshmallow schemas of the rows users bring (SPEC §8). Keys are the English names used in code
and in the JSON API; :data:`HEADERS` maps each file's Chinese headers onto them, so a file row and
an API record are validated by the same schema."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from tracker.rules.columns import read_target
from tracker.rules.grammar import TargetSyntaxError
from tracker.types import MONEY_LIMIT

__all__ = [
    "HEADERS",
    "REQUIRED_HEADERS",
    "PROJECT_LEVEL1",
    "TargetRowSchema",
    "ProjectRowSchema",
    "DepartmentLineRowSchema",
    "SpendingRowSchema",
    "ActualRowSchema",
    "GoalRowSchema",
    "split_deviation_cause",
]

#: 一级指标 of a 项目绩效目标表 (财预〔2021〕101号).
PROJECT_LEVEL1 = ("成本指标", "产出指标", "效益指标", "满意度指标")
PROJECT_KIND_NAMES = ("其他运转类", "特定目标类")
SPENDING_CATEGORY_NAMES = ("支出", "预算调整", "三公经费支出", "政府采购支出", "结转结余")
LIKELIHOOD_NAMES = ("确定能", "有可能", "完全不可能")
DEVIATION_CATEGORY_NAMES = ("经费保障", "制度保障", "人员保障", "硬件条件保障", "其他")

_REQUIRED: dict[str, Any] = {"required": "不能为空", "null": "不能为空"}


def _text(required: bool = False, max_length: int = 200, **kwargs: Any) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Length(max=max_length, error=f"不能超过 {max_length} 个字"),
        error_messages={**_REQUIRED, "invalid": "应为文本"},
        **kwargs,
    )


def _code(required: bool = True, pattern: str = r"^[0-9A-Za-z]{1,32}$", what: str = "编码") -> fields.String:
    return fields.String(
        required=required,
        validate=validate.Regexp(pattern, error=f"{what}格式不正确"),
        error_messages={**_REQUIRED, "invalid": "应为文本"},
    )


def _integer(low: int, high: int, what: str) -> fields.Integer:
    return fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=low, max=high, error=f"{what}应在 {low}–{high} 之间"),
        error_messages={**_REQUIRED, "invalid": f"{what}应为整数"},
    )


class Amount(fields.Field):
    """A Decimal number as users type it: full-width digits, thousands separators and a trailing
    unit the caller names (``万元``, ``%``) are accepted; at most ``places`` decimals."""

    default_error_messages = {
        **_REQUIRED,
        "invalid": "不是有效的数字",
        "places": "最多 {places} 位小数",
        "too_large": "数值过大（绝对值应小于 {limit}）",
    }

    def __init__(self, places: int | None = 6, suffixes: tuple[str, ...] = ("万元",), **kwargs: Any):
        super().__init__(**kwargs)
        self.places = places
        self.suffixes = suffixes

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, (int, Decimal)):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, str):
            text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
            for suffix in self.suffixes:
                if text.endswith(suffix):
                    text = text[: -len(suffix)].strip()
                    break
            try:
                number = Decimal(text)
            except InvalidOperation as exc:
                raise self.make_error("invalid") from exc
        else:
            raise self.make_error("invalid")
        if not number.is_finite():
            raise self.make_error("invalid")
        if abs(number) >= MONEY_LIMIT:  # 1e999 or 40 digits: refused here, not by the database
            raise self.make_error("too_large", limit=f"{MONEY_LIMIT:,.0f}")
        exponent = number.as_tuple().exponent
        if self.places is not None and isinstance(exponent, int) and exponent < -self.places:
            raise self.make_error("places", places=self.places)
        return number

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else float(value)


def _one_of(choices: tuple[str, ...], required: bool = False) -> fields.String:
    return fields.String(
        required=required,
        validate=validate.OneOf(choices, error="应为 " + " / ".join(choices) + " 之一"),
        error_messages=_REQUIRED,
    )


class _RowSchema(Schema):
    """Blank cells are absent values, so a blank required column says 不能为空."""

    @pre_load
    def _blank_is_missing(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "":
                    continue
            if value is None:
                continue
            cleaned[key] = value
        return cleaned


class TargetRowSchema(_RowSchema):
    """A row of the 绩效目标表 file; blank 项目编码 is a 部门整体 indicator."""

    year = _integer(2000, 2100, "年度")
    department_code = _code(what="部门编码")
    department_name = _text(required=True)
    unit_code = _code(required=False, what="单位编码")
    unit_name = _text()
    project_code = _code(required=False, pattern=r"^\d{20,21}$", what="项目编码（应为 20–21 位数字）")
    project_name = _text(max_length=300)
    project_kind = _one_of(PROJECT_KIND_NAMES)
    project_amount = Amount(required=False)
    level1 = _text(required=True, max_length=50)
    level2 = _text(max_length=100)
    name = _text(required=True)
    target = _text(required=True)
    #: Columns of 一体化 exports (issue 10 §9): the unit printed apart, the sense, the kind.
    unit = _text(max_length=20)
    direction = _text(max_length=10)
    nature = _text(max_length=10)
    note = fields.String(required=False)
    weight = Amount(
        required=False,
        places=2,
        suffixes=("分",),
        validate=validate.Range(min=0, max=100, error="分值应在 0–100 之间"),
    )

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if "target" in data:
            try:
                read_target(
                    data["target"], data.get("level1", ""), data.get("level2") or "",
                    unit=data.get("unit") or "", direction=data.get("direction") or "",
                    nature=data.get("nature") or "",
                )  # fmt: skip
            except TargetSyntaxError as exc:
                errors["target"] = [str(exc)]
        if data.get("project_code"):
            for key in ("unit_code", "project_name", "project_kind"):
                if not data.get(key):
                    errors.setdefault(key, []).append("项目指标必须填写")
            if data.get("level1") and data["level1"] not in PROJECT_LEVEL1:
                errors.setdefault("level1", []).append("项目指标的一级指标应为 " + " / ".join(PROJECT_LEVEL1))
        if errors:
            raise ValidationError(errors)


class ProjectRowSchema(_RowSchema):
    """A row of the projects-and-budgets file."""

    year = _integer(2000, 2100, "年度")
    department_code = _code(what="部门编码")
    unit_code = _code(what="单位编码")
    unit_name = _text(required=True)
    project_code = _code(pattern=r"^\d{20,21}$", what="项目编码（应为 20–21 位数字）")
    project_name = _text(required=True, max_length=300)
    project_kind = _one_of(PROJECT_KIND_NAMES, required=True)
    initial_budget = Amount(required=True, validate=validate.Range(min=0, error="不能为负数"))
    general_budget = Amount(required=False, validate=validate.Range(min=0, error="不能为负数"))


class DepartmentLineRowSchema(_RowSchema):
    """A row of the department-totals file (部门预算总额, “三公”经费预算 …)."""

    year = _integer(2000, 2100, "年度")
    department_code = _code(what="部门编码")
    subject = _text(required=True, max_length=100)
    amount = Amount(required=True)


class SpendingRowSchema(_RowSchema):
    """One month's amount of one 类别 (not cumulative); blank 项目编码 is 基本支出."""

    year = _integer(2000, 2100, "年度")
    month = _integer(1, 12, "月份")
    unit_code = _code(what="单位编码")
    project_code = _code(required=False, pattern=r"^\d{20,21}$", what="项目编码（应为 20–21 位数字）")
    category = _one_of(SPENDING_CATEGORY_NAMES, required=True)
    amount = Amount(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _sign(self, data: dict[str, Any], **kwargs: Any) -> None:
        # 追减 is a negative 预算调整; every other 类别 is an amount spent or carried.
        if data.get("category") != "预算调整" and data.get("amount") is not None and data["amount"] < 0:
            raise ValidationError({"amount": ["只有“预算调整”可以为负数"]})


def split_deviation_cause(value: str) -> tuple[str, str]:
    """``经费保障：资金未到位`` → (经费保障, 资金未到位). The category is one of 财预〔2019〕136号's."""
    category, _, detail = re.sub("：", ":", value.strip(), count=1).partition(":")
    category = category.strip()
    if category not in DEVIATION_CATEGORY_NAMES:
        raise ValidationError(
            "偏差原因应以 " + " / ".join(DEVIATION_CATEGORY_NAMES) + " 之一开头，可加“：说明”"
        )
    return category, detail.strip()


class ActualRowSchema(_RowSchema):
    """A row of the actuals file: year-to-date values as of the end of 月份 (SPEC §4)."""

    year = _integer(2000, 2100, "年度")
    month = _integer(1, 12, "月份")
    department_code = _code(required=False, what="部门编码")
    project_code = _code(required=False, pattern=r"^\d{20,21}$", what="项目编码（应为 20–21 位数字）")
    name = _text(required=True)
    actual = _text(required=True, max_length=50)
    forecast = _text(max_length=50)
    likelihood = _one_of(LIKELIHOOD_NAMES)
    deviation_cause = fields.String(required=False)
    corrective_measure = fields.String(required=False)

    @validates_schema(skip_on_field_errors=False)
    def _cause(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("deviation_cause"):
            try:
                split_deviation_cause(data["deviation_cause"])
            except ValidationError as exc:
                raise ValidationError({"deviation_cause": exc.messages}) from exc


class GoalRowSchema(_RowSchema):
    """年度履职目标 / 年度主要任务 of a department."""

    category = _one_of(("年度履职目标", "年度主要任务"), required=True)
    name = _text(max_length=200)
    content = fields.String(required=True, error_messages=_REQUIRED)


#: File header → schema key, per import kind (SPEC §8). Optional columns are marked in REQUIRED_HEADERS.
HEADERS: dict[str, dict[str, str]] = {
    "targets": {
        "年度": "year", "部门编码": "department_code", "部门名称": "department_name",
        "单位编码": "unit_code", "单位名称": "unit_name", "项目编码": "project_code",
        "项目名称": "project_name", "项目类型": "project_kind", "项目金额(万元)": "project_amount",
        "一级指标": "level1", "二级指标": "level2", "三级指标": "name", "指标值": "target",
        "指标值说明": "note", "分值": "weight", "计量单位": "unit", "指标方向": "direction",
        "指标性质": "nature",
    },
    "projects": {
        "年度": "year", "部门编码": "department_code", "单位编码": "unit_code", "单位名称": "unit_name",
        "项目编码": "project_code", "项目名称": "project_name", "项目类型": "project_kind",
        "年初预算数(万元)": "initial_budget", "一般公共预算(万元)": "general_budget",
    },
    "department": {"年度": "year", "部门编码": "department_code", "科目": "subject", "金额(万元)": "amount"},
    "spending": {
        "年度": "year", "月份": "month", "单位编码": "unit_code", "项目编码": "project_code",
        "类别": "category", "金额(万元)": "amount",
    },
    "actuals": {
        "年度": "year", "月份": "month", "部门编码": "department_code", "项目编码": "project_code",
        "三级指标": "name", "实际完成值": "actual", "全年预计完成值": "forecast",
        "完成目标可能性": "likelihood", "偏差原因": "deviation_cause", "改进措施": "corrective_measure",
    },
    "goals": {"类别": "category", "名称": "name", "内容": "content"},
    # SPEC §1a: the 财政局 tree and where each department's budget is.
    "bureaus": {
        "财政局编码": "code", "财政局名称": "name", "上级财政局编码": "parent_code",
        "规则包": "rule_pack", "级次": "level",
    },
    "departments": {"部门编码": "department_code", "部门名称": "department_name", "财政局编码": "bureau_code"},
}  # fmt: skip

_OPTIONAL_HEADERS = {
    "targets": {"分值", "指标值说明", "二级指标", "项目金额(万元)", "计量单位", "指标方向", "指标性质"},
    "projects": {"一般公共预算(万元)"},
    "department": set(),
    "spending": set(),
    "actuals": {"部门编码", "全年预计完成值", "完成目标可能性", "偏差原因", "改进措施"},
    "goals": {"名称"},
    "bureaus": {"上级财政局编码", "规则包", "级次"},
    "departments": set(),
}
REQUIRED_HEADERS: dict[str, tuple[str, ...]] = {
    kind: tuple(h for h in headers if h not in _OPTIONAL_HEADERS[kind]) for kind, headers in HEADERS.items()
}
