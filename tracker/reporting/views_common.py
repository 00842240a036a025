"""What every page of monthly reporting shares: the blueprint ``reporting``, the login requirement,
the labels the templates use, and the address of a report's scope.

The pages are in :mod:`~tracker.reporting.views_report` (the report form, lamps, review actions,
evidence), :mod:`~tracker.reporting.views_pages` (home, review queue, audit, project, deadlines)
and :mod:`~tracker.reporting.views_imports`; :mod:`tracker.reporting.views` puts them together.
Views are thin: read the request, call a service (which checks access and owns the transaction), render.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from tracker import rules
from tracker.core.text import N_
from tracker.reporting.reading import ReportData
from tracker.reporting.transitions import STATUS_LABELS

bp = Blueprint("reporting", __name__)

#: Form keys that are not indicator values; anything else not matching ``i<id>.<field>`` is refused.
CONTROL_KEYS = {"csrf_token", "base_version", "action", "reason", "confirm_plausible"}


#: Labels kept as plain Chinese in services, listed here so the catalog has them.
_CATALOG = (
    N_("草稿"),
    N_("已提交"),
    N_("已审核"),
    N_("累计型"),
    N_("水平型"),
    N_("上限型"),
    N_("定性"),
    N_("预算执行"),
    N_("绩效目标"),
    N_("项目预算"),
    N_("支出"),
    N_("部门预算"),
    N_("实际完成值"),
    # The form's choices (GRADES, LIKELIHOODS, DEVIATION_CATEGORIES), shown translated.
    N_("达成"),
    N_("部分达成"),
    N_("未达成"),
    N_("确定能"),
    N_("有可能"),
    N_("完全不可能"),
    N_("经费保障"),
    N_("制度保障"),
    N_("人员保障"),
    N_("硬件条件保障"),
    N_("其他"),
)
MODE_LABELS = {
    "cumulative": "累计型",
    "level": "水平型",
    "cap": "上限型",
    "qualitative": "定性",
    "budget": "预算执行",
}
LAMP_LABELS = rules.LAMP_NAMES


@bp.before_request
@login_required
def _require_login() -> None:
    """Every page here needs a logged-in user."""


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "STATUS_LABELS": STATUS_LABELS,
        "MODE_LABELS": MODE_LABELS,
        "LAMP_LABELS": LAMP_LABELS,
        "plain": plain,
    }


def plain(value: Any) -> str:
    """A stored number as typed in an input: no grouping, no trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def scope_url(endpoint: str, data: ReportData, **extra: Any) -> str:
    """The address of ``endpoint`` for the report's scope: a unit's, or the department's ``…_department``."""
    month = extra.pop("month", data.month)
    if data.unit is not None:
        return url_for(
            f"reporting.{endpoint}", unit_code=data.unit.code, year=data.year, month=month, **extra
        )
    return url_for(
        f"reporting.{endpoint}_department",
        dept_code=data.department.code,
        year=data.year,
        month=month,
        **extra,
    )


def scope_args(unit_code: str | None, dept_code: str | None) -> dict[str, Any]:
    """The services' keyword for a 部门整体 report (addressed by department, not unit)."""
    return {"department_code": dept_code} if unit_code is None else {}


def refused_fields(names: list[str]) -> ResponseReturnValue:
    """The 400 page for a form that sets fields it may not."""
    return render_template(
        "home/error.html", code=400, message=_("表单包含不允许设置的字段：%(names)s", names="、".join(names))
    ), 400
