"""A province on one installation (SPEC §1a): 四川省财政厅 → 德阳市财政局 → 中江县财政局 and 广汉市财政局,
a department in each with a unit, a project, an indicator, monthly reports in every state, a
部门整体 indicator, a stored evaluation and a delivery; a finance user at each level of the tree."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.factories import DepartmentFactory, IndicatorFactory, ProjectFactory, UnitFactory, monthly_report
from tests.reporting.world import user
from tracker.budget.bureaus import rebuild_paths
from tracker.budget.models import Bureau
from tracker.core import audit
from tracker.extensions import db
from tracker.reports import storage
from tracker.reports.models import Delivery

#: bureau code → (name, parent code, level)
BUREAUS = {
    "510000": ("四川省财政厅", None, "province"),
    "510600": ("德阳市财政局", "510000", "city"),
    "510623": ("中江县财政局", "510600", "county"),
    "510681": ("广汉市财政局", "510600", "county"),
}
#: department code → bureau code (P01 at the province itself, C01 at the city, one in each county).
DEPARTMENTS = {"P01": "510000", "C01": "510600", "K101": "510623", "K201": "510681"}
#: finance user → bureau code (None: placed nowhere, which is the root).
FINANCE = {"fin-sc": "510000", "fin-dy": "510600", "fin-zj": "510623", "fin-root": None}
#: What each finance user reads (SPEC §1a: its bureau and every bureau below).
READS = {
    "fin-sc": {"P01", "C01", "K101", "K201"},
    "fin-root": {"P01", "C01", "K101", "K201"},
    "fin-dy": {"C01", "K101", "K201"},
    "fin-zj": {"K101"},
}


@dataclass
class Place:
    code: str
    department: object
    unit: object
    project: object
    indicator: object
    whole: object  # 部门整体 indicator
    delivery: object = None
    approved: object = None  # unit report of April, approved
    submitted: object = None  # 部门整体 report of June, submitted


@dataclass
class BureauWorld:
    bureaus: dict[str, Bureau]
    places: dict[str, Place]
    finance: dict[str, object] = field(default_factory=dict)


def _bureaus() -> dict[str, Bureau]:
    made: dict[str, Bureau] = {}
    for code, (name, parent, level) in BUREAUS.items():
        made[code] = Bureau(code=code, name=name, level=level, parent=made.get(parent or ""), path="/")
        db.session.add(made[code])
    db.session.flush()
    rebuild_paths()
    return made


def _delivery(department) -> Delivery:
    content = f"package of {department.code}".encode()
    sha = storage.store(content, "pdf")
    row = Delivery(
        kind="monitoring",
        department_id=department.id,
        year=2023,
        month=6,
        subject=f"【绩效监控】{department.name}",
        xlsx_name=f"{department.code}.xlsx",
        xlsx_sha256=storage.store(content + b"x", "xlsx"),
        pdf_name=f"{department.code}.pdf",
        pdf_sha256=sha,
        recipients="czj@example.org",
        status="sent",
    )
    db.session.add(row)
    return row


def _place(code: str, bureau: Bureau, number: int) -> Place:
    department = DepartmentFactory(code=code, name=f"{bureau.name}下属部门{code}", bureau=bureau)
    unit = UnitFactory(department=department, code=f"{code}001", name=f"{code}单位")
    project = ProjectFactory(unit=unit, code=f"5106002300000009{number:04d}", name=f"{code}项目")
    indicator = IndicatorFactory(project=project, name=f"{code}办件数量", target="≥100件", mode="cumulative")
    whole = IndicatorFactory(
        project=None, department=department, name=f"{code}重点工作", target="≥12项", mode="cumulative"
    )
    place = Place(code, department, unit, project, indicator, whole)
    place.approved = monthly_report(department, unit, 2023, 4, {indicator: 30}, status="approved")
    monthly_report(department, unit, 2023, 6, {indicator: 50}, status="submitted")
    place.submitted = monthly_report(department, None, 2023, 6, {whole: 6}, status="submitted")
    place.delivery = _delivery(department)
    audit.record(
        "update", "indicator_actual", field="actual", new="50", department_code=code, unit_code=unit.code
    )
    return place


def build_bureau_world() -> BureauWorld:
    bureaus = _bureaus()
    places = {code: _place(code, bureaus[b], n) for n, (code, b) in enumerate(DEPARTMENTS.items(), start=1)}
    world = BureauWorld(bureaus, places)
    for username, bureau in FINANCE.items():
        world.finance[username] = user(username, "finance", bureau=bureaus[bureau] if bureau else None)
    world.finance["d-zj"] = user("d-zj", "department", department=places["K101"].department)
    db.session.commit()
    return world
