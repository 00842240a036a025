"""Pages of monthly reporting: home, the report form, review, audit, project history, imports, deadlines.

Views are thin: read the request, call a service (which checks access and owns the transaction), render.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, generate_csrf

from tracker import rules
from tracker.auth import access
from tracker.auth.i18n import fmt_date
from tracker.reporting import deadlines, evidence, overview, services, staging
from tracker.reporting.models import DEVIATION_CATEGORIES, GRADES, LIKELIHOODS
from tracker.reporting.values import ROW_FIELDS
from tracker.targets.files import FileRejected

bp = Blueprint("reporting", __name__)

#: Form keys that are not indicator values; anything else not matching ``i<id>.<field>`` is refused.
_CONTROL_KEYS = {"csrf_token", "base_version", "action", "reason"}
_FIELD_KEY = re.compile(r"^i(\d+)\.([a-z_]+)$")
#: The session's last successful save of a report form: ``[form path, version it made]``. The page
#: after it tells the form's script that the copy kept in the browser was saved (SPEC §4).
_SAVED_KEY = "report_saved"
_REPORT_ENDPOINTS = {"reporting.report", "reporting.report_department"}
_AUTOSAVE_ENDPOINTS = {"reporting.autosave", "reporting.autosave_department"}


def N_(text: str) -> str:
    """Marks a message for ``pybabel extract -k N_``; translated with ``_()`` where it is shown."""
    return text


#: Labels kept as plain Chinese in services, listed here so the catalog has them.
_CATALOG = (
    N_("草稿"),
    N_("已提交"),
    N_("已审核"),
    N_("累计型"),
    N_("水平型"),
    N_("上限型"),
    N_("定性"),
    N_("预算执行"),
    N_("绩效目标"),
    N_("项目预算"),
    N_("支出"),
    N_("部门预算"),
    N_("实际完成值"),
)
MODE_LABELS = {
    "cumulative": "累计型",
    "level": "水平型",
    "cap": "上限型",
    "qualitative": "定性",
    "budget": "预算执行",
}
LAMP_LABELS = rules.LAMP_NAMES


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page here needs a logged-in user."""


@bp.errorhandler(CSRFError)
def _csrf_refused(exc: CSRFError):
    """A post whose CSRF token no longer fits. Without a signed-in session (the cookie expired or
    was cleared, the browser was closed) the report form goes to the login page with a word, not to
    a bare 400, and the draft endpoint answers JSON; the form's script keeps what was typed."""
    g.pop("_login_user", None)  # the CSRF check runs before the hook that forgets the last user
    signed_in = current_user.is_authenticated
    if request.endpoint in _AUTOSAVE_ENDPOINTS:
        message = _("页面已过期，请刷新页面。") if signed_in else _("登录已过期，请重新登录。")
        return jsonify({"ok": False, "login": not signed_in, "message": message}), 400
    if request.endpoint in _REPORT_ENDPOINTS and not signed_in:
        flash(_("登录已过期，表单尚未保存。请重新登录后回到表单再保存。"), "error")
        return redirect(url_for("auth.login", next=request.path))
    return exc


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "STATUS_LABELS": services.STATUS_LABELS,
        "MODE_LABELS": MODE_LABELS,
        "LAMP_LABELS": LAMP_LABELS,
        "plain": plain,
    }


def plain(value: Any) -> str:
    """A stored number as typed in an input: no grouping, no trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def _report_path(year: int, month: int, unit_code: str | None, dept_code: str | None) -> str:
    if unit_code is not None:
        return url_for("reporting.report", unit_code=unit_code, year=year, month=month)
    return url_for("reporting.report_department", dept_code=dept_code, year=year, month=month)


def _scope_url(endpoint: str, data: services.ReportData, **extra: Any) -> str:
    month = extra.pop("month", data.month)
    if data.unit is not None:
        return url_for(
            f"reporting.{endpoint}", unit_code=data.unit.code, year=data.year, month=month, **extra
        )
    return url_for(
        f"reporting.{endpoint}_department",
        dept_code=data.department.code,
        year=data.year,
        month=month,
        **extra,
    )


# ---------------------------------------------------------------- home


@bp.route("/")
def home():
    user = current_user._get_current_object()
    year = request.args.get("year", type=int) or overview.default_year()
    years = overview.years_available() or [year]
    if user.role == "reporter":
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


# ---------------------------------------------------------------- the report form


def _form_values() -> tuple[dict[int, dict[str, str]], list[str], int | None]:
    """(values by indicator, refused keys, base version) of the posted form."""
    values: dict[int, dict[str, str]] = {}
    refused: list[str] = []
    for key in request.form:
        if key in _CONTROL_KEYS:
            continue
        match = _FIELD_KEY.match(key)
        if match and match.group(2) in ROW_FIELDS:
            values.setdefault(int(match.group(1)), {})[match.group(2)] = request.form.get(key, "")
        else:
            refused.append(key)
    try:
        version = int(request.form.get("base_version", ""))
    except ValueError:
        version = None
    return values, refused, version


def _render_form(
    data: services.ReportData,
    *,
    typed: dict[int, dict[str, str]] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
):
    lamps = services.typed_lamps(data, typed) if typed else {}
    path = _scope_url("report", data)
    saved = session.get(_SAVED_KEY)
    own_version = saved[1] if isinstance(saved, list) and len(saved) == 2 and saved[0] == path else None
    return render_template(
        "reporting/report.html",
        data=data,
        form_path=path,
        own_version=own_version,
        typed=typed or {},
        errors=errors or {},
        lamps=lamps,
        evidence=evidence.list_evidence(data.report),
        grades=GRADES,
        likelihoods=LIKELIHOODS,
        categories=DEVIATION_CATEGORIES,
        scope_url=lambda endpoint, **kw: _scope_url(endpoint, data, **kw),
    ), status


def _scope_args(unit_code: str | None, dept_code: str | None) -> dict[str, Any]:
    return {"department_code": dept_code} if unit_code is None else {}


@bp.route("/reports/<unit_code>/<int:year>/<int:month>", methods=["GET", "POST"])
@bp.route(
    "/reports/department/<dept_code>/<int:year>/<int:month>",
    methods=["GET", "POST"],
    endpoint="report_department",
)
def report(year: int, month: int, unit_code: str | None = None, dept_code: str | None = None):
    user = current_user._get_current_object()
    scope = _scope_args(unit_code, dept_code)
    data = services.get_report(user, unit_code, year, month, **scope)
    if request.method == "GET":
        return _render_form(data)
    values, refused, version = _form_values()
    if refused or version is None:
        names = "、".join(refused) or "base_version"
        return render_template(
            "home/error.html", code=400, message=_("表单包含不允许设置的字段：%(names)s", names=names)
        ), 400
    action = request.form.get("action", "save")
    try:
        if action == "submit":
            saved = services.submit_report(user, unit_code, year, month, version, values, **scope)
            flash(_("报告已提交，等待审核。"), "success")
        else:
            saved = services.save_report(user, unit_code, year, month, values, version, **scope)
            flash(_("草稿已保存。"), "success")
        session[_SAVED_KEY] = [_scope_url("report", data), saved.version]
    except services.Conflict as exc:
        flash(str(exc), "error")
        return _render_form(
            services.get_report(user, unit_code, year, month, **scope), typed=values, status=409
        )
    except services.InvalidState as exc:
        flash(exc.message, "error")
        return _render_form(services.get_report(user, unit_code, year, month, **scope), status=409)
    except services.ValidationFailed as exc:
        flash(_("有 %(n)s 处需要修改，已填写的内容都保留在表单中，尚未保存。", n=len(exc.errors)), "error")
        return _render_form(
            services.get_report(user, unit_code, year, month, **scope),
            typed=values,
            errors=exc.errors,
            status=422,
        )
    return redirect(_scope_url("report", data))


@bp.route("/reports/<unit_code>/<int:year>/<int:month>/lamp", methods=["POST"])
@bp.route(
    "/reports/department/<dept_code>/<int:year>/<int:month>/lamp",
    methods=["POST"],
    endpoint="lamp_department",
)
def lamp(year: int, month: int, unit_code: str | None = None, dept_code: str | None = None):
    """The lamp for values being typed (the form's script calls this, debounced)."""
    payload = request.get_json(silent=True) or {}
    try:
        indicator_id = int(payload["indicator_id"])
    except (KeyError, TypeError, ValueError):
        abort(400)
    raw = payload.get("values") or {}
    if not isinstance(raw, dict):
        abort(400)
    result, errors = services.preview_lamp(
        current_user._get_current_object(),
        unit_code,
        year,
        month,
        indicator_id,
        raw,
        **_scope_args(unit_code, dept_code),
    )
    if result is None:
        return jsonify({"status": None, "errors": errors})
    return jsonify(
        {
            "status": result.status,
            "label": _(LAMP_LABELS.get(result.status, result.status)),
            "explain": result.explain,
            "needs_cause": result.status in ("yellow", "red"),
            "errors": {},
        }
    )


def _autosave_values(payload: Any) -> tuple[dict[int, dict[str, str]], int] | None:
    """``{"base_version": 3, "values": {"<indicator id>": {"<field>": "<text>"}}}`` as the service
    takes it; None for anything else (a field outside ROW_FIELDS, a value that is not text)."""
    if not isinstance(payload, dict):
        return None
    version, raw = payload.get("base_version"), payload.get("values")
    if isinstance(version, bool) or not isinstance(version, int) or not isinstance(raw, dict) or not raw:
        return None
    values: dict[int, dict[str, str]] = {}
    for key, fields in raw.items():
        if not (isinstance(key, str) and key.isdigit() and isinstance(fields, dict)):
            return None
        if any(name not in ROW_FIELDS or not isinstance(text, str) for name, text in fields.items()):
            return None
        values[int(key)] = dict(fields)
    return values, version


def _draft_answer(status: int, message: str, **extra: Any):
    return jsonify({"ok": False, "message": message, **extra}), status


@bp.route("/reports/<unit_code>/<int:year>/<int:month>/autosave", methods=["POST"])
@bp.route(
    "/reports/department/<dept_code>/<int:year>/<int:month>/autosave",
    methods=["POST"],
    endpoint="autosave_department",
)
def autosave(year: int, month: int, unit_code: str | None = None, dept_code: str | None = None):
    """自动保存: the form's script saves the changed rows of a draft through the same service and
    version check as 保存草稿. 200 with the new version, 409 on a conflict or a report that is no
    longer a draft, 422 with the field errors (nothing written)."""
    user = current_user._get_current_object()
    scope = _scope_args(unit_code, dept_code)
    parsed = _autosave_values(request.get_json(silent=True))
    if parsed is None:
        return _draft_answer(400, _("自动保存的内容格式不正确。"))
    values, version = parsed
    try:
        report = services.save_report(user, unit_code, year, month, values, version, **scope)
    except services.NotFound:
        return _draft_answer(404, _("页面不存在。"))
    except services.Forbidden:
        return _draft_answer(403, _("没有权限执行此操作。"))
    except services.Conflict as exc:
        if exc.changed_at is None:
            message = _("此报告已被他人修改，自动保存未生效。请刷新页面，核对后再保存。")
        else:
            message = _(
                "此报告已被 %(user)s 于 %(when)s 修改，自动保存未生效。请刷新页面，核对后再保存。",
                user=exc.changed_by,
                when=fmt_date(exc.changed_at),
            )
        return _draft_answer(409, message, conflict=True, version=exc.version)
    except services.InvalidState as exc:
        return _draft_answer(409, exc.message, locked=True)
    except services.ValidationFailed as exc:
        first = next((text for texts in exc.errors.values() for text in texts), "")
        return _draft_answer(
            422, _("有 %(n)s 处需要修改：%(first)s", n=len(exc.errors), first=first), errors=exc.errors
        )
    session[_SAVED_KEY] = [_report_path(year, month, unit_code, dept_code), report.version]
    time = format_datetime(report.updated_at, "HH:mm")
    return jsonify(
        {
            "ok": True,
            "version": report.version,
            "saved_at": time,
            "message": _("已保存 %(time)s", time=time),
            # A fresh token (the page's ones expire after WTF_CSRF_TIME_LIMIT) for the form's posts.
            "csrf_token": generate_csrf(),
        }
    )


def _review_action(action: str, year: int, month: int, unit_code: str | None, dept_code: str | None):
    user = current_user._get_current_object()
    scope = _scope_args(unit_code, dept_code)
    data = services.get_report(user, unit_code, year, month, **scope)
    refused = [k for k in request.form if k not in _CONTROL_KEYS]
    if refused:
        return render_template(
            "home/error.html",
            code=400,
            message=_("表单包含不允许设置的字段：%(names)s", names="、".join(refused)),
        ), 400
    version = request.form.get("base_version", type=int)
    try:
        if action == "approve":
            services.approve_report(user, unit_code, year, month, version, **scope)
            flash(_("已审核通过，本月报告已锁定。"), "success")
        elif action == "return":
            services.return_report(
                user, unit_code, year, month, version, request.form.get("reason", ""), **scope
            )
            flash(_("已退回，填报单位将看到退回原因。"), "success")
        else:
            services.unlock_report(user, unit_code, year, month, version, **scope)
            flash(_("已解锁，报告回到草稿状态。"), "success")
    except services.Conflict as exc:
        flash(str(exc), "error")
        return _render_form(services.get_report(user, unit_code, year, month, **scope), status=409)
    except services.ValidationFailed as exc:
        for messages in exc.errors.values():
            for message in messages:
                flash(message, "error")
        return _render_form(
            services.get_report(user, unit_code, year, month, **scope), errors=exc.errors, status=422
        )
    return redirect(url_for("reporting.review") if action != "unlock" else _scope_url("report", data))


for _action in ("approve", "return", "unlock"):

    def _make(action: str):
        def view(year: int, month: int, unit_code: str | None = None, dept_code: str | None = None):
            return _review_action(action, year, month, unit_code, dept_code)

        return view

    bp.add_url_rule(
        f"/reports/<unit_code>/<int:year>/<int:month>/{_action}", _action, _make(_action), methods=["POST"]
    )
    bp.add_url_rule(
        f"/reports/department/<dept_code>/<int:year>/<int:month>/{_action}",
        f"{_action}_department",
        _make(_action),
        methods=["POST"],
    )


# ---------------------------------------------------------------- evidence


@bp.route("/reports/<unit_code>/<int:year>/<int:month>/evidence", methods=["POST"])
@bp.route(
    "/reports/department/<dept_code>/<int:year>/<int:month>/evidence",
    methods=["POST"],
    endpoint="upload_evidence_department",
)
def upload_evidence(year: int, month: int, unit_code: str | None = None, dept_code: str | None = None):
    """Evidence is its own form: success or refusal, the answer is the report page at its own
    address (never this one), so the report form there still posts to the report."""
    user = current_user._get_current_object()
    scope = _scope_args(unit_code, dept_code)
    data = services.get_report(user, unit_code, year, month, **scope)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise services.ValidationFailed({"file": [_("请选择要上传的文件")]})
        item = evidence.add_evidence(user, unit_code, year, month, upload.stream, upload.filename, **scope)
    except services.ValidationFailed as exc:  # InvalidState too: it is one
        messages = [message for texts in exc.errors.values() for message in texts]
        if request.accept_mimetypes.best == "application/json":
            return jsonify({"ok": False, "errors": messages}), 422
        for message in messages:
            flash(_("附件未上传：%(reason)s", reason=message), "error")
        return redirect(_scope_url("report", data) + "#evidence")
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True, "id": item.id, "filename": item.filename, "message": _("附件已上传。")})
    flash(_("附件已上传。"), "success")
    return redirect(_scope_url("report", data) + "#evidence")


@bp.route("/evidence/<int:evidence_id>")
def download_evidence(evidence_id: int):
    item, path = evidence.evidence_file(current_user._get_current_object(), evidence_id)
    return send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.filename)


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
def remove_evidence(evidence_id: int):
    user = current_user._get_current_object()
    try:
        evidence.delete_evidence(user, evidence_id)
        flash(_("附件已删除。"), "success")
    except services.InvalidState as exc:
        flash(exc.message, "error")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("reporting.home")
    )


# ---------------------------------------------------------------- review, audit, project, deadlines


@bp.route("/review")
def review():
    queue = overview.review_queue(current_user._get_current_object())
    return render_template("reporting/review.html", queue=queue)


@bp.route("/audit")
def audit_log():
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
def project(year: int, code: str):
    item, history = overview.project_history(current_user._get_current_object(), year, code)
    return render_template("reporting/project.html", project=item, history=history, year=year)


@bp.route("/deadlines", methods=["GET", "POST"])
def deadline_page():
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
            except services.ValidationFailed as exc:
                errors = exc.errors
    return render_template(
        "reporting/deadlines.html", year=year, deadlines=deadlines.deadlines_for_year(year), errors=errors
    ), (422 if errors else 200)


# ---------------------------------------------------------------- imports


@bp.route("/imports", methods=["GET", "POST"])
def imports():
    user = current_user._get_current_object()
    if not access.can_import(user):
        raise access.refuse(user, "imports")
    if request.method == "GET":
        return render_template("reporting/imports.html", kinds=staging.PAGE_IMPORT_KINDS)
    upload = request.files.get("file")
    kind = request.form.get("kind", "")
    try:
        if upload is None or not upload.filename:
            raise services.ValidationFailed({"file": [_("请选择要上传的文件")]})
        token, result = staging.stage_import(user, kind, upload.stream, upload.filename)
    except services.ValidationFailed as exc:
        return render_template(
            "reporting/imports.html", kinds=staging.PAGE_IMPORT_KINDS, errors=exc.errors, kind=kind
        ), 422
    except FileRejected as exc:
        return render_template(
            "reporting/imports.html", kinds=staging.PAGE_IMPORT_KINDS, errors={"file": [str(exc)]}, kind=kind
        ), 422
    return render_template(
        "reporting/imports.html",
        kinds=staging.PAGE_IMPORT_KINDS,
        kind=kind,
        preview=result,
        token=token if result.ok else None,
    ), (200 if result.ok else 422)


@bp.route("/imports/<token>/confirm", methods=["POST"])
def confirm_import(token: str):
    user = current_user._get_current_object()
    result = staging.confirm_import(user, token)
    if result.ok:
        flash(_("导入完成：") + result.summary(), "success")
        return redirect(url_for("reporting.imports"))
    return render_template(
        "reporting/imports.html", kinds=staging.PAGE_IMPORT_KINDS, preview=result, kind=result.kind
    ), 422
