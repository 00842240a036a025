"""Rule pack files (规则包文件, SPEC §6a): one TOML file per pack version, read and checked here.

A file is validated whole by :class:`PackFileSchema` (marshmallow); whatever is wrong is reported
as one :class:`RulePackError` naming the file and each key (``categories[2].method``,
``thresholds.green``), so an installation with a bad pack does not start (``create_app``). The keys
are those of ``tracker/rules/pack_data/national-2020.toml`` and docs/rules.md.

A category (and 预算执行率) names its scoring ``method``; only ``proportional`` (SPEC §6) exists.
A later method — banded scores with deductions, execution checkpoints — adds its name to
:data:`~tracker.rules.packs.SCORING_METHODS` and its own keys beside ``method``; files written
before stay valid.

Pure: reads files, no Flask, no database.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from tracker.rules.packs import (
    SCORING_METHODS,
    QualitativeBand,
    RulePack,
    RulePackSet,
    Thresholds,
)

__all__ = ["SHIPPED_DIR", "RulePackError", "PackFileSchema", "load_pack_file", "load_pack_dirs"]

#: The packs shipped with the tracker.
SHIPPED_DIR = Path(__file__).resolve().parent / "pack_data"
#: 自评 points in all (categories + 预算执行率), on which the grades are set.
TOTAL_POINTS = Decimal(100)
QUALITATIVE_GRADES = ("达成", "部分达成", "未达成")

_REQUIRED = "缺少此项"
_MESSAGES: dict[str, Any] = {
    "required": _REQUIRED,
    "null": "不能为空",
    "type": "类型不对",
    "unknown": "未知的键",
}


class RulePackError(ValueError):
    """A pack file (or the set of them) is not valid; the message names each file and key."""


class _Number(fields.Field):
    """A number as TOML writes it (``10``, ``0.8``), kept exact as a Decimal; not text, not a boolean."""

    default_error_messages = {**_MESSAGES, "invalid": "须为数值（如 10 或 0.8，不加引号）"}

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or not Decimal(value).is_finite():
            raise self.make_error("invalid")
        return Decimal(value)


class _Day(fields.Field):
    """A TOML date (``2020-02-25``, unquoted)."""

    default_error_messages = {**_MESSAGES, "invalid": "须为日期（如 2020-02-25，不加引号）"}

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        if not isinstance(value, date) or isinstance(value, datetime):
            raise self.make_error("invalid")
        return value


def _text(**kwargs: Any) -> fields.String:
    return fields.String(error_messages={**_MESSAGES, "invalid": "须为文本"}, **kwargs)


def _points(**kwargs: Any) -> _Number:
    return _Number(validate=validate.Range(min=0, max=100, error="须在 0 到 100 之间"), **kwargs)


def _percent() -> _Number:
    return _Number(required=True, validate=validate.Range(min=0, max=100, error="须在 0 到 100 之间"))


def _whole(value: Decimal) -> None:
    if value != value.to_integral_value():
        raise ValidationError("须为整数")


def _day_of_month() -> _Number:
    return _Number(required=True, validate=[_whole, validate.Range(min=1, max=28, error="须在 1 到 28 之间")])


def _method() -> fields.String:
    return _text(
        load_default="proportional",
        validate=validate.OneOf(
            SCORING_METHODS, error="计分方法“{input}”未实现（可用：" + "、".join(SCORING_METHODS) + "）"
        ),
    )


class _Section(Schema):
    error_messages = {"unknown": "未知的键", "type": "须为表（[...] 一节）"}

    class Meta:
        unknown = RAISE


class _Category(_Section):
    name = _text(required=True, validate=validate.Length(min=1, error="不能为空"))
    points = _points(required=True)
    level1 = fields.List(
        _text(validate=validate.Length(min=1, error="不能为空")),
        required=True,
        validate=validate.Length(min=1, error="至少一个一级指标"),
        error_messages={**_MESSAGES, "invalid": "须为一级指标名称的列表"},
    )
    method = _method()


class _Execution(_Section):
    points = _points(required=True)
    method = _method()


class _Department(_Section):
    points = _Number(required=True, validate=validate.Range(min=0, min_inclusive=False, error="须大于 0"))


class _Band(_Section):
    low = _percent()
    high = _percent()
    default = _percent()

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data["low"] <= data["default"] <= data["high"]:
            raise ValidationError("须满足 low ≤ default ≤ high", "default")


# The grade names are the words reporters choose (SPEC §4), not keys a pack may rename.
_Qualitative = _Section.from_dict(
    {grade: fields.Nested(_Band, required=True, error_messages=_MESSAGES) for grade in QUALITATIVE_GRADES},
    name="_Qualitative",
)


class _Grade(_Section):
    name = _text(required=True, validate=validate.Length(min=1, error="不能为空"))
    minimum = _points(required=True)


class _Grades(_Section):
    levels = fields.List(
        fields.Nested(_Grade),
        required=True,
        validate=validate.Length(min=1, error="至少一个等级"),
        error_messages={**_MESSAGES, "invalid": "须为等级的列表"},
    )
    lowest = _text(required=True, validate=validate.Length(min=1, error="不能为空"))

    @validates_schema
    def _descending(self, data: dict[str, Any], **kwargs: Any) -> None:
        minimums = [level["minimum"] for level in data["levels"]]
        if minimums != sorted(minimums, reverse=True) or len(set(minimums)) != len(minimums):
            raise ValidationError("须从高到低排列，最低分各不相同", "levels")


class _Thresholds(_Section):
    green = _Number(required=True, validate=validate.Range(min=0, max=1, error="须在 0 到 1 之间"))
    yellow = _Number(required=True, validate=validate.Range(min=0, max=1, error="须在 0 到 1 之间"))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["yellow"] > data["green"]:
            raise ValidationError("黄灯阈值不能高于绿灯阈值", "yellow")


class _Scoring(_Section):
    overachievement_factor = _Number(required=True, validate=validate.Range(min=1, error="须不小于 1"))
    not_applicable = _text(
        required=True, validate=validate.OneOf(("share", "zero"), error="须为 share 或 zero")
    )


class _Plausibility(_Section):
    factor = _Number(required=True, validate=validate.Range(min=1, error="须不小于 1"))
    level_jump = _Number(required=True, validate=validate.Range(min=0, max=100, error="须在 0 到 100 之间"))


class _Reporting(_Section):
    report_due_day = _day_of_month()
    monitoring_day = _day_of_month()


def _nested(schema: type[Schema]) -> fields.Nested:
    return fields.Nested(schema, required=True, error_messages={**_MESSAGES, "type": "须为表（[...] 一节）"})


class PackFileSchema(_Section):
    """One pack file, every key required except ``source`` and the ``method`` of each part."""

    name = _text(
        required=True,
        validate=validate.Regexp(
            r"^[a-z0-9][a-z0-9-]{0,39}$", error="须为小写字母、数字和连字符，至多 40 个字符"
        ),
    )
    version = _text(required=True, validate=validate.Length(min=1, max=20, error="须为 1 到 20 个字符"))
    effective = _Day(required=True)
    regulation = _text(required=True, validate=validate.Length(min=1, error="不能为空"))
    source = _text(load_default="")
    categories = fields.List(
        fields.Nested(_Category),
        required=True,
        validate=validate.Length(min=1, error="至少一个类别"),
        error_messages={**_MESSAGES, "invalid": "须为 [[categories]] 各节"},
    )
    execution = _nested(_Execution)
    department = _nested(_Department)
    qualitative = _nested(_Qualitative)
    grades = _nested(_Grades)
    thresholds = _nested(_Thresholds)
    scoring = _nested(_Scoring)
    plausibility = _nested(_Plausibility)
    reporting = _nested(_Reporting)

    @validates_schema
    def _categories_add_up(self, data: dict[str, Any], **kwargs: Any) -> None:
        categories = data["categories"]
        names = [c["name"] for c in categories]
        if len(set(names)) != len(names):
            raise ValidationError("类别名称重复", "categories")
        level1s = [level1 for c in categories for level1 in c["level1"]]
        if len(set(level1s)) != len(level1s):
            raise ValidationError("同一个一级指标出现在两个类别中", "categories")
        total = sum((c["points"] for c in categories), data["execution"]["points"])
        if total != TOTAL_POINTS:
            raise ValidationError(
                f"各类别分值与 execution.points 之和须为 {TOTAL_POINTS}（现为 {total}）", "categories"
            )


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested messages as (``categories[2].method``, message) pairs."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(prefix or "（文件）", m) for m in messages]
    if isinstance(messages, dict):
        found: list[tuple[str, str]] = []
        for key, inner in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key + 1}]"
            elif key == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            found += _flatten(inner, path)
        return found
    return [(prefix or "（文件）", str(messages))]


def _pack(data: dict[str, Any]) -> RulePack:
    categories = data["categories"]
    grades = data["grades"]
    return RulePack(
        name=data["name"],
        version=data["version"],
        effective=data["effective"],
        regulation=data["regulation"],
        source=data["source"],
        thresholds=Thresholds(green=data["thresholds"]["green"], yellow=data["thresholds"]["yellow"]),
        category_points=tuple((c["name"], c["points"]) for c in categories),
        category_methods=tuple((c["name"], c["method"]) for c in categories),
        level1_categories=tuple((level1, c["name"]) for c in categories for level1 in c["level1"]),
        execution_points=data["execution"]["points"],
        execution_method=data["execution"]["method"],
        department_points=data["department"]["points"],
        bands=tuple((grade, QualitativeBand(**data["qualitative"][grade])) for grade in QUALITATIVE_GRADES),
        overachievement_factor=data["scoring"]["overachievement_factor"],
        grades=tuple((g["name"], g["minimum"]) for g in grades["levels"]),
        lowest_grade=grades["lowest"],
        not_applicable_scoring=data["scoring"]["not_applicable"],
        plausibility_factor=data["plausibility"]["factor"],
        plausibility_level_jump=data["plausibility"]["level_jump"],
        report_due_day=int(data["reporting"]["report_due_day"]),
        monitoring_day=int(data["reporting"]["monitoring_day"]),
    )


def load_pack_file(path: Path) -> RulePack:
    """The pack in ``path``; :class:`RulePackError` naming the file and every bad key."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file, parse_float=Decimal)
    except OSError as exc:
        raise RulePackError(f"规则包文件 {path}：无法读取（{exc.strerror}）") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulePackError(f"规则包文件 {path}：不是有效的 TOML（{exc}）") from None
    try:
        return _pack(PackFileSchema().load(data))
    except ValidationError as exc:
        problems = "；".join(f"{key}：{message}" for key, message in _flatten(exc.messages))
        raise RulePackError(f"规则包文件 {path}：{problems}") from None


def load_pack_dirs(directories: Iterable[Path | str]) -> RulePackSet:
    """Every ``*.toml`` pack in these directories, each name@version once; one
    :class:`RulePackError` listing every bad file (and a version found in two files)."""
    loaded: list[tuple[RulePack, str]] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for directory in map(Path, directories):
        if not directory.is_dir():
            problems.append(f"规则包目录 {directory} 不存在")
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                pack = load_pack_file(path)
            except RulePackError as exc:
                problems.append(str(exc))
                continue
            if pack.label in seen:
                problems.append(
                    f"规则包文件 {path}：name/version {pack.label} 已在 {seen[pack.label]} 中定义"
                )
                continue
            seen[pack.label] = path
            loaded.append((pack, str(path)))
    if problems:
        raise RulePackError("\n".join(problems))
    return RulePackSet.collect(loaded)
