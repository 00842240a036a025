"""marshmallow schemas of reporting's browser queries."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, fields, validate

from tracker.core.forms import FormSchema
from tracker.reporting.audit_log import MAX_PAGE


class AuditQuery(FormSchema):
    """/audit's filters. Parameters it does not know are left out, not refused: a bookmark keeps working."""

    class Meta:
        unknown = EXCLUDE

    department = fields.String(
        load_default=None, validate=validate.Length(max=32), metadata={"label": _l("部门")}
    )
    unit = fields.String(load_default=None, validate=validate.Length(max=32), metadata={"label": _l("单位")})
    year = fields.Integer(
        load_default=None, validate=validate.Range(2000, 2100), metadata={"label": _l("年度")}
    )
    month = fields.Integer(load_default=None, validate=validate.Range(1, 12), metadata={"label": _l("月份")})
    page = fields.Integer(
        load_default=1, validate=validate.Range(1, MAX_PAGE), metadata={"label": _l("页码")}
    )
