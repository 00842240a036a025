"""The 财政局 tree (SPEC §1a): the root, a bureau's subtree, the departments under it, moving one.

A department without a bureau belongs to the root, and so does a finance user without one: the
root's subtree is every department. A subtree is one prefix match on the materialised ``path``
(``/410000/410800/``), so reading it costs one query at any depth and any number of bureaus.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, update

from tracker.budget.models import BUREAU_LEVELS, Bureau, Department
from tracker.core import audit, request_memo
from tracker.extensions import db

__all__ = [
    "root_bureau",
    "bureau_by_code",
    "is_root",
    "subtree_bureau_ids",
    "subtree_department_ids",
    "department_ids_of_bureaus",
    "level_for_depth",
    "tree_paths",
    "rebuild_paths",
    "move_department",
    "BureauNotFound",
]


class BureauNotFound(LookupError):
    """No 财政局 with that code."""


def root_bureau() -> Bureau | None:
    """The one bureau without a parent, or None while no tree has been imported."""
    return db.session.scalar(select(Bureau).where(Bureau.parent_id.is_(None)).order_by(Bureau.id).limit(1))


def bureau_by_code(code: str) -> Bureau:
    bureau = db.session.scalar(select(Bureau).where(Bureau.code == code))
    if bureau is None:
        raise BureauNotFound(code)
    return bureau


def is_root(bureau: Bureau | None) -> bool:
    """None stands for the root (a department or finance user placed nowhere)."""
    return bureau is None or bureau.parent_id is None


def _subtree(bureau: Bureau) -> Select[Any]:
    # Codes hold no LIKE wildcards (the import allows letters and digits only).
    return select(Bureau.id).where(Bureau.path.startswith(bureau.path, autoescape=True))


def subtree_bureau_ids(bureau: Bureau) -> set[int]:
    """The ids of ``bureau`` and of every bureau below it."""
    return set(db.session.scalars(_subtree(bureau)))


def subtree_department_ids(bureau: Bureau | None) -> set[int] | None:
    """The departments of ``bureau``'s subtree; None for the root (every department)."""
    if bureau is None or is_root(bureau):
        return None
    return set(db.session.scalars(select(Department.id).where(Department.bureau_id.in_(_subtree(bureau)))))


def department_ids_of_bureaus(bureau_ids: Iterable[int], *, with_root: bool = False) -> set[int]:
    """Departments placed directly in these bureaus (``with_root``: and those placed nowhere)."""
    condition: ColumnElement[bool] = Department.bureau_id.in_(set(bureau_ids) or {-1})
    if with_root:
        condition = or_(condition, Department.bureau_id.is_(None))
    return set(db.session.scalars(select(Department.id).where(condition)))


def level_for_depth(depth: int) -> str:
    """省 at the root, 市 below it, 县(区) below that (SPEC §1a), unless the file says otherwise."""
    return BUREAU_LEVELS[min(depth, len(BUREAU_LEVELS) - 1)]


def tree_paths(parents: Mapping[str, str | None]) -> tuple[dict[str, str], list[str]]:
    """code → materialised path for the tree given as code → parent code, and the codes caught in
    a cycle or under an unknown parent (which get no path)."""
    paths: dict[str, str] = {}
    broken: list[str] = []
    for start in parents:
        chain: list[str] = []
        code: str | None = start
        while code is not None and code not in paths:
            if code in chain or code not in parents:
                broken.append(start)
                break
            chain.append(code)
            code = parents[code]
        else:
            prefix = paths[code] if code is not None else "/"
            for link in reversed(chain):
                prefix = paths[link] = f"{prefix}{link}/"
    return paths, broken


def rebuild_paths() -> None:
    """Recompute every bureau's path from the parents (after an import changed the tree)."""
    rows = db.session.execute(select(Bureau.id, Bureau.code, Bureau.parent_id)).all()
    code_of = {row.id: row.code for row in rows}
    paths, _ = tree_paths({row.code: code_of.get(row.parent_id) for row in rows})
    by_code = {row.code: row.id for row in rows}
    changes = [{"id": by_code[code], "path": path} for code, path in paths.items()]
    if changes:
        db.session.execute(update(Bureau), changes)


def move_department(department: Department, bureau: Bureau | None, *, user: Any = None) -> bool:
    """Place ``department`` in ``bureau`` (None: the root); audited. Takes effect for results
    evaluated afterwards: stored results keep the rule pack they were made with (SPEC §1a, §6a).
    Returns whether anything changed; the caller commits."""
    old = department.bureau
    if (old.id if old else None) == (bureau.id if bureau else None):
        return False
    department.bureau = bureau
    request_memo.forget()  # the department's rule pack and the finance subtrees change with it
    audit.record(
        "move",
        "department",
        user=user,
        entity_id=department.id,
        field="bureau",
        old=old.code if old else None,
        new=bureau.code if bureau else None,
        department_code=department.code,
    )
    return True
