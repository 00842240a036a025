"""A small department with two projects, spending and approved December / July reports (the real
SMTP server on a free loopback port, ``smtp``, is in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from tests.factories import (
    DepartmentFactory,
    IndicatorFactory,
    ProjectFactory,
    UnitFactory,
    monthly_report,
    spending,
)
from tracker.budget.models import DepartmentBudgetLine
from tracker.extensions import db
from tracker.targets.models import DepartmentGoal

HOSTILE = "=cmd|' /C calc'!A0"


@dataclass
class Scenario:
    department: object
    units: list
    projects: list
    indicators: dict = field(default_factory=dict)


def _approved(department, unit, month: int, values: dict) -> None:
    """An approved, imported 2023 report (how the packages' tests meet real data)."""
    monthly_report(department, unit, 2023, month, values, imported=True)


@pytest.fixture
def scenario(session) -> Scenario:
    department = DepartmentFactory(code="801", name="测试市政务服务和大数据管理局")
    unit_a = UnitFactory(department=department, code="801101", name="测试市政务服务和大数据管理局机关")
    unit_b = UnitFactory(department=department, code="801201", name="测试市大数据中心")
    hall = ProjectFactory(
        unit=unit_a,
        code="41080022000000053196",
        name="大厅运行费",
        initial_budget=Decimal("15.00"),
        general_budget=Decimal("15.00"),
        annual_goal="保障政务服务大厅正常运转。",
    )
    cloud = ProjectFactory(
        unit=unit_b,
        code="41080022000000053201",
        name="政务云平台服务",
        initial_budget=Decimal("40.00"),
        general_budget=Decimal("40.00"),
        annual_goal="政务云平台稳定运行。",
    )
    s = Scenario(department, [unit_a, unit_b], [hall, cloud])
    s.indicators["visits"] = IndicatorFactory(
        project=hall,
        level1="产出指标",
        level2="数量指标",
        name="服务人次",
        target="≥35万人次",
        mode="cumulative",
    )
    s.indicators["satisfaction"] = IndicatorFactory(
        project=hall,
        level1="满意度指标",
        level2="服务对象满意度指标",
        name="群众满意度",
        target="≥95%",
        mode="level",
    )
    s.indicators["uptime"] = IndicatorFactory(
        project=cloud, level1="产出指标", level2="质量指标", name="平台可用率", target="≥99%", mode="level"
    )
    s.indicators["effect"] = IndicatorFactory(
        project=cloud,
        level1="效益指标",
        level2="社会效益指标",
        name="数据共享水平",
        target="提升",
        mode="qualitative",
    )
    s.indicators["dept"] = IndicatorFactory(
        project=None,
        department=department,
        level1="产出指标",
        level2="重点工作",
        name="重点工作完成率",
        target="≥90%",
        mode="level",
    )
    db.session.add_all(
        [
            DepartmentBudgetLine(
                year=2023, department_id=department.id, subject="部门预算总额", amount=Decimal("100.00")
            ),
            DepartmentBudgetLine(
                year=2023, department_id=department.id, subject="基本支出", amount=Decimal("45.00")
            ),
            DepartmentBudgetLine(
                year=2023, department_id=department.id, subject="项目支出", amount=Decimal("55.00")
            ),
            DepartmentGoal(
                year=2023,
                department_id=department.id,
                category="年度履职目标",
                name="",
                content="深化放管服改革，优化营商环境。",
            ),
        ]
    )
    for month in range(1, 13):
        spending(hall, 2023, month, "1.10")
        spending(cloud, 2023, month, "2.50" if month <= 7 else "3.00")
    spending(cloud, 2023, 3, "5.00", "预算调整")
    db.session.flush()
    ind = s.indicators
    for month, visits, uptime in ((7, "12", "99.5"), (12, "30", "98")):
        _approved(
            department,
            unit_a,
            month,
            {
                ind["visits"]: {
                    "actual": Decimal(visits),
                    "deviation_category": "其他",
                    "deviation_cause": HOSTILE,
                    "corrective_measure": "加强宣传",
                    "likelihood": "有可能",
                    "forecast": Decimal("33"),
                },
                ind["satisfaction"]: {"actual": Decimal("97")},
            },
        )
        _approved(
            department,
            unit_b,
            month,
            {ind["uptime"]: {"actual": Decimal(uptime)}, ind["effect"]: {"grade": "部分达成"}},
        )
        _approved(department, None, month, {ind["dept"]: {"actual": Decimal("92")}})
    db.session.flush()
    return s
