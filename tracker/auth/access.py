"""The one access rule every door calls (pages, API, exports, file downloads). SPEC §1.

A user never learns that another unit's or department's data exists: refusals for foreign
resources raise :class:`NotFound`, which every door turns into a 404.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, inspect, select, true
from sqlalchemy.orm import QueryableAttribute, joinedload

from tracker.auth.finance_scope import finance_bureau_ids, finance_department_ids
from tracker.auth.finance_scope import (
    readable_bureaus as readable_bureaus,  # the bureau picker, through this door
)
from tracker.auth.models import User
from tracker.budget.models import Bureau, Department, Project, Unit
from tracker.core.errors import Forbidden, NotFound
from tracker.core.request_memo import remembered
from tracker.extensions import db

log = logging.getLogger("tracker.access")

#: Who reads departments beyond its own: finance, every department of its bureau's subtree (SPEC §1a;
#: the root bureau's is every department). Not the 系统管理员: SPEC §1 gives it users, roles and
#: settings (and the scheduled jobs), none of the departments' data nor finance's reviews.
READ_ALL_ROLES = frozenset({"finance"})


def _refuse(user: User | None, what: str) -> NotFound:
    log.warning(
        "access refused: user=%s role=%s %s",
        getattr(user, "username", None),
        getattr(user, "role", None),
        what,
    )
    return NotFound(what)


def visible_department_ids(user: User | None) -> set[int] | None:
    """The departments ``user`` may read; ``None`` means all of them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.role in READ_ALL_ROLES:
        return finance_department_ids(user)
    if user.role == "department":
        return {user.department_id} if user.department_id else set()
    if user.role == "reporter" and user.unit_id:
        unit = db.session.get(Unit, user.unit_id)
        return {unit.department_id} if unit else set()
    return set()


def require_bureau(user: User | None, code: str) -> Bureau:
    """A bureau of the finance user's subtree; any other (or any bureau for another role) is 404."""
    bureau = db.session.scalar(select(Bureau).where(Bureau.code == code))
    ids = finance_bureau_ids(user)
    if bureau is None or (ids is not None and bureau.id not in ids):
        raise _refuse(user, f"bureau {code}")
    return bureau


def visible_unit_ids(user: User | None) -> set[int] | None:
    """The units whose data ``user`` may read; ``None`` means all of them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.role in READ_ALL_ROLES:
        departments = finance_department_ids(user)
        if departments is None:
            return None
        return set(db.session.scalars(select(Unit.id).where(Unit.department_id.in_(departments or {-1}))))
    if user.role == "department":
        department_id = user.department_id
        units = remembered(
            ("department_unit_ids", department_id),
            lambda: frozenset(db.session.scalars(select(Unit.id).where(Unit.department_id == department_id))),
        )
        return set(units)
    if user.role == "reporter":
        return {user.unit_id} if user.unit_id else set()
    return set()


def readable_departments(user: User | None) -> list[Department]:
    """The departments ``user`` may read, by code: every page's department picker."""
    ids = visible_department_ids(user)
    if ids is not None and not ids:
        return []
    query = select(Department).order_by(Department.code)
    if ids is not None:
        query = query.where(Department.id.in_(ids))
    return list(db.session.scalars(query))


def readable_units(user: User | None) -> list[Unit]:
    """The units ``user`` may read, by department and code, in one query: every unit picker."""
    departments = visible_department_ids(user)
    units = visible_unit_ids(user)
    query = (
        select(Unit)
        .join(Department, Department.id == Unit.department_id)
        .order_by(Department.code, Unit.code)
    )
    if departments is not None:
        query = query.where(Unit.department_id.in_(departments or {-1}))
    if units is not None:
        query = query.where(Unit.id.in_(units or {-1}))
    return list(db.session.scalars(query))


def can_read_department(user: User | None, department_id: int) -> bool:
    visible = visible_department_ids(user)
    return visible is None or department_id in visible


def can_read_unit(user: User | None, unit_id: int) -> bool:
    visible = visible_unit_ids(user)
    return visible is None or unit_id in visible


def can_read_department_whole(user: User | None, department_id: int) -> bool:
    """部门整体 data (department indicators, metrics, packages): not for reporters."""
    return user is not None and user.role != "reporter" and can_read_department(user, department_id)


def can_write_unit_report(user: User | None, unit_id: int) -> bool:
    """Enter and submit actuals for a unit: its reporter or its department's admin."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.role == "reporter":
        return user.unit_id == unit_id
    if user.role == "department":
        unit = db.session.get(Unit, unit_id)
        return unit is not None and unit.department_id == user.department_id
    return False


def can_manage_department(user: User | None, department_id: int) -> bool:
    """Targets, imports, review, department actuals, evaluations: the department's admin."""
    return user is not None and user.role == "department" and user.department_id == department_id


def writable_projects(user: User | None, keys: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (年度, 项目编码) among ``keys`` naming an existing project ``user`` may write, for imports
    and bulk writes: the command line (``None``) every one; a department's admin those whose
    department and unit are its department's; a reporter those of its unit; anyone else none.

    Callers treat every other key as a code that does not exist, or that cannot be used where a new
    project would be made, with one message either way, so no row changes or reveals another
    department's project (SPEC §1)."""
    wanted = set(keys)
    if not wanted:
        return set()
    rows = db.session.execute(
        select(Project.year, Project.code, Project.department_id, Project.unit_id, Unit.department_id)
        .join(Unit, Project.unit_id == Unit.id)
        .where(Project.year.in_({y for y, _ in wanted}), Project.code.in_({c for _, c in wanted}))
    )
    writable = set()
    for year, code, department_id, unit_id, unit_department_id in rows:
        if (year, code) not in wanted:
            continue
        if user is None:
            ok = True
        elif user.role == "department":
            ok = user.department_id is not None and department_id == unit_department_id == user.department_id
        elif user.role == "reporter":
            ok = user.unit_id is not None and unit_id == user.unit_id
        else:
            ok = False
        if ok:
            writable.add((year, code))
    return writable


def is_finance(user: User | None) -> bool:
    """财政局: reviewer overrides, evaluations, deliveries of every department it reads. Finance only."""
    return user is not None and getattr(user, "is_authenticated", False) and user.role == "finance"


def can_manage_users(user: User | None) -> bool:
    """用户管理 (users, roles, settings): the 系统管理员 only (SPEC §1)."""
    return user is not None and getattr(user, "is_authenticated", False) and user.role == "admin"


def require_user_manager(user: User | None) -> None:
    """User management answers 404 to everyone else: accounts of other units are foreign resources."""
    if not can_manage_users(user):
        raise _refuse(user, "user management")


def require_department(user: User | None, code: str) -> Department:
    department = department_by_code(code)
    if department is None or not can_read_department(user, department.id):
        raise _refuse(user, f"department {code}")
    return department


def department_by_code(code: str) -> Department | None:
    """The department of that code with its bureau, read once a request (several doors ask)."""
    query = select(Department).options(joinedload(Department.bureau)).where(Department.code == code)
    return remembered(("department_by_code", code), lambda: db.session.scalar(query), keep_none=False)


def unit_by_code(code: str) -> Unit | None:
    """The unit of that code with its department and bureau (every unit's door goes on to them),
    read once a request."""
    query = (
        select(Unit)
        .options(joinedload(Unit.department).joinedload(Department.bureau))
        .where(Unit.code == code)
    )
    return remembered(("unit_by_code", code), lambda: db.session.scalar(query), keep_none=False)


def require_unit(user: User | None, code: str) -> Unit:
    unit = _own_unit(user, code) or unit_by_code(code)
    if unit is None or not can_read_unit(user, unit.id):
        raise _refuse(user, f"unit {code}")
    return unit


def _own_unit(user: User | None, code: str) -> Unit | None:
    """A reporter's own unit of that code, if it came loaded with the user (``session_user``); never
    a lazy load here, so a user loaded any other way is looked up as any unit is."""
    if user is None or getattr(user, "role", None) != "reporter":
        return None
    unit: Unit | None = inspect(user).dict.get("unit")
    return unit if unit is not None and unit.code == code else None


def require_project(user: User | None, year: int, code: str) -> Project:
    project = db.session.scalar(select(Project).where(Project.year == year, Project.code == code))
    if project is None or not can_read_unit(user, project.unit_id):
        raise _refuse(user, f"project {year}/{code}")
    return project


def require_role(user: User | None, *roles: str) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or user.role not in roles:
        log.warning(
            "access refused: user=%s role=%s needs %s",
            getattr(user, "username", None),
            getattr(user, "role", None),
            roles,
        )
        raise Forbidden(",".join(roles))


# ---------------------------------------------------------------- monthly reports (issue 3)


def can_write_report(user: User | None, department_id: int, unit_id: int | None) -> bool:
    """Enter actuals: a unit report by its reporter or department; 部门整体 by the department only."""
    if unit_id is not None:
        return can_write_unit_report(user, unit_id)
    return can_manage_department(user, department_id)


def can_review_report(user: User | None, department_id: int, unit_id: int | None) -> bool:
    """Approve or return: a unit's report by its department; a 部门整体 report by finance."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if unit_id is not None:
        return can_manage_department(user, department_id)
    return user.role == "finance" and can_read_department(user, department_id)


def can_unlock_report(user: User | None, department_id: int) -> bool:
    """Only finance reopens an approved (locked) period (SPEC §4): the department's bureau or one
    above it (SPEC §1a)."""
    return is_finance(user) and can_read_department(user, department_id)


def can_set_deadlines(user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.role == "finance"


def can_import(user: User | None) -> bool:
    """Upload targets or actuals files: a department's admin (rows are further limited to its units)."""
    return user is not None and getattr(user, "is_authenticated", False) and user.role == "department"


def can_import_actuals(user: User | None) -> bool:
    """Import monthly actuals: the command line (``None``), a reporter or a department's admin; each
    row is further limited to the reports its user may write."""
    return user is None or user.role in ("reporter", "department")


def import_home_department(user: User | None) -> Department | None:
    """The department an imported 部门整体 row without 部门编码 belongs to: a department admin's own
    (anyone else names it, or the year has one department with its own indicators)."""
    if user is not None and user.role == "department" and user.department:
        return user.department
    return None


def can_read_audit(user: User | None) -> bool:
    """The audit log holds the departments' report values: their admins and finance, not the 系统管理员."""
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.role in ("department", "finance")
    )


def require_report_scope(
    user: User | None, unit_code: str | None, department_code: str | None
) -> tuple[Department, Unit | None]:
    """The department and unit (None: 部门整体) of a monthly report ``user`` may read; else NotFound."""
    if unit_code:
        unit = require_unit(user, unit_code)
        return unit.department, unit
    if not department_code:
        raise _refuse(user, "report without unit or department")
    department = require_department(user, department_code)
    if not can_read_department_whole(user, department.id):
        raise _refuse(user, f"department report {department_code}")
    return department, None


def refuse(user: User | None, what: str) -> Forbidden:
    """A logged refusal of an action on a resource the user may see (403)."""
    log.warning(
        "action refused: user=%s role=%s %s",
        getattr(user, "username", None),
        getattr(user, "role", None),
        what,
    )
    return Forbidden(what)


def can_read_evaluations(user: User | None) -> bool:
    """Evaluation results (绩效监控, 绩效自评: pages and API): every role but a unit's reporter."""
    return getattr(user, "role", None) != "reporter"


# ---------------------------------------------------------------- imports and API reads (issue 14, layers-api)


def can_import_department_tables(user: User | None) -> bool:
    """Import a department's own tables — 绩效目标表, 项目预算, 部门预算, 支出 (SPEC §1, §8): the
    command line (``None``) or a department's admin; each row is further limited to its department."""
    return user is None or can_import(user)


def whole_department_ids(user: User | None) -> set[int] | None:
    """The departments whose 部门整体 data (department indicators and reports, evaluations,
    deliveries) ``user`` reads; ``None`` means all of them. A unit's reporter reads none."""
    if getattr(user, "role", None) == "reporter":
        return set()
    return visible_department_ids(user)


def among(column: ColumnElement[Any] | QueryableAttribute[Any], ids: set[int] | None) -> ColumnElement[bool]:
    """The SQL condition ``column IN ids`` for ids from :func:`visible_unit_ids` and its kin: ``None``
    (everything visible) is no condition at all, and an empty set matches no row."""
    if ids is None:
        return true()
    return column.in_(ids or {-1})


# ---------------------------------------------------------------- the doors of reports, evaluation,
# reporting and the scheduler (issue 14): every role check of those packages is one of these.


def _has_role(user: User | None, *roles: str) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False)) and user.role in roles


def not_found(user: User | None, what: str) -> NotFound:
    """A logged refusal of a resource ``user`` may not see (404, as if it did not exist)."""
    return _refuse(user, what)


def is_reporter(user: User | None) -> bool:
    """A unit's 填报员: its home page lists its own unit's months and projects."""
    return _has_role(user, "reporter")


def is_department_admin(user: User | None) -> bool:
    """A 部门管理员: the review queue holds its units' reports, the audit log its department's."""
    return _has_role(user, "department")


def is_unit_reporter(user: User | None, unit_id: int) -> bool:
    """The 填报员 of unit ``unit_id``: a reminder of the unit's report is addressed to them."""
    return is_reporter(user) and user is not None and user.unit_id == unit_id


def report_writers(unit_ids: Iterable[int], department_ids: Iterable[int]) -> list[User]:
    """The active users who write the reports of ``unit_ids`` (their reporters) and of
    ``department_ids`` (their admins), by username: whom a reminder reaches."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                ((User.role == "reporter") & User.unit_id.in_(set(unit_ids)))
                | ((User.role == "department") & User.department_id.in_(set(department_ids))),
            )
            .order_by(User.username)
        )
    )


def _finance_or_admin_of(user: User | None, department_id: int) -> bool:
    return (is_finance(user) and can_read_department(user, department_id)) or can_manage_department(
        user, department_id
    )


def can_run_evaluation(user: User | None, department_id: int) -> bool:
    """重新计算 a department's monitoring or self-assessment: its admin or finance."""
    return _finance_or_admin_of(user, department_id)


def can_review_self_assessment(user: User | None, department_id: int) -> bool:
    """审核意见 (a reviewer's override) on a department's indicator: its admin or finance."""
    return _finance_or_admin_of(user, department_id)


def can_see_dashboard(user: User | None) -> bool:
    """看板 (/dashboard, the home page's panel): department admins, finance and the 系统管理员 (who,
    reading no department, sees it empty); never a reporter."""
    return _has_role(user, "department", "finance", "admin")


def can_see_deliveries(user: User | None) -> bool:
    """报送 (/deliveries): every logged-in role but a reporter; the list holds the departments the
    user reads (none for the 系统管理员)."""
    return user is not None and bool(getattr(user, "is_authenticated", False)) and not is_reporter(user)


def can_send_delivery(user: User | None, department_id: int) -> bool:
    """Send or resend a department's compliance package: its admin or finance."""
    return _finance_or_admin_of(user, department_id)


def can_set_recipients(user: User | None) -> bool:
    """The delivery recipients (/deliveries/settings), a finance setting (SPEC §1a): finance only."""
    return is_finance(user)


def can_run_jobs(user: User | None) -> bool:
    """The scheduled jobs (/jobs: schedules, runs, 立即运行): finance and the 系统管理员 (SPEC §1)."""
    return _has_role(user, "finance", "admin")


def can_run_jobs_now(user: User | None) -> bool:
    """立即运行: a job runs every bureau of the installation in one pass, so the 系统管理员 and the
    root bureau's finance start it; a bureau below the root sees its own lines of the runs only."""
    return _has_role(user, "admin") or (is_finance(user) and finance_bureau_ids(user) is None)


def sees_whole_runs(user: User | None) -> bool:
    """Whether a run's installation-wide figures (rows written, error text) are the user's to read."""
    return can_run_jobs_now(user)


def require_job_operator(user: User | None) -> None:
    """The jobs answer 403 to every other role (they hold no department's data)."""
    if not can_run_jobs(user):
        raise refuse(user, "scheduled jobs")
