"""The 系统管理员 has users, roles, settings and the scheduled jobs (SPEC §1), not finance's powers:
it reads no department's data, sets no reviewer override, runs no evaluation, reads no audit log."""

from __future__ import annotations

import pytest

from tests.conftest import login_as
from tracker.auth import access
from tracker.evaluation import service


def test_the_admin_is_not_finance(world):
    admin = world.admin
    assert not access.is_finance(admin)
    assert access.visible_department_ids(admin) == set()
    assert access.visible_unit_ids(admin) == set()
    assert access.readable_departments(admin) == [] and access.readable_units(admin) == []
    assert not access.can_read_department(admin, world.department.id)
    assert not access.can_read_audit(admin)
    assert not service.can_run(admin, world.department)
    assert access.can_manage_users(admin)


def test_finance_keeps_its_powers(world):
    finance = world.finance
    assert access.is_finance(finance) and access.visible_department_ids(finance) is None
    assert service.can_run(finance, world.department) and access.can_read_audit(finance)


def test_the_admin_sets_no_reviewer_override(world):
    with pytest.raises(access.NotFound):
        service.set_override(
            world.admin, world.quality.id, qualitative_percent=None, overachieved=None, note="x"
        )


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        (
            "post",
            "/self-assessment/override",
            {"year": "2023", "department": "801", "indicator_id": "{quality}"},
        ),
        ("post", "/self-assessment/run", {"year": "2023", "department": "801"}),
        ("post", "/monitoring/run", {"year": "2023", "month": "6", "department": "801"}),
        ("get", "/monitoring?year=2023&month=6&department=801", None),
    ],
)
def test_the_admins_evaluation_requests_find_nothing(client, world, method, path, data):
    login_as(client, world.admin)
    if data:
        data = {key: value.format(quality=world.quality.id) for key, value in data.items()}
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/users", "/jobs", "/account"])
def test_the_admin_keeps_users_jobs_and_its_account(client, world, path):
    login_as(client, world.admin)
    assert client.get(path).status_code == 200


def test_the_admins_home_page_opens(client, world):
    login_as(client, world.admin)
    assert client.get("/").status_code == 200


def test_the_admins_menu_offers_only_what_it_may_open(client, world):
    login_as(client, world.admin)
    page = client.get("/account").get_data(as_text=True)
    for path in ("/users", "/jobs"):
        assert f'href="{path}"' in page
    for path in ("/monitoring", "/self-assessment", "/deliveries", "/audit", "/review", "/deadlines"):
        assert f'href="{path}"' not in page
