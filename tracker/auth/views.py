"""Login, logout, account and language pages."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from tracker.auth import services
from tracker.auth.forms import ChangePasswordForm, LoginForm
from tracker.auth.i18n import LANG_COOKIE, LOCALES
from tracker.extensions import db, limiter

log = logging.getLogger("tracker.auth")
bp = Blueprint("auth", __name__)


def _login_key() -> str:
    """Failed logins are counted per username and address, so one attacker cannot lock others out."""
    return f"login:{request.form.get('username', '').strip().lower()}|{get_remote_address()}"


def _login_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "5 per minute;30 per hour")


def safe_next(target: str | None) -> str:
    """Only same-site paths: ``next=//evil.example`` must not become an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("reporting.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limit,
    key_func=_login_key,
    methods=["POST"],
    deduct_when=lambda _response: bool(g.get("login_failed")),
)
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data or "", form.password.data or "")
        if user is not None:
            next_url = safe_next(request.args.get("next"))
            # A fresh session: nothing from before the login (a planted cookie) survives it.
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user)
            log.info("login ok: user=%s ip=%s", user.username, get_remote_address())
            return redirect(next_url)
        g.login_failed = True
        log.warning("login failed: user=%s ip=%s", form.username.data, get_remote_address())
        flash(_("用户名或密码不正确。"), "error")
        return render_template("auth/login.html", form=form), 401
    if request.method == "POST":
        g.login_failed = True
        log.warning("login failed (form): user=%s ip=%s", request.form.get("username"), get_remote_address())
    return render_template("auth/login.html", form=form)


def end_session() -> None:
    """Log out and clear the cookie session, keeping only the language the user chose."""
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        services.rotate_session(user)
        db.session.commit()
        log.info("logout: user=%s", user.username)
    end_session()
    flash(_("已退出登录。"), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.old_password.data or "", form.new_password.data or "")
        except services.AccountError as exc:
            form.old_password.errors = [*form.old_password.errors, str(exc)]
        else:
            # The identity was rotated: re-issue this session's cookie, every other session is out.
            login_user(user)
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@bp.route("/lang/<code>")
def set_language(code: str):
    response = make_response(redirect(safe_next(request.args.get("next"))))
    if code in LOCALES:
        session["lang"] = code
        response.set_cookie(
            LANG_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response
