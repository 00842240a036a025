"""Pages of monthly reporting around the reports: home, the review queue, the audit log, a project's
history and the deadlines. Endpoints of the blueprint ``reporting``."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth import access
from tracker.core.errors import ValidationFailed
from tracker.reporting import deadlines, overview
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
    unit_code = request.args.get("unit") or None
    year = request.args.get("year", type=int)
    month = request.args.get("month", type=int)
    entries = overview.audit_entries(user, unit_code=unit_code, year=year, month=month)
    return render_template(
        "reporting/audit.html",
        entries=entries,
        units=access.readable_units(user),
        unit_code=unit_code,
        year=year,
        month=month,
    )


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
    if request.method == "POST":
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
        deadlines=deadlines.deadlines_for_year(year),
        errors=errors,
    ), (422 if errors else 200)
