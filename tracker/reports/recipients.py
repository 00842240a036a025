"""Who receives the 报送 packages: the finance bureau's addresses and a copy for each department's
own (issue 5). Each bureau of the tree sets its own; a bureau that sets none inherits the nearest
bureau above it that did, and the root's are, unless set, ``FINANCE_BUREAU_EMAIL`` (SPEC §1a)."""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from sqlalchemy import select

from tracker.auth import access
from tracker.auth.models import User
from tracker.budget import bureaus
from tracker.budget.models import Bureau, Department
from tracker.core.audit import record
from tracker.extensions import db
from tracker.reports.models import BUREAU_SCOPE, ReportRecipient

__all__ = [
    "NoRecipients",
    "InvalidAddress",
    "recipients_for",
    "bureau_addresses",
    "parse_addresses",
    "set_recipients",
    "recipient_settings",
]

_ADDRESS = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")


class NoRecipients(Exception):
    """Neither finance nor the environment names anyone to send to."""


class InvalidAddress(ValueError):
    def __init__(self, addresses: list[str]) -> None:
        super().__init__("无效的邮箱地址：" + "、".join(addresses))
        self.addresses = addresses


def _scope(department: Department | None) -> str:
    return BUREAU_SCOPE if department is None else f"department:{department.code}"


def _bureau_scope(bureau: Bureau | None) -> str:
    """The root's addresses keep the key they had before the tree (``bureau``); another bureau's
    are ``bureau:<code>``."""
    return BUREAU_SCOPE if bureau is None or bureaus.is_root(bureau) else f"bureau:{bureau.code}"


def _chain(bureau: Bureau | None) -> list[Bureau | None]:
    """``bureau`` and those above it, nearest first, ending with the root (None when unplaced)."""
    chain: list[Bureau | None] = []
    while bureau is not None and not bureaus.is_root(bureau):
        chain.append(bureau)
        bureau = bureau.parent
    return [*chain, None]


def _environment_addresses() -> list[str]:
    text = current_app.config.get("FINANCE_BUREAU_EMAIL") or ""
    return [address.strip() for address in text.split(",") if address.strip()]


def bureau_addresses(bureau: Bureau | None) -> tuple[list[str], str]:
    """The addresses a bureau's packages go to and whose they are: its own, else the nearest set
    above it, else the environment's (``FINANCE_BUREAU_EMAIL``)."""
    for link in _chain(bureau):
        addresses = _addresses(_bureau_scope(link))
        if addresses:
            return addresses, (link.name if link is not None else "root")
    return _environment_addresses(), "FINANCE_BUREAU_EMAIL"


def _addresses(scope_key: str) -> list[str]:
    return list(
        db.session.scalars(
            select(ReportRecipient.email)
            .where(ReportRecipient.scope_key == scope_key)
            .order_by(ReportRecipient.id)
        )
    )


def recipients_for(department: Department) -> list[str]:
    """The department's bureau's addresses (inherited up the tree, else ``FINANCE_BUREAU_EMAIL``)
    and the department's own."""
    bureau, _whose = bureau_addresses(department.bureau)
    result: list[str] = []
    for address in bureau + _addresses(_scope(department)):
        if address.lower() not in {known.lower() for known in result}:
            result.append(address)
    return result


def parse_addresses(text: str) -> list[str]:
    addresses = [part.strip() for part in re.split(r"[,;，；\s]+", text or "") if part.strip()]
    bad = [address for address in addresses if not _ADDRESS.match(address)]
    if bad:
        raise InvalidAddress(bad)
    return addresses


def set_recipients(user: User, department_code: str | None, text: str) -> list[str]:
    """Replace the user's own bureau's (``department_code`` None) or a department's addresses.
    Finance only, and only for its bureau and the departments of its subtree."""
    if not access.can_set_recipients(user):
        raise access.refuse(user, "delivery recipients")
    department = None
    if department_code:
        department = access.require_department(user, department_code)
    addresses = parse_addresses(text)
    scope_key = _scope(department) if department is not None else _bureau_scope(user.bureau)
    for row in db.session.scalars(select(ReportRecipient).where(ReportRecipient.scope_key == scope_key)):
        db.session.delete(row)
    db.session.flush()
    seen: set[str] = set()
    for address in addresses:
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        db.session.add(
            ReportRecipient(
                scope_key=scope_key,
                department_id=department.id if department else None,
                email=address,
                created_by_id=user.id,
            )
        )
    record(
        "set_recipients",
        "report_recipient",
        user=user,
        # The bureau whose addresses they are, for its own audit log (None: the root's or a department's).
        entity_id=None
        if department is not None or user.bureau is None or bureaus.is_root(user.bureau)
        else user.bureau.id,
        new=", ".join(addresses),
        department_code=department.code if department else None,
    )
    db.session.commit()
    return addresses


def recipient_settings(user: User) -> dict[str, Any]:
    """What the settings form shows: the bureau's addresses and each visible department's."""
    if not access.can_set_recipients(user):
        raise access.refuse(user, "delivery recipients")
    departments = access.readable_departments(user)
    # Every scope's addresses in one query, not one per department.
    by_scope: dict[str, list[str]] = {}
    for scope_key, email in db.session.execute(
        select(ReportRecipient.scope_key, ReportRecipient.email).order_by(ReportRecipient.id)
    ):
        by_scope.setdefault(scope_key, []).append(email)
    own = by_scope.get(_bureau_scope(user.bureau), [])
    inherited, whose = ([], "") if own else bureau_addresses(user.bureau)
    return {
        "bureau_name": user.bureau.name if user.bureau is not None else "",
        "bureau": own,
        "inherited": inherited,
        "inherited_from": whose,
        "departments": [(department, by_scope.get(_scope(department), [])) for department in departments],
    }
