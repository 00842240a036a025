"""Accounts: password hashing (argon2), authentication, users, session identity (SPEC §1).

Plain functions over ``db.session``; no Flask request objects, so the CLI, pages and API share them.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from flask_babel import gettext
from sqlalchemy import CursorResult, Select, bindparam, delete, select
from sqlalchemy.orm import joinedload

from tracker.auth import access
from tracker.auth.models import ROLES, User, UserSession
from tracker.auth.passwords import dummy_verify, hash_password, verify
from tracker.budget.bureaus import root_bureau
from tracker.budget.models import Bureau, Department, Unit
from tracker.core import audit
from tracker.core.database import commit_keeping_loaded
from tracker.extensions import db
from tracker.types import utcnow

log = logging.getLogger("tracker.auth")

MIN_PASSWORD_LENGTH = 8
#: 电子邮箱: something, one @, a domain with a dot, no spaces (the /users form checks the same).
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
MAX_EMAIL_LENGTH = 200


class AccountError(ValueError):
    """A user could not be created or changed; ``str()`` says why, in Chinese. ``field`` names the
    input at fault (``username``, ``role``, ``unit_code``, ``department_code``, ``password``), so a
    page can show the message beside it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def verify_password(user: User | None, password: str) -> bool:
    """True when ``password`` matches; a hash of other argon2 parameters is replaced by one of
    today's (stored with the caller's commit)."""
    if user is None:
        dummy_verify(password)
        return False
    matches, rehashed = verify(user.password_hash, password)
    if rehashed is not None:
        user.password_hash = rehashed
    return matches


def open_session(user: User) -> str:
    """A new login session of ``user`` (the caller commits); the user's other sessions go on."""
    row = UserSession(user_id=user.id)
    db.session.add(row)
    db.session.flush()
    user.session_key = row.key
    return row.key


@functools.cache
def _session_user_query() -> Select[User]:
    # Built once: every request of a logged-in user sends it, and building it cost a tenth of a lamp.
    return (
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.key == bindparam("key"), User.active)
        .options(joinedload(User.unit).joinedload(Unit.department).joinedload(Department.bureau))
    )


def session_user(key: str) -> User | None:
    """The active user whose login session ``key`` is (Flask-Login's loader), with a reporter's unit
    and its department and bureau: the door each of a reporter's requests passes is their own unit's
    (``access.require_unit``), and it needs no statement of its own."""
    user = db.session.scalar(_session_user_query(), {"key": key})
    if user is not None:
        user.session_key = key
    return user


def close_session(key: str | None) -> None:
    """End one login session (logout); the caller commits."""
    if key:
        db.session.execute(delete(UserSession).where(UserSession.key == key))


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """End every login session of ``user`` but ``keep``; returns how many ended (the caller commits)."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        query = query.where(UserSession.key != keep)
    result: CursorResult[Any] = db.session.execute(query)  # type: ignore[assignment]
    return result.rowcount or 0


def end_other_sessions(user: User) -> int:
    """退出其他设备: every session of ``user`` but this request's ends; audited."""
    ended = end_sessions(user, keep=user.session_key)
    audit.record(
        "update",
        "user",
        entity_id=user.id,
        field="sessions",
        old=str(ended),
        new="0",
        user=user,
        **user_audit_scope(user),
    )
    db.session.commit()
    return ended


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, with a new login session open; else None."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if not verify_password(user, password) or user is None or not user.active:
        return None
    open_session(user)
    # Left loaded: Flask-Login reads the user straight after, and expired it would be read again.
    commit_keeping_loaded()
    return user


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(gettext("密码至少 %(count)s 个字符。", count=MIN_PASSWORD_LENGTH), "password")


def change_password(user: User, old_password: str, new_password: str) -> None:
    """Change the password (old one required); every session ends, and a new one opens for this request."""
    if not verify_password(user, old_password):
        raise AccountError(gettext("原密码不正确。"))
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    end_sessions(user)
    open_session(user)
    audit.record(
        "update",
        "user",
        entity_id=user.id,
        field="password",
        old="***",
        new="***",
        user=user,
        **user_audit_scope(user),
    )
    db.session.commit()


def user_audit_scope(user: User) -> dict[str, str | None]:
    """The 部门 and 单位 codes an audit row about ``user`` (or by them, on their own account) carries."""
    unit = user.unit
    department = user.department if user.department is not None else (unit.department if unit else None)
    return {
        "department_code": department.code if department is not None else None,
        "unit_code": unit.code if unit is not None else None,
    }


def _placement(
    role: str, unit_code: str | None, department_code: str | None
) -> tuple[Unit | None, Department | None]:
    """The unit (reporter) or department (department user) a role belongs to; the others belong to none."""
    if role not in ROLES:
        raise AccountError(
            gettext("未知角色“%(role)s”，应为 %(roles)s。", role=role, roles="、".join(ROLES)), "role"
        )
    if role == "reporter":
        if not unit_code:
            raise AccountError(gettext("填报员必须指定 --unit。"), "unit_code")
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise AccountError(gettext("预算单位“%(code)s”不存在。", code=unit_code), "unit_code")
        return unit, None
    if role == "department":
        if not department_code:
            raise AccountError(gettext("部门管理员必须指定 --department。"), "department_code")
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            raise AccountError(gettext("部门“%(code)s”不存在。", code=department_code), "department_code")
        return None, department
    if unit_code or department_code:
        raise AccountError(gettext("财政局和系统管理员不属于某个单位或部门。"), "role")
    return None, None


def _bureau(role: str, bureau_code: str | None) -> Bureau | None:
    """A finance user's 财政局 (SPEC §1a). No other role belongs to one. Before a tree is imported
    a finance user belongs to no bureau (the one finance bureau); once one is, each names its bureau —
    a forgotten one would read the whole province."""
    if not bureau_code:
        if role == "finance" and (root := root_bureau()) is not None:
            raise AccountError(
                gettext(
                    "已导入财政局层级：财政局用户须指定所属财政局（省级财政局请选“%(root)s”）。",
                    root=f"{root.code} {root.name}",
                ),
                "bureau_code",
            )
        return None
    if role != "finance":
        raise AccountError(gettext("只有财政局用户属于某个财政局。"), "bureau_code")
    bureau = db.session.scalar(select(Bureau).where(Bureau.code == bureau_code))
    if bureau is None:
        raise AccountError(gettext("财政局“%(code)s”不存在。", code=bureau_code), "bureau_code")
    return bureau


def clean_email(email: str | None) -> str | None:
    """An e-mail address as stored: trimmed, ``None`` when blank; a malformed one is refused."""
    email = (email or "").strip()
    if not email:
        return None
    if len(email) > MAX_EMAIL_LENGTH:
        raise AccountError(gettext("电子邮箱最多 %(count)s 个字符。", count=MAX_EMAIL_LENGTH), "email")
    if not re.match(EMAIL_PATTERN, email):
        raise AccountError(gettext("电子邮箱“%(email)s”格式不正确。", email=email), "email")
    return email


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    unit_code: str | None = None,
    department_code: str | None = None,
    display_name: str = "",
    email: str | None = None,
    actor: User | None = None,
    bureau_code: str | None = None,
) -> User:
    """A new user. A reporter needs ``unit_code``, a department user ``department_code``; a
    finance user its ``bureau_code`` once a bureau tree is imported.

    ``actor`` is the 系统管理员 on the /users page (checked); the CLI passes none (shell access is trusted).
    """
    if actor is not None:
        access.require_user_manager(actor)
    username = username.strip()
    if not username:
        raise AccountError(gettext("用户名不能为空。"), "username")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(gettext("用户“%(name)s”已存在。", name=username), "username")
    unit, department = _placement(role, unit_code, department_code)
    bureau = _bureau(role, bureau_code)
    check_password_rules(password)
    email = clean_email(email)
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name,
        email=email,
        unit=unit,
        department=department,
        bureau=bureau,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "create",
        "user",
        entity_id=user.id,
        field="role",
        new=role,
        user=actor,
        **user_audit_scope(user),
    )
    db.session.commit()
    log.info("user created: %s role=%s by=%s", username, role, getattr(actor, "username", "cli"))
    return user


# ---------------------------------------------------------------- 用户管理 (the /users page)


def list_users(actor: User) -> list[User]:
    """Every account, by username, for the 系统管理员."""
    access.require_user_manager(actor)
    # Joined, not selectin: a select-in load splits into a statement per 500 accounts.
    query = select(User).options(joinedload(User.unit), joinedload(User.department), joinedload(User.bureau))
    return list(db.session.scalars(query.order_by(User.username)))


def get_user(actor: User, user_id: int) -> User:
    access.require_user_manager(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise access.NotFound(f"user {user_id}")
    return user


def placement_options(actor: User) -> tuple[list[Unit], list[Department]]:
    """The units and departments a user may be placed in (the page's choices)."""
    access.require_user_manager(actor)
    units = db.session.scalars(select(Unit).order_by(Unit.code))
    departments = db.session.scalars(select(Department).order_by(Department.code))
    return list(units), list(departments)


def bureau_options(actor: User) -> list[Bureau]:
    """The 财政局 a finance user may be placed in, by path (a parent before its children)."""
    access.require_user_manager(actor)
    return list(db.session.scalars(select(Bureau).order_by(Bureau.path)))


def _audit_change(actor: User, user: User, field: str, old: object, new: object) -> None:
    audit.record(
        "update",
        "user",
        entity_id=user.id,
        field=field,
        old=old,
        new=new,
        user=actor,
        **user_audit_scope(user),
    )


def update_user(
    actor: User,
    user_id: int,
    *,
    role: str,
    unit_code: str | None = None,
    department_code: str | None = None,
    display_name: str = "",
    email: str | None = None,
    bureau_code: str | None = None,
) -> User:
    """Change role, unit/department/bureau, display name and e-mail; one audit row per changed field.

    An admin cannot demote themselves: the last admin would otherwise lock everyone out of this page.
    """
    user = get_user(actor, user_id)
    if user.id == actor.id and role != user.role:
        raise AccountError(gettext("不能更改自己的角色。"), "role")
    unit, department = _placement(role, unit_code, department_code)
    bureau = _bureau(role, bureau_code)
    email = clean_email(email)
    changes = [
        ("bureau", user.bureau.code if user.bureau else None, bureau.code if bureau else None),
        ("role", user.role, role),
        ("unit", user.unit.code if user.unit else None, unit.code if unit else None),
        (
            "department",
            user.department.code if user.department else None,
            department.code if department else None,
        ),
        ("display_name", user.display_name or "", display_name),
        ("email", user.email, email),
    ]
    user.role, user.unit, user.department, user.bureau = role, unit, department, bureau
    user.display_name, user.email = display_name, email
    db.session.flush()
    for field, old, new in changes:
        if old != new:
            _audit_change(actor, user, field, old, new)
    db.session.commit()
    log.info("user updated: %s by=%s", user.username, actor.username)
    return user


def set_active(actor: User, user_id: int, active: bool) -> User:
    """停用 / 启用 an account. Deactivation ends its sessions now."""
    user = get_user(actor, user_id)
    if user.id == actor.id and not active:
        raise AccountError(gettext("不能停用自己的账户。"), "active")
    if user.active != active:
        _audit_change(actor, user, "active", user.active, active)
        user.active = active
        if not active:
            end_sessions(user)
        db.session.commit()
        log.info("user %s: %s by=%s", "activated" if active else "deactivated", user.username, actor.username)
    return user


def reset_password(actor: User, user_id: int, new_password: str) -> User:
    """The admin sets a new password (the old one is not needed); the user's sessions end."""
    user = get_user(actor, user_id)
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    end_sessions(user)
    if user.id == actor.id:
        open_session(user)  # the admin's own reset keeps this session
    _audit_change(actor, user, "password", "***", "***")
    db.session.commit()
    log.info("password reset: %s by=%s", user.username, actor.username)
    return user
