"""Login and password forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from tracker.auth.services import EMAIL_PATTERN, MAX_EMAIL_LENGTH, MIN_PASSWORD_LENGTH


def _new_password_rules(required: object) -> list:
    """The rules of a password being set, wherever it is set (account, user page)."""
    return [DataRequired(required), Length(min=MIN_PASSWORD_LENGTH, message=_l("密码至少 8 个字符。"))]


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名。")), Length(max=80)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码。"))])


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField(_l("原密码"), validators=[DataRequired(_l("请输入原密码。"))])
    new_password = PasswordField(_l("新密码"), validators=_new_password_rules(_l("请输入新密码。")))
    confirm = PasswordField(
        _l("确认新密码"), validators=[EqualTo("new_password", message=_l("两次输入的新密码不一致。"))]
    )


# ---------------------------------------------------------------- 用户管理 (/users, 系统管理员)

_EMAIL = Regexp(EMAIL_PATTERN, message=_l("电子邮箱格式不正确。"))


class PlacementForm(FlaskForm):
    """Role and where the user belongs; choices are filled by the view. Unknown values are left to the
    service, which refuses them with a Chinese message (WTForms' own would be English)."""

    role = SelectField(_l("角色"), validate_choice=False)
    unit_code = SelectField(_l("预算单位"), validate_choice=False)
    department_code = SelectField(_l("部门"), validate_choice=False)
    bureau_code = SelectField(_l("财政局"), validate_choice=False)
    display_name = StringField(
        _l("显示名称"), validators=[Optional(), Length(max=100, message=_l("显示名称最多 100 个字符。"))]
    )
    email = StringField(
        _l("电子邮箱"),
        validators=[
            Optional(),
            Length(max=MAX_EMAIL_LENGTH, message=_l("电子邮箱最多 200 个字符。")),
            _EMAIL,
        ],
    )

    def validate_unit_code(self, field: Field) -> None:
        if self.role.data == "reporter" and not field.data:
            raise ValidationError(_l("填报员必须选择预算单位。"))

    def validate_department_code(self, field: Field) -> None:
        if self.role.data == "department" and not field.data:
            raise ValidationError(_l("部门管理员必须选择部门。"))


class UserCreateForm(PlacementForm):
    username = StringField(
        _l("用户名"),
        validators=[
            DataRequired(_l("请输入用户名。")),
            Length(max=80, message=_l("用户名最多 80 个字符。")),
        ],
    )
    password = PasswordField(_l("密码"), validators=_new_password_rules(_l("请输入密码。")))
    confirm = PasswordField(
        _l("确认密码"), validators=[EqualTo("password", message=_l("两次输入的密码不一致。"))]
    )


class UserEditForm(PlacementForm):
    pass


class PasswordResetForm(FlaskForm):
    new_password = PasswordField(_l("新密码"), validators=_new_password_rules(_l("请输入新密码。")))
    confirm = PasswordField(
        _l("确认新密码"), validators=[EqualTo("new_password", message=_l("两次输入的新密码不一致。"))]
    )


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token (停用 / 启用)."""
