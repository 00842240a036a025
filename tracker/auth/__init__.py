"""tracker.auth — users, roles, login, the access rule."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, user_unauthorized

from tracker.auth.access import Forbidden, NotFound
from tracker.auth.models import User
from tracker.core import request_memo
from tracker.extensions import login_manager

log = logging.getLogger("tracker.access")

#: The idle clock (``last_seen``) moves in steps of a minute (a tenth of a shorter timeout): the
#: session cookie is signed and sent again once a minute, not with every answer, and a session may
#: end up to a step early.
LAST_SEEN_STEP = 60

DEFAULT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    """Language and number formats: pages, PDF reports and e-mails all use them."""
    from tracker.auth.i18n import init_i18n

    init_i18n(app)


def init_web(app: Flask) -> None:
    """Login, sessions, security headers, error pages and the account and user pages."""
    from tracker.auth import services
    from tracker.auth.views import bp, end_session

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "error"
    app.register_blueprint(bp)

    @user_unauthorized.connect_via(app)
    def _log_unauthorized(_sender: object, **_extra: object) -> None:
        log.warning("login required: path=%s ip=%s", request.path, request.remote_addr)

    @login_manager.user_loader
    def load_user(session_key: str) -> User | None:
        return services.session_user(session_key)

    @app.before_request
    def _forget_cached_user() -> None:
        """Each request's user comes from its own cookie: ``g`` outlives a request when an outer app
        context is active (tests, scripts), and Flask-Login caches the user there — and the access
        rule the finance user's subtree."""
        g.pop("_login_user", None)
        request_memo.forget()

    @app.before_request
    def _idle_timeout() -> ResponseReturnValue | None:
        """Idle timeout (IDLE_TIMEOUT_MINUTES) for cookie sessions; API tokens carry no session."""
        if "_user_id" not in session or not current_user.is_authenticated:
            return None
        now = int(time.time())
        last = session.get("last_seen")
        idle = app.config["IDLE_TIMEOUT_MINUTES"] * 60
        if last is not None and now - int(last) > idle:
            log.info("idle timeout: user=%s", current_user.username)
            end_session()
            flash(_("长时间未操作，已自动退出，请重新登录。"), "error")
            return redirect(
                url_for("auth.login", next=request.full_path if request.method == "GET" else None)
            )
        if last is None or now - int(last) >= min(LAST_SEEN_STEP, idle // 10):
            session["last_seen"] = now
        return None

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy", app.config.get("CONTENT_SECURITY_POLICY", DEFAULT_CSP)
        )
        return response

    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def _page_404(_exc: Exception) -> ResponseReturnValue:
        if request.path.startswith("/api/"):
            return {"message": "Not Found"}, 404
        return render_template("home/error.html", code=404, message=_("页面不存在。")), 404

    @app.errorhandler(Forbidden)
    @app.errorhandler(403)
    def _page_403(_exc: Exception) -> ResponseReturnValue:
        log.warning("403: user=%s path=%s", getattr(current_user, "username", None), request.path)
        if request.path.startswith("/api/"):
            return {"message": "Forbidden"}, 403
        return render_template("home/error.html", code=403, message=_("没有权限执行此操作。")), 403

    @app.errorhandler(429)
    def _too_many(_exc: Exception) -> ResponseReturnValue:
        log.warning("429: path=%s ip=%s", request.path, request.remote_addr)
        if request.endpoint == "auth.login":
            from tracker.auth.forms import LoginForm

            flash(_("登录失败次数过多，请稍后再试。"), "error")
            return render_template("auth/login.html", form=LoginForm()), 429
        return render_template("home/error.html", code=429, message=_("请求过于频繁，请稍后再试。")), 429
