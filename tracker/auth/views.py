"""Login, logout, account and language pages."""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import TypedDict, TypeVar
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    Response,
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
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.urls import iri_to_uri

from tracker.auth import services
from tracker.auth.forms import (
    ChangePasswordForm,
    ConfirmForm,
    LoginForm,
    PasswordResetForm,
    PlacementForm,
    UserCreateForm,
    UserEditForm,
)
from tracker.auth.i18n import LANG_COOKIE, LOCALES, role_label
from tracker.auth.models import ROLES, User
from tracker.extensions import db, limiter

log = logging.getLogger("tracker.auth")
PlacementFormT = TypeVar("PlacementFormT", bound=PlacementForm)


class Placement(TypedDict):
    """What the user forms pass on to ``create_user`` / ``update_user``."""

    role: str
    unit_code: str | None
    department_code: str | None
    bureau_code: str | None
    display_name: str
    email: str | None


bp = Blueprint("auth", __name__)


def _login_key() -> str:
    """Failed logins are counted per username and address, so one attacker cannot lock others out."""
    username = request.form.get("username", "").strip().lower()[:150]
    return f"login:{username}|{get_remote_address()}"


def _login_address_key() -> str:
    """…and per address over every user name: one address trying many accounts is slowed too."""
    return f"login-address:{get_remote_address()}"


def _login_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "5 per minute;30 per hour")


def _login_address_limit() -> str:
    return current_app.config.get("LOGIN_ADDRESS_RATE_LIMIT", "20 per minute;100 per hour")


def _login_failed(_response: Response) -> bool:
    return bool(g.get("login_failed"))


def _hostile(text: str) -> bool:
    """Whether ``text`` holds what a browser or Werkzeug drops or rewrites in a URL (control and
    format characters, whitespace of any script, backslashes) or does not start as a path of this site."""
    if not text.startswith("/") or text.startswith(("//", "/\\")):
        return True
    return "\\" in text or any(unicodedata.category(char)[0] in "CZ" for char in text)


def safe_next(target: str | None) -> str:
    """Only same-site paths: ``next=//evil.example`` must not become an open redirect.

    Werkzeug sends a ``Location`` through ``iri_to_uri``, whose ``urlsplit`` drops tabs and line
    breaks (``/\\t/evil.example`` would leave as ``//evil.example``) and browsers read ``\\`` as
    ``/``; so a target is refused when it, any of its percent-decodings, or what Werkzeug makes of
    it is anything but a path of this site (the query is checked as sent: its escapes stay escapes).
    Anything refused goes to the home page."""
    home = url_for("reporting.home")
    if not target or len(target) > 2048 or _hostile(target):
        return home
    layer = re.split(r"[?#]", target, maxsplit=1)[0]
    for _depth in range(4):  # ``%252F%252F`` is ``%2F%2F`` is ``//``: each path a proxy might decode
        if _hostile(layer):
            return home
        decoded = unquote(layer)
        if decoded == layer:
            break
        layer = decoded
    else:
        return home
    sent = urlsplit(iri_to_uri(target))
    if sent.scheme or sent.netloc or _hostile(sent.path or "/"):
        return home
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=_login_key, methods=["POST"], deduct_when=_login_failed)
@limiter.limit(_login_address_limit, key_func=_login_address_key, methods=["POST"], deduct_when=_login_failed)
def login() -> ResponseReturnValue:
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
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        services.close_session(user.session_key)  # this session only; the user's others go on
        db.session.commit()
        log.info("logout: user=%s", user.username)
    end_session()
    flash(_("已退出登录。"), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.old_password.data or "", form.new_password.data or "")
        except services.AccountError as exc:
            form.old_password.errors = [*form.old_password.errors, str(exc)]
        else:
            # Every session ended and a new one opened for this one: re-issue its cookie.
            login_user(user)
            flash(_("密码已修改，其他设备上的登录已失效。"), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, sessions_form=ConfirmForm(formdata=None))


@bp.route("/account/sessions/end", methods=["POST"])
@login_required
def end_other_sessions() -> ResponseReturnValue:
    """退出其他设备: every other login of this user ends; this one goes on."""
    form = ConfirmForm()
    if form.validate_on_submit():
        ended = services.end_other_sessions(current_user._get_current_object())
        flash(_("已退出其他 %(n)s 处登录。", n=ended), "success")
    return redirect(url_for("auth.account"))


@bp.route("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
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


# ---------------------------------------------------------------- 用户管理 (系统管理员)


def _with_choices(form: PlacementFormT, actor: User) -> PlacementFormT:
    """Fill the role/unit/department choices; loading them is also the access check (404 for non-admins)."""
    units, departments = services.placement_options(actor)
    form.role.choices = [(role, role_label(role)) for role in ROLES]
    form.unit_code.choices = [("", "—"), *((u.code, f"{u.code} {u.name}") for u in units)]
    form.department_code.choices = [("", "—"), *((d.code, f"{d.code} {d.name}") for d in departments)]
    bureaus = services.bureau_options(actor)
    form.bureau_code.choices = [("", "—"), *((b.code, f"{b.code} {b.name}") for b in bureaus)]
    return form


def _placement(form: PlacementForm) -> Placement:
    """Only the field the role uses is passed on: a stale unit choice must not stick to a finance user."""
    role = form.role.data or ""
    return {
        "role": role,
        "unit_code": (form.unit_code.data or None) if role == "reporter" else None,
        "department_code": (form.department_code.data or None) if role == "department" else None,
        "bureau_code": (form.bureau_code.data or None) if role == "finance" else None,
        "display_name": (form.display_name.data or "").strip(),
        "email": (form.email.data or "").strip() or None,
    }


def _field_error(form: PlacementForm, exc: services.AccountError) -> None:
    field = getattr(form, exc.field or "", None) or form.role
    field.errors = [*field.errors, str(exc)]


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users() -> ResponseReturnValue:
    actor = current_user._get_current_object()
    form = _with_choices(UserCreateForm(), actor)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.username.data or "", form.password.data or "", actor=actor, **_placement(form)
            )
        except services.AccountError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            flash(_("已创建用户 %(username)s。", username=user.username), "success")
            return redirect(url_for("auth.users"))
    status = 422 if form.errors else 200
    return render_template("auth/users.html", users=services.list_users(actor), form=form), status


def _edit_page(
    actor: User,
    user: User,
    *,
    form: UserEditForm | None = None,
    password_form: PasswordResetForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    if form is None:
        form = _with_choices(UserEditForm(formdata=None, obj=user), actor)
        form.unit_code.data = user.unit.code if user.unit else ""
        form.department_code.data = user.department.code if user.department else ""
        form.bureau_code.data = user.bureau.code if user.bureau else ""
    return render_template(
        "auth/user_edit.html",
        user=user,
        form=form,
        password_form=password_form or PasswordResetForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int) -> ResponseReturnValue:
    actor = current_user._get_current_object()
    user = services.get_user(actor, user_id)
    if request.method == "GET":
        return _edit_page(actor, user)
    form = _with_choices(UserEditForm(), actor)
    if form.validate_on_submit():
        try:
            services.update_user(actor, user_id, **_placement(form))
        except services.AccountError as exc:
            db.session.rollback()
            _field_error(form, exc)
        else:
            flash(_("用户 %(username)s 已更新。", username=user.username), "success")
            return redirect(url_for("auth.user_edit", user_id=user_id))
    return _edit_page(actor, services.get_user(actor, user_id), form=form, status=422)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@login_required
def user_active(user_id: int) -> ResponseReturnValue:
    actor = current_user._get_current_object()
    user = services.get_user(actor, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.set_active(actor, user_id, request.form.get("active") == "1")
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            flash(
                _("用户 %(username)s 已启用。", username=user.username)
                if user.active
                else _("用户 %(username)s 已停用，其登录已失效。", username=user.username),
                "success",
            )
    return redirect(url_for("auth.user_edit", user_id=user_id))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@login_required
def user_password(user_id: int) -> ResponseReturnValue:
    actor = current_user._get_current_object()
    user = services.get_user(actor, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            services.reset_password(actor, user_id, form.new_password.data or "")
        except services.AccountError as exc:
            db.session.rollback()
            form.new_password.errors = [*form.new_password.errors, str(exc)]
        else:
            if user.id == actor.id:
                # The admin's own identity was rotated: keep this session, end the others.
                login_user(actor)
            flash(_("用户 %(username)s 的密码已重置，其登录已失效。", username=user.username), "success")
            return redirect(url_for("auth.user_edit", user_id=user_id))
    return _edit_page(actor, user, password_form=form, status=422)
