"""``load-demo``: the real 2023 budget and targets of 焦作市政务服务和大数据管理局 (department 122),
plus synthetic monthly spending and actuals for January–December, labelled 演示数据 (``synthetic``):
the whole year, because 绩效自评 reads the December report (SPEC §6), while the monitoring story is
told at July (双监控 mid-year) and October.

The synthetic data is generated deterministically and chosen so that every lamp colour shows up:
projects spend at different paces against time progress, a few indicators lag (yellow) or fail
(red), one cost cap is overrun after a 预算调整, one red indicator has no 偏差原因, unit 122201 has
not reported July (its reporter fills it in the demo) and unit 122301 has not reported October.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from tracker import rules
from tracker.budget.models import DepartmentBudgetLine, Project
from tracker.extensions import db
from tracker.rules import time_progress
from tracker.rules.grammar import parse_target
from tracker.targets.imports import ImportReport, run_import
from tracker.targets.models import Indicator

DATA = Path(__file__).resolve().parent.parent / "demo_data"
YEAR = 2023
DEPARTMENT = "122"
LAST_MONTH = 12
CENT = Decimal("0.01")

#: Spending pace against time progress, by project code (1.0 = exactly on time).
PACES = {
    "41080022000000053196": Decimal("1.00"),
    "41080022000000053201": Decimal("0.70"),
    "41080022000000053204": Decimal("0.95"),
    "41080022000000085206": Decimal("1.25"),
    "41080023000000011635": Decimal("0.90"),
    "410800230000000012109": Decimal("0.45"),
    "410800230000000011625": Decimal("1.00"),
    "410800230000000011626": Decimal("0.85"),
    "410800230000000011631": Decimal("0.65"),
    "410800220000000053105": Decimal("1.00"),
}
#: 追加预算 in May for the free-mailing project: its cost target (≤10万元) was not revised.
ADJUSTMENTS = {("41080022000000085206", 5): Decimal("2.00")}
#: Procurement (memo) by month: the renovation and the network maintenance.
PROCUREMENT = {
    3: ("410800230000000012109", Decimal("8.00")),
    6: ("410800230000000012109", Decimal("6.50")),
    9: ("410800230000000011631", Decimal("7.20")),
}
#: Share of 基本支出 by unit.
BASIC_SHARES = {"122101": Decimal("0.60"), "122201": Decimal("0.25"), "122301": Decimal("0.15")}
#: Completion factors of indicators that lag (yellow) or fail (red); others run close to target.
LAGGING = {
    "接待群众数量": Decimal("0.70"),
    "信息公开条数": Decimal("0.45"),
    "公共设施设备完好率": Decimal("0.72"),
    "按法定时间办理": Decimal("1.75"),
    "改造大厅面积": Decimal("0.50"),
}
QUALITATIVE_GRADES = {"营商环境提升": "部分达成", "提升群众办事体验": "未达成"}
#: Lagging indicators whose unit explains why; 信息公开条数 is left without, so the monitoring
#: report has a 缺少偏差原因 to show.
CAUSES = {
    "接待群众数量": ("其他：上半年大厅改造，部分窗口临时迁移", "改造完成后恢复全部窗口，延长周末服务时间"),
    "公共设施设备完好率": ("硬件条件保障：部分自助终端老化", "已报送更换计划，第四季度完成采购"),
    "按法定时间办理": ("人员保障：信息公开科人员不足", "抽调人员集中办理积压申请"),
    "改造大厅面积": ("其他：装修工程按进度结算，主体工程滞后", "督促施工方增加作业面，11 月底前完工"),
    "提升群众办事体验": ("其他：改造期间办事环境受影响", "改造完成后开展满意度回访"),
    "营商环境提升": ("制度保障：帮办代办制度尚未全面覆盖", "制定全程帮办工作规范"),
}
MISSING_REPORTS = {("122201", 7), ("122301", 10)}


#: The columns of the demo's synthetic spending and actuals files (the city's and the county's).
SPENDING_HEADER = ["年度", "月份", "单位编码", "项目编码", "类别", "金额(万元)"]
ACTUALS_HEADER = [
    "年度",
    "月份",
    "项目编码",
    "三级指标",
    "实际完成值",
    "全年预计完成值",
    "完成目标可能性",
    "偏差原因",
    "改进措施",
]


def _money(value: Decimal) -> Decimal:
    return rules.round2(value)


def _csv(header: list[str], rows: list[list[object]]) -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(text.getvalue().encode("utf-8"))


def _cumulative(total: Decimal, month: int, pace: Decimal, rng: random.Random) -> Decimal:
    jitter = Decimal(rng.randint(-3, 3)) / 100
    return _money(total * month / 12 * (pace + jitter))


def synthetic_spending(
    projects: list[tuple[str, str, Decimal]], basic_total: Decimal, three_public: Decimal
) -> list[list[object]]:
    """Monthly (not cumulative) spending rows: 年度,月份,单位编码,项目编码,类别,金额(万元)."""
    rng = random.Random(YEAR)
    rows: list[list[object]] = []
    previous: dict[str, Decimal] = {}
    adjusted = dict.fromkeys((code for code, _, _ in projects), Decimal(0))
    for month in range(1, LAST_MONTH + 1):
        for code, unit, budget in projects:
            adjusted[code] += ADJUSTMENTS.get((code, month), Decimal(0))
            # Nobody can spend more than the (adjusted) budget, however fast they go.
            paced = min(_cumulative(budget, month, PACES.get(code, Decimal(1)), rng), budget + adjusted[code])
            cumulative = max(paced, previous.get(code, Decimal(0)))
            rows.append([YEAR, month, unit, code, "支出", cumulative - previous.get(code, Decimal(0))])
            previous[code] = cumulative
            if (code, month) in ADJUSTMENTS:
                rows.append([YEAR, month, unit, code, "预算调整", ADJUSTMENTS[(code, month)]])
        for unit, share in BASIC_SHARES.items():
            rows.append([YEAR, month, unit, "", "支出", _money(basic_total * share / 12)])
        rows.append([YEAR, month, "122101", "", "三公经费支出", _money(three_public / 12 * Decimal("0.85"))])
        if month in PROCUREMENT:
            code, amount = PROCUREMENT[month]
            unit = next(u for c, u, _ in projects if c == code)
            rows.append([YEAR, month, unit, code, "政府采购支出", amount])
    return rows


#: Units counted in whole things: a synthetic 0.86 个 would look wrong on a page.
WHOLE_UNITS = ("个", "件", "条", "套", "项", "人", "人次", "次", "家")


def _number(value: Decimal, unit: str = "") -> str:
    return format(rules.round_half_up(value, 0 if unit in WHOLE_UNITS else 2).normalize(), "f")


def synthetic_actual(
    indicator: Indicator, month: int, spent: Decimal, rng: random.Random
) -> list[object] | None:
    """One row of the actuals file for ``indicator`` as of ``month`` (year to date)."""
    target = parse_target(indicator.target, indicator.level1, indicator.level2 or "")
    progress = time_progress(month)
    cause = measure = ""
    if target.is_qualitative:
        value = QUALITATIVE_GRADES.get(indicator.name, "达成")
    elif indicator.mode == "cap":
        value = _number(spent)
    elif target.low is None:  # pragma: no cover - every non-qualitative target has a number
        return None
    elif indicator.mode == "cumulative":
        factor = LAGGING.get(indicator.name, Decimal(1) + Decimal(rng.randint(-5, 12)) / 100)
        value = _number(target.low * progress * factor, target.unit)
    elif target.comparator.value in ("LE", "LT"):
        low = 97 if target.unit == "%" else 55
        factor = LAGGING.get(indicator.name, Decimal(rng.randint(low, 99 if low == 97 else 95)) / 100)
        value = _number(target.low * factor, target.unit)
    else:
        ceiling = Decimal(100) if target.unit == "%" else target.low * 2
        near = min(ceiling, target.low + Decimal(rng.randint(0, 2)))
        value = _number(
            target.low * LAGGING[indicator.name] if indicator.name in LAGGING else near, target.unit
        )
    if indicator.name in CAUSES:
        cause, measure = CAUSES[indicator.name]
    return [YEAR, month, indicator.scope_code, indicator.name, value, "", "", cause, measure]


def synthetic_actuals(spent_by_project: dict[tuple[str, int], Decimal]) -> list[list[object]]:
    rng = random.Random(YEAR * 7)
    indicators = db.session.scalars(
        select(Indicator)
        .join(Project, Indicator.project_id == Project.id, isouter=True)
        .where(Indicator.year == YEAR, Indicator.computed_metric.is_(None))
        .order_by(Indicator.scope_code, Indicator.position)
    ).all()
    unit_of_project = {
        p.code: p.unit.code for p in db.session.scalars(select(Project).where(Project.year == YEAR))
    }
    rows: list[list[object]] = []
    for month in range(1, LAST_MONTH + 1):
        for indicator in indicators:
            unit = unit_of_project.get(indicator.scope_code)
            if (unit, month) in MISSING_REPORTS:
                continue
            spent = spent_by_project.get((indicator.scope_code, month), Decimal(0))
            row = synthetic_actual(indicator, month, spent, rng)
            if row is not None:
                rows.append(row)
    return rows


def _spent_by_project(spending: list[list[object]]) -> dict[tuple[str, int], Decimal]:
    totals: dict[tuple[str, int], Decimal] = {}
    running: dict[str, Decimal] = {}
    for _, month, _, code, category, amount in spending:
        if category == "支出" and code:
            running[str(code)] = running.get(str(code), Decimal(0)) + Decimal(str(amount))
            totals[(str(code), int(str(month)))] = running[str(code)]
    return totals


def load_demo() -> Iterator[ImportReport]:
    """Load everything; yields each import's report (the caller prints them)."""
    from tracker.targets import demo_county

    yield from demo_county.load_tree()
    yield run_import("department", DATA / "jiaozuo-2023-department.csv")
    yield run_import("projects", DATA / "jiaozuo-2023-projects.csv")
    yield run_import("targets", DATA / "jiaozuo-2023-targets.csv")
    yield run_import(
        "goals", DATA / "jiaozuo-2023-department-goals.csv", year=YEAR, department_code=DEPARTMENT
    )

    projects = [
        (p.code, p.unit.code, p.initial_budget)
        for p in db.session.scalars(select(Project).where(Project.year == YEAR).order_by(Project.code))
    ]
    lines = {
        row.subject: row.amount
        for row in db.session.scalars(select(DepartmentBudgetLine).where(DepartmentBudgetLine.year == YEAR))
    }
    spending = synthetic_spending(projects, lines["基本支出"], lines["“三公”经费预算"])
    yield run_import(
        "spending", _csv(SPENDING_HEADER, spending), filename="演示数据-支出.csv", synthetic=True
    )

    actuals = synthetic_actuals(_spent_by_project(spending))
    yield run_import(
        "actuals",
        _csv(ACTUALS_HEADER, actuals),
        filename="演示数据-完成值.csv",
        synthetic=True,
        department_code=DEPARTMENT,
    )
    yield from demo_county.load_county()

    # demo users
    from tracker.auth.demo_users import ensure_demo_users

    ensure_demo_users()
    db.session.commit()
