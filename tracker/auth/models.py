"""Users, roles and API tokens (SPEC §1)."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import Model
from tracker.types import Timestamp

__all__ = ["User", "UserSession", "ApiToken", "ROLES"]

#: reporter 填报员 · department 部门管理员 · finance 财政局 · admin 系统管理员
ROLES = ("reporter", "department", "finance", "admin")


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, Model):
    """A person who logs in. A reporter belongs to one unit, a department user to one department, a
    finance user to one 财政局 (none: the root)."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    #: A finance user's 财政局 (SPEC §1a); None: the root bureau.
    bureau_id: Mapped[int | None] = mapped_column(ForeignKey("bureau.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[Timestamp]
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit = relationship("Unit")
    department = relationship("Department")
    #: Loaded with the user: every finance request asks the access rule for its bureau's subtree.
    bureau = relationship("Bureau", lazy="joined")

    @property
    def session_key(self) -> str | None:
        """The login session this request runs in (set when it is opened or loaded; not a column)."""
        return self.__dict__.get("_session_key")

    @session_key.setter
    def session_key(self, key: str | None) -> None:
        self.__dict__["_session_key"] = key

    def get_id(self) -> str:
        """Flask-Login keeps this in the cookie: the session's own key, never the user's id, so one
        session can end (logout) while the user's others go on."""
        if not self.session_key:
            raise RuntimeError("no login session is open for this user")
        return self.session_key

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active


class UserSession(Model):
    """One login (a browser, a phone): a user may have several at once. Logging out ends one;
    a password change or reset, deactivation, or 退出其他设备 on /account ends the others too."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[Timestamp]


class ApiToken(Model):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[Timestamp]
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
