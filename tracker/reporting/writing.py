"""Writing a monthly report of actuals: 保存草稿 and 提交 (SPEC §4), and the unit of work they share
with review: loading for a write with its version check, status changes by the table of
:mod:`tracker.reporting.transitions`, and the commit that turns a lost race into a :class:`Conflict`.

Every action checks access through :mod:`tracker.auth.access`, owns the transaction and writes the
audit log.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

from flask_babel import gettext
from sqlalchemy import Table, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker.auth import access
from tracker.auth.models import User
from tracker.budget.models import Department, Unit
from tracker.budget.packs import department_rule_pack
from tracker.core import audit, bulk
from tracker.core.database import commit_keeping_loaded
from tracker.core.errors import Conflict, InvalidState, ValidationFailed
from tracker.extensions import db
from tracker.reporting.models import (
    ACTUAL_VALUE_COLUMNS,
    ACTUAL_VALUE_FIELDS,
    IndicatorActual,
    MonthlyReport,
)
from tracker.reporting.reading import (
    ReportData,
    TypedIndicator,
    check_period,
    parse_values,
    report_data,
    report_indicators,
    reports_of_months,
    scope_key,
    typed_indicators,
)
from tracker.reporting.transitions import STATUS_LABELS, next_status
from tracker.reporting.values import ROW_FIELDS, RowValues
from tracker.rules import NOT_APPLICABLE_GRADE, needs_deviation_cause
from tracker.targets.models import Indicator
from tracker.types import utcnow

__all__ = [
    "save_report",
    "submit_report",
    "load_for_write",
    "new_draft",
    "audit_scope",
    "apply_transition",
    "commit_report",
    "settle",
    "refused_transition",
]

log = logging.getLogger("tracker.reporting")

#: An indicator as a write reads it: whole (a submission shows them) or as much as a save needs.
Listed = TypeVar("Listed", Indicator, TypedIndicator)

#: A typed field → the stored columns it may change (qualitative ``actual`` is a grade).
_FIELD_COLUMNS = {
    "actual": ("actual", "grade"),
    "forecast": ("forecast", "forecast_grade"),
    "grade_percent": ("grade_percent",),
    "likelihood": ("likelihood",),
    "deviation_category": ("deviation_category",),
    "deviation_cause": ("deviation_cause",),
    "corrective_measure": ("corrective_measure",),
}


def new_draft(department: Department, unit: Unit | None, year: int, month: int) -> MonthlyReport:
    """A new 草稿 report of the scope and month, added to the session."""
    report = MonthlyReport(
        year=year,
        month=month,
        department_id=department.id,
        unit_id=unit.id if unit else None,
        scope_key=scope_key(department, unit),
        status="draft",
    )
    db.session.add(report)
    return report


def load_for_write(
    user: User, unit_code: str | None, year: int, month: int, department_code: str | None, version: int | None
) -> tuple[Department, Unit | None, MonthlyReport | None]:
    department, unit, report, _stored = _load_with_months(
        user, unit_code, year, month, department_code, version, [month]
    )
    return department, unit, report


def _load_with_months(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    department_code: str | None,
    version: int | None,
    months: list[int],
) -> tuple[Department, Unit | None, MonthlyReport | None, dict[int, MonthlyReport]]:
    """:func:`load_for_write`, with the stored reports of ``months`` (``month`` among them) read in
    the same query: a submission's check compares with last month's."""
    check_period(year, month)
    department, unit = access.require_report_scope(user, unit_code, department_code)
    stored = reports_of_months(department, unit, year, months)
    _check_version(stored.get(month), version)
    return department, unit, stored.get(month), stored


def _check_version(report: MonthlyReport | None, version: int | None) -> None:
    """A report saved since ``version`` was read (0: none was stored) is a :class:`Conflict`."""
    if version is not None and version != (report.version if report else 0):
        raise _conflict(report)


def _conflict(report: MonthlyReport | None) -> Conflict:
    if report is None:
        return Conflict(None, None, 0)
    who = db.session.get(User, report.updated_by_id) if report.updated_by_id else None
    return Conflict(who.username if who else None, report.updated_at, report.version)


def audit_scope(department: Department, unit: Unit | None, year: int, month: int) -> dict[str, Any]:
    return {
        "department_code": department.code,
        "unit_code": unit.code if unit else None,
        "year": year,
        "month": month,
    }


def _apply_values(
    user: User,
    department: Department,
    unit: Unit | None,
    report: MonthlyReport | None,
    year: int,
    month: int,
    values: Mapping[Any, Mapping[str, Any]],
    indicators_of: Callable[[Department, Unit | None, int], list[Listed]],
) -> tuple[MonthlyReport, list[Listed], dict[int, RowValues]]:
    """Check every typed value, then write them all (or raise ValidationFailed and write nothing);
    the report, its indicators as ``indicators_of`` reads them (a submission goes on to show them,
    a save only checks against them) and its values by indicator as they now are."""
    if not access.can_write_report(user, department.id, unit.id if unit else None):
        raise access.refuse(user, f"write report {scope_key(department, unit)}")
    if report is not None and next_status(report.status, "save") is None:
        raise InvalidState(
            gettext("已审核的报告已锁定，需财政局解锁后才能修改。")
            if report.status == "approved"
            else gettext("报告已提交，等待审核，不能修改。")
        )
    listed = indicators_of(department, unit, year)
    indicators = {i.id: i for i in listed}
    pack = department_rule_pack(department)
    errors: dict[str, list[str]] = {}
    parsed: dict[int, tuple[Listed, RowValues, Mapping[str, Any]]] = {}
    for key, raw in values.items():
        try:
            indicator = indicators[int(key)]
        except (KeyError, ValueError, TypeError):
            errors.setdefault("indicators", []).append(gettext("指标 %(key)s 不属于此报告", key=key))
            continue
        if indicator.computed_metric:
            if any(str(v or "").strip() for f, v in raw.items() if f in ("actual", "forecast")):
                errors[f"{indicator.id}.actual"] = [gettext("此指标由财务数据计算，不能填写")]
            raw = {f: v for f, v in raw.items() if f not in ("actual", "forecast")}
        row, row_errors = parse_values(indicator, raw, pack)
        for name, messages in row_errors.items():
            errors.setdefault(f"{indicator.id}.{name}", []).extend(messages)
        parsed[indicator.id] = (indicator, row, raw)
    if errors:
        raise ValidationFailed(errors)

    scope = audit_scope(department, unit, year, month)
    audits: list[dict[str, Any]] = []
    if report is None:
        report = new_draft(department, unit, year, month)
        audits.append(
            {"action": "create", "entity": "monthly_report", "field": "status", "new": "draft", **scope}
        )
        _touch(report, user)
        settle(report, db.session.flush)  # its actuals need its id
        inserts, updates, now = _changed_actuals(report, parsed.values(), audits, scope, fresh=True)
    else:
        # Compared before the row is touched: the read would write it first (autoflush).
        inserts, updates, now = _changed_actuals(report, parsed.values(), audits, scope)
        _touch(report, user)
    if inserts or updates:
        # The report's row first: a save racing on the same version waits for it, then fails its
        # version check (a Conflict) rather than meeting this one's actuals. With nothing to write
        # (a submission of the values saved) the row is written once, at the commit.
        settle(report, db.session.flush)
        _write_actuals(report, inserts, updates)
    audit.record_many(audits, user=user)
    return report, listed, now


def _touch(report: MonthlyReport, user: User) -> None:
    report.updated_at = utcnow()
    report.updated_by_id = user.id


_NO_VALUES = (None,) * len(ACTUAL_VALUE_FIELDS)


def _changed_actuals(
    report: MonthlyReport,
    parsed: Iterable[tuple[Indicator | TypedIndicator, RowValues, Mapping[str, Any]]],
    audits: list[dict[str, Any]],
    scope: dict[str, Any],
    *,
    fresh: bool = False,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[int, RowValues]]:
    """(rows to insert, rows to update, the values by indicator once they are written) for the
    typed values that differ from the stored ones (a ``fresh`` report has none), with an audit row
    per changed value added to ``audits``."""
    existing: dict[int, Any] = {}
    if not fresh:
        query = select(IndicatorActual.indicator_id, IndicatorActual.id, *ACTUAL_VALUE_COLUMNS)
        for found in db.session.execute(query.where(IndicatorActual.report_id == report.id)):
            existing[found[0]] = found
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    now = {indicator_id: RowValues(*found[2:]) for indicator_id, found in existing.items()}
    for indicator, row, raw in parsed:
        stored = existing.get(indicator.id)
        values = dict(zip(ACTUAL_VALUE_FIELDS, stored[2:] if stored else _NO_VALUES, strict=True))
        changed = False
        for column in _typed_columns(frozenset(raw)):
            old, new = values[column], getattr(row, column)
            if old == new:
                continue
            values[column], changed = new, True
            audits.append(
                {
                    "action": "update",
                    "entity": "indicator_actual",
                    "entity_id": indicator.id,
                    "field": f"{indicator.name}·{column}",
                    "old": old,
                    "new": new,
                    **scope,
                }
            )
        if stored is None:
            computed = bool(indicator.computed_metric)
            inserts.append(
                {"report_id": report.id, "indicator_id": indicator.id, "computed": computed, **values}
            )
        elif changed:
            updates.append({"id": stored[1], **values})
        if changed or stored is None:
            now[indicator.id] = RowValues(**values)
    return inserts, updates, now


@functools.lru_cache(maxsize=2 ** len(ROW_FIELDS))  # one entry per set of fields
def _typed_columns(fields: frozenset[str]) -> tuple[str, ...]:
    """The stored columns the typed ``fields`` may change, in the order of the stored row (the
    order of the audit entries)."""
    typed = {c for f in fields if f in ROW_FIELDS for c in _FIELD_COLUMNS[f]}
    return tuple(c for c in ACTUAL_VALUE_FIELDS if c in typed)


def _write_actuals(
    report: MonthlyReport, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]
) -> None:
    """Write the values in one INSERT and one UPDATE (executemany) whatever their number."""
    # On the table, not the ORM entity, which would batch rows by which of their values are None.
    table = cast(Table, IndicatorActual.__table__)
    bulk.insert_rows(table, inserts)
    bulk.update_rows(table, "id", updates)
    _forget_actuals(report)


def _forget_actuals(report: MonthlyReport) -> None:
    """The actuals were written past the ORM's unit of work: what the session holds of them (a form
    read before the save) is stale and is read again when next asked for."""
    for item in list(db.session.identity_map.values()):
        if isinstance(item, IndicatorActual) and inspect(item).dict.get("report_id") == report.id:
            db.session.expire(item)
    db.session.expire(report, ["actuals"])


def commit_report(report: MonthlyReport) -> None:
    """Commit the unit of work of an action on ``report``; a lost race raises :class:`Conflict`.
    What the action loaded stays loaded (the report's new version among it): the page after it
    is a redirect, or reads back only what was written; the actuals written past the ORM were
    expired when they were written."""
    settle(report, commit_keeping_loaded)


def settle(report: MonthlyReport, write: Callable[[], None]) -> None:
    """``write`` (the session's flush or commit) the changes of ``report``; a lost race — a stale
    version, or the same month created meanwhile — rolls back and raises :class:`Conflict`."""
    try:
        write()
    except StaleDataError:
        db.session.rollback()
        current = db.session.scalar(
            select(MonthlyReport).where(
                MonthlyReport.scope_key == report.scope_key,
                MonthlyReport.year == report.year,
                MonthlyReport.month == report.month,
            )
        )
        raise _conflict(current) from None
    except IntegrityError:
        # Someone created the same month's report between our read and our write.
        db.session.rollback()
        raise Conflict(None, None, 0) from None


def save_report(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    values: Mapping[Any, Mapping[str, Any]],
    version: int | None,
    *,
    department_code: str | None = None,
) -> MonthlyReport:
    """保存草稿: write the typed values of any indicators (``{indicator id: {field: value}}``, fields
    of :data:`tracker.reporting.values.ROW_FIELDS`; a field absent is left as it is, ``""`` clears it).

    ``version`` is the report version the user started from (0 for a new report): a stale one
    raises :class:`Conflict`. Any bad value raises :class:`ValidationFailed` and nothing is written.
    """
    department, unit, report = load_for_write(user, unit_code, year, month, department_code, version)
    report, _, _ = _apply_values(user, department, unit, report, year, month, values, typed_indicators)
    commit_report(report)
    return report


def _completeness_errors(data: ReportData) -> dict[str, list[str]]:
    """What stops a submission: missing actuals, and yellow/red lamps without cause and measure (SPEC §5)."""
    errors: dict[str, list[str]] = {}
    for row in data.rows:
        stored = row.values
        key = f"{row.indicator.id}."
        typed = not row.indicator.computed_metric
        if typed and stored is not None and stored.grade == NOT_APPLICABLE_GRADE:
            if not stored.deviation_cause:
                errors[key + "deviation_cause"] = [gettext("“不适用”的指标须在偏差原因说明中写明原因")]
            continue
        if typed and (stored is None or (stored.grade if row.qualitative else stored.actual) is None):
            errors[key + "actual"] = [
                gettext("请选择完成情况") if row.qualitative else gettext("请填写实际完成值")
            ]
            continue
        # A computed metric's lamp is the department's to explain like any other (SPEC §5).
        if needs_deviation_cause(row.lamp.status):
            cause = stored or RowValues()
            if not cause.deviation_category:
                errors[key + "deviation_category"] = [gettext("黄灯/红灯指标须选择偏差原因类别")]
            if not cause.deviation_cause:
                errors[key + "deviation_cause"] = [gettext("黄灯/红灯指标须填写偏差原因说明")]
            if not cause.corrective_measure:
                errors[key + "corrective_measure"] = [gettext("黄灯/红灯指标须填写改进措施")]
    return errors


def submit_report(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    version: int | None,
    values: Mapping[Any, Mapping[str, Any]] | None = None,
    *,
    department_code: str | None = None,
    confirmed: bool = True,
) -> MonthlyReport:
    """提交: optionally save ``values`` first, then submit when complete; all in one transaction.

    With ``confirmed`` False, values that look odd (plausibility warnings, issue 11 §4) stop the
    submission after the values are saved as a draft — a save is never blocked — and
    :class:`NeedsConfirmation` lists them for the clerk to confirm."""
    months = [m for m in (month - 1, month) if m]
    department, unit, report, stored = _load_with_months(
        user, unit_code, year, month, department_code, version, months
    )
    report, indicators, now = _apply_values(
        user, department, unit, report, year, month, values or {}, report_indicators
    )
    # What is checked is in the database already; the report's own row is written with its status.
    with db.session.no_autoflush:
        data = report_data(
            user, department, unit, year, month,
            indicators=indicators, report=report, stored=stored, values=now,
        )  # fmt: skip
    errors = _completeness_errors(data)
    if not data.rows:
        errors["indicators"] = [gettext("此报告没有指标，无需提交")]
    if errors:
        db.session.rollback()
        raise ValidationFailed(errors)
    warnings = {f"{row.indicator.id}.actual": row.warnings for row in data.rows if row.warnings}
    if warnings and not confirmed:
        commit_report(report)
        raise NeedsConfirmation(warnings)
    apply_transition(user, report, "submit", department, unit, stamp=lambda r: _stamp_submitted(r, user))
    commit_report(report)
    log.info("report submitted: %s %s-%s by %s", report.scope_key, year, month, user.username)
    return report


class NeedsConfirmation(Exception):
    """A submission whose values were saved but look odd: ``warnings`` by ``<indicator id>.actual``."""

    def __init__(self, warnings: dict[str, list[str]]) -> None:
        self.warnings = warnings
        super().__init__("；".join(w for ws in warnings.values() for w in ws))


def _stamp_submitted(report: MonthlyReport, user: User) -> None:
    report.submitted_at = utcnow()
    report.submitted_by_id = user.id
    report.return_reason = None


def apply_transition(
    user: User,
    report: MonthlyReport,
    action: str,
    department: Department,
    unit: Unit | None,
    reason: str | None = None,
    stamp: Callable[[MonthlyReport], None] | None = None,
) -> None:
    """Move ``report`` by ``action`` as :data:`~tracker.reporting.transitions.TRANSITIONS` allows, with
    its audit entries (and the reviewer's reason, for a return or an unlock); any other move is
    :class:`InvalidState`. ``stamp`` sets the action's own fields (who submitted, when) with the
    status, so the row is written once."""
    status = next_status(report.status, action)
    if status is None:
        raise refused_transition(report)
    entry = {"submitted": "submit", "approved": "approve"}.get(status, "status")
    changes: list[tuple[str, str, str | None, str]] = [(entry, "status", report.status, status)]
    if reason and action == "unlock":
        # Why an approved month was opened again: kept in the audit log only (issue 11 §6).
        changes.append(("unlock", "unlock_reason", None, reason))
    elif reason:
        changes.append(("return", "return_reason", report.return_reason, reason))
    report.status = status
    _touch(report, user)
    if stamp is not None:
        stamp(report)
    # Written here, not by the audit insert's autoflush: a lost race is a Conflict.
    settle(report, db.session.flush)
    scope = audit_scope(department, unit, report.year, report.month)
    for entry, field, old, new in changes:
        audit.record(
            entry, "monthly_report", user=user, entity_id=report.id, field=field, old=old, new=new, **scope
        )


def refused_transition(report: MonthlyReport | None) -> InvalidState:
    """The refusal of an action the report's current status does not allow."""
    state = gettext(STATUS_LABELS.get(report.status, report.status)) if report else gettext("未填报")
    return InvalidState(gettext("报告当前状态为“%(state)s”，不能执行此操作。", state=state))
