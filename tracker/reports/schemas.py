"""marshmallow schemas of the 报送 forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from tracker.core.forms import FormSchema
from tracker.reports.models import REPORT_KINDS


class SendForm(FormSchema):
    """Send a package now (/deliveries)."""

    kind = fields.String(required=True, validate=validate.OneOf(REPORT_KINDS), metadata={"label": _l("报表")})
    department = fields.String(
        required=True, validate=validate.Length(min=1, max=32), metadata={"label": _l("部门")}
    )
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100), metadata={"label": _l("年度")})
    month = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 12), metadata={"label": _l("月份")}
    )

    @validates_schema
    def month_for_monthly_kinds(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("kind") != "self-assessment" and not data.get("month"):
            raise ValidationError(_l("绩效监控和预算执行进度报表需要月份。"), "month")


class RecipientsForm(FormSchema):
    """Recipients of the bureau (``department`` empty) or of one department."""

    department = fields.String(
        load_default="", validate=validate.Length(max=32), metadata={"label": _l("部门")}
    )
    emails = fields.String(
        load_default="", validate=validate.Length(max=2000), metadata={"label": _l("收件地址")}
    )


class DashboardQuery(Schema):
    """/dashboard's query. Parameters it does not know (``utm_source``, a stale bookmark's) are left
    out, not refused: a link is not broken by what a mailer or a browser adds to it."""

    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))
    month = fields.Integer(load_default=None, validate=validate.Range(1, 12))
    department = fields.String(load_default=None, validate=validate.Length(max=32))
    bureau = fields.String(load_default=None, validate=validate.Length(max=32))
