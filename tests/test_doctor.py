"""``flask --app wsgi tracker doctor`` in a process of its own (issue 12 §12): one line per check — the
Chinese font, the database, its migrations, the SMTP server (a real one on a loopback port), the
scheduler's leader — OK, or FAIL with what to do, and exit status 1 on any FAIL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import SmtpServer, free_port, fresh_database
from tests.reports.test_fonts import empty_fontconfig
from tests.test_command_line import CommandLine
from tracker.scheduler.lock import LeaderLock


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory):
    """A migrated, empty database and the command line over it."""
    tmp = tmp_path_factory.mktemp("doctor")
    with fresh_database(tmp) as url:
        run = CommandLine(url, tmp)
        done = run("db", "upgrade")
        assert done.returncode == 0, done.stderr
        yield url, run


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def leader(migrated):
    """A scheduler leader holding the lock, as ``tracker scheduler`` does."""
    url, run = migrated
    lock = LeaderLock(url, Path(__file__).resolve().parent.parent / "instance")
    assert lock.acquire()
    yield lock
    lock.release()


def doctor(run: CommandLine, **env: str):
    saved = dict(run.env)
    run.env.update(env)
    try:
        done = run("tracker", "doctor")
    finally:
        run.env.clear()
        run.env.update(saved)
    lines = {
        match[2]: (match[1], match[3])
        for match in re.finditer(r"^(OK|FAIL) +(\S+?)：(.*)$", done.stdout, flags=re.MULTILINE)
    }
    return done, lines


def test_everything_in_order_is_ok_and_exits_0(migrated, smtp, leader):
    _, run = migrated

    done, lines = doctor(run, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port))

    assert done.returncode == 0, done.stdout + done.stderr
    assert list(lines) == ["中文字体", "数据库", "数据库迁移", "邮件服务器", "调度进程"]
    assert {status for status, _ in lines.values()} == {"OK"}
    assert "Noto Sans CJK" in lines["中文字体"][1]
    assert f"127.0.0.1:{smtp.port}" in lines["邮件服务器"][1]
    assert "尚无运行记录" in lines["调度进程"][1]
    assert smtp.inbox.messages == [], "the check sends nothing"


def test_a_missing_font_a_dead_smtp_server_and_no_leader_each_fail_with_what_to_do(migrated):
    _, run = migrated

    done, lines = doctor(
        run, SMTP_HOST="127.0.0.1", SMTP_PORT=str(free_port()), FONTCONFIG_FILE=empty_fontconfig(run.files)
    )

    assert done.returncode == 1
    assert {name: status for name, (status, _) in lines.items()} == {
        "中文字体": "FAIL",
        "数据库": "OK",
        "数据库迁移": "OK",
        "邮件服务器": "FAIL",
        "调度进程": "FAIL",
    }
    assert "处理：以管理员身份运行 apt-get install fonts-noto-cjk" in done.stdout
    assert "处理：检查 SMTP_HOST、SMTP_PORT" in done.stdout
    assert "处理：启动 flask --app wsgi tracker scheduler" in done.stdout
    assert "3 项未通过：中文字体、邮件服务器、调度进程" in done.stderr


def test_a_database_behind_its_migrations_fails_with_the_upgrade_line(tmp_path, smtp):
    with fresh_database(tmp_path) as url:
        run = CommandLine(url, tmp_path)

        done, lines = doctor(run, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port))

    assert done.returncode == 1
    assert lines["数据库"][0] == "OK" and lines["数据库迁移"][0] == "FAIL"
    assert "数据库尚未建表" in lines["数据库迁移"][1]
    assert "处理：运行 flask --app wsgi db upgrade" in done.stdout


def test_an_unreachable_database_fails(tmp_path, smtp):
    run = CommandLine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}", tmp_path)

    done, lines = doctor(run, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port))

    assert done.returncode == 1 and lines["数据库"][0] == "FAIL"
    assert "处理：检查 DATABASE_URL" in done.stdout
