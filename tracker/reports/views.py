"""Pages of 报表 and 报送: downloads, /deliveries with its settings, the dashboard (issue 5)."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required
from markupsafe import Markup
from marshmallow import ValidationError

from tracker.auth import access
from tracker.budget.models import Department
from tracker.core.clock import local_text
from tracker.reporting.overview import default_year
from tracker.reports import delivery as deliveries
from tracker.reports.dashboard import dashboard_data
from tracker.reports.fonts import MissingFont
from tracker.reports.forms import KIND_TITLES, LAMP_TEXT
from tracker.reports.models import REPORT_KINDS
from tracker.reports.schemas import DashboardQuery, RecipientsForm, SendForm
from tracker.reports.service import FORMATS, BadPeriod, download_report

bp = Blueprint("reports", __name__, static_folder="static", static_url_path="/reports-static")


@bp.app_template_filter("reports_localtime")
def reports_localtime(moment: datetime | None) -> str:
    """A stored UTC time (naive on SQLite) shown in the bureau's time zone."""
    return local_text(moment)


def _file_response(filename: str, content: bytes, fmt: str) -> Response:
    response = Response(content, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/downloads/<kind>/<department_code>/<int:year>.<fmt>")
@bp.get("/downloads/<kind>/<department_code>/<int:year>/<int:month>.<fmt>")
@login_required
def download(
    kind: str, department_code: str, year: int, fmt: str, month: int | None = None
) -> ResponseReturnValue:
    """A package file for the monitoring / self-assessment pages' download buttons."""
    if kind not in REPORT_KINDS or fmt not in FORMATS:
        abort(404)
    try:
        filename, content = download_report(current_user, kind, department_code, year, month, fmt)
    except BadPeriod:
        abort(404)
    except MissingFont as exc:  # the server lacks a part: not the user's error, and no garbage PDF
        return render_template("home/error.html", code=503, message=str(exc)), 503
    return _file_response(filename, content, fmt)


@bp.get("/dashboard/plotly.min.js")
def plotly_js() -> Response:
    """Plotly's bundled JavaScript from the installed ``plotly`` package (no CDN)."""
    path = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))
    return send_file(path, mimetype="text/javascript", max_age=86400)


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    try:
        query = DashboardQuery().load(request.args)
    except ValidationError:
        abort(404)
    data = dashboard_data(
        current_user,
        year=query["year"],
        month=query["month"],
        department_code=query["department"],
        bureau_code=query["bureau"],
    )
    return render_template("dashboard/index.html", lamp_text=LAMP_TEXT, **data)


@bp.get("/deliveries")
@login_required
def delivery_list() -> str:
    if not access.can_see_deliveries(current_user):
        abort(404)
    rows = deliveries.visible_deliveries(current_user)
    departments = _department_choices()
    # After a refused send the form comes back with what the user chose (the redirect carries it).
    chosen = {key: request.args.get(key, "") for key in ("kind", "department", "year", "month")}
    return render_template(
        "reports/deliveries.html",
        deliveries=rows,
        kinds=KIND_TITLES,
        departments=departments,
        can_send=bool(departments),
        chosen=chosen,
        default_year=default_year(),
    )


def _department_choices() -> list[Department]:
    if not access.can_see_deliveries(current_user):
        return []
    return access.readable_departments(current_user)


@bp.post("/deliveries/send")
@login_required
def delivery_send() -> ResponseReturnValue:
    schema = SendForm()
    # What the user chose comes back in the form; a year or month that is not a number does not.
    given = {key: request.form.get(key, "") for key in ("kind", "department", "year", "month")}
    chosen: dict[str, Any] = {k: v for k, v in given.items() if k not in ("year", "month") or v.isdigit()}
    try:
        form = schema.load(request.form.to_dict())
    except ValidationError as exc:
        flash(schema.error_text(exc), "error")
        return redirect(url_for(".delivery_list", **chosen))
    department = access.require_department(current_user, form["department"])
    if not access.can_send_delivery(current_user, department.id):
        raise access.refuse(current_user, "send")
    month = None if form["kind"] == "self-assessment" else form["month"]
    try:
        sent = deliveries.deliver(form["kind"], form["year"], month, department.code, user=current_user)
    except (deliveries.NoRecipients, BadPeriod, LookupError, MissingFont) as exc:
        flash(str(exc), "error")
        return redirect(url_for(".delivery_list", **chosen))
    record = sent.delivery
    if not sent.tried and record.status == "sent":
        message = gettext(
            "报送 #%(id)s（%(subject)s）此前已送达，内容相同，未重复发送；如需再次发送，请点该记录的“重新发送”。",
            id=record.id,
            subject=record.subject,
        )
        flash(message, "info")
    elif not sent.tried:
        flash(gettext("报送 #%(id)s 正由其他操作发送，未重复发送。", id=record.id), "info")
    elif record.status == "sent":
        flash(gettext("已发送：%(subject)s", subject=record.subject), "success")
    else:
        flash(gettext("发送失败，将自动重试：%(error)s", error=record.last_error), "error")
    return redirect(url_for(".delivery_list"))


@bp.post("/deliveries/<int:delivery_id>/resend")
@login_required
def delivery_resend(delivery_id: int) -> ResponseReturnValue:
    """重新发送, on purpose. The form carries the attempts count its page showed: of several clicks
    on one page (or a page from before the latest attempt) only the first sends."""
    seen = request.form.get("attempts", type=int)
    sent = deliveries.resend(current_user, delivery_id, seen_attempts=seen)
    record = sent.delivery
    if not sent.tried:
        message = gettext(
            "报送 #%(id)s 已由其他操作发送（共 %(attempts)s 次尝试），未重复发送；如仍需重发，请在刷新后的页面上再点“重新发送”。",
            id=record.id,
            attempts=record.attempts,
        )
        flash(message, "info")
    elif record.status == "sent":
        flash(gettext("已重新发送。"), "success")
    else:
        flash(gettext("发送失败：%(error)s", error=record.last_error), "error")
    return redirect(url_for(".delivery_list"))


@bp.get("/deliveries/<int:delivery_id>.<fmt>")
@login_required
def delivery_file(delivery_id: int, fmt: str) -> Response:
    filename, content = deliveries.delivery_file(current_user, delivery_id, fmt)
    return _file_response(filename, content, fmt)


@bp.route("/deliveries/settings", methods=["GET", "POST"])
@login_required
def delivery_settings() -> ResponseReturnValue:
    if not access.can_set_recipients(current_user):
        raise access.refuse(current_user, "delivery settings")
    if request.method == "POST":
        schema = RecipientsForm()
        try:
            form = schema.load(request.form.to_dict())
            deliveries.set_recipients(current_user, form["department"] or None, form["emails"])
        except ValidationError as exc:
            flash(schema.error_text(exc), "error")
        except deliveries.InvalidAddress as exc:
            flash(str(exc), "error")
        else:
            flash(gettext("收件人已保存。"), "success")
        return redirect(url_for(".delivery_settings"))
    return render_template("reports/delivery_settings.html", **deliveries.recipient_settings(current_user))


def render_dashboard_panel(year: int | None = None, department: str | None = None) -> Markup | str:
    """``{{ dashboard_panel() }}`` for the home page of department and finance users (empty for others)."""
    if not access.can_see_dashboard(current_user):
        return ""
    data = dashboard_data(current_user, year=year, department_code=department)
    return Markup(render_template("dashboard/_panel.html", lamp_text=LAMP_TEXT, **data))
