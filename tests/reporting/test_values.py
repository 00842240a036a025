"""What a user types for one indicator (SPEC §4): numbers, rates, grades, causes."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import pytest

from tracker.reporting.models import ACTUAL_VALUE_FIELDS
from tracker.reporting.values import NumberError, RowValues, parse_number, parse_row

BANDS = {
    "达成": (Decimal(80), Decimal(100)),
    "部分达成": (Decimal(60), Decimal(80)),
    "未达成": (Decimal(0), Decimal(60)),
}


@pytest.mark.parametrize(
    ("typed", "unit", "expected"),
    [
        ("12.5", "件", Decimal("12.5")),
        ("1,200", "件", Decimal("1200")),
        ("12,345.5", "件", Decimal("12345.5")),
        ("１２", "件", Decimal("12")),
        (" 95 ", "%", Decimal("95")),
        ("95%", "%", Decimal("95")),
        ("", "件", None),
        (None, "件", None),
        ("0", "%", Decimal("0")),
        ("100", "%", Decimal("100")),
        ("800", "‰", Decimal("800")),
    ],
)
def test_numbers_in_the_targets_unit_are_understood(typed, unit, expected):
    assert parse_number(typed, unit) == expected


@pytest.mark.parametrize(
    ("typed", "unit", "message"),
    [
        ("十二", "件", "不是有效数字"),
        ("12a", "件", "不是有效数字"),
        ("-3", "件", "不能为负数"),
        ("101", "%", "比率应在 0 到 100 之间"),
        ("1001", "‰", "比率应在 0 到 1000 之间"),
        ("1.1234567", "件", "小数最多 6 位"),
        ("NaN", "件", "不是有效数字"),
        ("1e30", "件", "数字过大"),
        ("1,5", "件", "有歧义"),
        ("1,5%", "%", "有歧义"),
        ("12,34", "万元", "有歧义"),
        ("1,2000", "件", "有歧义"),
    ],
)
def test_bad_numbers_are_refused_with_a_chinese_reason(typed, unit, message):
    with pytest.raises(NumberError, match=message):
        parse_number(typed, unit)


def test_a_rate_may_exceed_100_when_its_target_does():
    assert parse_number("130", "%", target_max=Decimal(150)) == Decimal(130)


def test_floats_are_refused_because_money_is_never_float():
    with pytest.raises(NumberError):
        parse_number(0.1, "万元")


def _row(raw, qualitative=False, unit="件"):
    return parse_row(raw, qualitative=qualitative, unit=unit, target_max=None, bands=BANDS)


def test_a_qualitative_actual_is_a_grade():
    values, errors = _row({"actual": "部分达成", "grade_percent": "70", "forecast": "达成"}, qualitative=True)
    assert errors == {}
    assert (values.grade, values.grade_percent, values.forecast_grade) == ("部分达成", Decimal(70), "达成")


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ({"actual": "很好"}, "actual", "完成情况应为 达成、部分达成、未达成 之一"),
        ({"actual": "达成", "grade_percent": "50"}, "grade_percent", "“达成”的百分比应在 80–100 之间"),
        ({"grade_percent": "70"}, "grade_percent", "请先选择完成情况"),
    ],
)
def test_qualitative_values_outside_the_grades_or_bands_are_refused(raw, field, message):
    _, errors = _row(raw, qualitative=True)
    assert message in "".join(errors[field])


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"likelihood": "也许"}, "likelihood"),
        ({"deviation_category": "天气"}, "deviation_category"),
        ({"deviation_cause": "长" * 2001}, "deviation_cause"),
        ({"grade_percent": "70"}, "grade_percent"),
        ({"status": "approved"}, "status"),
        ({"unit": "802001"}, "unit"),
    ],
)
def test_fields_with_bad_or_forbidden_values_are_refused(raw, field):
    _, errors = _row(raw)
    assert field in errors


def test_every_error_of_a_row_is_reported_at_once():
    _, errors = _row({"actual": "abc", "forecast": "-1", "likelihood": "x"})
    assert set(errors) == {"actual", "forecast", "likelihood"}


def test_a_refused_choice_or_text_names_its_field_in_the_pages_language(app):
    from flask_babel import force_locale

    raw = {"actual": "很好", "likelihood": "也许", "deviation_cause": "长" * 2001}
    with app.test_request_context(), force_locale("en"):
        _, errors = _row(raw, qualitative=True)
    assert "must be one of" in errors["actual"][0] and "完成情况" not in errors["actual"][0]
    assert errors["likelihood"][0].startswith("Likelihood must be one of")
    assert "偏差原因说明" not in errors["deviation_cause"][0] and "at most" in errors["deviation_cause"][0]


def test_the_checked_values_are_the_stored_columns_in_their_order():
    """A report's stored values are read as RowValues straight from the columns, by position."""
    assert tuple(item.name for item in fields(RowValues)) == ACTUAL_VALUE_FIELDS
