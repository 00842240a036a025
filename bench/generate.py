"""A deterministic province: N departments × 20 projects × 10 indicators (plus 10 部门整体 indicators),
budgets, monthly spending, and approved reports for the evaluated month and December.

The departments sit under a 财政局 tree (SPEC §1a): one province, 15 cities, 10 county bureaus under
each (150), the departments dealt round the counties. Three cities and every seventh county elsewhere
pick the second rule pack (``sichuan-zhongjiang-2022``), one county under such a city picks
``national-2020`` back, the rest inherit the root's default: a run resolves packs along every path.

Rows are plain dicts with explicit ids, loaded with :func:`tracker.evaluation.bulk.bulk_insert`
(``COPY`` on PostgreSQL), table by table, department chunk by chunk, so memory stays flat.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from tracker.rules.grammar import parse_target
from tracker.rules.modes import computed_metric_for, infer_mode

PROJECTS_PER_DEPARTMENT = 20
CITIES = 15
COUNTIES_PER_CITY = 10
SECOND_PACK = "sichuan-zhongjiang-2022"
NOW = datetime(2023, 8, 5, 12, 0, tzinfo=UTC)
UNITS_PER_DEPARTMENT = 4

#: (一级指标, 三级指标, 指标值, actual generator kind) — the shapes of the 焦作 seed.
PROJECT_TARGETS = [
    ("成本指标", "项目支出成本", "≤{budget} 万元", "cost"),
    ("产出指标", "接待群众数量", "≥35 万人", "count"),
    ("产出指标", "办理事项数量", "≥3000件", "count"),
    ("产出指标", "系统优化升级", "1个", "count"),
    ("产出指标", "大厅正常运行率", "≥90%", "rate"),
    ("产出指标", "压缩行政审批承诺时限", "<24 工作日", "limit"),
    ("产出指标", "系统维护时限", "≤24 小时/工作日", "limit"),
    ("效益指标", "提升群众办事体验", "明显", "grade"),
    ("效益指标", "营商环境提升", "提升", "grade"),
    ("满意度指标", "办事群众满意度", "≥95%", "rate"),
]
DEPARTMENT_TARGETS = [
    ("投入管理指标", "预算执行率", "≥95%"),
    ("投入管理指标", "预算调整率", "≤30%"),
    ("投入管理指标", "结转结余率", "≤5%"),
    ("投入管理指标", "“三公经费”控制率", "≤100%"),
    ("投入管理指标", "政府采购执行率", "100%"),
    ("投入管理指标", "资金使用合规性", "合规"),
    ("投入管理指标", "绩效自评完成率", "100%"),
    ("产出指标", "重点工作完成数量", "≥12 项"),
    ("效益指标", "政务信息化系统的改善程度", "明显"),
    ("效益指标", "相关服务对象满意度", "≥99%"),
]
GRADES = ("达成", "达成", "达成", "部分达成", "未达成")


def _bureau(rows: list[dict], code: str, name: str, parent: dict | None, pack: str | None) -> dict:
    row = {
        "id": len(rows) + 1,
        "code": code,
        "name": name,
        "level": ("province", "city", "county")[0 if parent is None else parent["path"].count("/") - 1],
        "parent_id": parent["id"] if parent else None,
        "path": f"{parent['path'] if parent else '/'}{code}/",
        "rule_pack": pack,
    }
    rows.append(row)
    return row


def bureau_rows(cities: int = CITIES, counties: int = COUNTIES_PER_CITY) -> list[dict]:
    """The bureau tree, root first then each city before its counties (ids 1…), codes shaped as
    四川's administrative codes: 510000, 51CC00, 51CCNN."""
    rows: list[dict] = []
    root = _bureau(rows, "510000", "基准省财政厅", None, None)
    for c in range(1, cities + 1):
        city_pack = SECOND_PACK if c <= 3 else None
        city = _bureau(rows, f"51{c:02d}00", f"基准市{c}财政局", root, city_pack)
        for n in range(1, counties + 1):
            pack = None
            if city_pack and n == counties:
                pack = "national-2020"  # a county keeping the national pack under a 四川 city
            elif not city_pack and (c * counties + n) % 7 == 0:
                pack = SECOND_PACK
            _bureau(rows, f"51{c:02d}{n:02d}", f"基准县{c}-{n}财政局", city, pack)
    return rows


@dataclass
class Chunk:
    """The rows of a run of departments, by table name."""

    rows: dict[str, list[dict]] = field(default_factory=dict)

    def add(self, table: str, row: dict) -> None:
        self.rows.setdefault(table, []).append(row)

    @property
    def indicators(self) -> int:
        return len(self.rows.get("indicator", []))


def _indicator_columns(
    year: int,
    department_id: int,
    project_id: int | None,
    scope: str,
    position: int,
    level1: str,
    name: str,
    target: str,
) -> dict:
    parsed = parse_target(target, level1)
    metric = computed_metric_for(name) if project_id is None else None
    return {
        "year": year,
        "department_id": department_id,
        "project_id": project_id,
        "scope_code": scope,
        "position": position,
        "level1": level1,
        "level2": "",
        "name": name,
        "occurrence": 1,
        "target": target,
        "note": None,
        "weight": None,
        "comparator": parsed.comparator.value,
        "target_low": parsed.low,
        "target_high": parsed.high,
        "target_unit": parsed.unit,
        "target_text": parsed.text,
        "mode": infer_mode(parsed.comparator, parsed.unit, level1).value,
        "mode_override": None,
        "computed_metric": metric,
    }


def _actual(rng: random.Random, kind: str, low: Decimal | None, month: int) -> dict:
    if kind == "grade":
        return {"actual": None, "grade": rng.choice(GRADES)}
    assert low is not None
    if kind == "count":
        value = low * Decimal(month) / 12 * Decimal(rng.randint(40, 130)) / 100
    elif kind == "cost":
        value = low * Decimal(month) / 12 * Decimal(rng.randint(60, 125)) / 100
    elif kind == "limit":
        value = low * Decimal(rng.randint(50, 140)) / 100
    else:
        value = min(low * Decimal(rng.randint(55, 110)) / 100, Decimal(100))
    return {"actual": value.quantize(Decimal("0.01")), "grade": None}


def generate(
    departments: int,
    *,
    year: int = 2023,
    month: int = 7,
    seed: int = 20230701,
    chunk: int = 100,
    units: int = UNITS_PER_DEPARTMENT,
    projects: Callable[[int], int] | int = PROJECTS_PER_DEPARTMENT,
    bureaus: bool = True,
) -> Iterator[Chunk]:
    """Yield the province ``chunk`` departments at a time; ids are explicit and stable.

    ``units`` is the number of 预算单位 a department has, ``projects`` its number of projects (or a
    function of the department's number, 1…N: a test's home department may be wider than the rest).
    With ``bureaus`` the first chunk carries the bureau tree and each department its county bureau;
    without, every department belongs to the root of an installation with no tree."""
    rng = random.Random(seed)
    projects_of = projects if callable(projects) else (lambda _d, n=projects: n)
    ids = {"unit": 0, "project": 0, "indicator": 0, "report": 0, "actual": 0, "spending": 0, "line": 0}

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    current = Chunk()
    counties: list[int] = []
    if bureaus:
        tree = bureau_rows()
        current.rows["bureau"] = tree
        counties = [row["id"] for row in tree if row["level"] == "county"]
    for d in range(1, departments + 1):
        code = f"{100 + d}"
        bureau_id = counties[(d - 1) % len(counties)] if counties else None
        current.add("department", {"id": d, "code": code, "name": f"基准部门{d}", "bureau_id": bureau_id})
        unit_rows = []
        for u in range(units):
            unit_id = next_id("unit")
            unit_rows.append((unit_id, f"{code}{u + 1:03d}"))
            current.add(
                "unit",
                {"id": unit_id, "code": unit_rows[-1][1], "name": f"基准单位{unit_id}", "department_id": d},
            )
        reports: dict[tuple[int | None, int], int] = {}
        for report_month in (month, 12):
            for unit_id, unit_code in [*unit_rows, (None, None)]:
                report_id = next_id("report")
                reports[(unit_id, report_month)] = report_id
                current.add(
                    "monthly_report",
                    {
                        "id": report_id,
                        "year": year,
                        "month": report_month,
                        "department_id": d,
                        "unit_id": unit_id,
                        "scope_key": f"unit:{unit_code}" if unit_id else f"department:{code}",
                        "status": "approved",
                        "version": 1,
                        "imported": True,
                        "synthetic": True,
                        "updated_at": NOW,
                    },
                )
        total_budget = Decimal(0)
        position = 0
        for p in range(projects_of(d)):
            project_id = next_id("project")
            unit_id, _ = unit_rows[p % units]
            project_code = f"4108{year % 100:02d}{d:06d}{p:04d}0000"
            budget = Decimal(rng.randint(500, 20000)) / 100
            total_budget += budget
            current.add(
                "project",
                {
                    "id": project_id,
                    "year": year,
                    "code": project_code,
                    "name": f"基准项目{project_id}",
                    "kind": "recurring",
                    "department_id": d,
                    "unit_id": unit_id,
                    "initial_budget": budget,
                    "general_budget": budget,
                },
            )
            for m in range(1, 13):
                current.add(
                    "spending_entry",
                    {
                        "id": next_id("spending"),
                        "year": year,
                        "month": m,
                        "department_id": d,
                        "unit_id": unit_id,
                        "project_code": project_code,
                        "project_id": project_id,
                        "category": "支出",
                        "amount": (budget / 12 * Decimal(rng.randint(50, 120)) / 100).quantize(
                            Decimal("0.01")
                        ),
                        "synthetic": True,
                    },
                )
            for level1, name, target, kind in PROJECT_TARGETS:
                position += 1
                indicator_id = next_id("indicator")
                row = _indicator_columns(
                    year, d, project_id, project_code, position, level1, name, target.format(budget=budget)
                )
                row["id"] = indicator_id
                current.add("indicator", row)
                for report_month in (month, 12):
                    if rng.random() < 0.05:
                        continue  # 5 % not reported
                    current.add(
                        "indicator_actual",
                        {
                            "id": next_id("actual"),
                            "report_id": reports[(unit_id, report_month)],
                            "indicator_id": indicator_id,
                            "computed": False,
                            **_actual(rng, kind, row["target_low"], report_month),
                        },
                    )
        for level1, name, target in DEPARTMENT_TARGETS:
            position += 1
            indicator_id = next_id("indicator")
            row = _indicator_columns(year, d, None, "", position, level1, name, target)
            row["id"] = indicator_id
            current.add("indicator", row)
            if row["computed_metric"]:
                continue
            kind = (
                "grade"
                if row["comparator"] == "QUALITATIVE"
                else ("count" if row["mode"] == "cumulative" else "rate")
            )
            for report_month in (month, 12):
                current.add(
                    "indicator_actual",
                    {
                        "id": next_id("actual"),
                        "report_id": reports[(None, report_month)],
                        "indicator_id": indicator_id,
                        "computed": False,
                        **_actual(rng, kind, row["target_low"], report_month),
                    },
                )
        for subject, amount in (
            ("部门预算总额", total_budget * Decimal("1.6")),
            ("“三公”经费预算", Decimal(12)),
            ("政府采购预算", total_budget / 4),
        ):
            current.add(
                "department_budget_line",
                {
                    "id": next_id("line"),
                    "year": year,
                    "department_id": d,
                    "subject": subject,
                    "amount": amount.quantize(Decimal("0.01")),
                },
            )
        if d % chunk == 0 or d == departments:
            yield current
            current = Chunk()


TABLE_ORDER = (
    "bureau",
    "department",
    "unit",
    "project",
    "department_budget_line",
    "indicator",
    "monthly_report",
    "indicator_actual",
    "spending_entry",
)
