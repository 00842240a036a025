"""Pages of one monthly report: the form (save, submit), the live lamp, review (approve, return,
unlock) and its evidence. Endpoints of the blueprint ``reporting``, each in a unit's and a
department's (``…_department``) address."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.i18n import rule_text
from tracker.core.errors import Conflict, InvalidState, ValidationFailed
from tracker.reporting import evidence, form_view, reading, review, views_autosave, writing
from tracker.reporting.models import DEVIATION_CATEGORIES, GRADES, LIKELIHOODS
from tracker.reporting.reading import ReportData
from tracker.reporting.values import ROW_FIELDS
from tracker.reporting.views_common import (
    CONTROL_KEYS,
    LAMP_LABELS,
    MODE_LABELS,
    bp,
    refused_fields,
    scope_args,
    scope_url,
)
from tracker.rules import NOT_APPLICABLE_GRADE
from tracker.rules.numbers import UNJUDGED

_FIELD_KEY = re.compile(r"^i(\d+)\.([a-z_]+)$")


def _form_values() -> tuple[dict[int, dict[str, str]], list[str], int | None]:
    """(values by indicator, refused keys, base version) of the posted form."""
    values: dict[int, dict[str, str]] = {}
    refused: list[str] = []
    form = request.form  # bound once: the proxy costs a lookup each of 3,000+ keys
    for key in form:
        if key in CONTROL_KEYS:
            continue
        match = _FIELD_KEY.match(key)
        if match and match.group(2) in ROW_FIELDS:
            values.setdefault(int(match.group(1)), {})[match.group(2)] = form.get(key, "")
        else:
            refused.append(key)
    try:
        version = int(form.get("base_version", ""))
    except ValueError:
        version = None
    return values, refused, version


def _render_form(
    data: ReportData,
    *,
    typed: dict[int, dict[str, str]] | None = None,
    errors: dict[str, list[str]] | None = None,
    confirm: dict[str, list[str]] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> ResponseReturnValue:
    lamps = reading.typed_lamps(data, typed) if typed else {}
    path = scope_url("report", data)
    grades = (*GRADES, NOT_APPLICABLE_GRADE)
    sections = form_view.form_sections(
        data,
        typed=typed or {},
        errors=errors or {},
        conflict=conflict,
        lamps=lamps,
        modes=MODE_LABELS,
        lamp_names=LAMP_LABELS,
    )
    choices = {"actual": grades, "forecast": grades, "likelihood": LIKELIHOODS}
    return render_template(
        "reporting/report.html",
        data=data,
        sections=sections,
        options=form_view.OptionTags({**choices, "deviation_category": DEVIATION_CATEGORIES}),
        form_path=path,
        own_version=views_autosave.own_saved_version(path),
        errors=errors or {},
        confirm=confirm or {},
        conflict=conflict,
        evidence=evidence.list_evidence(data.report),
        scope_url=lambda endpoint, **kw: scope_url(endpoint, data, **kw),
    ), status


@bp.route("/reports/<unit_code>/<int:year>/<int:month>", methods=["GET", "POST"])
@bp.route(
    "/reports/department/<dept_code>/<int:year>/<int:month>",
    methods=["GET", "POST"],
    endpoint="report_department",
)
def report(
    year: int, month: int, unit_code: str | None = None, dept_code: str | None = None
) -> ResponseReturnValue:
    user = current_user._get_current_object()
    scope = scope_args(unit_code, dept_code)
    if request.method == "GET":
        return _render_form(reading.get_report(user, unit_code, year, month, **scope))
    # A post is the services' to check (access, version, values); the form is read again only to be
    # shown again. The answer goes back to this address.
    path = url_for(request.endpoint or "reporting.report", **(request.view_args or {}))
    values, refused, version = _form_values()
    if refused or version is None:
        reading.get_report(user, unit_code, year, month, **scope)  # a foreign report is 404 all the same
        return refused_fields(refused or ["base_version"])
    action = request.form.get("action", "save")
    try:
        if action == "submit":
            saved = writing.submit_report(
                user, unit_code, year, month, version, values, **scope,
                confirmed=request.form.get("confirm_plausible") == "1",
            )  # fmt: skip
            flash(_("报告已提交，等待审核。"), "success")
        else:
            saved = writing.save_report(user, unit_code, year, month, values, version, **scope)
            flash(_("草稿已保存。"), "success")
        views_autosave.remember_saved(path, saved.version)
    except Conflict as exc:
        flash(str(exc), "error")
        # Both versions side by side: what was typed stays in the fields, what the other saved is
        # shown beside each field that differs, and the form now carries the current version.
        return _render_form(
            reading.get_report(user, unit_code, year, month, **scope), typed=values, conflict=True, status=409
        )
    except writing.NeedsConfirmation as exc:
        flash(_("草稿已保存。以下数值看起来不寻常，请核对；确认无误请勾选“已核对”后再提交。"), "warning")
        shown = reading.get_report(user, unit_code, year, month, **scope)
        views_autosave.remember_saved(path, shown.version)
        return _render_form(shown, confirm=exc.warnings)
    except InvalidState as exc:
        flash(exc.message, "error")
        return _render_form(reading.get_report(user, unit_code, year, month, **scope), status=409)
    except ValidationFailed as exc:
        flash(_("有 %(n)s 处需要修改，已填写的内容都保留在表单中，尚未保存。", n=len(exc.errors)), "error")
        return _render_form(
            reading.get_report(user, unit_code, year, month, **scope),
            typed=values,
            errors=exc.errors,
            status=422,
        )
    return redirect(path)


@bp.route("/reports/<unit_code>/<int:year>/<int:month>/lamp", methods=["POST"])
@bp.route(
    "/reports/department/<dept_code>/<int:year>/<int:month>/lamp",
    methods=["POST"],
    endpoint="lamp_department",
)
def lamp(
    year: int, month: int, unit_code: str | None = None, dept_code: str | None = None
) -> ResponseReturnValue:
    """The lamp for values being typed (the form's script calls this, debounced)."""
    payload = request.get_json(silent=True) or {}
    try:
        indicator_id = int(payload["indicator_id"])
    except (KeyError, TypeError, ValueError):
        abort(400)
    raw = payload.get("values") or {}
    if not isinstance(raw, dict):
        abort(400)
    result, errors, warnings = reading.preview_lamp(
        current_user._get_current_object(),
        unit_code,
        year,
        month,
        indicator_id,
        raw,
        **scope_args(unit_code, dept_code),
    )
    if result is None:
        # An invalid value clears the lamp: never the colour of the value before it (issue 11 §4).
        return jsonify(
            {
                "status": UNJUDGED,
                "label": _(LAMP_LABELS[UNJUDGED]),
                "explain": "",
                "needs_cause": False,
                "errors": errors,
            }
        )
    return jsonify(
        {
            "status": result.status,
            "label": _(LAMP_LABELS.get(result.status, result.status)),
            "explain": rule_text(result.explain),
            "needs_cause": result.status in ("yellow", "red"),
            "errors": {},
            "warnings": [rule_text(warning) for warning in warnings],
        }
    )


def _review_action(
    action: str, year: int, month: int, unit_code: str | None, dept_code: str | None
) -> ResponseReturnValue:
    user = current_user._get_current_object()
    scope = scope_args(unit_code, dept_code)
    data = reading.get_report(user, unit_code, year, month, **scope)
    refused = [k for k in request.form if k not in CONTROL_KEYS]
    if refused:
        return refused_fields(refused)
    version = request.form.get("base_version", type=int)
    try:
        if action == "approve":
            review.approve_report(user, unit_code, year, month, version, **scope)
            flash(_("已审核通过，本月报告已锁定。"), "success")
        elif action == "return":
            review.return_report(
                user, unit_code, year, month, version, request.form.get("reason", ""), **scope
            )
            flash(_("已退回，填报单位将看到退回原因。"), "success")
        else:
            review.unlock_report(
                user, unit_code, year, month, version, **scope, reason=request.form.get("reason")
            )
            flash(_("已解锁，报告回到草稿状态。"), "success")
    except Conflict as exc:
        flash(str(exc), "error")
        return _render_form(reading.get_report(user, unit_code, year, month, **scope), status=409)
    except ValidationFailed as exc:
        for messages in exc.errors.values():
            for message in messages:
                flash(message, "error")
        return _render_form(
            reading.get_report(user, unit_code, year, month, **scope), errors=exc.errors, status=422
        )
    return redirect(url_for("reporting.review") if action != "unlock" else scope_url("report", data))


for _action in ("approve", "return", "unlock"):

    def _make(action: str) -> Callable[..., ResponseReturnValue]:
        def view(
            year: int, month: int, unit_code: str | None = None, dept_code: str | None = None
        ) -> ResponseReturnValue:
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
def upload_evidence(
    year: int, month: int, unit_code: str | None = None, dept_code: str | None = None
) -> ResponseReturnValue:
    """Evidence is its own form: success or refusal, the answer is the report page at its own
    address (never this one), so the report form there still posts to the report."""
    user = current_user._get_current_object()
    scope = scope_args(unit_code, dept_code)
    data = reading.get_report(user, unit_code, year, month, **scope)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed({"file": [_("请选择要上传的文件")]})
        item = evidence.add_evidence(user, unit_code, year, month, upload.stream, upload.filename, **scope)
    except ValidationFailed as exc:  # InvalidState too: it is one
        messages = [message for texts in exc.errors.values() for message in texts]
        if request.accept_mimetypes.best == "application/json":
            return jsonify({"ok": False, "errors": messages}), 422
        for message in messages:
            flash(_("附件未上传：%(reason)s", reason=message), "error")
        return redirect(scope_url("report", data) + "#evidence")
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": True, "id": item.id, "filename": item.filename, "message": _("附件已上传。")})
    flash(_("附件已上传。"), "success")
    return redirect(scope_url("report", data) + "#evidence")


@bp.route("/evidence/<int:evidence_id>")
def download_evidence(evidence_id: int) -> ResponseReturnValue:
    item, path = evidence.evidence_file(current_user._get_current_object(), evidence_id)
    return send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.filename)


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
def remove_evidence(evidence_id: int) -> ResponseReturnValue:
    user = current_user._get_current_object()
    try:
        evidence.delete_evidence(user, evidence_id)
        flash(_("附件已删除。"), "success")
    except InvalidState as exc:
        flash(exc.message, "error")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("reporting.home")
    )
