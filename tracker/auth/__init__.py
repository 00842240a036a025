"""tracker.auth — users, roles, login, the access rule."""

from __future__ import annotations

from flask import Flask, abort
from sqlalchemy import select

from tracker.auth.access import Forbidden, NotFound
from tracker.extensions import db, login_manager


def init_app(app: Flask) -> None:
    from tracker.auth.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"

    @login_manager.user_loader
    def load_user(session_token: str):
        return db.session.scalar(select(User).where(User.session_token == session_token, User.active))

    @app.errorhandler(NotFound)
    def _not_found(_exc: NotFound):
        abort(404)

    @app.errorhandler(Forbidden)
    def _forbidden(_exc: Forbidden):
        abort(403)
