"""The demo accounts (README): one per role over the 焦作 demo, and a finance user per 财政局 of its
tree (SPEC §1a). All with the password ``tracker-demo``."""

from __future__ import annotations

import logging

from sqlalchemy import select

from tracker.auth.models import User
from tracker.auth.services import AccountError, create_user
from tracker.budget.models import Bureau
from tracker.extensions import db

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "DEMO_BUREAUS", "ensure_demo_users"]

log = logging.getLogger("tracker.auth")

DEMO_PASSWORD = "tracker-demo"
#: username → (role, unit code, department code) of the demo accounts (README, issue 3).
DEMO_USERS: dict[str, tuple[str, str | None, str | None]] = {
    "finance": ("finance", None, None),
    "dept122": ("department", None, "122"),
    "unit122101": ("reporter", "122101", None),
    "unit122201": ("reporter", "122201", None),
    "unit122301": ("reporter", "122301", None),
    "finance-henan": ("finance", None, None),
    "finance-xiuwu": ("finance", None, None),
    "dept821": ("department", None, "821"),
}
#: The demo's finance users by 财政局 (SPEC §1a): the city's reads 焦作's departments, the
#: province's every department, the county's only 修武's.
DEMO_BUREAUS = {"finance": "410800", "finance-henan": "410000", "finance-xiuwu": "410821"}


def ensure_demo_users() -> list[str]:
    """The demo accounts (password ``tracker-demo``); idempotent. Returns the usernames created.

    Accounts whose unit, department or bureau is not loaded are skipped, but for ``finance``: without
    the tree it belongs to the root, and reads every department as before bureaus existed.
    """
    created = []
    bureaus = set(db.session.scalars(select(Bureau.code)))
    for username, (role, unit_code, department_code) in DEMO_USERS.items():
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        bureau_code = DEMO_BUREAUS.get(username)
        if bureau_code not in bureaus:
            if username != "finance" and bureau_code is not None:
                continue
            bureau_code = None
        try:
            create_user(
                username,
                DEMO_PASSWORD,
                role,
                unit_code=unit_code,
                department_code=department_code,
                bureau_code=bureau_code,
                display_name=f"演示 {username}",
            )
        except AccountError as exc:
            log.warning("demo user %s skipped: %s", username, exc)
            db.session.rollback()
            continue
        created.append(username)
    return created
