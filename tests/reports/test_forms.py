"""The forms as plain data: each row of a project's table is its own indicator's, even when a
target table repeats a 三级指标 within one project (``Indicator.occurrence``)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from tests.factories import IndicatorFactory, ProjectFactory, UnitFactory, monthly_report
from tracker.extensions import db
from tracker.reports.forms import MonitoringSheet, SelfAssessmentSheet
from tracker.reports.service import build_package
from tracker.reports.xlsx import package_xlsx

REPORT_DATE = date(2024, 1, 5)
NAME = "数据安全事件处置"


@pytest.fixture
def repeated(scenario):
    """A third project whose table names the same 三级指标 twice, under different 二级指标, with
    different units and different 偏差原因 reported for each."""
    unit = UnitFactory(department=scenario.department, code="801301", name="测试市网络安全中心")
    project = ProjectFactory(
        unit=unit,
        code="41080022000000053301",
        name="网络安全运维",
        initial_budget=Decimal("20.00"),
        general_budget=Decimal("20.00"),
    )
    first = IndicatorFactory(
        project=project, level1="产出指标", level2="数量指标", name=NAME, target="≥40件", occurrence=1
    )
    second = IndicatorFactory(
        project=project, level1="产出指标", level2="时效指标", name=NAME, target="≥20次", occurrence=2
    )
    for month in (7, 12):
        monthly_report(
            scenario.department,
            unit,
            2023,
            month,
            {
                first: {
                    "actual": Decimal("10"),
                    "deviation_category": "政策变化",
                    "deviation_cause": "第一项的原因",
                    "corrective_measure": "第一项的措施",
                    "forecast": Decimal("30"),
                },
                second: {
                    "actual": Decimal("5"),
                    "deviation_category": "其他",
                    "deviation_cause": "第二项的原因",
                    "corrective_measure": "第二项的措施",
                    "forecast": Decimal("15"),
                },
            },
            imported=True,
        )
    db.session.flush()
    return project


def _rows(package, sheet_type, code: str):
    sheet = next(s for s in package.sheets if isinstance(s, sheet_type) and s.project_code == code)
    return [row for row in sheet.indicators if row.name == NAME]


def test_monitoring_rows_of_a_repeated_name_are_each_their_own(repeated):
    package = build_package("monitoring", 2023, 7, "801", report_date=REPORT_DATE)
    rows = _rows(package, MonitoringSheet, repeated.code)

    assert [(r.level2, r.target, r.actual) for r in rows] == [
        ("数量指标", "≥40件", "10件"),
        ("时效指标", "≥20次", "5次"),
    ]
    assert [(r.cause, r.measure, r.forecast) for r in rows] == [
        ("政策变化：第一项的原因", "第一项的措施", "30件"),
        ("其他：第二项的原因", "第二项的措施", "15次"),
    ]


def test_monitoring_rows_of_a_repeated_name_are_their_own_from_a_stored_run(repeated):
    build_package("monitoring", 2023, 7, "801", report_date=REPORT_DATE)
    package = build_package("monitoring", 2023, 7, "801", report_date=REPORT_DATE, fresh=False)
    rows = _rows(package, MonitoringSheet, repeated.code)

    assert [(r.level2, r.cause) for r in rows] == [
        ("数量指标", "政策变化：第一项的原因"),
        ("时效指标", "其他：第二项的原因"),
    ]


def test_self_assessment_rows_of_a_repeated_name_are_each_their_own(repeated):
    package = build_package("self-assessment", 2023, None, "801", report_date=REPORT_DATE)
    rows = _rows(package, SelfAssessmentSheet, repeated.code)

    assert [(r.level2, r.target, r.actual) for r in rows] == [
        ("数量指标", "≥40件", "10件"),
        ("时效指标", "≥20次", "5次"),
    ]
    assert [r.cause for r in rows] == [
        "政策变化：第一项的原因；改进措施：第一项的措施",
        "其他：第二项的原因；改进措施：第二项的措施",
    ]


def test_monitoring_workbook_prints_each_repeated_row_with_its_own_columns(repeated):
    package = build_package("monitoring", 2023, 7, "801", report_date=REPORT_DATE)
    sheet = next(s for s in package.sheets if getattr(s, "project_code", "") == repeated.code)
    book = openpyxl.load_workbook(io.BytesIO(package_xlsx(package)))
    rows = [list(row) for row in book[sheet.sheet_name].iter_rows(values_only=True)]

    assert [(row[1], row[6]) for row in rows if row[2] == NAME] == [
        ("数量指标", "政策变化：第一项的原因"),
        ("时效指标", "其他：第二项的原因"),
    ]
