"""factory-boy factories for the core rows; they add to ``db.session`` and flush."""

from __future__ import annotations

from decimal import Decimal

import factory

from tracker.auth.models import User
from tracker.auth.passwords import hash_password
from tracker.budget.models import Department, Project, SpendingEntry, Unit
from tracker.extensions import db
from tracker.reporting.models import GRADES, IndicatorActual, MonthlyReport
from tracker.rules.grammar import parse_target
from tracker.targets.models import Indicator


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class DepartmentFactory(_Base):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"9{n:03d}")
    name = factory.Sequence(lambda n: f"测试部门{n}")


class UnitFactory(_Base):
    class Meta:
        model = Unit

    department = factory.SubFactory(DepartmentFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.department.code}{n:03d}")
    name = factory.Sequence(lambda n: f"测试单位{n}")


class ProjectFactory(_Base):
    class Meta:
        model = Project

    year = 2023
    unit = factory.SubFactory(UnitFactory)
    department = factory.SelfAttribute("unit.department")
    code = factory.Sequence(lambda n: f"4108002300000{n:07d}")
    name = factory.Sequence(lambda n: f"测试项目{n}")
    kind = "recurring"
    initial_budget = Decimal("10.00")
    general_budget = Decimal("10.00")


class IndicatorFactory(_Base):
    """An indicator of ``project`` (pass ``project=None, department=…`` for a 部门整体 one)."""

    class Meta:
        model = Indicator

    project = factory.SubFactory(ProjectFactory)
    department = factory.LazyAttribute(lambda o: o.project.department if o.project else None)
    year = 2023
    scope_code = factory.LazyAttribute(lambda o: o.project.code if o.project else "")
    position = factory.Sequence(int)
    level1 = "产出指标"
    level2 = "数量指标"
    name = factory.Sequence(lambda n: f"指标{n}")
    target = "≥100个"
    comparator = factory.LazyAttribute(lambda o: parse_target(o.target, o.level1).comparator.value)
    target_low = factory.LazyAttribute(lambda o: parse_target(o.target, o.level1).low)
    target_high = factory.LazyAttribute(lambda o: parse_target(o.target, o.level1).high)
    target_unit = factory.LazyAttribute(lambda o: parse_target(o.target, o.level1).unit)
    target_text = factory.LazyAttribute(lambda o: parse_target(o.target, o.level1).text)
    mode = "cumulative"


class UserFactory(_Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password_hash = factory.LazyFunction(lambda: hash_password("correct horse"))
    role = "reporter"


def monthly_report(department, unit, year: int, month: int, values: dict, *, status="approved", **fields):
    """A MonthlyReport of ``unit`` (or of the department as a whole when None); ``values`` maps an
    Indicator to a dict of IndicatorActual fields, or to a number / grade for short."""
    scope = f"unit:{unit.code}" if unit is not None else f"department:{department.code}"
    row = MonthlyReport(
        year=year,
        month=month,
        department_id=department.id,
        unit_id=unit.id if unit is not None else None,
        scope_key=scope,
        status=status,
        **fields,
    )
    db.session.add(row)
    db.session.flush()
    for indicator, value in values.items():
        if not isinstance(value, dict):
            value = {"grade": value} if value in GRADES else {"actual": Decimal(str(value))}
        db.session.add(IndicatorActual(report_id=row.id, indicator_id=indicator.id, **value))
    db.session.flush()
    return row


def spending(project_or_unit, year: int, month: int, amount, category="支出") -> None:
    """A SpendingEntry of a project, or of a unit's 基本支出 when given a unit."""
    project = project_or_unit if hasattr(project_or_unit, "initial_budget") else None
    unit = project.unit if project else project_or_unit
    db.session.add(
        SpendingEntry(
            year=year,
            month=month,
            department_id=unit.department_id,
            unit_id=unit.id,
            project_code=project.code if project else "",
            project_id=project.id if project else None,
            category=category,
            amount=Decimal(str(amount)),
        )
    )
    db.session.flush()
