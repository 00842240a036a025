"""``flask tracker create-user``."""

from __future__ import annotations

import click

from tracker.auth import services
from tracker.auth.models import ROLES


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="reporter|department|finance|admin")
@click.option("--unit", "unit_code", help="预算单位编码 (reporter)")
@click.option("--department", "department_code", help="部门编码 (department)")
@click.option("--bureau", "bureau_code", help="财政局编码 (finance; 已导入财政局层级时必填)")
@click.option("--display-name", default="", help="显示名称")
@click.option("--email", default=None, help="电子邮箱（逾期提醒、报送通知）")
@click.option(
    "--password",
    prompt="密码",
    hide_input=True,
    confirmation_prompt="再次输入密码",
    help="omitted: asked for without echo",
)
def create_user_command(
    username: str,
    role: str,
    unit_code: str | None,
    department_code: str | None,
    bureau_code: str | None,
    display_name: str,
    email: str | None,
    password: str,
) -> None:
    """Create a user (填报员/部门管理员/财政局/系统管理员)."""
    try:
        user = services.create_user(
            username,
            password,
            role,
            unit_code=unit_code,
            department_code=department_code,
            bureau_code=bureau_code,
            display_name=display_name,
            email=email,
        )
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已创建用户 {user.username}（{user.role}）")
