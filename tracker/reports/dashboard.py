"""看板 for department and finance users: lamp counts by department, 预算执行进度 against 时间进度
by month, 自评 score distribution and grades, the worst ten indicators (issue 5) — added up from the
stored runs' tallies by the database, whatever the number of departments (issue 13 §2).

Charts are Plotly figure dicts drawn in the browser by the bundled ``plotly.min.js`` served from
this blueprint (no CDN). Numbers become floats only here, at the edge, for drawing.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, true

from tracker.auth import access
from tracker.auth.i18n import term
from tracker.auth.models import User
from tracker.budget import bureaus
from tracker.budget.models import Bureau, Department, Project, SpendingEntry
from tracker.evaluation.overview import PeriodOverview, execution_by_month, period_overview
from tracker.extensions import db
from tracker.reporting.models import MonthlyReport
from tracker.reports.forms import LAMP_TEXT, to_decimal
from tracker.rules import as_percent, time_progress

__all__ = ["dashboard_data", "GRADE_BANDS", "TABLE_LIMIT", "PROGRESS_LINES"]

#: At province scale the table and the lamp chart show this many departments, the worst first.
TABLE_LIMIT = 20
#: More departments than this share one 预算执行进度 line, their sum.
PROGRESS_LINES = 10

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


def _visible_departments(
    user: User | None, department_code: str | None, bureau: Bureau | None
) -> list[Department] | None:
    """The departments the dashboard covers; ``None`` for every department (read without listing them)."""
    if department_code:
        department = access.require_department(user, department_code)
        return [department]
    if bureau is not None:
        ids = bureaus.subtree_department_ids(bureau)
        if ids is not None:
            return list(
                db.session.scalars(
                    select(Department).where(Department.id.in_(ids or {-1})).order_by(Department.code)
                )
            )
    if access.visible_department_ids(user) is None:
        return None
    return access.readable_departments(user)


def _bureau_choice(user: User | None, bureau_code: str | None) -> dict[str, Any]:
    """The bureau picker of a finance user (its subtree, by path) and the bureau chosen: the
    dashboard drills down 省 → 市 → 县 → 部门. Other roles get no picker; a foreign bureau is 404."""
    if not access.is_finance(user):
        if bureau_code:
            raise access.not_found(user, f"bureau {bureau_code}")
        return {"bureau": None, "bureaus": [], "child_bureaus": []}
    chosen = access.require_bureau(user, bureau_code) if bureau_code else None
    readable = access.readable_bureaus(user)
    top = min((b.path.count("/") for b in readable), default=0)
    choices = [(b, b.path.count("/") - top) for b in readable]
    if chosen is not None:
        children = [b for b in readable if b.parent_id == chosen.id]
    else:
        # Nothing picked: the user's own bureau is shown whole, its children offered to drill into.
        children = [b for b, depth in choices if depth == 1]
    return {"bureau": chosen, "bureaus": choices, "child_bureaus": children}


def _default_period(ids: list[int] | None, year: int | None, month: int | None) -> tuple[int, int]:
    def among(column: Any) -> Any:
        return true() if ids is None else column.in_(ids or [-1])

    if year is None:
        year = db.session.scalar(select(func.max(Project.year)).where(among(Project.department_id)))
        year = year or 0
    if month is None:
        reported = db.session.scalar(
            select(func.max(MonthlyReport.month)).where(
                MonthlyReport.year == year, among(MonthlyReport.department_id)
            )
        )
        spent = db.session.scalar(
            select(func.max(SpendingEntry.month)).where(
                SpendingEntry.year == year, among(SpendingEntry.department_id)
            )
        )
        month = max(reported or 0, spent or 0) or 1
    return year, month


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _percent(fraction: Decimal | None) -> float | None:
    return _float(None if fraction is None else (fraction * 100).quantize(Decimal("0.01")))


def _lamp_chart(departments: list[Any], counts: dict[int, Counter[str]]) -> dict:
    names = [department.name for department in departments]
    data = [
        {
            "type": "bar",
            "name": term(LAMP_TEXT[status]),
            "y": names,
            "orientation": "h",
            "x": [counts[department.id][status] for department in departments],
            "marker": {"color": LAMP_COLOURS[status]},
            "hovertemplate": "%{y}<br>%{x}" + _("项") + "<extra>" + term(LAMP_TEXT[status]) + "</extra>",
        }
        for status in ("green", "yellow", "red", "missing", "n/a")
    ]
    return {
        "data": data,
        "layout": {
            "barmode": "stack",
            "title": {"text": _("指标亮灯情况（按部门）")},
            "xaxis": {"title": {"text": _("指标数（项）")}},
            "font": FONT,
            "margin": {"l": 220, "r": 20, "t": 50, "b": 50},
            "height": 160 + 40 * len(names),
            "legend": {"orientation": "h", "y": -0.3, "traceorder": "normal"},
        },
    }


def _progress_chart(overview: PeriodOverview, year: int, month: int) -> dict:
    months = list(range(1, month + 1))
    labels = [_("%(month)s月", month=m) for m in months]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": _("时间进度"),
            "x": labels,
            "y": [float(as_percent(time_progress(m))) for m in months],
            "line": {"dash": "dash", "color": "#6e7781"},
        }
    ]
    # One line a department while they can be told apart; at province scale, their sum.
    if overview.departments:
        rates = execution_by_month(year, month, overview.departments)
        lines = [(_("%(name)s 预算执行进度", name=d.name), rates[d.id]) for d in overview.departments]
    else:
        lines = [(_("%(n)s 个部门合计 预算执行进度", n=overview.department_count), overview.progress)]
    for name, values in lines:
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": labels,
                "y": [_percent(value) for value in values],
            }
        )
    return {
        "data": data,
        "layout": {
            "title": {"text": _("%(year)s年预算执行进度与时间进度", year=year)},
            "font": FONT,
            "yaxis": {"title": {"text": "%"}, "rangemode": "tozero"},
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
            "legend": {"orientation": "h", "y": -0.2},
            "height": 380,
        },
    }


def _score_charts(scores: Counter[tuple[str, int]], year: int, month: int) -> tuple[dict, dict]:
    # 自评 reads the December report (SPEC §6): before it exists every indicator counts as 未填报.
    caveat = (
        ""
        if month == 12
        else "<br><sup>" + _("截至%(month)s月，尚无12月完成值的指标按未填报计", month=month) + "</sup>"
    )
    band_counts: dict[str, Counter[str]] = {label: Counter() for label, _, _ in GRADE_BANDS}
    grades: Counter[str] = Counter()
    for (grade, band), projects in scores.items():
        grades[grade] += projects
        for label, low, high in GRADE_BANDS:
            if low <= band * 10 < high:
                band_counts[label][grade] += projects
    distribution = {
        "data": [
            {
                "type": "bar",
                "name": term(grade),
                "x": [label for label, _, _ in GRADE_BANDS],
                "y": [band_counts[label][grade] for label, _, _ in GRADE_BANDS],
                "marker": {"color": colour},
            }
            for grade, colour in GRADE_COLOURS.items()
        ],
        "layout": {
            "barmode": "stack",
            "title": {"text": _("%(year)s年度项目自评得分分布", year=year) + caveat},
            "font": FONT,
            "height": 360,
            "xaxis": {"title": {"text": _("得分区间（分）")}},
            "yaxis": {"title": {"text": _("项目数")}, "dtick": 1},
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        },
    }
    pie = {
        "data": [
            {
                "type": "pie",
                "labels": [term(grade) for grade in GRADE_COLOURS if grades[grade]],
                "values": [grades[grade] for grade in GRADE_COLOURS if grades[grade]],
                "marker": {"colors": [colour for grade, colour in GRADE_COLOURS.items() if grades[grade]]},
                "hole": 0.45,
                "sort": False,
                "textinfo": "label+value",
            }
        ],
        "layout": {
            "title": {"text": _("%(year)s年度自评等级", year=year) + caveat},
            "font": FONT,
            "height": 360,
            "margin": {"l": 20, "r": 20, "t": 50, "b": 20},
        },
    }
    return distribution, pie


def _worst_chart(rows: list[dict]) -> dict:
    shown = [row for row in rows if row["ratio"] is not None][::-1]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": [f"{row['name']}（{term(row['scope'])[:10]}）" for row in shown],
                "x": [_float(min(row["ratio"], Decimal(200))) for row in shown],
                "marker": {"color": [LAMP_COLOURS[row["status"]] for row in shown]},
                "hovertemplate": "%{y}<br>" + _("比值") + " %{x:.2f}%<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": _("完成情况最差的指标（亮灯比值）")},
            "font": FONT,
            "xaxis": {"title": {"text": "%"}, "rangemode": "tozero"},
            "margin": {"l": 320, "r": 20, "t": 50, "b": 50},
            "height": 160 + 34 * max(len(shown), 1),
        },
    }


def dashboard_data(
    user: User | None,
    *,
    year: int | None = None,
    month: int | None = None,
    department_code: str | None = None,
    bureau_code: str | None = None,
) -> dict[str, Any]:
    if not access.can_see_dashboard(user):
        raise access.not_found(user, "dashboard")
    picker = _bureau_choice(user, bureau_code)
    departments = _visible_departments(user, department_code, picker["bureau"])
    ids = None if departments is None else [d.id for d in departments]
    year, month = _default_period(ids, year, month)
    overview = period_overview(year, month, ids, table_limit=TABLE_LIMIT, few=PROGRESS_LINES)
    worst = [
        {
            **row,
            "expected": to_decimal(row["expected"]),
            "ratio": None if row["ratio"] is None else Decimal(row["ratio"]) * 100,
        }
        for row in overview.worst
    ]
    shown = [department for department, _ in overview.table]
    counts = {department.id: lamps for department, lamps in overview.table}
    distribution, grades = _score_charts(overview.scores, year, month)
    return {
        **picker,
        "year": year,
        "month": month,
        "departments": shown,
        "department_count": overview.department_count,
        "not_evaluated": overview.not_evaluated,
        "not_assessed": overview.not_assessed,
        "counts": {d.code: counts[d.id] for d in shown},
        "worst": worst,
        "charts": {
            "lamps": _lamp_chart(shown, counts),
            "progress": _progress_chart(overview, year, month),
            "distribution": distribution,
            "grades": grades,
            "worst": _worst_chart(worst),
        },
    }
