"""The base of every marshmallow schema that reads a browser's form.

A browser posts every control it renders: the CSRF token, and an empty string for a number the
clerk left blank. Both are part of the form, not of the data: the token is checked by Flask-WTF
before the view runs, and an empty input means "not given". A clerk is told, in Chinese, which
field is wrong and why — never marshmallow's own English text.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate

#: Hidden fields every form carries that are not data (Flask-WTF has checked the token already).
FORM_CONTROL_FIELDS = frozenset({"csrf_token"})

_REQUIRED = _l("必须填写")
_BY_TYPE: tuple[tuple[type[fields.Field], Any], ...] = (
    (fields.Integer, _l("须为整数")),
    (fields.Decimal, _l("须为数字")),
    (fields.Date, _l("须为日期（YYYY-MM-DD）")),
    (fields.Boolean, _l("须为是或否")),
)
_INVALID = _l("格式不正确")
_UNKNOWN = _l("不是本表单的字段")
_RANGE = _l("须在 {min} 到 {max} 之间")
_LENGTH_MAX = _l("最多 {max} 个字符")
_LENGTH = _l("长度须在 {min} 到 {max} 个字符之间")
_ONE_OF = _l("不是可选的值")


def _chinese_validator(validator: Any) -> None:
    if isinstance(validator, validate.Range):
        validator.error = _RANGE
    elif isinstance(validator, validate.Length):
        validator.error = _LENGTH if validator.min else _LENGTH_MAX
    elif isinstance(validator, validate.OneOf):
        validator.error = _ONE_OF


class FormSchema(Schema):
    """A schema over ``request.form``: unknown fields are still refused, the token is not unknown,
    an empty input is the same as an absent one (so ``load_default`` applies), and every message
    is Chinese. Fields name themselves for the clerk with ``metadata={"label": "年度"}``."""

    error_messages = {"unknown": _UNKNOWN}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        invalid = next((text for kind, text in _BY_TYPE if isinstance(field_obj, kind)), _INVALID)
        field_obj.error_messages = {
            **field_obj.error_messages,
            "required": _REQUIRED,
            "null": _REQUIRED,
            "invalid": invalid,
        }
        for validator in field_obj.validators:
            _chinese_validator(validator)

    @pre_load
    def drop_form_controls(self, data: Any, **_kwargs: Any) -> Any:
        if not hasattr(data, "items"):
            return data
        return {
            key: value
            for key, value in data.items()
            if key not in FORM_CONTROL_FIELDS and not (isinstance(value, str) and value.strip() == "")
        }

    def error_text(self, error: ValidationError) -> str:
        """One line for a flash message: ``年度：须为整数；月份：须在 1 到 12 之间``."""
        parts = []
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        for name, texts in messages.items():
            field = self.fields.get(str(name))
            label = field.metadata.get("label") if field is not None else None
            label = gettext(label) if label else (None if name == "_schema" else str(name))
            for text in texts if isinstance(texts, list) else [texts]:
                shown = str(text)
                parts.append(f"{label}：{shown}" if label else shown)
        return "；".join(parts)
