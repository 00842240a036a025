"""用户管理 at /users (SPEC §1: the 系统管理员 manages users and roles; issue 3 §1, §5)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.conftest import login_as
from tracker.auth.models import User
from tracker.auth.services import verify_password
from tracker.core.audit import AuditEntry

NEW_USER = {
    "username": "newrep",
    "display_name": "新填报员",
    "email": "newrep@example.cn",
    "role": "reporter",
    "unit_code": "801002",
    "department_code": "",
    "password": "long enough",
    "confirm": "long enough",
}


def _user(session, username: str) -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.username == username))


def _audit(session, user: User, field: str) -> AuditEntry:
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "user", AuditEntry.entity_id == user.id, AuditEntry.field == field)
        .order_by(AuditEntry.id)
    ).all()[-1]


def _field_errors(page: str, field: str) -> list[str]:
    """The error messages shown beside the input ``field`` (in the same paragraph)."""
    match = re.search(rf'<p><label for="{field}">.*?</p>', page, re.S)
    assert match, f"no field {field} on the page"
    return re.findall(r'<span class="field-error"[^>]*>([^<]*)</span>', match.group(0))


def _edit(world, user, **changes) -> dict:
    fields = {
        "display_name": user.display_name or "",
        "email": user.email or "",
        "role": user.role,
        "unit_code": user.unit.code if user.unit else "",
        "department_code": user.department.code if user.department else "",
    }
    return {**fields, **changes}


@pytest.fixture
def admin(client, world):
    login_as(client, world.admin)
    return world.admin


def test_the_admin_sees_every_user_with_role_and_unit(client, admin):
    page = client.get("/users").get_data(as_text=True)
    assert 'data-username="r802001"' in page and 'data-username="d801"' in page
    assert "填报员" in page and "801001 甲一单位" in page and "802 测试部门乙" in page


def test_the_admin_has_the_users_link_in_the_nav(client, admin):
    assert 'href="/users"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["reporter", "department", "finance"])
def test_other_roles_have_no_users_link(client, world, role):
    login_as(
        client,
        {"reporter": world.reporter, "department": world.department_user, "finance": world.finance}[role],
    )
    assert 'href="/users"' not in client.get("/").get_data(as_text=True)


def test_the_admin_creates_a_reporter_through_the_shared_service(client, admin, session):
    response = client.post("/users", data=NEW_USER)
    assert response.status_code == 302
    user = _user(session, "newrep")
    assert (user.role, user.unit.code, user.email, user.display_name) == (
        "reporter",
        "801002",
        "newrep@example.cn",
        "新填报员",
    )
    assert verify_password(user, "long enough")
    entry = _audit(session, user, "role")
    assert (entry.action, entry.username, entry.new_value, entry.unit_code) == (
        "create",
        "adm",
        "reporter",
        "801002",
    )


def test_a_duplicate_username_is_refused_beside_the_username_field(client, admin, session):
    response = client.post("/users", data={**NEW_USER, "username": "r801001"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _field_errors(page, "username") == ["用户“r801001”已存在。"]
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "create")) is None


def test_in_english_the_duplicate_username_is_refused_in_english(client, admin):
    client.get("/lang/en")
    page = client.post("/users", data={**NEW_USER, "username": "r801001"}).get_data(as_text=True)
    assert _field_errors(page, "username") == ["User “r801001” already exists."]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"unit_code": ""}, "unit_code", "填报员必须选择预算单位。"),
        ({"role": "department", "unit_code": ""}, "department_code", "部门管理员必须选择部门。"),
        ({"unit_code": "000000"}, "unit_code", "预算单位“000000”不存在。"),
        ({"password": "short", "confirm": "short"}, "password", "密码至少 8 个字符。"),
        ({"confirm": "something else"}, "confirm", "两次输入的密码不一致。"),
        ({"email": "not-an-address"}, "email", "电子邮箱格式不正确。"),
        ({"role": "boss"}, "role", "未知角色"),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message_at_its_field(
    client, admin, session, changes, field, message
):
    page = client.post("/users", data={**NEW_USER, **changes}).get_data(as_text=True)
    assert any(message in error for error in _field_errors(page, field))
    assert _user(session, "newrep") is None


def test_the_admin_changes_role_unit_and_email_and_each_change_is_audited(client, admin, world, session):
    data = _edit(
        world, world.reporter, role="department", unit_code="", department_code="802", email="a@b.cn"
    )
    assert client.post(f"/users/{world.reporter.id}", data=data).status_code == 302
    user = _user(session, "r801001")
    assert (user.role, user.unit, user.department.code, user.email) == ("department", None, "802", "a@b.cn")
    assert (_audit(session, user, "role").old_value, _audit(session, user, "role").new_value) == (
        "reporter",
        "department",
    )
    assert (_audit(session, user, "unit").old_value, _audit(session, user, "unit").new_value) == (
        "801001",
        None,
    )
    assert _audit(session, user, "department").new_value == "802"
    assert _audit(session, user, "email").username == "adm"


def test_an_unchanged_edit_writes_no_audit_row(client, admin, world, session):
    client.post(f"/users/{world.finance.id}", data=_edit(world, world.finance))
    updates = select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.action == "update")
    assert session.scalars(updates).all() == []


def test_an_admin_cannot_demote_themselves(client, admin, world, session):
    response = client.post(f"/users/{admin.id}", data=_edit(world, admin, role="finance"))
    assert response.status_code == 422
    assert "不能更改自己的角色。" in response.get_data(as_text=True)
    assert _user(session, "adm").role == "admin"


def test_an_admin_cannot_deactivate_themselves(client, admin, session):
    response = client.post(f"/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "不能停用自己的账户。" in response.get_data(as_text=True)
    assert _user(session, "adm").active


def test_deactivating_a_user_ends_their_open_session_and_is_audited(app, client, admin, world, session):
    other = app.test_client()
    login_as(other, world.reporter)
    assert other.get("/").status_code == 200
    assert client.post(f"/users/{world.reporter.id}/active", data={"active": "0"}).status_code == 302
    assert other.get("/").status_code == 302
    user = _user(session, "r801001")
    assert not user.active
    assert (_audit(session, user, "active").old_value, _audit(session, user, "active").new_value) == (
        "True",
        "False",
    )


def test_an_old_session_stays_ended_after_the_user_is_reactivated(app, client, admin, world):
    other = app.test_client()
    login_as(other, world.reporter)
    client.post(f"/users/{world.reporter.id}/active", data={"active": "0"})
    client.post(f"/users/{world.reporter.id}/active", data={"active": "1"})
    assert other.get("/").status_code == 302


def test_a_deactivated_user_cannot_log_in_until_reactivated(app, client, admin, world, session):
    client.post(f"/users/{world.reporter.id}/active", data={"active": "0"})
    login = {"username": "r801001", "password": "correct horse"}
    assert app.test_client().post("/login", data=login).status_code == 401
    client.post(f"/users/{world.reporter.id}/active", data={"active": "1"})
    assert app.test_client().post("/login", data=login).status_code == 302


def test_resetting_a_password_sets_the_new_one_and_ends_the_users_sessions(
    app, client, admin, world, session
):
    other = app.test_client()
    login_as(other, world.reporter)
    data = {"new_password": "brand new pass", "confirm": "brand new pass"}
    assert client.post(f"/users/{world.reporter.id}/password", data=data).status_code == 302
    assert other.get("/").status_code == 302
    user = _user(session, "r801001")
    assert verify_password(user, "brand new pass") and user.password_changed_at is not None
    entry = _audit(session, user, "password")
    assert (entry.old_value, entry.new_value, entry.username) == ("***", "***", "adm")


def test_a_short_reset_password_is_refused_at_its_field(client, admin, world, session):
    page = client.post(
        f"/users/{world.reporter.id}/password", data={"new_password": "short", "confirm": "short"}
    ).get_data(as_text=True)
    assert _field_errors(page, "new_password") == ["密码至少 8 个字符。"]


def _routes(world) -> list[tuple[str, str, dict | None]]:
    target = world.sibling_reporter.id
    return [
        ("get", "/users", None),
        ("post", "/users", NEW_USER),
        ("get", f"/users/{target}", None),
        ("post", f"/users/{target}", _edit(world, world.sibling_reporter, role="finance", unit_code="")),
        ("post", f"/users/{target}/active", {"active": "0"}),
        (
            "post",
            f"/users/{target}/password",
            {"new_password": "brand new pass", "confirm": "brand new pass"},
        ),
    ]


@pytest.mark.parametrize("role", ["reporter", "department", "finance"])
def test_every_users_route_is_not_found_for_other_roles(client, world, session, role):
    login_as(
        client,
        {"reporter": world.reporter, "department": world.department_user, "finance": world.finance}[role],
    )
    for method, url, data in _routes(world):
        assert getattr(client, method)(url, data=data).status_code == 404, (method, url)
    user = _user(session, "r801002")
    assert (user.role, user.active) == ("reporter", True)
    assert _user(session, "newrep") is None


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    assert client.get("/users").headers["Location"].startswith("/login")


def test_an_unknown_user_is_not_found(client, admin):
    assert client.get("/users/999999").status_code == 404


class TestWithCsrf:
    @pytest.fixture(autouse=True)
    def csrf_on(self, app):
        app.config["WTF_CSRF_ENABLED"] = True
        yield
        app.config["WTF_CSRF_ENABLED"] = False

    def test_creating_a_user_without_a_token_is_refused(self, client, admin, session):
        assert client.post("/users", data=NEW_USER).status_code == 400
        assert _user(session, "newrep") is None

    def test_deactivating_without_a_token_is_refused(self, client, admin, world, session):
        assert client.post(f"/users/{world.reporter.id}/active", data={"active": "0"}).status_code == 400
        assert _user(session, "r801001").active

    def test_creating_a_user_with_the_pages_token_works(self, client, admin, session):
        page = client.get("/users").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        assert client.post("/users", data={**NEW_USER, "csrf_token": token}).status_code == 302
        assert _user(session, "newrep") is not None


def test_the_users_page_is_in_english_after_the_switch(client, admin):
    client.get("/lang/en")
    page = client.get("/users").get_data(as_text=True)
    assert "New user" in page and "Password last changed" in page and "Reporter" in page
