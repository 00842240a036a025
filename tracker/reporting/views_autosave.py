"""自动保存 of the report form, and what keeps a clerk's typing when the session ends: the JSON
endpoint the form's script saves drafts through (the same service and version check as 保存草稿),
the page's word on which version the browser's own copy was saved as, and the answer to a post
whose CSRF token no longer fits (login expired: the login page with a word, never a bare 400)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf

from tracker.auth.i18n import fmt_date
from tracker.core.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from tracker.reporting import writing
from tracker.reporting.values import ROW_FIELDS
from tracker.reporting.views_common import bp, scope_args

#: The session's last successful save of a report form: ``[form path, version it made]``. The page
#: after it tells the form's script that the copy kept in the browser was saved (SPEC §4).
_SAVED_KEY = "report_saved"
_REPORT_ENDPOINTS = {"reporting.report", "reporting.report_department"}
_AUTOSAVE_ENDPOINTS = {"reporting.autosave", "reporting.autosave_department"}


def remember_saved(path: str, version: int) -> None:
    session[_SAVED_KEY] = [path, version]


def own_saved_version(path: str) -> int | None:
    """The version this session's last save of the form at ``path`` made, if it was this form."""
    saved = session.get(_SAVED_KEY)
    return saved[1] if isinstance(saved, list) and len(saved) == 2 and saved[0] == path else None


@bp.errorhandler(CSRFError)
def _csrf_refused(exc: CSRFError) -> ResponseReturnValue:
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


def _report_path(year: int, month: int, unit_code: str | None, dept_code: str | None) -> str:
    if unit_code is not None:
        return url_for("reporting.report", unit_code=unit_code, year=year, month=month)
    return url_for("reporting.report_department", dept_code=dept_code, year=year, month=month)


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


def _draft_answer(status: int, message: str, **extra: Any) -> ResponseReturnValue:
    return jsonify({"ok": False, "message": message, **extra}), status


@bp.route("/reports/<unit_code>/<int:year>/<int:month>/autosave", methods=["POST"])
@bp.route(
    "/reports/department/<dept_code>/<int:year>/<int:month>/autosave",
    methods=["POST"],
    endpoint="autosave_department",
)
def autosave(
    year: int, month: int, unit_code: str | None = None, dept_code: str | None = None
) -> ResponseReturnValue:
    """自动保存: the form's script saves the changed rows of a draft through the same service and
    version check as 保存草稿. 200 with the new version, 409 on a conflict or a report that is no
    longer a draft, 422 with the field errors (nothing written)."""
    user = current_user._get_current_object()
    scope = scope_args(unit_code, dept_code)
    parsed = _autosave_values(request.get_json(silent=True))
    if parsed is None:
        return _draft_answer(400, _("自动保存的内容格式不正确。"))
    values, version = parsed
    try:
        report = writing.save_report(user, unit_code, year, month, values, version, **scope)
    except NotFound:
        return _draft_answer(404, _("页面不存在。"))
    except Forbidden:
        return _draft_answer(403, _("没有权限执行此操作。"))
    except Conflict as exc:
        if exc.changed_at is None:
            message = _("此报告已被他人修改，自动保存未生效。请刷新页面，核对后再保存。")
        else:
            message = _(
                "此报告已被 %(user)s 于 %(when)s 修改，自动保存未生效。请刷新页面，核对后再保存。",
                user=exc.changed_by,
                when=fmt_date(exc.changed_at),
            )
        return _draft_answer(409, message, conflict=True, version=exc.version)
    except InvalidState as exc:
        return _draft_answer(409, exc.message, locked=True)
    except ValidationFailed as exc:
        first = next((text for texts in exc.errors.values() for text in texts), "")
        return _draft_answer(
            422, _("有 %(n)s 处需要修改：%(first)s", n=len(exc.errors), first=first), errors=exc.errors
        )
    remember_saved(_report_path(year, month, unit_code, dept_code), report.version)
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
