"""绩效监控 and 绩效自评 results over the API: the SPEC §9 documents, exactly as
``flask tracker evaluate … --json`` prints them (stored results when there are, else computed).
A POST runs the evaluation and stores it, as the command and the pages' 重新计算 do."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView

from tracker.api.core import ApiBlueprint, current_api_user
from tracker.api.docs import errors
from tracker.api.errors import ApiError
from tracker.api.schemas.evaluations import (
    MonitoringArgs,
    MonitoringDocumentSchema,
    RunMonitoringSchema,
    RunSelfAssessmentSchema,
    SelfAssessmentArgs,
    SelfAssessmentDocumentSchema,
)
from tracker.auth import access
from tracker.evaluation import service as evaluation
from tracker.evaluation.stored import requested_department

__all__ = ["evaluations"]

evaluations = ApiBlueprint(
    "evaluations",
    __name__,
    url_prefix="/api/v1/evaluations",
    description="绩效运行监控与绩效自评结果（SPEC §9 的 JSON 文档）；部门管理员、财政局可用",
)

_EVALUATED_AT = {
    "X-Evaluated-At": {
        "description": "已保存结果的计算时间（ISO 8601）；未保存过则为即时计算、无此头",
        "schema": {"type": "string"},
    }
}


def _answer(document: dict[str, Any]) -> Response:
    """The document exactly as the CLI prints it; when it was stored goes in a header."""
    document = dict(document)
    evaluated_at = document.pop("evaluated_at", None)
    response = jsonify(document)
    if evaluated_at:
        response.headers["X-Evaluated-At"] = evaluated_at
    return response


def _document(kind: str, year: int, month: int | None, department: str | None) -> dict[str, Any]:
    user = current_api_user()
    code = requested_department(user, department)
    try:
        if kind == "monitoring":
            assert month is not None
            stored = evaluation.stored_monitoring(year, month, code) if code else None
            # A GET stores nothing: an evaluation that was never run is computed for this answer only.
            return stored or evaluation.run_monitoring(year, month, code, commit=False, store=False)
        stored = evaluation.stored_self_assessment(year, code) if code else None
        return stored or evaluation.run_self_assessment(year, code, commit=False, store=False)
    except evaluation.AmbiguousDepartment as exc:
        raise ApiError(
            422, "此年度有多个部门，请用 department 参数指定。", {"department": ["请指定部门编码"]}
        ) from exc
    except LookupError as exc:
        raise access.NotFound(str(exc)) from exc


def _run(kind: str, year: int, month: int | None, department: str) -> Response:
    """重新计算: the department's admin or finance (the pages' rule); stored, replacing the last run."""
    try:
        return _answer(evaluation.rerun(current_api_user(), kind, year, month, department))
    except LookupError as exc:
        raise access.NotFound(str(exc)) from exc


@evaluations.route("/monitoring")
class Monitoring(MethodView):
    @evaluations.arguments(MonitoringArgs, location="query")
    @evaluations.alt_response(
        200,
        schema=MonitoringDocumentSchema,
        success=True,
        description="绩效运行监控文档",
        headers=_EVALUATED_AT,
    )
    @errors(evaluations, 404, 422)
    def get(self, args: dict[str, Any]) -> Response:
        """绩效运行监控（双监控），截至 month 月（SPEC §5、§9）"""
        return _answer(_document("monitoring", args["year"], args["month"], args.get("department")))

    @evaluations.arguments(RunMonitoringSchema)
    @evaluations.alt_response(
        200, schema=MonitoringDocumentSchema, success=True, description="刚计算并保存的绩效运行监控文档"
    )
    @errors(evaluations, 403, 404, 422)
    def post(self, args: dict[str, Any]) -> Response:
        """重新计算并保存绩效运行监控（同 `flask tracker evaluate monitoring`）；部门管理员（本部门）、财政局"""
        return _run(evaluation.MONITORING, args["year"], args["month"], args["department"])


@evaluations.route("/self-assessment")
class SelfAssessment(MethodView):
    @evaluations.arguments(SelfAssessmentArgs, location="query")
    @evaluations.alt_response(
        200,
        schema=SelfAssessmentDocumentSchema,
        success=True,
        description="绩效自评文档",
        headers=_EVALUATED_AT,
    )
    @errors(evaluations, 404, 422)
    def get(self, args: dict[str, Any]) -> Response:
        """绩效自评（SPEC §6、§9）"""
        return _answer(_document("self-assessment", args["year"], None, args.get("department")))

    @evaluations.arguments(RunSelfAssessmentSchema)
    @evaluations.alt_response(
        200, schema=SelfAssessmentDocumentSchema, success=True, description="刚计算并保存的绩效自评文档"
    )
    @errors(evaluations, 403, 404, 422)
    def post(self, args: dict[str, Any]) -> Response:
        """重新计算并保存绩效自评（同 `flask tracker evaluate self-assessment`）；部门管理员（本部门）、财政局"""
        return _run(evaluation.SELF_ASSESSMENT, args["year"], None, args["department"])
