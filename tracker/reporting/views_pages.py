"""Pages of monthly reporting around the reports: home, the review queue, the audit log, a project's
history and the deadlines. Endpoints of the blueprint ``reporting``."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from tracker.auth import access
from tracker.core.errors import NotFound, ValidationFailed
from tracker.reporting import audit_labels, deadlines, overview
from tracker.reporting import audit_log as audit_log_service
from tracker.reporting.audit_log import AuditPage
from tracker.reporting.schemas import AuditQuery
from tracker.reporting.views_common import bp

# ---------------------------------------------------------------- home


@bp.route("/")
def home() -> ResponseReturnValue:
    user = current_user._get_current_object()
    year = request.args.get("year", type=int) or overview.default_year()
    years = overview.years_available() or [year]
    if access.is_reporter(user):
        if user.unit is None:
            return render_template("home/reporter.html", unit=None, months=[], year=year, years=years)
        months = overview.unit_months(user, user.unit.code, year)
        projects = overview.unit_projects(user, user.unit.code, year)
        return render_template(
            "home/reporter.html", unit=user.unit, months=months, year=year, years=years, projects=projects
        )
    departments = access.readable_departments(user)
    if not departments:
        return render_template(
            "home/overview.html", department=None, departments=[], rows=[], year=year, years=years
        )
    code = request.args.get("department") or departments[0].code
    rows = overview.completeness(user, code, year)
    department = access.require_department(user, code)
    return render_template(
        "home/overview.html",
        department=department,
        departments=departments,
        rows=rows,
        year=year,
        years=years,
    )


# ---------------------------------------------------------------- review, audit, project, deadlines


@bp.route("/review")
def review() -> ResponseReturnValue:
    queue = overview.review_queue(current_user._get_current_object())
    return render_template("reporting/review.html", queue=queue)


@bp.route("/audit")
def audit_log() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if not access.can_read_audit(user):
        raise access.refuse(user, "audit log")
    schema = AuditQuery()
    typed = {key: request.args.get(key, "") for key in ("department", "unit", "year", "month")}
    try:
        query = schema.load(request.args)
    except ValidationError as exc:
        return _audit_answer(AuditPage(), typed, schema.error_text(exc), 400)
    try:
        page = audit_log_service.audit_page(
            user,
            department_code=query["department"],
            unit_code=query["unit"],
            year=query["year"],
            month=query["month"],
            page=query["page"],
        )
    except NotFound:
        code = "、".join(c for c in (query["department"], query["unit"]) if c)
        return _audit_answer(AuditPage(), typed, _("没有可查看的编码“%(code)s”。", code=code), 404)
    except audit_log_service.UnitOfOtherDepartment:
        message = _(
            "单位“%(unit)s”不属于部门“%(department)s”。", unit=query["unit"], department=query["department"]
        )
        return _audit_answer(AuditPage(), typed, message, 422)
    return _audit_answer(page, typed)


def _audit_answer(
    page: AuditPage, typed: dict[str, str], error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    filters = {key: value for key, value in typed.items() if value}
    return render_template(
        "reporting/audit.html", page=page, typed=typed, filters=filters, error=error, labels=audit_labels
    ), status


@bp.route("/projects/<int:year>/<code>")
def project(year: int, code: str) -> ResponseReturnValue:
    item, history = overview.project_history(current_user._get_current_object(), year, code)
    return render_template("reporting/project.html", project=item, history=history, year=year)


@bp.route("/deadlines", methods=["GET", "POST"])
def deadline_page() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if not access.can_set_deadlines(user):
        raise access.refuse(user, "deadlines")
    year = request.values.get("year", type=int) or overview.default_year()
    errors: dict[str, list[str]] = {}
    if not 2000 <= year <= 2100:
        # A year no calendar of ours holds (a typed address, a forged post): said, nothing set.
        errors = {"year": [_("年度应为 2000–2100，收到 %(year)s", year=year)]}
        year = overview.default_year()
    elif request.method == "POST":
        try:
            month = int(request.form.get("month", ""))
            due = date.fromisoformat(request.form.get("due_date", ""))
        except ValueError:
            errors = {"due_date": [_("请输入有效的日期（YYYY-MM-DD）")]}
        else:
            try:
                deadlines.set_deadline(user, year, month, due)
                flash(_("截止日期已更新。"), "success")
                return redirect(url_for("reporting.deadline_page", year=year))
            except ValidationFailed as exc:
                errors = exc.errors
    # The years with targets, and the next one (deadlines are set before its targets arrive).
    years = sorted({*overview.years_available(), overview.today().year + 1, year}, reverse=True)
    return render_template(
        "reporting/deadlines.html",
        year=year,
        years=years,
        deadlines=deadlines.deadline_sources(year, user.bureau),
        bureau=user.bureau,
        errors=errors,
    ), (422 if errors else 200)
