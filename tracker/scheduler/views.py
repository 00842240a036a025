"""/jobs: scheduled jobs, their runs, and "run now" (finance and admin)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError, fields, validate

from tracker.auth import access
from tracker.core.forms import FormSchema
from tracker.reporting.overview import years_available
from tracker.scheduler import service

blueprint = Blueprint("scheduler", __name__)


class RunNowSchema(FormSchema):
    """立即运行: the period, for a job that asks for one."""

    year = fields.Integer(validate=validate.Range(2000, 2100), metadata={"label": "年度"})
    month = fields.Integer(validate=validate.Range(1, 12), metadata={"label": "月份"})


@blueprint.get("/jobs")
@login_required
def jobs() -> str:
    runs = service.recent_runs(current_user)
    return render_template(
        "scheduler/jobs.html",
        jobs=service.job_overview(current_user),
        runs=runs,
        lines=service.bureau_lines(current_user, runs),
        years=years_available(),
        can_run_now=access.can_run_jobs_now(current_user),
        whole_runs=access.sees_whole_runs(current_user),
    )


@blueprint.post("/jobs/<name>/run")
@login_required
def run(name: str) -> ResponseReturnValue:
    schema = RunNowSchema()
    try:
        chosen = schema.load(request.form)
    except ValidationError as exc:
        flash(schema.error_text(exc), "error")
        return redirect(url_for("scheduler.jobs"))
    result = service.run_now(current_user, name, chosen.get("year"), chosen.get("month"))
    if result is None:
        flash(_("该任务正在其他进程中运行，未重复执行。"), "error")
    elif result.status == "failed":
        flash(_("任务失败：") + (result.error or "").splitlines()[0], "error")
    else:
        flash(_("任务已完成，写入 %(rows)s 行。", rows=result.rows or 0), "success")
    return redirect(url_for("scheduler.jobs"))
