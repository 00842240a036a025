"""The imports page of monthly reporting: upload a file, see its preview, confirm it (all or nothing).
Endpoints of the blueprint ``reporting``."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth import access
from tracker.core.errors import ValidationFailed
from tracker.reporting import staging
from tracker.reporting.views_common import bp
from tracker.targets.tables import FileRejected

# ---------------------------------------------------------------- imports


@bp.route("/imports", methods=["GET", "POST"])
def imports() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if not access.can_import(user):
        raise access.refuse(user, "imports")
    if request.method == "GET":
        return render_template("reporting/imports.html", kinds=staging.PAGE_IMPORT_KINDS)
    upload = request.files.get("file")
    kind = request.form.get("kind", "")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed({"file": [_("请选择要上传的文件")]})
        token, result = staging.stage_import(user, kind, upload.stream, upload.filename)
    except ValidationFailed as exc:
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
def confirm_import(token: str) -> ResponseReturnValue:
    user = current_user._get_current_object()
    result = staging.confirm_import(user, token)
    if result.ok:
        flash(_("导入完成：") + result.summary(), "success")
        return redirect(url_for("reporting.imports"))
    return render_template(
        "reporting/imports.html", kinds=staging.PAGE_IMPORT_KINDS, preview=result, kind=result.kind
    ), 422
