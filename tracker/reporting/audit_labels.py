"""The 审计日志 page in words (issue 11 §5): an entry stores codes (``approve``, ``monthly_report``,
``status``, ``submitted``); the page shows each in the reader's language, never the code. A code
without a label (one added later) is shown as stored."""

from __future__ import annotations

from flask_babel import gettext

from tracker.auth.i18n import role_label
from tracker.core.text import N_
from tracker.reporting.models import DEVIATION_CATEGORIES, GRADES, LIKELIHOODS
from tracker.reporting.transitions import STATUS_LABELS
from tracker.rules import NOT_APPLICABLE_GRADE

__all__ = ["action_label", "entity_label", "field_label", "value_label"]

ACTIONS = {
    "create": N_("新建"),
    "update": N_("修改"),
    "import": N_("导入"),
    "move": N_("移动"),
    "resend": N_("重新发送"),
    "submit": N_("提交"),
    "approve": N_("审核通过"),
    "return": N_("退回"),
    "unlock": N_("解锁"),
    "status": N_("状态变更"),
    "review": N_("审核意见"),
    "upload": N_("上传"),
    "delete": N_("删除"),
    "revoke": N_("撤销"),
}
ENTITIES = {
    "monthly_report": N_("月报"),
    "indicator_actual": N_("实际完成值"),
    "indicator": N_("指标"),
    "project": N_("项目"),
    "user": N_("用户账户"),
    "bureau": N_("财政局"),
    "department": N_("部门"),
    "delivery": N_("报送记录"),
    "evidence": N_("佐证材料"),
    "api_token": N_("API令牌"),
    "reporting_deadline": N_("填报截止日期"),
    "reviewer_override": N_("审核意见"),
}
FIELDS = {
    "status": N_("状态"),
    "actual": N_("实际完成值"),
    "grade": N_("完成等级"),
    "grade_percent": N_("档内百分比"),
    "forecast": N_("全年预计完成值"),
    "forecast_grade": N_("全年预计等级"),
    "likelihood": N_("完成目标可能性"),
    "deviation_category": N_("偏差原因类别"),
    "deviation_cause": N_("原因说明"),
    "corrective_measure": N_("改进措施"),
    "return_reason": N_("退回原因"),
    "unlock_reason": N_("解锁原因"),
    "target": N_("指标值"),
    "level1": N_("一级指标"),
    "level2": N_("二级指标"),
    "note": N_("说明"),
    "weight": N_("分值"),
    "name": N_("名称"),
    "initial_budget": N_("年初预算"),
    "general_budget": N_("一般公共预算"),
    "code": N_("编码"),
    "bureau": N_("财政局"),
    "bureau_id": N_("财政局"),
    "due_date": N_("截止日期"),
    "evidence": N_("佐证材料"),
    "password": N_("密码"),
    "prefix": N_("令牌前缀"),
    "role": N_("角色"),
    "sessions": N_("登录会话"),
    "active": N_("启用"),
    "unit": N_("单位"),
    "department": N_("部门"),
    "display_name": N_("显示名称"),
    "email": N_("邮箱"),
    "qualitative_percent": N_("档内百分比"),
    "overachieved": N_("指标值设定偏低"),
    "not_applicable_zero": N_("不适用计零分"),
}
#: Values that are words of the form's choices (达成, 有可能, 人员保障): translated too, whatever
#: the field (an imported qualitative actual is stored under ``actual``).
CHOICES = frozenset((*GRADES, NOT_APPLICABLE_GRADE, *LIKELIHOODS, *DEVIATION_CATEGORIES))
BOOLEANS = {"True": N_("是"), "False": N_("否")}


def _label(labels: dict[str, str], code: str | None) -> str:
    if not code:
        return ""
    return gettext(labels[code]) if code in labels else code


def action_label(code: str | None) -> str:
    return _label(ACTIONS, code)


def entity_label(code: str | None) -> str:
    return _label(ENTITIES, code)


def _column(field: str) -> tuple[str, str]:
    """An actual's field is stored as ``<indicator name>·<column>``: (name, column)."""
    name, _, column = field.rpartition("·")
    return name, column


def field_label(field: str | None) -> str:
    """The field in words; an indicator's name (data) is kept before its column's label."""
    if not field:
        return ""
    name, column = _column(field)
    label = _label(FIELDS, column)
    return f"{name}·{label}" if name else label


def value_label(field: str | None, value: str | None) -> str:
    """An old or new value: a status, a role, a choice or a yes/no in words; anything typed as is."""
    if value is None:
        return ""
    column = _column(field or "")[1]
    if column == "status" and value in STATUS_LABELS:
        return gettext(STATUS_LABELS[value])
    if column == "role":
        return role_label(value)
    if value in CHOICES:
        return gettext(value)
    if value in BOOLEANS:
        return gettext(BOOLEANS[value])
    return value
