"""marshmallow schemas of the 报送 forms."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tracker.reports.models import REPORT_KINDS


class SendForm(Schema):
    """Send a package now (/deliveries)."""

    kind = fields.String(required=True, validate=validate.OneOf(REPORT_KINDS))
    department = fields.String(required=True, validate=validate.Length(min=1, max=32))
    year = fields.Integer(required=True, validate=validate.Range(2000, 2100))
    month = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 12))

    @validates_schema
    def month_for_monthly_kinds(self, data, **_kwargs):
        if data.get("kind") != "self-assessment" and not data.get("month"):
            raise ValidationError("绩效监控和预算执行进度报表需要月份。", "month")


class RecipientsForm(Schema):
    """Recipients of the bureau (``department`` empty) or of one department."""

    department = fields.String(load_default="", validate=validate.Length(max=32))
    emails = fields.String(load_default="", validate=validate.Length(max=2000))


class DashboardQuery(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))
    month = fields.Integer(load_default=None, validate=validate.Range(1, 12))
    department = fields.String(load_default=None, validate=validate.Length(max=32))
