"""Pages: /monitoring (双监控 of a department and month) and /self-assessment (绩效自评 of a year),
with 重新计算 and the reviewer's override form. Thin: parse → service (access, transaction) → render."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.auth import access
from tracker.evaluation import overrides, service, stored
from tracker.evaluation.inputs import DepartmentRow
from tracker.evaluation.models import ReviewerOverride
from tracker.reporting import overview
from tracker.rules import LAMP_NAMES, NOT_APPLICABLE_GRADE

blueprint = Blueprint("evaluation", __name__)


def _int(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.values.get(name, default))
    except (TypeError, ValueError):
        abort(400)
    if not low <= value <= high:
        abort(400)
    return value


def _choices(year: int) -> tuple[list[DepartmentRow], str | None]:
    if not access.can_read_evaluations(current_user):
        raise access.Forbidden("evaluation pages")
    departments = stored.readable_departments(current_user, year)
    code = request.values.get("department") or (departments[0].code if departments else None)
    return departments, code


def _document(
    code: str | None, view: Callable[[str], tuple[dict[str, Any], bool]]
) -> tuple[dict[str, Any] | None, bool, bool]:
    """The page's document of department ``code`` (``view``: stored, else computed now), whether it is
    the stored one, and whether the user may 重新计算 it; nothing when there is no department to show."""
    if not code:
        return None, False, False
    document, is_stored = view(code)
    return document, is_stored, stored.can_run(current_user, access.require_department(current_user, code))


@blueprint.get("/monitoring")
@login_required
def monitoring() -> ResponseReturnValue:
    year = _int("year", overview.default_year(), 2000, 2100)
    month = _int("month", overview.default_month(year), 1, 12)
    departments, code = _choices(year)
    document, is_stored, can_run = _document(
        code, lambda code: service.view_monitoring(current_user, year, month, code)
    )
    return render_template(
        "evaluation/monitoring.html",
        year=year,
        month=month,
        departments=departments,
        code=code,
        document=document,
        stored=is_stored,
        can_run=can_run,
        lamp_names=LAMP_NAMES,
    )


@blueprint.get("/self-assessment")
@login_required
def self_assessment() -> ResponseReturnValue:
    year = _int("year", overview.default_assessment_year(), 2000, 2100)
    departments, code = _choices(year)
    document, is_stored, can_run = _document(
        code, lambda code: service.view_self_assessment(current_user, year, code)
    )
    reviewed: dict[int, ReviewerOverride] = {}
    not_applicable: list[tuple[str, str]] = []
    if document:
        scoped = [(p["code"], i) for p in document["projects"] for i in p["indicators"]]
        scoped += [(_("部门整体"), i) for i in document["department"]["indicators"]]
        reviewed = overrides.override_for([i["indicator_id"] for _scope, i in scoped])
        # 不适用 ones are listed for the reviewer (issue 10 §3).
        not_applicable = [(scope, i["name"]) for scope, i in scoped if NOT_APPLICABLE_GRADE in i["flags"]]
    return render_template(
        "evaluation/self_assessment.html",
        year=year,
        departments=departments,
        code=code,
        document=document,
        stored=is_stored,
        can_run=can_run,
        overrides=reviewed,
        not_applicable=not_applicable,
    )


@blueprint.post("/monitoring/run")
@login_required
def monitoring_run() -> ResponseReturnValue:
    year, month = _int("year", 0, 2000, 2100), _int("month", 0, 1, 12)
    code = request.form.get("department", "")
    service.rerun(current_user, service.MONITORING, year, month, code)
    flash(_("已重新计算并保存。"), "success")
    return redirect(url_for("evaluation.monitoring", year=year, month=month, department=code))


@blueprint.post("/self-assessment/run")
@login_required
def self_assessment_run() -> ResponseReturnValue:
    year = _int("year", 0, 2000, 2100)
    code = request.form.get("department", "")
    service.rerun(current_user, service.SELF_ASSESSMENT, year, None, code)
    flash(_("已重新计算并保存。"), "success")
    return redirect(url_for("evaluation.self_assessment", year=year, department=code))


@blueprint.post("/self-assessment/override")
@login_required
def self_assessment_override() -> ResponseReturnValue:
    year = _int("year", 0, 2000, 2100)
    code = request.form.get("department", "")
    indicator_id = _int("indicator_id", 0, 1, 2**62)
    percent_text = (request.form.get("percent") or "").strip()
    flag = request.form.get("overachieved", "")
    try:
        percent = Decimal(percent_text) if percent_text else None
    except InvalidOperation:
        percent = Decimal(-1)  # refused below as outside every band
    try:
        overrides.set_override(
            current_user,
            indicator_id,
            qualitative_percent=percent,
            overachieved={"yes": True, "no": False}.get(flag),
            note=request.form.get("note"),
            grade=request.form.get("grade") or None,
            not_applicable_zero={"zero": True, "share": False}.get(request.form.get("not_applicable", "")),
        )
    except overrides.OverrideRejected as exc:
        flash(str(exc), "error")
        return redirect(url_for("evaluation.self_assessment", year=year, department=code))
    service.rerun(current_user, service.SELF_ASSESSMENT, year, None, code)
    flash(_("审核意见已保存，自评已重新计算。"), "success")
    return redirect(url_for("evaluation.self_assessment", year=year, department=code))
