"""``flask --app wsgi tracker doctor``: what this installation needs, one line each — ``OK`` and what
was found, or ``FAIL``, why, and what to do — and exit status 1 on any FAIL (issue 12 §12).

It looks at the Chinese font the PDFs need, the database, its migrations, the SMTP server the
packages go through, and the scheduler process that holds the leader lock. It changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import click
from alembic.migration import MigrationContext
from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from tracker.core.mail import MailError, check_server
from tracker.extensions import db
from tracker.ops import code_heads
from tracker.reports.fonts import INSTALL, MissingFont, require_cjk_font
from tracker.scheduler.lock import LeaderLock
from tracker.scheduler.models import JobRun

__all__ = ["Finding", "CHECKS", "doctor_command"]


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def lines(self) -> list[str]:
        if self.ok:
            return [f"OK   {self.name}：{self.detail}"]
        return [f"FAIL {self.name}：{self.detail}", f"     处理：{self.fix}"]


def fonts() -> Finding:
    try:
        return Finding("中文字体", True, f"{require_cjk_font()}（fontconfig；PDF 报表所需）")
    except MissingFont as exc:
        return Finding("中文字体", False, str(exc), f"以管理员身份运行 {INSTALL}，然后重启 Web 与调度进程")


def _where() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def database() -> Finding:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            version = connection.dialect.server_version_info or ()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        return Finding(
            "数据库", False, f"无法连接 {_where()}（{reason}）", "检查 DATABASE_URL，确认数据库服务在运行"
        )
    kind = " ".join(filter(None, [db.engine.dialect.name, ".".join(str(part) for part in version)]))
    return Finding("数据库", True, f"{_where()} 可连接（{kind}）")


def migrations() -> Finding:
    expected = code_heads(current_app.extensions["migrate"].directory)
    try:
        with db.engine.connect() as connection:
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError:
        return Finding("数据库迁移", False, "未能检查（数据库无法连接）", "先让数据库可连接")
    if current != expected:
        at = f"数据库在 {'、'.join(sorted(current))}" if current else "数据库尚未建表"
        return Finding(
            "数据库迁移",
            False,
            f"{at}，代码需要 {'、'.join(sorted(expected))}",
            "运行 flask --app wsgi db upgrade",
        )
    return Finding("数据库迁移", True, f"已是最新（{'、'.join(sorted(current))}）")


def smtp() -> Finding:
    config = current_app.config
    where = f"{config['SMTP_HOST']}:{config['SMTP_PORT']}（{config.get('SMTP_SECURITY') or 'none'}）"
    try:
        greeting = check_server()
    except MailError as exc:
        return Finding(
            "邮件服务器",
            False,
            f"{where} 无法连接或登录（{exc}）",
            "检查 SMTP_HOST、SMTP_PORT、SMTP_SECURITY、SMTP_USER、SMTP_PASSWORD，确认邮件服务器在运行",
        )
    return Finding("邮件服务器", True, f"{where} 应答：{greeting}")


def _last_run() -> str:
    try:
        run = db.session.scalar(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1))
    except SQLAlchemyError as exc:
        return f"运行记录无法读取（{str(getattr(exc, 'orig', exc)).splitlines()[0]}）"
    finally:
        db.session.remove()
    if run is None:
        return "尚无运行记录"
    return f"最近一次运行：{run.job} {run.period} {run.status}（{run.started_at:%Y-%m-%d %H:%M}，{run.host}）"


def scheduler() -> Finding:
    lock = LeaderLock(current_app.config["SQLALCHEMY_DATABASE_URI"], current_app.instance_path)
    try:
        holder = lock.holder()
    except (SQLAlchemyError, OSError) as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        return Finding("调度进程", False, f"未能检查主锁（{reason}）", "先让数据库可连接")
    last = _last_run()
    if holder is None:
        return Finding(
            "调度进程",
            False,
            f"没有调度进程持有主锁，定时任务（报送、提醒、评价）不会运行；{last}",
            "启动 flask --app wsgi tracker scheduler（make scheduler）",
        )
    return Finding("调度进程", True, f"主进程 {holder}；{last}")


#: The checks in the order they are shown.
CHECKS: tuple[Callable[[], Finding], ...] = (fonts, database, migrations, smtp, scheduler)


@click.command("doctor")
def doctor_command() -> None:
    """检查本机运行所需：中文字体、数据库、迁移、邮件服务器、调度主进程（任何一项 FAIL 时退出码为 1）。"""
    findings = [check() for check in CHECKS]
    for finding in findings:
        for line in finding.lines():
            click.echo(line)
    failed = [finding.name for finding in findings if not finding.ok]
    if failed:
        click.echo(f"{len(failed)} 项未通过：{'、'.join(failed)}", err=True)
        raise SystemExit(1)
