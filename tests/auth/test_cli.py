"""``flask tracker create-user`` and the demo accounts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import DepartmentFactory, UnitFactory
from tracker.auth.demo_users import DEMO_PASSWORD, ensure_demo_users
from tracker.auth.models import User
from tracker.auth.services import verify_password
from tracker.core.audit import AuditEntry


def _user(session, username):
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def test_create_user_makes_a_reporter_of_a_unit(cli, world, session):
    result = cli.invoke(
        args=[
            "tracker",
            "create-user",
            "newrep",
            "--role",
            "reporter",
            "--unit",
            "801001",
            "--password",
            "long enough",
        ]
    )
    assert result.exit_code == 0, result.output
    user = _user(session, "newrep")
    assert (user.role, user.unit.code) == ("reporter", "801001")
    assert verify_password(user, "long enough")
    assert "long enough" not in user.password_hash


def test_create_user_stores_the_e_mail_address_reminders_go_to(cli, world, session):
    result = cli.invoke(
        args=[
            "tracker",
            "create-user",
            "rep2",
            "--role",
            "reporter",
            "--unit",
            "801001",
            "--email",
            " rep2@example.invalid ",
            "--password",
            "long enough",
        ]
    )
    assert result.exit_code == 0, result.output
    assert _user(session, "rep2").email == "rep2@example.invalid"


def test_create_user_prompts_for_the_password_when_not_given(cli, world, session):
    result = cli.invoke(
        args=["tracker", "create-user", "fin2", "--role", "finance"], input="secret-pass\nsecret-pass\n"
    )
    assert result.exit_code == 0, result.output
    assert verify_password(_user(session, "fin2"), "secret-pass")


def test_creating_a_user_is_audited(cli, world, session):
    cli.invoke(
        args=[
            "tracker",
            "create-user",
            "dep2",
            "--role",
            "department",
            "--department",
            "801",
            "--password",
            "long enough",
        ]
    )
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.action == "create")
    )
    assert (entry.new_value, entry.department_code) == ("department", "801")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x1", "--role", "reporter"], "填报员必须指定 --unit"),
        (["x2", "--role", "reporter", "--unit", "000000"], "预算单位“000000”不存在"),
        (["x3", "--role", "department"], "部门管理员必须指定 --department"),
        (["x4", "--role", "finance", "--unit", "801001"], "不属于某个单位或部门"),
        (["r801001", "--role", "finance"], "已存在"),
        (["x5", "--role", "admin", "--password", "short"], "密码至少 8 个字符"),
        (
            ["x6", "--role", "finance", "--email", "finance at bureau"],
            "电子邮箱“finance at bureau”格式不正确",
        ),
    ],
)
def test_create_user_refuses_bad_input(cli, world, args, message):
    if "--password" not in args:
        args = [*args, "--password", "long enough"]
    result = cli.invoke(args=["tracker", "create-user", *args])
    assert result.exit_code != 0
    assert message in result.output + (result.stderr if hasattr(result, "stderr") else "")


def test_an_unknown_role_is_refused(cli, world):
    result = cli.invoke(args=["tracker", "create-user", "x", "--role", "boss", "--password", "long enough"])
    assert result.exit_code == 2


def test_demo_users_are_created_once_with_the_demo_password(session):
    department = DepartmentFactory(code="122")
    for code in ("122101", "122201", "122301"):
        UnitFactory(department=department, code=code)
    session.commit()
    assert sorted(ensure_demo_users()) == ["dept122", "finance", "unit122101", "unit122201", "unit122301"]
    assert ensure_demo_users() == []
    unit_user = _user(session, "unit122201")
    assert unit_user.unit.code == "122201" and verify_password(unit_user, DEMO_PASSWORD)
    assert _user(session, "dept122").department.code == "122"
