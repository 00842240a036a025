"""Accounts: password hashing (argon2), authentication, users, session identity (SPEC §1).

Plain functions over ``db.session``; no Flask request objects, so the CLI, pages and API share them.
"""

from __future__ import annotations

import contextlib
import functools
import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from tracker.auth.models import ROLES, User, new_session_token
from tracker.extensions import db
from tracker.reporting import audit
from tracker.targets.models import Department, Unit
from tracker.types import utcnow

log = logging.getLogger("tracker.auth")

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so timing does not reveal usernames.
    Made on first use: hashing costs 0.1 s that every command's start-up would otherwise pay."""
    return _hasher.hash("not-a-real-password")


MIN_PASSWORD_LENGTH = 8
DEMO_PASSWORD = "tracker-demo"
#: username → (role, unit code, department code) of the demo accounts (README, issue 3).
DEMO_USERS: dict[str, tuple[str, str | None, str | None]] = {
    "finance": ("finance", None, None),
    "dept122": ("department", None, "122"),
    "unit122101": ("reporter", "122101", None),
    "unit122201": ("reporter", "122201", None),
    "unit122301": ("reporter", "122301", None),
}


class AccountError(ValueError):
    """A user could not be created or changed; ``str()`` says why, in Chinese."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """True when ``password`` matches; rehashes transparently when argon2 parameters changed."""
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        return False
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def rotate_session(user: User) -> str:
    """Give ``user`` a new session identity: every cookie carrying the old one stops working."""
    user.session_token = new_session_token()
    return user.session_token


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, its session identity rotated; else None."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if not verify_password(user, password) or user is None or not user.active:
        return None
    rotate_session(user)
    db.session.commit()
    return user


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少 {MIN_PASSWORD_LENGTH} 个字符。")


def change_password(user: User, old_password: str, new_password: str) -> None:
    """Change the password (old one required) and rotate the session identity (logs out other sessions)."""
    if not verify_password(user, old_password):
        raise AccountError("原密码不正确。")
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    rotate_session(user)
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


def create_user(
    username: str,
    password: str,
    role: str,
    *,
    unit_code: str | None = None,
    department_code: str | None = None,
    display_name: str = "",
    actor: User | None = None,
) -> User:
    """A new user. A reporter needs ``unit_code``, a department user ``department_code``."""
    username = username.strip()
    if not username:
        raise AccountError("用户名不能为空。")
    if role not in ROLES:
        raise AccountError(f"未知角色“{role}”，应为 {'、'.join(ROLES)}。")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"用户“{username}”已存在。")
    check_password_rules(password)
    unit = department = None
    if role == "reporter":
        if not unit_code:
            raise AccountError("填报员必须指定 --unit。")
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise AccountError(f"预算单位“{unit_code}”不存在。")
    elif role == "department":
        if not department_code:
            raise AccountError("部门管理员必须指定 --department。")
        department = db.session.scalar(select(Department).where(Department.code == department_code))
        if department is None:
            raise AccountError(f"部门“{department_code}”不存在。")
    elif unit_code or department_code:
        raise AccountError("财政局和系统管理员不属于某个单位或部门。")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name,
        unit=unit,
        department=department,
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
    log.info("user created: %s role=%s", username, role)
    return user


def ensure_demo_users() -> list[str]:
    """The demo accounts (password ``tracker-demo``); idempotent. Returns the usernames created.

    Accounts whose unit or department is not loaded are skipped.
    """
    created = []
    for username, (role, unit_code, department_code) in DEMO_USERS.items():
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        try:
            create_user(
                username,
                DEMO_PASSWORD,
                role,
                unit_code=unit_code,
                department_code=department_code,
                display_name=f"演示 {username}",
            )
        except AccountError as exc:
            log.warning("demo user %s skipped: %s", username, exc)
            db.session.rollback()
            continue
        created.append(username)
    return created
