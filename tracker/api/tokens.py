"""个人 API 令牌: issue, list, revoke and check the bearer tokens of the JSON API (issue 6).

Only the SHA-256 of a token is stored; the token itself is shown once, when it is made. Plain
functions over ``db.session`` (no request objects), so the command line, the account page and the
API share them.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tracker.auth.models import ApiToken, User
from tracker.auth.services import user_audit_scope
from tracker.core import audit
from tracker.extensions import db
from tracker.types import utcnow

__all__ = [
    "TOKEN_PREFIX",
    "MAX_EXPIRES_DAYS",
    "TokenError",
    "IssuedToken",
    "hash_token",
    "issue_token",
    "issue_token_for",
    "list_tokens",
    "revoke_token",
    "authenticate_token",
]

log = logging.getLogger("tracker.api")

#: Tokens start with this, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "trk_"
MAX_EXPIRES_DAYS = 3650
#: ``last_used_at`` is written at most this often per token: not one UPDATE per API call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(Exception):
    """The token cannot be used; ``str()`` says why, in Chinese (the API answers 401)."""


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the bearer token itself: shown once, never stored


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; they were written in UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _record(action: str, token: ApiToken, owner: User, actor: User, **change: str) -> None:
    """The audit row of a token's creation (``new`` prefix) or revocation (``old`` prefix)."""
    audit.record(
        action,
        "api_token",
        entity_id=token.id,
        field="prefix",
        user=actor,
        **change,
        **user_audit_scope(owner),
    )


def issue_token(
    user: User, *, name: str = "", expires_days: int | None = None, actor: User | None = None
) -> IssuedToken:
    """A new token for ``user``; ``expires_days`` None means it does not expire."""
    name = (name or "").strip()
    if len(name) > 100:
        raise TokenError("令牌名称最多 100 个字。")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise TokenError(f"有效期应在 1 到 {MAX_EXPIRES_DAYS} 天之间。")
    if not user.active:
        raise TokenError(f"用户 {user.username} 已停用，不能创建令牌。")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        token_hash=hash_token(secret),
        prefix=secret[:12],
        name=name,
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    db.session.add(token)
    db.session.flush()
    _record("create", token, user, actor or user, new=token.prefix)
    db.session.commit()
    log.info("api token issued: user=%s prefix=%s", user.username, token.prefix)
    return IssuedToken(token, secret)


def issue_token_for(username: str, *, name: str = "", expires_days: int | None = None) -> IssuedToken:
    """``flask tracker create-token USERNAME``."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise TokenError(f"用户“{username}”不存在。")
    return issue_token(user, name=name, expires_days=expires_days)


def list_tokens(user: User) -> list[ApiToken]:
    """The user's own tokens, newest first (prefix, name, dates; never the token)."""
    return list(
        db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens. Someone else's token does not exist for them (LookupError)."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        raise LookupError(f"token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        _record("revoke", token, user, user, old=token.prefix)
        db.session.commit()
        log.info("api token revoked: user=%s prefix=%s", user.username, token.prefix)
    return token


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """active | expired | revoked (for the account page)."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    expires = _aware(token.expires_at)
    if expires is not None and expires <= now:
        return "expired"
    return "active"


def authenticate_token(secret: str) -> tuple[User, ApiToken]:
    """The user a bearer token stands for; raises :class:`TokenError` (401) otherwise."""
    if not secret or len(secret) > 200:
        raise TokenError("API 令牌无效。")
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None:
        raise TokenError("API 令牌无效。")
    now = utcnow()
    state = token_state(token, now)
    if state == "revoked":
        raise TokenError("API 令牌已被撤销。")
    if state == "expired":
        raise TokenError("API 令牌已过期。")
    user = token.user
    if not user.active:
        raise TokenError("此令牌所属账户已停用。")
    last = _aware(token.last_used_at)
    if last is None or now - last >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return user, token
