"""Every route as every role, own and foreign (issue 3 §2): foreign units answer 404, never 403."""

from __future__ import annotations

import io
import re

import pytest

from tests.conftest import login_as
from tracker.auth import access
from tracker.reporting import evidence, review, writing

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROLES = (
    "reporter",
    "sibling_reporter",
    "foreign_reporter",
    "department",
    "foreign_department",
    "finance",
    "admin",
)
# The 系统管理员 (last) manages users, roles, settings and jobs (SPEC §1): departments' data is
# foreign to it, 404, and so is every action on it.
READ_UNIT = dict(zip(ROLES, (200, 404, 404, 200, 404, 200, 404), strict=True))
READ_DEPARTMENT_WHOLE = dict(zip(ROLES, (404, 404, 404, 200, 404, 200, 404), strict=True))


@pytest.fixture
def setup(world):
    item = evidence.add_evidence(world.reporter, world.unit.code, 2023, 6, io.BytesIO(PDF), "佐证.pdf")
    values = {
        world.count.id: {"actual": "70"},
        world.rate.id: {"actual": "95"},
        world.quality.id: {"actual": "达成"},
    }
    report = writing.submit_report(world.reporter, world.unit.code, 2023, 5, 0, values)
    approved = writing.submit_report(world.reporter, world.unit.code, 2023, 4, 0, values)
    review.approve_report(world.department_user, world.unit.code, 2023, 4, approved.version)
    return {"evidence": item.id, "version": report.version, "approved_version": approved.version}


def _urls(world, setup):
    unit, dept = world.unit.code, world.department.code
    return {
        "GET form": ("get", f"/reports/{unit}/2023/7", None, READ_UNIT),
        "GET department form": ("get", f"/reports/department/{dept}/2023/7", None, READ_DEPARTMENT_WHOLE),
        "GET project": ("get", f"/projects/2023/{world.project.code}", None, READ_UNIT),
        "GET evidence": ("get", f"/evidence/{setup['evidence']}", None, READ_UNIT),
        "POST lamp": (
            "post_json",
            f"/reports/{unit}/2023/7/lamp",
            {"indicator_id": world.count.id, "values": {"actual": "1"}},
            READ_UNIT,
        ),
        "POST save": (
            "post",
            f"/reports/{unit}/2023/7",
            {"base_version": "0", f"i{world.count.id}.actual": "5"},
            dict(zip(ROLES, (302, 404, 404, 302, 404, 403, 404), strict=True)),
        ),
        "POST autosave": (
            "post_json",
            f"/reports/{unit}/2023/7/autosave",
            {"base_version": 0, "values": {str(world.count.id): {"actual": "5"}}},
            dict(zip(ROLES, (200, 404, 404, 200, 404, 403, 404), strict=True)),
        ),
        "POST department autosave": (
            "post_json",
            f"/reports/department/{dept}/2023/7/autosave",
            {"base_version": 0, "values": {str(world.department_indicator.id): {"actual": "5"}}},
            dict(zip(ROLES, (404, 404, 404, 200, 404, 403, 404), strict=True)),
        ),
        "POST department save": (
            "post",
            f"/reports/department/{dept}/2023/7",
            {"base_version": "0", f"i{world.department_indicator.id}.actual": "5"},
            dict(zip(ROLES, (404, 404, 404, 302, 404, 403, 404), strict=True)),
        ),
        "POST evidence": (
            "post_file",
            f"/reports/{unit}/2023/7/evidence",
            None,
            dict(zip(ROLES, (302, 404, 404, 302, 404, 403, 404), strict=True)),
        ),
        "POST approve": (
            "post",
            f"/reports/{unit}/2023/5/approve",
            {"base_version": str(setup["version"])},
            dict(zip(ROLES, (403, 404, 404, 302, 404, 403, 404), strict=True)),
        ),
        "POST return": (
            "post",
            f"/reports/{unit}/2023/5/return",
            {"base_version": str(setup["version"]), "reason": "请补充"},
            dict(zip(ROLES, (403, 404, 404, 302, 404, 403, 404), strict=True)),
        ),
        "POST unlock": (
            "post",
            f"/reports/{unit}/2023/4/unlock",
            {"base_version": str(setup["approved_version"])},
            dict(zip(ROLES, (403, 404, 404, 403, 404, 302, 404), strict=True)),
        ),
        "GET home": ("get", "/", None, dict.fromkeys(ROLES, 200)),
        "GET review": (
            "get",
            "/review",
            None,
            dict(zip(ROLES, (403, 403, 403, 200, 200, 200, 403), strict=True)),
        ),
        "GET audit": (
            "get",
            "/audit",
            None,
            dict(zip(ROLES, (403, 403, 403, 200, 200, 200, 403), strict=True)),
        ),
        "GET audit of a unit": (
            "get",
            f"/audit?unit={unit}",
            None,
            dict(zip(ROLES, (403, 403, 403, 200, 404, 200, 403), strict=True)),
        ),
        "GET audit of a department": (
            "get",
            f"/audit?department={dept}",
            None,
            dict(zip(ROLES, (403, 403, 403, 200, 404, 200, 403), strict=True)),
        ),
        "GET audit of a department's unit": (
            "get",
            f"/audit?department={dept}&unit={unit}",
            None,
            dict(zip(ROLES, (403, 403, 403, 200, 404, 200, 403), strict=True)),
        ),
        "GET imports": (
            "get",
            "/imports",
            None,
            dict(zip(ROLES, (403, 403, 403, 200, 200, 403, 403), strict=True)),
        ),
        "GET deadlines": (
            "get",
            "/deadlines",
            None,
            dict(zip(ROLES, (403, 403, 403, 403, 403, 200, 403), strict=True)),
        ),
        "GET account": ("get", "/account", None, dict.fromkeys(ROLES, 200)),
        "GET dashboard": (
            "get",
            "/dashboard",
            None,
            dict(zip(ROLES, (404, 404, 404, 200, 200, 200, 200), strict=True)),
        ),
        "GET dashboard of a foreign department": (
            "get",
            f"/dashboard?department={world.other_department.code}",
            None,
            dict(zip(ROLES, (404, 404, 404, 404, 200, 200, 404), strict=True)),
        ),
        "GET deliveries": (
            "get",
            "/deliveries",
            None,
            dict(zip(ROLES, (404, 404, 404, 200, 200, 200, 200), strict=True)),
        ),
        "GET delivery settings": (
            "get",
            "/deliveries/settings",
            None,
            dict(zip(ROLES, (403, 403, 403, 403, 403, 200, 403), strict=True)),
        ),
        "GET jobs": (
            "get",
            "/jobs",
            None,
            dict(zip(ROLES, (403, 403, 403, 403, 403, 200, 200), strict=True)),
        ),
    }


ROUTES = (
    "GET form",
    "GET department form",
    "GET project",
    "GET evidence",
    "POST lamp",
    "POST save",
    "POST autosave",
    "POST department save",
    "POST department autosave",
    "POST evidence",
    "POST approve",
    "POST return",
    "POST unlock",
    "GET home",
    "GET review",
    "GET audit",
    "GET audit of a unit",
    "GET imports",
    "GET deadlines",
    "GET account",
    "GET dashboard",
    "GET dashboard of a foreign department",
    "GET deliveries",
    "GET delivery settings",
    "GET jobs",
)


def _call(client, method, url, body):
    if method == "get":
        return client.get(url)
    if method == "post_json":
        return client.post(url, json=body)
    if method == "post_file":
        return client.post(url, data={"file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    return client.post(url, data=body)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_access_rule_says(client, world, setup, route, role):
    method, url, body, expected = _urls(world, setup)[route]
    login_as(client, world.users()[role])
    assert _call(client, method, url, body).status_code == expected[role]


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_sends_anonymous_users_to_the_login_page(client, world, setup, route):
    method, url, body, _ = _urls(world, setup)[route]
    response = _call(client, method, url, body)
    assert response.status_code in (302, 401)
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")


def test_a_foreign_page_looks_exactly_like_a_missing_one(client, world):
    login_as(client, world.reporter)
    foreign = client.get(f"/reports/{world.foreign_unit.code}/2023/7")
    missing = client.get("/reports/999999/2023/7")
    assert foreign.status_code == missing.status_code == 404
    token = re.compile(r'name="csrf_token" value="[^"]*"')
    same_url = foreign.get_data(as_text=True).replace(world.foreign_unit.code, "999999")
    assert token.sub("", same_url) == token.sub("", missing.get_data(as_text=True))


def test_refused_access_is_logged(client, world, caplog):
    login_as(client, world.reporter)
    with caplog.at_level("WARNING", logger="tracker.access"):
        client.get(f"/reports/{world.foreign_unit.code}/2023/7")
    assert any("access refused" in r.getMessage() and "r801001" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("role", "units"),
    [
        ("reporter", ["unit"]),
        ("department_user", ["unit", "sibling"]),
        ("foreign_department_user", ["foreign_unit"]),
        ("finance", ["unit", "sibling", "foreign_unit"]),
    ],
)
def test_unit_pickers_offer_exactly_the_readable_units(world, role, units):
    offered = {u.id for u in access.readable_units(getattr(world, role))}

    assert offered == {getattr(world, name).id for name in units}


IMPORT_ACTUALS = dict(zip(ROLES, (True, True, True, True, True, False, False), strict=True))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_import_actuals(world, who):
    user = world.users()[who]
    assert access.can_import_actuals(user) is IMPORT_ACTUALS[who]
    assert access.can_import_actuals(None)  # the command line
    home = access.import_home_department(user)
    expected = user.department if who in ("department", "foreign_department") else None
    assert home is expected


# ---------------------------------------------------------------- imports of a department's tables (issue 14)

IMPORT_DEPARTMENT_TABLES = dict(zip(ROLES, (False, False, False, True, True, False, False), strict=True))


@pytest.mark.parametrize("who", ROLES)
def test_who_may_import_a_departments_tables(world, who):
    assert access.can_import_department_tables(world.users()[who]) is IMPORT_DEPARTMENT_TABLES[who]
    assert access.can_import_department_tables(None)  # the command line


# The named checks of the reports, evaluation, reporting and scheduler doors (issue 14), role by
# role; those taking a department are asked about the reporter's department (801).
OWN_DEPARTMENT_CHECKS = {
    "is_reporter": (True, True, True, False, False, False, False),
    "is_department_admin": (False, False, False, True, True, False, False),
    "is_finance": (False, False, False, False, False, True, False),
    "can_see_dashboard": (False, False, False, True, True, True, True),
    "can_see_deliveries": (False, False, False, True, True, True, True),
    "can_set_recipients": (False, False, False, False, False, True, False),
    "can_run_jobs": (False, False, False, False, False, True, True),
}
DEPARTMENT_CHECKS = {
    "can_run_evaluation": (False, False, False, True, False, True, False),
    "can_review_self_assessment": (False, False, False, True, False, True, False),
    "can_send_delivery": (False, False, False, True, False, True, False),
}


@pytest.mark.parametrize("check", sorted(OWN_DEPARTMENT_CHECKS) + sorted(DEPARTMENT_CHECKS))
@pytest.mark.parametrize("who", ROLES)
def test_each_named_check_answers_each_role(world, check, who):
    user = world.users()[who]
    function = getattr(access, check)
    if check in DEPARTMENT_CHECKS:
        expected = dict(zip(ROLES, DEPARTMENT_CHECKS[check], strict=True))[who]
        assert function(user, world.department.id) is expected
        assert function(None, world.department.id) is False
    else:
        expected = dict(zip(ROLES, OWN_DEPARTMENT_CHECKS[check], strict=True))[who]
        assert function(user) is expected
        assert function(None) is False


@pytest.mark.parametrize("who", ROLES)
def test_only_a_units_own_reporter_is_its_reporter(world, who):
    assert access.is_unit_reporter(world.users()[who], world.unit.id) is (who == "reporter")


def test_a_reminder_reaches_the_units_reporters_and_the_departments_admins(world):
    writers = access.report_writers([world.unit.id], [world.department.id])

    assert writers == [world.department_user, world.reporter]  # by username: d801, r801001


def test_only_finance_and_the_admin_operate_the_jobs(world):
    for who, user in world.users().items():
        if who in ("finance", "admin"):
            access.require_job_operator(user)
        else:
            with pytest.raises(access.Forbidden):
                access.require_job_operator(user)
