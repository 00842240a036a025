"""What a user typed for one indicator, checked and converted (SPEC §4). Pure: no Flask, no database.

Every message is Chinese and names what is wrong, so the form can show it beside the field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from tracker.core.text import N_
from tracker.reporting.models import DEVIATION_CATEGORIES, GRADES, LIKELIHOODS
from tracker.rules.actuals import NOT_APPLICABLE_TEXT, NOT_APPLICABLE_WORDS
from tracker.rules.cells import control_character_names, control_characters

__all__ = ["ROW_FIELDS", "RowValues", "parse_row", "parse_number", "NumberError"]

#: The fields of one indicator a user may set; anything else is refused, not ignored.
ROW_FIELDS = (
    "actual",
    "grade_percent",
    "forecast",
    "likelihood",
    "deviation_category",
    "deviation_cause",
    "corrective_measure",
)
MAX_TEXT = 2000
#: Numeric(24, 6): 18 digits before the point, 6 after.
_MAX_ABS = Decimal(10) ** 18
_RATE_LIMITS = {"%": Decimal(100), "‰": Decimal(1000)}
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


class NumberError(ValueError):
    """Not an acceptable number; ``str()`` is the Chinese message."""


@dataclass
class RowValues:
    """The checked values of one indicator; ``None`` means empty."""

    actual: Decimal | None = None
    grade: str | None = None
    grade_percent: Decimal | None = None
    forecast: Decimal | None = None
    forecast_grade: str | None = None
    likelihood: str | None = None
    deviation_category: str | None = None
    deviation_cause: str | None = None
    corrective_measure: str | None = None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int | float):
        return str(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_number(value: Any, unit: str = "", *, target_max: Decimal | None = None) -> Decimal | None:
    """A number in the target's unit: ``12.5``, ``1,200``, ``85%`` for a rate. Empty → ``None``.

    Rates (%/‰) must lie in 0–100 (0–1000), unless the target itself is above that bound.
    """
    if isinstance(value, float):
        raise NumberError(_("数字须以文本或精确小数给出"))
    text = _text(value).replace(" ", "")
    if not text:
        return None
    if unit and text.endswith(unit) and unit in _RATE_LIMITS:
        text = text[: -len(unit)]
    if "," in text:
        # 1,200 is a thousands separator; 1,5 may be a decimal comma or a typo: refused, never 15.
        if not _THOUSANDS.fullmatch(text):
            raise NumberError(
                _("“%(value)s”有歧义：逗号不能作小数点，请写作如 1.5 或 15", value=_text(value))
            )
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise NumberError(_("“%(value)s”不是有效数字，请输入数字（如 12.5）", value=_text(value))) from None
    if not number.is_finite():
        raise NumberError(_("“%(value)s”不是有效数字，请输入数字（如 12.5）", value=_text(value)))
    if number < 0:
        raise NumberError(_("不能为负数"))
    if abs(number) >= _MAX_ABS:
        raise NumberError(_("数字过大"))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise NumberError(_("小数最多 6 位"))
    limit = _RATE_LIMITS.get(unit)
    if limit is not None and number > max(limit, target_max or limit):
        raise NumberError(_("比率应在 0 到 %(limit)s 之间（单位 %(unit)s）", limit=limit, unit=unit))
    return number


def _choice(value: Any, choices: tuple[str, ...], label: str) -> str | None:
    """``label`` is a msgid (``N_``), translated only for an error: a save checks 1,000 rows."""
    text = _text(value)
    if not text:
        return None
    if text not in choices:
        raise NumberError(_("%(label)s应为 %(choices)s 之一", label=_(label), choices="、".join(choices)))
    return text


def _long_text(value: Any, label: str) -> str | None:
    text = _text(value)
    if len(text) > MAX_TEXT:
        raise NumberError(_("%(label)s最多 %(count)s 个字", label=_(label), count=MAX_TEXT))
    return text or None


def parse_row(
    raw: Mapping[str, Any],
    *,
    qualitative: bool,
    unit: str,
    target_max: Decimal | None,
    bands: Mapping[str, tuple[Decimal, Decimal]],
) -> tuple[RowValues, dict[str, list[str]]]:
    """Check one indicator's typed values. Returns the values and errors by field name.

    For a qualitative indicator ``actual`` and ``forecast`` are grades (达成/部分达成/未达成) and
    ``grade_percent`` a percent inside the grade's band (SPEC §6).
    """
    values = RowValues()
    errors: dict[str, list[str]] = {}
    for field in raw:
        if field not in ROW_FIELDS:
            errors.setdefault(field, []).append(_("不允许设置此字段"))
        elif isinstance(raw[field], str) and (found := control_characters(raw[field])):
            # From a script or a paste (the form, the API, an import alike): invisible here, but it
            # acts on a terminal reading the audit log or an export (issue 12 §11).
            errors.setdefault(field, []).append(
                _(
                    "含有不可见的控制字符 %(names)s，未保存：请删除后重新输入",
                    names=control_character_names(found),
                )
            )

    def attempt(field: str, parse: Callable[[Any], object]) -> None:
        if field not in raw or field in errors:
            return
        try:
            parse(raw[field])
        except NumberError as exc:
            errors.setdefault(field, []).append(str(exc))

    # 不适用: the event never arose (issue 10 §3); its reason goes in 偏差原因说明.
    not_applicable = _text(raw.get("actual")) in NOT_APPLICABLE_WORDS
    if not_applicable:
        values.grade = NOT_APPLICABLE_TEXT
    if qualitative:
        if not not_applicable:
            attempt("actual", lambda v: setattr(values, "grade", _choice(v, GRADES, N_("完成情况"))))
        attempt("forecast", lambda v: setattr(values, "forecast_grade", _choice(v, GRADES, N_("全年预计"))))
        attempt("grade_percent", lambda v: setattr(values, "grade_percent", parse_number(v, "%")))
        if values.grade_percent is not None:
            band = bands.get(values.grade or "")
            if band is None:
                errors.setdefault("grade_percent", []).append(_("填写百分比前请先选择完成情况"))
            elif not band[0] <= values.grade_percent <= band[1]:
                errors.setdefault("grade_percent", []).append(
                    _(
                        "“%(grade)s”的百分比应在 %(low)s–%(high)s 之间",
                        grade=values.grade,
                        low=band[0],
                        high=band[1],
                    )
                )
    else:
        if not not_applicable:
            attempt(
                "actual", lambda v: setattr(values, "actual", parse_number(v, unit, target_max=target_max))
            )
        attempt(
            "forecast", lambda v: setattr(values, "forecast", parse_number(v, unit, target_max=target_max))
        )
        if _text(raw.get("grade_percent")):
            errors.setdefault("grade_percent", []).append(_("只有定性指标可以填写百分比"))
    attempt(
        "likelihood", lambda v: setattr(values, "likelihood", _choice(v, LIKELIHOODS, N_("完成目标可能性")))
    )
    attempt(
        "deviation_category",
        lambda v: setattr(values, "deviation_category", _choice(v, DEVIATION_CATEGORIES, N_("偏差原因类别"))),
    )
    attempt(
        "deviation_cause", lambda v: setattr(values, "deviation_cause", _long_text(v, N_("偏差原因说明")))
    )
    attempt(
        "corrective_measure", lambda v: setattr(values, "corrective_measure", _long_text(v, N_("改进措施")))
    )
    return values, errors
