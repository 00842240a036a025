"""API 令牌 on the account page: list, create (shown once) and revoke the user's own tokens.

These are pages (session login, CSRF-protected forms), not API routes.
"""

from __future__ import annotations

from flask import Blueprint, Flask, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from tracker.api.tokens import (
    MAX_EXPIRES_DAYS,
    TokenError,
    issue_token,
    list_tokens,
    revoke_token,
    token_state,
)
from tracker.auth.models import ApiToken

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


@bp.post("/")
@login_required
def create() -> ResponseReturnValue:
    name = request.form.get("name", "")
    raw_days = request.form.get("expires_days", "").strip()
    try:
        days = int(raw_days) if raw_days else None
    except ValueError:
        days = -1
    try:
        if days is not None and not 1 <= days <= MAX_EXPIRES_DAYS:
            raise TokenError(_("有效期应在 1 到 %(max)s 天之间。", max=MAX_EXPIRES_DAYS))
        issued = issue_token(current_user._get_current_object(), name=name, expires_days=days)
    except TokenError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.account"))
    # Rendered once, never stored or redirected with: the page after this does not show it again.
    response = make_response(
        render_template("api/token_created.html", token=issued.token, secret=issued.secret)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    try:
        token = revoke_token(current_user._get_current_object(), token_id)
    except LookupError:
        return render_template("home/error.html", code=404, message=_("页面不存在。")), 404
    flash(_("已撤销令牌 %(prefix)s…", prefix=token.prefix), "success")
    return redirect(url_for("auth.account"))


def _tokens_of_current_user() -> list[tuple[ApiToken, str]]:
    if not current_user.is_authenticated:
        return []
    return [(token, token_state(token)) for token in list_tokens(current_user._get_current_object())]


def init_token_pages(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["api_tokens_of_current_user"] = _tokens_of_current_user
