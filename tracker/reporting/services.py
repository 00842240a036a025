"""Monthly reports of actuals: reading, saving, submitting, reviewing, unlocking (SPEC §4, issue 3).

These business actions serve the pages and the API alike. They take a user and plain values, check
access through :mod:`tracker.auth.access`, own the transaction and write the audit log.

A report is addressed by ``unit_code`` (预算单位) or, with ``unit_code=None``, by
``department_code`` (部门整体).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker import rules
from tracker.auth import access
from tracker.auth.models import User
from tracker.budget import money
from tracker.budget.models import Department, Project, Unit
from tracker.core import audit
from tracker.core.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from tracker.core.settings import current_rule_pack
from tracker.extensions import db
from tracker.reporting.deadlines import deadline_for, is_overdue, today
from tracker.reporting.models import ACTUAL_VALUE_FIELDS, IndicatorActual, MonthlyReport, report_scope_key
from tracker.reporting.values import ROW_FIELDS, RowValues, parse_row
from tracker.rules import IndicatorLamp, monitor_indicator, needs_deviation_cause
from tracker.rules.modes import Mode
from tracker.rules.packs import RulePack
from tracker.targets.models import Indicator
from tracker.types import utcnow

__all__ = [
    "NotFound",
    "Forbidden",
    "Conflict",
    "ValidationFailed",
    "InvalidState",
    "ReportData",
    "ReportRow",
    "get_report",
    "save_report",
    "submit_report",
    "approve_report",
    "return_report",
    "unlock_report",
    "preview_lamp",
    "typed_lamps",
    "scope_key",
    "STATUS_LABELS",
]

log = logging.getLogger("tracker.reporting")

STATUS_LABELS = {"draft": "草稿", "submitted": "已提交", "approved": "已审核"}
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


def scope_key(department: Department, unit: Unit | None) -> str:
    return report_scope_key(unit.code if unit is not None else None, department.code)


@dataclass
class ReportRow:
    """One indicator on the form: its stored values, last month's, and the server-side lamp."""

    indicator: Indicator
    values: IndicatorActual | None
    previous: IndicatorActual | None
    lamp: IndicatorLamp
    computed_value: Decimal | None = None

    @property
    def qualitative(self) -> bool:
        return self.indicator.comparator == "QUALITATIVE"

    @property
    def needs_cause(self) -> bool:
        return needs_deviation_cause(self.lamp.status)


@dataclass
class ReportData:
    """Everything a page or the API shows of one monthly report."""

    department: Department
    unit: Unit | None
    year: int
    month: int
    report: MonthlyReport | None
    rows: list[ReportRow]
    deadline: date
    can_write: bool
    can_review: bool
    can_unlock: bool
    projects: dict[int, Project] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.report.status if self.report else "draft"

    @property
    def version(self) -> int:
        return self.report.version if self.report else 0

    @property
    def editable(self) -> bool:
        return self.can_write and self.status == "draft"

    @property
    def overdue(self) -> bool:
        return is_overdue(self.status if self.report else None, self.deadline, today())

    @property
    def scope_key(self) -> str:
        return scope_key(self.department, self.unit)

    def groups(self) -> list[tuple[Project | None, list[tuple[str, list[ReportRow]]]]]:
        """Rows grouped by project, then 一级指标, in target-file order."""
        out: list[tuple[Project | None, list[tuple[str, list[ReportRow]]]]] = []
        for row in self.rows:
            project = row.indicator.project
            if not out or out[-1][0] is not project:
                out.append((project, []))
            level1s = out[-1][1]
            if not level1s or level1s[-1][0] != row.indicator.level1:
                level1s.append((row.indicator.level1, []))
            level1s[-1][1].append(row)
        return out


# ---------------------------------------------------------------- reading


def _bands(pack: RulePack) -> dict[str, tuple[Decimal, Decimal]]:
    return {name: (band.low, band.high) for name, band in pack.bands}


def _check_period(year: int, month: int) -> None:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise NotFound(f"period {year}-{month}")


def _indicators(department: Department, unit: Unit | None, year: int) -> list[Indicator]:
    query = select(Indicator).where(Indicator.year == year)
    if unit is not None:
        query = (
            query.join(Project, Indicator.project_id == Project.id)
            .where(Project.unit_id == unit.id)
            .order_by(Project.code, Indicator.position, Indicator.id)
        )
    else:
        query = query.where(
            Indicator.department_id == department.id, Indicator.project_id.is_(None)
        ).order_by(Indicator.position, Indicator.id)
    return list(db.session.scalars(query))


def _find_report(department: Department, unit: Unit | None, year: int, month: int) -> MonthlyReport | None:
    return db.session.scalar(
        select(MonthlyReport).where(
            MonthlyReport.year == year,
            MonthlyReport.month == month,
            MonthlyReport.scope_key == scope_key(department, unit),
        )
    )


def _new_draft(department: Department, unit: Unit | None, year: int, month: int) -> MonthlyReport:
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


def _target_max(indicator: Indicator) -> Decimal | None:
    numbers = [n for n in (indicator.target_low, indicator.target_high) if n is not None]
    return max(numbers) if numbers else None


def lamp_for(
    indicator: Indicator,
    values: RowValues | IndicatorActual | None,
    month: int,
    pack: RulePack,
    computed_value: Decimal | None = None,
) -> IndicatorLamp:
    """The monitoring lamp of one indicator from the entered values (SPEC §5, via the evaluation rule)."""
    actual = computed_value if indicator.computed_metric else (values.actual if values else None)
    if indicator.computed_metric and actual is None:
        return IndicatorLamp(
            "n/a" if indicator.computed_metric == "结转结余率" and month < 12 else "missing",
            None,
            None,
            "由财务数据计算",
        )
    qualitative = indicator.comparator == "QUALITATIVE"
    if not qualitative and indicator.target_low is None:
        return IndicatorLamp("n/a", None, None, "指标值无数字")
    return monitor_indicator(
        mode=Mode(indicator.effective_mode),
        comparator=indicator.comparator,
        low=indicator.target_low,
        high=indicator.target_high,
        actual=actual,
        grade=values.grade if values else None,
        forecast=values.forecast if values and not indicator.computed_metric else None,
        forecast_grade=values.forecast_grade if values else None,
        likelihood=values.likelihood if values else None,
        month=month,
        thresholds=pack.thresholds,
    )


def _computed_values(
    department: Department, unit: Unit | None, year: int, month: int, indicators: list[Indicator]
) -> dict[str, Decimal | None]:
    """SPEC §7 metrics (as percent) for the 部门整体 indicators computed from money, never typed."""
    if unit is not None or not any(i.computed_metric for i in indicators):
        return {}
    totals = money.department_money_through(db.session.connection(), year, month, department.id)
    metrics = rules.department_metrics(totals, month)
    return {name: (value * 100 if value is not None else None) for name, value in metrics.items()}


def get_report(
    user: User, unit_code: str | None, year: int, month: int, *, department_code: str | None = None
) -> ReportData:
    """The report of a unit (or, with ``unit_code=None``, of a department as a whole) for a month,
    with every indicator's values, last month's values and lamp. Foreign scopes raise NotFound."""
    _check_period(year, month)
    department, unit = access.require_report_scope(user, unit_code, department_code)
    indicators = _indicators(department, unit, year)
    report = _find_report(department, unit, year, month)
    previous = _find_report(department, unit, year, month - 1) if month > 1 else None
    current = {a.indicator_id: a for a in report.actuals} if report else {}
    before = {a.indicator_id: a for a in previous.actuals} if previous else {}
    computed = _computed_values(department, unit, year, month, indicators)
    pack = current_rule_pack()
    rows = []
    for indicator in indicators:
        value = computed.get(indicator.computed_metric) if indicator.computed_metric else None
        rows.append(
            ReportRow(
                indicator,
                current.get(indicator.id),
                before.get(indicator.id),
                lamp_for(indicator, current.get(indicator.id), month, pack, value),
                value,
            )
        )
    unit_id = unit.id if unit else None
    return ReportData(
        department=department,
        unit=unit,
        year=year,
        month=month,
        report=report,
        rows=rows,
        deadline=deadline_for(year, month),
        can_write=access.can_write_report(user, department.id, unit_id),
        can_review=access.can_review_report(user, department.id, unit_id),
        can_unlock=access.can_unlock_report(user),
    )


def preview_lamp(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    indicator_id: int,
    raw: Mapping[str, Any],
    *,
    department_code: str | None = None,
) -> tuple[IndicatorLamp | None, dict[str, list[str]]]:
    """The lamp the typed ``raw`` values would give, for the form's live lamps; nothing is stored."""
    _check_period(year, month)
    department, unit = access.require_report_scope(user, unit_code, department_code)
    indicator = next((i for i in _indicators(department, unit, year) if i.id == indicator_id), None)
    if indicator is None:
        raise NotFound(f"indicator {indicator_id}")
    values, errors = _parse(indicator, raw, current_rule_pack())
    if errors:
        return None, errors
    return lamp_for(indicator, values, month, current_rule_pack()), {}


def typed_lamps(data: ReportData, typed: Mapping[int, Mapping[str, Any]]) -> dict[int, IndicatorLamp]:
    """Lamps from values typed but not saved (a form shown again after an error)."""
    pack = current_rule_pack()
    lamps = {}
    for row in data.rows:
        raw = typed.get(row.indicator.id)
        if raw is None or row.indicator.computed_metric:
            continue
        values, errors = _parse(row.indicator, raw, pack)
        if not errors:
            lamps[row.indicator.id] = lamp_for(row.indicator, values, data.month, pack)
    return lamps


# ---------------------------------------------------------------- writing


def _parse(
    indicator: Indicator, raw: Mapping[str, Any], pack: RulePack
) -> tuple[RowValues, dict[str, list[str]]]:
    return parse_row(
        raw,
        qualitative=indicator.comparator == "QUALITATIVE",
        unit=indicator.target_unit,
        target_max=_target_max(indicator),
        bands=_bands(pack),
    )


def _load_for_write(
    user: User, unit_code: str | None, year: int, month: int, department_code: str | None, version: int | None
) -> tuple[Department, Unit | None, MonthlyReport | None]:
    _check_period(year, month)
    department, unit = access.require_report_scope(user, unit_code, department_code)
    report = _find_report(department, unit, year, month)
    if version is not None and version != (report.version if report else 0):
        raise _conflict(report)
    return department, unit, report


def _conflict(report: MonthlyReport | None) -> Conflict:
    if report is None:
        return Conflict(None, None, 0)
    who = db.session.get(User, report.updated_by_id) if report.updated_by_id else None
    return Conflict(who.username if who else None, report.updated_at, report.version)


def _audit_scope(department: Department, unit: Unit | None, year: int, month: int) -> dict[str, Any]:
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
) -> MonthlyReport:
    """Check every typed value, then write them all (or raise ValidationFailed and write nothing)."""
    if not access.can_write_report(user, department.id, unit.id if unit else None):
        raise access.refuse(user, f"write report {scope_key(department, unit)}")
    if report is not None and report.status != "draft":
        raise InvalidState(
            gettext("已审核的报告已锁定，需财政局解锁后才能修改。")
            if report.status == "approved"
            else gettext("报告已提交，等待审核，不能修改。")
        )
    indicators = {i.id: i for i in _indicators(department, unit, year)}
    pack = current_rule_pack()
    errors: dict[str, list[str]] = {}
    parsed: dict[int, tuple[Indicator, RowValues, Mapping[str, Any]]] = {}
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
        row, row_errors = _parse(indicator, raw, pack)
        for name, messages in row_errors.items():
            errors.setdefault(f"{indicator.id}.{name}", []).extend(messages)
        parsed[indicator.id] = (indicator, row, raw)
    if errors:
        raise ValidationFailed(errors)

    if report is None:
        report = _new_draft(department, unit, year, month)
        audit.record(
            "create",
            "monthly_report",
            user=user,
            field="status",
            new="draft",
            **_audit_scope(department, unit, year, month),
        )
    existing = {a.indicator_id: a for a in report.actuals}
    for indicator, row, raw in parsed.values():
        stored = existing.get(indicator.id)
        if stored is None:
            stored = IndicatorActual(indicator_id=indicator.id, computed=bool(indicator.computed_metric))
            report.actuals.append(stored)
        columns = {c for f in raw if f in ROW_FIELDS for c in _FIELD_COLUMNS[f]}
        for column in ACTUAL_VALUE_FIELDS:
            if column not in columns:
                continue
            old, new = getattr(stored, column), getattr(row, column)
            if _same(old, new):
                continue
            setattr(stored, column, new)
            audit.record(
                "update",
                "indicator_actual",
                user=user,
                entity_id=indicator.id,
                field=f"{indicator.name}·{column}",
                old=old,
                new=new,
                **_audit_scope(department, unit, year, month),
            )
    report.updated_at = utcnow()
    report.updated_by_id = user.id
    return report


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) and isinstance(new, Decimal):
        return old == new
    return old == new


def _commit(report: MonthlyReport) -> None:
    try:
        db.session.commit()
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
    department, unit, report = _load_for_write(user, unit_code, year, month, department_code, version)
    report = _apply_values(user, department, unit, report, year, month, values)
    _commit(report)
    return report


def _completeness_errors(data: ReportData) -> dict[str, list[str]]:
    """What stops a submission: missing actuals, and yellow/red lamps without cause and measure (SPEC §5)."""
    errors: dict[str, list[str]] = {}
    for row in data.rows:
        stored = row.values
        key = f"{row.indicator.id}."
        typed = not row.indicator.computed_metric
        if typed and (stored is None or (stored.grade if row.qualitative else stored.actual) is None):
            errors[key + "actual"] = [
                gettext("请选择完成情况") if row.qualitative else gettext("请填写实际完成值")
            ]
            continue
        # A computed metric's lamp is the department's to explain like any other (SPEC §5).
        if needs_deviation_cause(row.lamp.status):
            cause: RowValues | IndicatorActual = stored or RowValues()
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
) -> MonthlyReport:
    """提交: optionally save ``values`` first, then submit when complete; all in one transaction."""
    department, unit, report = _load_for_write(user, unit_code, year, month, department_code, version)
    report = _apply_values(user, department, unit, report, year, month, values or {})
    db.session.flush()
    data = get_report(user, unit_code, year, month, department_code=department_code)
    errors = _completeness_errors(data)
    if not data.rows:
        errors["indicators"] = [gettext("此报告没有指标，无需提交")]
    if errors:
        db.session.rollback()
        raise ValidationFailed(errors)
    _set_status(user, report, "submitted", department, unit)
    report.submitted_at = utcnow()
    report.submitted_by_id = user.id
    report.return_reason = None
    _commit(report)
    log.info("report submitted: %s %s-%s by %s", report.scope_key, year, month, user.username)
    return report


def _set_status(
    user: User,
    report: MonthlyReport,
    status: str,
    department: Department,
    unit: Unit | None,
    reason: str | None = None,
) -> None:
    audit.record(
        {"submitted": "submit", "approved": "approve"}.get(status, "status"),
        "monthly_report",
        user=user,
        entity_id=report.id,
        field="status",
        old=report.status,
        new=status,
        **_audit_scope(department, unit, report.year, report.month),
    )
    if reason:
        audit.record(
            "return",
            "monthly_report",
            user=user,
            entity_id=report.id,
            field="return_reason",
            old=report.return_reason,
            new=reason,
            **_audit_scope(department, unit, report.year, report.month),
        )
    report.status = status
    report.updated_at = utcnow()
    report.updated_by_id = user.id


def _load_for_review(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    department_code: str | None,
    version: int | None,
    expected_status: str,
    action: str,
) -> tuple[Department, Unit | None, MonthlyReport]:
    department, unit, report = _load_for_write(user, unit_code, year, month, department_code, version)
    allowed = (
        access.can_unlock_report(user)
        if action == "unlock"
        else access.can_review_report(user, department.id, unit.id if unit else None)
    )
    if not allowed:
        raise access.refuse(user, f"{action} report {scope_key(department, unit)}")
    if report is None or report.status != expected_status:
        state = gettext(STATUS_LABELS.get(report.status, report.status)) if report else gettext("未填报")
        raise InvalidState(gettext("报告当前状态为“%(state)s”，不能执行此操作。", state=state))
    return department, unit, report


def approve_report(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    version: int | None,
    *,
    department_code: str | None = None,
) -> MonthlyReport:
    """审核通过: a submitted report becomes approved, and its month is locked."""
    department, unit, report = _load_for_review(
        user, unit_code, year, month, department_code, version, "submitted", "approve"
    )
    _set_status(user, report, "approved", department, unit)
    report.approved_at = utcnow()
    report.approved_by_id = user.id
    _commit(report)
    return report


def return_report(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    version: int | None,
    reason: str,
    *,
    department_code: str | None = None,
) -> MonthlyReport:
    """退回: a submitted report goes back to draft with the reviewer's reason (shown to the reporter)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [gettext("请填写退回原因")]})
    if len(reason) > 2000:
        raise ValidationFailed({"reason": [gettext("退回原因最多 2000 个字")]})
    department, unit, report = _load_for_review(
        user, unit_code, year, month, department_code, version, "submitted", "return"
    )
    _set_status(user, report, "draft", department, unit, reason=reason)
    report.return_reason = reason
    _commit(report)
    return report


def unlock_report(
    user: User,
    unit_code: str | None,
    year: int,
    month: int,
    version: int | None,
    *,
    department_code: str | None = None,
) -> MonthlyReport:
    """解锁 (finance only): an approved report goes back to draft so it can be corrected."""
    department, unit, report = _load_for_review(
        user, unit_code, year, month, department_code, version, "approved", "unlock"
    )
    _set_status(user, report, "draft", department, unit)
    report.approved_at = None
    report.approved_by_id = None
    _commit(report)
    return report
