"""/jobs: scheduled jobs, their runs, and "run now" (finance and admin)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.scheduler import service

blueprint = Blueprint("scheduler", __name__)


@blueprint.get("/jobs")
@login_required
def jobs() -> str:
    return render_template(
        "scheduler/jobs.html", jobs=service.job_overview(current_user), runs=service.recent_runs(current_user)
    )


@blueprint.post("/jobs/<name>/run")
@login_required
def run(name: str) -> ResponseReturnValue:
    result = service.run_now(current_user, name)
    if result is None:
        flash(_("该任务正在其他进程中运行，未重复执行。"), "error")
    elif result.status == "failed":
        flash(_("任务失败：") + (result.error or "").splitlines()[0], "error")
    else:
        flash(_("任务已完成，写入 %(rows)s 行。", rows=result.rows or 0), "success")
    return redirect(url_for("scheduler.jobs"))
