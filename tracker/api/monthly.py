"""Monthly reports of actuals over the API: read, save, submit, approve, return, unlock (SPEC §4).

Every action calls the same service as the pages (:mod:`tracker.reporting.services`). The report
version is the ``ETag``; a change needs ``If-Match`` (428 without it), and a stale one answers 412
with nothing changed — the API face of the pages' conflict refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest.pagination import PaginationParameters

from tracker.api.core import ApiBlueprint, current_api_user
from tracker.api.docs import errors
from tracker.api.errors import ApiError
from tracker.api.paging import page
from tracker.api.schemas.monthly import (
    ReportArgs,
    ReportSchema,
    ReportSummarySchema,
    ReportValuesSchema,
    ReturnSchema,
    SubmitSchema,
)
from tracker.auth import access
from tracker.reporting import services as reporting
from tracker.reporting.models import MonthlyReport
from tracker.reporting.reading import reports_query
from tracker.targets.reading import department_codes, unit_codes

__all__ = ["reports", "department_reports"]

reports = ApiBlueprint(
    "monthly-reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="预算单位月度报告（实际完成值）：读取、保存、提交、审核、退回；ETag / If-Match 乐观锁",
)
department_reports = ApiBlueprint(
    "department-reports",
    __name__,
    url_prefix="/api/v1/department-reports",
    description="部门整体月度报告：与预算单位报告相同的操作",
)

_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": '上次读取时的 ETag（如 "3"）；缺少 → 428，过期 → 412',
}
_ETAG = {"ETag": {"description": "报告版本", "schema": {"type": "string"}}}


def etag(version: int) -> str:
    return f'"{version}"'


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _value(stored: Any, qualitative: bool, number: str, grade: str) -> float | str | None:
    if stored is None:
        return None
    return getattr(stored, grade) if qualitative else _number(getattr(stored, number))


def present(data: reporting.ReportData) -> dict[str, Any]:
    """A :class:`~tracker.reporting.services.ReportData` as the API's report document."""
    rows = []
    for row in data.rows:
        indicator, stored = row.indicator, row.values
        actual = _value(stored, row.qualitative, "actual", "grade")
        if indicator.computed_metric:
            actual = _number(row.computed_value)
        rows.append(
            {
                "indicator_id": indicator.id,
                "project": indicator.project.code if indicator.project else None,
                "project_name": indicator.project.name if indicator.project else None,
                "level1": indicator.level1,
                "level2": indicator.level2,
                "name": indicator.name,
                "target": indicator.target,
                "target_unit": indicator.target_unit,
                "qualitative": row.qualitative,
                "computed": bool(indicator.computed_metric),
                "actual": actual,
                "grade_percent": stored.grade_percent if stored else None,
                "forecast": _value(stored, row.qualitative, "forecast", "forecast_grade"),
                "likelihood": stored.likelihood if stored else None,
                "deviation_category": stored.deviation_category if stored else None,
                "deviation_cause": stored.deviation_cause if stored else None,
                "corrective_measure": stored.corrective_measure if stored else None,
                "previous_actual": _value(row.previous, row.qualitative, "actual", "grade"),
                "lamp": {
                    "status": row.lamp.status,
                    "ratio": row.lamp.ratio,
                    "expected": row.lamp.expected,
                    "explain": row.lamp.explain,
                },
                "needs_cause": row.needs_cause,
            }
        )
    report = data.report
    return {
        "unit": data.unit.code if data.unit else None,
        "department": data.department.code,
        "year": data.year,
        "month": data.month,
        "status": data.status,
        "version": data.version,
        "imported": bool(report.imported) if report else False,
        "return_reason": report.return_reason if report else None,
        "deadline": data.deadline,
        "overdue": data.overdue,
        "editable": data.editable,
        "can_review": data.can_review,
        "updated_at": report.updated_at if report else None,
        "submitted_at": report.submitted_at if report else None,
        "approved_at": report.approved_at if report else None,
        "rows": rows,
    }


def summary(report: MonthlyReport, units: dict[int, str], departments: dict[int, str]) -> dict[str, Any]:
    return {
        "unit": units.get(report.unit_id) if report.unit_id else None,
        "department": departments[report.department_id],
        "year": report.year,
        "month": report.month,
        "status": report.status,
        "version": report.version,
        "imported": report.imported,
        "updated_at": report.updated_at,
        "submitted_at": report.submitted_at,
        "approved_at": report.approved_at,
    }


def _required_version(unit: str | None, department: str | None, year: int, month: int) -> int:
    """The version named by ``If-Match``: 428 without one, 412 when no tag can match."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise ApiError(428)
    tags = request.if_match
    if tags.star_tag:
        raise ApiError(428, 'If-Match 须为具体的 ETag（如 "3"），不接受 *。')
    versions = {int(tag) for tag in tags.as_set() if tag.isdigit() and len(tag) < 12}
    if not versions:
        raise ApiError(412)
    if len(versions) == 1:
        return versions.pop()
    # Several tags: any one matching the current version will do (RFC 9110); the service checks again.
    current = reporting.get_report(current_api_user(), unit, year, month, department_code=department).version
    return current if current in versions else min(versions)


#: A report document, its status and its ETag header.
Answer = tuple[dict[str, Any], int, dict[str, str]]


def _answer(unit: str | None, department: str | None, year: int, month: int) -> Answer:
    data = reporting.get_report(current_api_user(), unit, year, month, department_code=department)
    return present(data), 200, {"ETag": etag(data.version)}


def _act(
    action: str, unit: str | None, department: str | None, year: int, month: int, body: dict[str, Any]
) -> Answer:
    """Run one business action of :mod:`tracker.reporting.services` and answer the report."""
    user = current_api_user()
    # A foreign report is 404 before any header is looked at.
    access.require_report_scope(user, unit, department)
    version = _required_version(unit, department, year, month)
    scope = {"department_code": department}
    try:
        if action == "save":
            reporting.save_report(user, unit, year, month, body["values"], version, **scope)
        elif action == "submit":
            reporting.submit_report(
                user, unit, year, month, version, body.get("values") or {}, department_code=department
            )
        elif action == "approve":
            reporting.approve_report(user, unit, year, month, version, **scope)
        elif action == "return":
            reporting.return_report(user, unit, year, month, version, body["reason"], **scope)
        elif action == "unlock":
            reporting.unlock_report(user, unit, year, month, version, **scope)
    except reporting.Conflict as exc:
        raise ApiError(412, str(exc), headers={"ETag": etag(exc.version)}) from exc
    except reporting.InvalidState as exc:
        raise ApiError(409, exc.message, exc.errors) from exc
    except reporting.ValidationFailed as exc:
        raise ApiError(422, None, exc.errors) from exc
    return _answer(unit, department, year, month)


# ---------------------------------------------------------------- lists


@reports.route("")
class Reports(MethodView):
    @reports.arguments(ReportArgs, location="query")
    @reports.response(200, ReportSummarySchema(many=True))
    @reports.paginate(page_size=20)
    @errors(reports, 404)
    def get(self, args: dict[str, Any], pagination_parameters: PaginationParameters) -> list[dict[str, Any]]:
        """月度报告列表（预算单位和部门整体；可按年度、月份、部门、单位、状态筛选）"""
        query = reports_query(
            current_api_user(),
            year=args.get("year"),
            month=args.get("month"),
            status=args.get("status"),
            department_code=args.get("department"),
            unit_code=args.get("unit"),
        )
        items = page(query, pagination_parameters)
        units = unit_codes({r.unit_id for r in items if r.unit_id})
        departments = department_codes({r.department_id for r in items})
        return [summary(r, units, departments) for r in items]


# ---------------------------------------------------------------- one report, for a unit or a department


def _routes(blueprint: ApiBlueprint, key: str, what: str) -> None:
    by_unit = key == "unit"

    def scope(code: str) -> tuple[str | None, str | None]:
        return (code, None) if by_unit else (None, code)

    base = f"/<{key}>/<int(min=1, max=9999):year>/<int(min=1, max=12):month>"

    class Item(MethodView):
        @blueprint.response(200, ReportSchema, headers=_ETAG)
        @errors(blueprint, 404)
        def get(self, year: int, month: int, **codes: str) -> Answer:
            return _answer(*scope(codes[key]), year, month)

        @blueprint.arguments(ReportValuesSchema)
        @blueprint.response(200, ReportSchema, headers=_ETAG)
        @blueprint.doc(parameters=[_IF_MATCH])
        @errors(blueprint, 403, 404, 409, 412, 422, 428)
        def put(self, body: dict[str, Any], year: int, month: int, **codes: str) -> Answer:
            return _act("save", *scope(codes[key]), year, month, body)

    Item.get.__doc__ = f"读取{what}月度报告（含各指标实际值和亮灯）；ETag 为报告版本"
    Item.put.__doc__ = f"保存{what}月度报告草稿：values 为 指标 id → 字段；需 If-Match"
    blueprint.route(base, endpoint="item")(Item)

    actions = (
        ("submit", SubmitSchema, "提交（可同时保存 values）；黄灯/红灯指标须有偏差原因和改进措施"),
        ("approve", None, "审核通过（部门管理员审核单位报告；财政局审核部门整体报告）"),
        ("return", ReturnSchema, "退回（须填退回原因）"),
        ("unlock", None, "解锁已审核的报告（仅财政局）"),
    )
    for action, schema, summary_text in actions:
        _action_route(blueprint, base, key, scope, action, schema, summary_text)


Scope = Callable[[str], tuple[str | None, str | None]]


def _action_route(
    blueprint: ApiBlueprint, base: str, key: str, scope: Scope, action: str, schema: Any, text: str
) -> None:
    class Action(MethodView):
        def post(self, *args: Any, year: int, month: int, **codes: str) -> Answer:
            body = args[0] if args else {}
            return _act(action, *scope(codes[key]), year, month, body)

    Action.post.__doc__ = text
    post = Action.post
    post = errors(blueprint, 403, 404, 409, 412, 422, 428)(post)
    post = blueprint.doc(parameters=[_IF_MATCH])(post)
    post = blueprint.response(200, ReportSchema, headers=_ETAG)(post)
    if schema is not None:
        post = blueprint.arguments(schema)(post)
    Action.post = post  # type: ignore[method-assign]
    blueprint.route(f"{base}/{action}", endpoint=action)(Action)


_routes(reports, "unit", "预算单位")
_routes(department_reports, "department", "部门整体")
