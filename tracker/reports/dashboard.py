"""看板 for department and finance users: lamp counts by department, 预算执行进度 against 时间进度
by month, 自评 score distribution and grades, the worst ten indicators (issue 5).

Charts are Plotly figure dicts drawn in the browser by the bundled ``plotly.min.js`` served from
this blueprint (no CDN). Numbers become floats only here, at the edge, for drawing.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from tracker.auth import access
from tracker.evaluation.rules import as_percent, time_progress
from tracker.extensions import db
from tracker.reporting.models import MonthlyReport
from tracker.reports.forms import LAMP_TEXT, to_decimal
from tracker.targets.models import Department, Indicator, Project, SpendingEntry

__all__ = ["dashboard_data", "GRADE_BANDS"]

FONT = {"family": "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif", "size": 13}
LAMP_COLOURS = {
    "green": "#1a7f37",
    "yellow": "#d4a72c",
    "red": "#cf222e",
    "missing": "#8c959f",
    "n/a": "#d0d7de",
}
GRADE_COLOURS = {"优": "#1a7f37", "良": "#2f81f7", "中": "#d4a72c", "差": "#cf222e"}
#: 自评 score bands shown in the distribution (SPEC §6 grades: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 < 60).
GRADE_BANDS = (
    ("0–60", Decimal(0), Decimal(60)),
    ("60–70", Decimal(60), Decimal(70)),
    ("70–80", Decimal(70), Decimal(80)),
    ("80–90", Decimal(80), Decimal(90)),
    ("90–100", Decimal(90), Decimal(101)),
)


def _visible_departments(user, department_code: str | None) -> list[Department]:
    if user is None or getattr(user, "role", None) not in ("department", "finance", "admin"):
        raise access.NotFound("dashboard")
    if department_code:
        department = access.require_department(user, department_code)
        return [department]
    return access.readable_departments(user)


def _default_period(departments: list[Department], year: int | None, month: int | None) -> tuple[int, int]:
    ids = [department.id for department in departments] or [-1]
    if year is None:
        year = db.session.scalar(select(func.max(Project.year)).where(Project.department_id.in_(ids)))
        year = year or 0
    if month is None:
        reported = db.session.scalar(
            select(func.max(MonthlyReport.month)).where(
                MonthlyReport.year == year, MonthlyReport.department_id.in_(ids)
            )
        )
        spent = db.session.scalar(
            select(func.max(SpendingEntry.month)).where(
                SpendingEntry.year == year, SpendingEntry.department_id.in_(ids)
            )
        )
        month = max(reported or 0, spent or 0) or 1
    return year, month


def _monitoring(year: int, month: int, code: str) -> dict:
    from tracker.evaluation import service as evaluation

    return evaluation.stored_monitoring(year, month, code) or evaluation.run_monitoring(year, month, code)


def _self_assessment(year: int, code: str) -> dict:
    from tracker.evaluation import service as evaluation

    return evaluation.stored_self_assessment(year, code) or evaluation.run_self_assessment(year, code)


def _all_indicators(document: dict) -> list[tuple[str, dict]]:
    rows = [
        (project.get("name") or project["code"], item)
        for project in document.get("projects", [])
        for item in project.get("indicators", [])
    ]
    rows += [("部门整体", item) for item in (document.get("department") or {}).get("indicators", [])]
    return rows


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _lamp_chart(departments: list[Department], monitoring: dict[str, dict]) -> tuple[dict, dict]:
    counts = {
        department.code: Counter(
            item.get("status", "missing") for _, item in _all_indicators(monitoring[department.code])
        )
        for department in departments
    }
    names = [department.name for department in departments]
    data = [
        {
            "type": "bar",
            "name": LAMP_TEXT[status],
            "y": names,
            "orientation": "h",
            "x": [counts[department.code][status] for department in departments],
            "marker": {"color": LAMP_COLOURS[status]},
            "hovertemplate": "%{y}<br>%{x}项<extra>" + LAMP_TEXT[status] + "</extra>",
        }
        for status in ("green", "yellow", "red", "missing", "n/a")
    ]
    return {
        "data": data,
        "layout": {
            "barmode": "stack",
            "title": {"text": "指标亮灯情况（按部门）"},
            "xaxis": {"title": {"text": "指标数（项）"}},
            "font": FONT,
            "margin": {"l": 220, "r": 20, "t": 50, "b": 50},
            "height": 160 + 40 * len(names),
            "legend": {"orientation": "h", "y": -0.3, "traceorder": "normal"},
        },
    }, counts


def _progress_chart(departments: list[Department], year: int, month: int) -> dict:
    from tracker.evaluation import service as evaluation

    months = list(range(1, month + 1))
    labels = [f"{m}月" for m in months]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "时间进度",
            "x": labels,
            "y": [float(as_percent(time_progress(m))) for m in months],
            "line": {"dash": "dash", "color": "#6e7781"},
        }
    ]
    for department in departments:
        rates = []
        for m in months:
            # department_metrics gives fractions (SPEC §7); the chart shows percent numbers.
            value = to_decimal(evaluation.department_metrics(year, m, department.code).get("预算执行率"))
            rates.append(_float(None if value is None else (value * 100).quantize(Decimal("0.01"))))
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{department.name} 预算执行进度",
                "x": labels,
                "y": rates,
            }
        )
    return {
        "data": data,
        "layout": {
            "title": {"text": f"{year}年预算执行进度与时间进度"},
            "font": FONT,
            "yaxis": {"title": {"text": "%"}, "rangemode": "tozero"},
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
            "legend": {"orientation": "h", "y": -0.2},
            "height": 380,
        },
    }


def _score_charts(
    departments: list[Department], assessments: dict[str, dict], year: int, month: int
) -> tuple[dict, dict, list]:
    # 自评 reads the December report (SPEC §6): before it exists every indicator counts as 未填报.
    caveat = "" if month == 12 else f"<br><sup>截至{month}月，尚无12月完成值的指标按未填报计</sup>"
    totals: list[tuple[str, Decimal, str]] = []
    for department in departments:
        document = assessments[department.code]
        for project in document.get("projects", []):
            total = to_decimal(project.get("total"))
            if total is not None:
                totals.append((project.get("name") or project["code"], total, project.get("grade", "")))
    band_counts: dict[str, Counter[str]] = {label: Counter() for label, _, _ in GRADE_BANDS}
    for _, total, grade in totals:
        for label, low, high in GRADE_BANDS:
            if low <= total < high:
                band_counts[label][grade] += 1
    distribution = {
        "data": [
            {
                "type": "bar",
                "name": grade,
                "x": [label for label, _, _ in GRADE_BANDS],
                "y": [band_counts[label][grade] for label, _, _ in GRADE_BANDS],
                "marker": {"color": colour},
            }
            for grade, colour in GRADE_COLOURS.items()
        ],
        "layout": {
            "barmode": "stack",
            "title": {"text": f"{year}年度项目自评得分分布{caveat}"},
            "font": FONT,
            "height": 360,
            "xaxis": {"title": {"text": "得分区间（分）"}},
            "yaxis": {"title": {"text": "项目数"}, "dtick": 1},
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        },
    }
    grades = Counter(grade for _, _, grade in totals)
    pie = {
        "data": [
            {
                "type": "pie",
                "labels": [grade for grade in GRADE_COLOURS if grades[grade]],
                "values": [grades[grade] for grade in GRADE_COLOURS if grades[grade]],
                "marker": {"colors": [colour for grade, colour in GRADE_COLOURS.items() if grades[grade]]},
                "hole": 0.45,
                "sort": False,
                "textinfo": "label+value",
            }
        ],
        "layout": {
            "title": {"text": f"{year}年度自评等级{caveat}"},
            "font": FONT,
            "height": 360,
            "margin": {"l": 20, "r": 20, "t": 50, "b": 20},
        },
    }
    return distribution, pie, sorted(totals, key=lambda row: row[1])


_SEVERITY = {"red": 0, "yellow": 1, "missing": 2}


def _stored_ratios(
    year: int, month: int, department: Department
) -> dict[tuple[int | None, str], Decimal | None]:
    """The lamp ratio the engine judged each indicator by (cumulative: actual ÷ expected; level and
    cap: the completion ratio), read from the stored monitoring run: the documents do not carry it."""
    from tracker.evaluation.models import EvaluationRun, IndicatorResult

    rows = db.session.execute(
        select(IndicatorResult.project_id, IndicatorResult.name, IndicatorResult.ratio)
        .join(EvaluationRun, EvaluationRun.id == IndicatorResult.run_id)
        .where(
            EvaluationRun.kind == "monitoring",
            EvaluationRun.department_id == department.id,
            EvaluationRun.year == year,
            EvaluationRun.month == month,
        )
    )
    return {(project_id, name): ratio for project_id, name, ratio in rows}


def worst_indicators(
    departments: list[Department], monitoring: dict[str, dict], year: int, month: int, limit: int = 10
) -> list[dict]:
    """红灯 before 黄灯 before 未填报, the lowest lamp ratio first."""
    rows = []
    for department in departments:
        projects = {
            code: project_id
            for code, project_id in db.session.execute(
                select(Project.code, Project.id).where(
                    Project.year == year, Project.department_id == department.id
                )
            )
        }
        ratios = _stored_ratios(year, month, department)
        document = monitoring[department.code]
        scoped = [
            (project.get("name") or project["code"], projects.get(project["code"]), item)
            for project in document.get("projects", [])
            for item in project.get("indicators", [])
        ]
        scoped += [
            ("部门整体", None, item) for item in (document.get("department") or {}).get("indicators", [])
        ]
        for scope, project_id, item in scoped:
            status = item.get("status")
            if status not in _SEVERITY:
                continue
            ratio = ratios.get((project_id, item["name"]))
            rows.append(
                {
                    "department": department.name,
                    "scope": scope,
                    "name": item["name"],
                    "target": item.get("target", ""),
                    "actual": item.get("actual"),
                    "expected": to_decimal(item.get("expected")),
                    "ratio": None if ratio is None else ratio * 100,
                    "status": status,
                }
            )
    rows.sort(
        key=lambda row: (
            _SEVERITY[row["status"]],
            row["ratio"] if row["ratio"] is not None else Decimal(10**6),
            row["scope"],
            row["name"],
        )
    )
    return rows[:limit]


def _worst_chart(rows: list[dict]) -> dict:
    shown = [row for row in rows if row["ratio"] is not None][::-1]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [f"{row['name']}（{row['scope'][:10]}）" for row in shown],
                "x": [_float(min(row["ratio"], Decimal(200))) for row in shown],
                "marker": {"color": [LAMP_COLOURS[row["status"]] for row in shown]},
                "hovertemplate": "%{y}<br>比值 %{x:.2f}%<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": "完成情况最差的指标（亮灯比值）"},
            "font": FONT,
            "xaxis": {"title": {"text": "%"}, "rangemode": "tozero"},
            "margin": {"l": 320, "r": 20, "t": 50, "b": 50},
            "height": 160 + 34 * max(len(shown), 1),
        },
    }


def dashboard_data(
    user, *, year: int | None = None, month: int | None = None, department_code: str | None = None
) -> dict:
    departments = _visible_departments(user, department_code)
    year, month = _default_period(departments, year, month)
    # The engine evaluates departments with indicators that year (SPEC §9).
    with_projects = set(db.session.scalars(select(Indicator.department_id).where(Indicator.year == year)))
    departments = [department for department in departments if department.id in with_projects]
    monitoring = {department.code: _monitoring(year, month, department.code) for department in departments}
    assessments = {department.code: _self_assessment(year, department.code) for department in departments}
    lamps, counts = _lamp_chart(departments, monitoring)
    distribution, grades, scores = _score_charts(departments, assessments, year, month)
    worst = worst_indicators(departments, monitoring, year, month)
    return {
        "year": year,
        "month": month,
        "departments": departments,
        "counts": counts,
        "scores": scores,
        "worst": worst,
        "charts": {
            "lamps": lamps,
            "progress": _progress_chart(departments, year, month),
            "distribution": distribution,
            "grades": grades,
            "worst": _worst_chart(worst),
        },
    }
