"""``flask tracker create-token USERNAME [--expires DAYS] [--name …]``: the token is printed once,
alone on the last line, so scripts can take it with ``| tail -1``."""

from __future__ import annotations

import click

from tracker.api.tokens import MAX_EXPIRES_DAYS, TokenError, issue_token_for


@click.command("create-token")
@click.argument("username")
@click.option(
    "--expires",
    "expires_days",
    type=click.IntRange(1, MAX_EXPIRES_DAYS),
    default=None,
    help="有效天数（缺省：不过期）",
)
@click.option("--name", default="", help="令牌名称（如用途）")
def create_token_command(username: str, expires_days: int | None, name: str) -> None:
    """为用户创建个人 API 令牌（只显示一次）。"""
    try:
        issued = issue_token_for(username, name=name, expires_days=expires_days)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from exc
    token = issued.token
    expires = token.expires_at.strftime("%Y-%m-%d %H:%M UTC") if token.expires_at else "不过期"
    click.echo(
        f"已为 {username} 创建 API 令牌 {token.prefix}…（{expires}）。令牌只显示这一次，请妥善保存：",
        err=True,
    )
    click.echo(issued.secret)
