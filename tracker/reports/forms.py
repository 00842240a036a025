"""The standard forms as plain data (项目支出绩效自评表, 部门整体绩效自评表, 绩效监控情况表, 预算执行进度表).

Built from the evaluation documents of SPEC §9 plus what the forms print beside them (names,
年初预算数, adjustments, 偏差原因, forecasts, 完成目标可能性, 年度总体目标), queried here. The XLSX and
PDF writers only lay these out, so both files always carry the same numbers.

One module per form — ``self_assessment_form``, ``monitoring_form``, ``execution_form`` — over
``form_indicators`` (what the two indicator forms share) and ``form_common`` (the package, labels,
money helpers). This module re-exports their names, so ``tracker.reports.forms`` stays the one
place to import a form from.
"""

from __future__ import annotations

from tracker.reports.execution_form import ExecutionRow, ExecutionSheet, execution_package
from tracker.reports.form_common import (
    KIND_TITLES,
    LAMP_TEXT,
    Package,
    cents,
    period_label,
    to_decimal,
)
from tracker.reports.form_indicators import actual_text, cause_text, forecast_text
from tracker.reports.monitoring_form import (
    MonitoredIndicator,
    MonitoringSheet,
    forecast_spending,
    monitoring_package,
)
from tracker.reports.self_assessment_form import (
    AssessedIndicator,
    FundRow,
    SelfAssessmentSheet,
    self_assessment_package,
)

__all__ = [
    "FundRow",
    "AssessedIndicator",
    "SelfAssessmentSheet",
    "MonitoredIndicator",
    "MonitoringSheet",
    "ExecutionRow",
    "ExecutionSheet",
    "Package",
    "LAMP_TEXT",
    "KIND_TITLES",
    "to_decimal",
    "self_assessment_package",
    "monitoring_package",
    "execution_package",
    "period_label",
    "cents",
    "actual_text",
    "cause_text",
    "forecast_text",
    "forecast_spending",
]
