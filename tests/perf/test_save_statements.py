"""A save is a fixed number of statements (issue 13 §1): saving a monthly report writes its values
in one executemany and their audit rows in another, so 1,000 values cost the statements 10 do — on
the first save (inserts), a save changing every value (updates) and a submission."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, insert, select

from tests.factories import ProjectFactory, UnitFactory
from tests.perf.counting import counted
from tests.reporting.world import user
from tracker.core.audit import AuditEntry
from tracker.extensions import db
from tracker.reporting.models import IndicatorActual
from tracker.reporting.writing import save_report, submit_report
from tracker.rules.grammar import parse_target
from tracker.targets.models import Indicator


def _unit_with(indicators: int, code: str):
    unit = UnitFactory(code=code)
    project = ProjectFactory(unit=unit, code=f"4108002399{code}0000")
    parsed = parse_target("≥100个", "产出指标")
    rows = [
        {
            "year": 2023,
            "department_id": unit.department_id,
            "project_id": project.id,
            "scope_code": project.code,
            "position": n,
            "level1": "产出指标",
            "level2": "数量指标",
            "name": f"指标{n}",
            "occurrence": 1,
            "target": "≥100个",
            "comparator": parsed.comparator.value,
            "target_low": parsed.low,
            "target_high": parsed.high,
            "target_unit": parsed.unit,
            "target_text": parsed.text,
            "mode": "cumulative",
        }
        for n in range(1, indicators + 1)
    ]
    db.session.execute(insert(Indicator), rows)
    ids = db.session.scalars(select(Indicator.id).where(Indicator.project_id == project.id)).all()
    reporter = user(f"r{code}", "reporter", unit=unit)
    db.session.commit()
    return unit, reporter, ids


def _statements(action) -> int:
    with counted(db.engine) as sql:
        action()
    return len(sql)


def _flow(indicators: int, code: str) -> tuple[int, int, int]:
    unit, reporter, ids = _unit_with(indicators, code)
    first = {i: {"actual": "60"} for i in ids}
    changed = {i: {"actual": "90", "likelihood": "确定能"} for i in ids}
    saved = _statements(lambda: save_report(reporter, unit.code, 2023, 7, first, 0))
    resaved = _statements(lambda: save_report(reporter, unit.code, 2023, 7, changed, 1))
    submitted = _statements(lambda: submit_report(reporter, unit.code, 2023, 7, 2, first))
    stored = db.session.scalars(
        select(IndicatorActual.actual).join(Indicator).where(Indicator.id.in_(ids[:1]))
    ).all()
    assert stored == [Decimal("60")]
    audits = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.unit_code == unit.code)
    )
    # create + a value each (first), two each (changed), a value each back, and the submission.
    assert audits == 1 + indicators + 2 * indicators + indicators + 1
    return saved, resaved, submitted


def test_a_save_costs_the_same_statements_for_ten_values_and_a_thousand():
    few = _flow(10, "881001")
    many = _flow(1000, "882001")
    print("statements (save, save again, submit):", few, many)
    assert few == many, f"statements (save, save again, submit): 10 values {few}, 1,000 values {many}"
