"""Which rule pack each department is evaluated with (SPEC §1a, §6a): its bureau's, else the
nearest bureau's above it that picks one, else the installation's default (setting ``RULE_PACK``).

The nearest pick is read with the bureau (:attr:`Bureau.picked_rule_pack`), so a province-wide run
resolves 2,000 departments in one query and a page that has a department's bureau in none. Moving
a department to another bureau (:func:`tracker.budget.bureaus.move_department`) changes the pack
of the results evaluated afterwards; stored results keep the pack and version they record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from tracker.budget.models import Bureau, Department
from tracker.core.request_memo import remembered
from tracker.core.settings import default_rule_pack_name, evaluation_day, rule_packs
from tracker.extensions import db
from tracker.rules.packs import RulePack

__all__ = [
    "department_rule_packs",
    "department_rule_pack",
    "bureau_rule_pack",
    "PackUse",
    "pack_uses",
]

#: Up to this many departments are read by id; more, by reading every department.
_LISTED = 500


def department_rule_packs(
    conn: Connection, department_ids: Iterable[int], on: date | None = None
) -> dict[int, RulePack]:
    """department id → the pack version (in effect ``on``, default today) it is evaluated with."""
    ids = set(department_ids)
    if not ids:
        return {}
    default, packs, day = default_rule_pack_name(), rule_packs(), on or evaluation_day()
    query = select(Department.id, Bureau.picked_rule_pack.label("pick")).outerjoin(
        Bureau, Bureau.id == Department.bureau_id
    )
    # A province-wide run asks for most departments: reading them all beats a list of 2,000 ids.
    rows = conn.execute(query.where(Department.id.in_(ids)) if len(ids) <= _LISTED else query)
    return {row.id: packs.get(row.pick or default, day) for row in rows if row.id in ids}


def department_rule_pack(department: Department, on: date | None = None) -> RulePack:
    """The pack one department is evaluated with: its bureau's pick, read with the bureau (found
    once a request: a form asks for it per row)."""
    return remembered(
        ("department_rule_pack", department.id, department.bureau_id, on),
        lambda: bureau_rule_pack(department.bureau, on),
    )


def bureau_rule_pack(bureau: Bureau | None, on: date | None = None) -> RulePack:
    """The pack of ``bureau`` (None: the root): its own pick, else the nearest above it, else the
    installation's default — what its departments are held to (due days, thresholds)."""
    name = (bureau.picked_rule_pack if bureau is not None else None) or default_rule_pack_name()
    return rule_packs().get(name, on or evaluation_day())


@dataclass(frozen=True)
class PackUse:
    """Where a pack is used: the bureaus that pick it, whether it is the installation's default,
    and how many departments it evaluates (picked by their bureau or inherited)."""

    bureaus: list[tuple[str, str]]  # (code, name)
    default: bool
    departments: int


def pack_uses() -> dict[str, PackUse]:
    """pack name → where it is used, for every pack named by a bureau or the default (a name no
    file holds is listed too: ``tracker rule-packs`` shows it as missing)."""
    conn = db.session.connection()
    default = default_rule_pack_name()
    bureaus: dict[str, list[tuple[str, str]]] = {}
    for code, name, pack in conn.execute(
        select(Bureau.code, Bureau.name, Bureau.rule_pack)
        .where(Bureau.rule_pack.is_not(None))
        .order_by(Bureau.path)
    ):
        bureaus.setdefault(pack or "", []).append((code, name))
    counts: dict[str, int] = {}
    for (pick,) in conn.execute(
        select(Bureau.picked_rule_pack)
        .select_from(Department)
        .outerjoin(Bureau, Bureau.id == Department.bureau_id)
    ):
        name = pick or default
        counts[name] = counts.get(name, 0) + 1
    names = {default, *bureaus, *counts}
    return {
        name: PackUse(bureaus.get(name, []), name == default, counts.get(name, 0)) for name in sorted(names)
    }
