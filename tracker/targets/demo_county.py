"""The demo's 财政局 tree (SPEC §1a): 河南省财政厅 → 焦作市财政局 (department 122) → 修武县财政局,
with one small synthetic county department, 修武县农业农村局（演示数据）, so that what each bureau's
finance users read differs visibly: the county's reads only its department, the city's both, the
province's everything.

The county department's targets and budget are files in ``demo_data/`` (xiuwu-2023-*.csv); its
spending and actuals are generated here, with a random stream of their own, after department 122's,
so the 焦作 numbers stay exactly as before.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from tracker import rules
from tracker.budget.models import Project
from tracker.extensions import db
from tracker.targets.imports import ImportReport, run_import
from tracker.targets.models import Indicator

DATA = Path(__file__).resolve().parent.parent / "demo_data"
YEAR = 2023
COUNTY_DEPARTMENT = "821"
#: Spending pace of the county project against time progress: a little behind.
PACE = Decimal("0.85")
#: The unit's monthly 基本支出 (its 基本支出 budget line is 100 万元 a year).
BASIC_MONTHLY = Decimal("8.33")


def load_tree() -> Iterator[ImportReport]:
    """The bureaus and where departments 122 and 821 belong; before anything names a department."""
    yield run_import("bureaus", DATA / "henan-bureaus.csv")
    yield run_import("departments", DATA / "henan-departments.csv")


def load_county() -> Iterator[ImportReport]:
    """The county department: its files, then synthetic monthly spending and actuals (演示数据)."""
    from tracker.targets import demo

    yield run_import("department", DATA / "xiuwu-2023-department.csv")
    yield run_import("projects", DATA / "xiuwu-2023-projects.csv")
    yield run_import("targets", DATA / "xiuwu-2023-targets.csv")
    projects = db.session.scalars(
        select(Project).where(Project.year == YEAR, Project.code.startswith("410821")).order_by(Project.code)
    ).all()
    spending: list[list[object]] = []
    spent: dict[tuple[str, int], Decimal] = {}
    for project in projects:
        previous = Decimal(0)
        for month in range(1, 13):
            cumulative = rules.round2(project.initial_budget * month / 12 * PACE)
            spending.append([YEAR, month, project.unit.code, project.code, "支出", cumulative - previous])
            spending.append([YEAR, month, project.unit.code, "", "支出", BASIC_MONTHLY])
            spent[(project.code, month)] = previous = cumulative
    yield run_import(
        "spending",
        demo._csv(demo.SPENDING_HEADER, spending),
        filename="演示数据-修武-支出.csv",
        synthetic=True,
    )

    rng = random.Random(YEAR * 821)
    indicators = db.session.scalars(
        select(Indicator)
        .where(Indicator.year == YEAR, Indicator.scope_code.in_([p.code for p in projects]))
        .order_by(Indicator.scope_code, Indicator.position)
    ).all()
    actuals = [
        row
        for month in range(1, 13)
        for indicator in indicators
        if (
            row := demo.synthetic_actual(
                indicator, month, spent.get((indicator.scope_code, month), Decimal(0)), rng
            )
        )
    ]
    yield run_import(
        "actuals",
        demo._csv(demo.ACTUALS_HEADER, actuals),
        filename="演示数据-修武-完成值.csv",
        synthetic=True,
    )
