"""A province on one installation (issue 15 §2, SPEC §1a): every finance read and action is limited to
the user's bureau and the bureaus below it, on every door — pages, downloads, deliveries, audit,
review queue, dashboard, API — and what lies outside is 404, as if it did not exist.

The world: 四川省财政厅 → 德阳市财政局 → 中江县财政局 and 广汉市财政局, one department at each; a finance
user at the province, the city, one county and one placed nowhere (the root).
"""

from __future__ import annotations

import pytest

from tests.auth.bureau_world import DEPARTMENTS, FINANCE, READS, BureauWorld, build_bureau_world
from tests.conftest import login_as
from tracker.api.tokens import issue_token
from tracker.auth import access
from tracker.budget.bureaus import move_department

CELLS = [(username, code) for username in FINANCE for code in DEPARTMENTS]
#: The bureaus each finance user reads: its own and those below it.
READS_BUREAUS = {
    "fin-sc": {"510000", "510600", "510623", "510681"},
    "fin-root": {"510000", "510600", "510623", "510681"},
    "fin-dy": {"510600", "510623", "510681"},
    "fin-zj": {"510623"},
}


@pytest.fixture
def world() -> BureauWorld:
    return build_bureau_world()


def _name(world: BureauWorld, code: str) -> str:
    return world.places[code].department.name


def _expected(username: str, code: str) -> int:
    return 200 if code in READS[username] else 404


def _page_urls(world: BureauWorld, code: str) -> dict[str, str]:
    place = world.places[code]
    unit = place.unit.code
    return {
        "部门整体 report": f"/reports/department/{code}/2023/6",
        "unit report": f"/reports/{unit}/2023/4",
        "project": f"/projects/2023/{place.project.code}",
        "monitoring": f"/monitoring?year=2023&month=6&department={code}",
        "self-assessment": f"/self-assessment?year=2023&department={code}",
        "dashboard": f"/dashboard?year=2023&month=6&department={code}",
        "audit": f"/audit?department={code}",
        "download xlsx": f"/downloads/monitoring/{code}/2023/6.xlsx",
        "download pdf": f"/downloads/self-assessment/{code}/2023.pdf",
        "delivery file": f"/deliveries/{place.delivery.id}.pdf",
    }


@pytest.mark.parametrize(("username", "code"), CELLS)
def test_finance_reads_the_pages_of_its_subtree_and_no_other(client, world, username, code):
    login_as(client, world.finance[username])
    answers = {what: client.get(url).status_code for what, url in _page_urls(world, code).items()}
    assert answers == dict.fromkeys(answers, _expected(username, code))


@pytest.mark.parametrize("username", list(FINANCE))
def test_lists_hold_the_subtree_only(client, world, username):
    login_as(client, world.finance[username])
    for url in ("/review", "/deliveries", "/audit", "/dashboard?year=2023&month=6", "/monitoring?year=2023"):
        page = client.get(url)
        assert page.status_code == 200, url
        text = page.get_data(as_text=True)
        # The audit log names the unit by its code; the other pages name the department.
        shown = {code for code in DEPARTMENTS if _name(world, code) in text or f"<td>{code}001</td>" in text}
        assert shown == READS[username], url


@pytest.mark.parametrize(("username", "code"), CELLS)
def test_finance_reviews_and_unlocks_within_its_subtree_only(client, world, username, code):
    """批准 a submitted 部门整体 month, 解锁 an approved unit month: the department's bureau or one above."""
    place = world.places[code]
    login_as(client, world.finance[username])
    approve = client.post(
        f"/reports/department/{code}/2023/6/approve", data={"base_version": place.submitted.version}
    )
    unlock = client.post(
        f"/reports/{place.unit.code}/2023/4/unlock",
        data={"base_version": place.approved.version, "reason": "补录佐证"},
    )
    own = code in READS[username]
    assert (approve.status_code, unlock.status_code) == ((302, 302) if own else (404, 404))
    if not own:  # 立即报送 and 重新发送 of a foreign department's package: as if it did not exist
        send = client.post(
            "/deliveries/send", data={"kind": "monitoring", "department": code, "year": "2023", "month": "6"}
        )
        resend = client.post(f"/deliveries/{place.delivery.id}/resend", data={"attempts": "0"})
        assert (send.status_code, resend.status_code) == (404, 404)
    db_user = world.finance[username]
    assert access.can_unlock_report(db_user, place.department.id) is own
    assert access.can_run_evaluation(db_user, place.department.id) is own
    assert access.can_send_delivery(db_user, place.department.id) is own


@pytest.mark.parametrize(("username", "code"), CELLS)
def test_the_api_answers_the_subtree_only(client, world, username, code):
    token = issue_token(world.finance[username], name="tests").secret
    headers = {"Authorization": f"Bearer {token}"}
    place = world.places[code]
    items = {
        "department": f"/api/v1/departments/{code}",
        "unit": f"/api/v1/units/{place.unit.code}",
        "部门整体 report": f"/api/v1/department-reports/{code}/2023/6",
        "unit report": f"/api/v1/reports/{place.unit.code}/2023/4",
        "delivery": f"/api/v1/deliveries/{place.delivery.id}",
    }
    answers = {what: client.get(url, headers=headers).status_code for what, url in items.items()}
    assert answers == dict.fromkeys(answers, _expected(username, code))
    for url in ("/api/v1/departments", "/api/v1/units", "/api/v1/deliveries", "/api/v1/reports"):
        listing = client.get(url, headers=headers)
        assert listing.status_code == 200, url
        text = listing.get_data(as_text=True)
        assert (f'"{code}' in text) is (code in READS[username]), url


@pytest.mark.parametrize("username", list(FINANCE))
def test_the_dashboard_drills_down_the_bureaus_it_reads(client, world, username):
    login_as(client, world.finance[username])
    for code in world.bureaus:
        answer = client.get(f"/dashboard?year=2023&month=6&bureau={code}")
        assert answer.status_code == (200 if code in READS_BUREAUS[username] else 404), code
    top = client.get("/dashboard?year=2023&month=6").get_data(as_text=True)
    assert 'id="bureau-picker"' in top
    assert {b.code for b in access.readable_bureaus(world.finance[username])} == READS_BUREAUS[username]
    city = client.get("/dashboard?year=2023&month=6&bureau=510600")
    if "510600" in READS_BUREAUS[username]:
        text = city.get_data(as_text=True)
        assert "中江县财政局" in text and "广汉市财政局" in text  # its counties, to drill into
        assert 'id="bureau-current"' in text


def test_a_department_admin_has_no_bureau_picker_and_no_bureau(client, world):
    login_as(client, world.finance["d-zj"])
    assert client.get("/dashboard?bureau=510623").status_code == 404
    assert 'id="bureau-picker"' not in client.get("/dashboard").get_data(as_text=True)


def test_a_moved_department_leaves_the_county_bureau_and_reaches_the_other(client, world):
    """Moving K101 from 中江县 to 广汉市: 中江's finance loses it (404), the city keeps it."""
    from tracker.extensions import db

    place = world.places["K101"]
    login_as(client, world.finance["fin-zj"])
    assert client.get("/reports/department/K101/2023/6").status_code == 200
    move_department(place.department, world.bureaus["510681"])
    db.session.commit()
    # The next request reads the tree again: no subtree remembered from the one before the move.
    assert client.get("/reports/department/K101/2023/6").status_code == 404
    login_as(client, world.finance["fin-dy"])
    assert client.get("/reports/department/K101/2023/6").status_code == 200


def test_deadlines_are_set_per_bureau_and_inherited_below(world):
    """中江县 sets July's date for its own departments; 德阳市's date reaches 广汉市 (which set none)
    but not 中江县's own; the province's root rows reach the rest (issue 15 §3)."""
    from datetime import date

    from tracker.reporting import deadlines

    deadlines.set_deadline(world.finance["fin-sc"], 2023, 7, date(2023, 8, 20))
    deadlines.set_deadline(world.finance["fin-dy"], 2023, 7, date(2023, 8, 12))
    deadlines.set_deadline(world.finance["fin-zj"], 2023, 7, date(2023, 8, 9))
    due = {code: deadlines.deadline_for(2023, 7, world.places[code].department) for code in DEPARTMENTS}
    assert due == {
        "P01": date(2023, 8, 20),
        "C01": date(2023, 8, 12),
        "K101": date(2023, 8, 9),
        "K201": date(2023, 8, 12),
    }
    # June is set by nobody: the rule pack's day 5 of the next month, everywhere.
    assert {deadlines.deadline_for(2023, 6, world.places[c].department) for c in DEPARTMENTS} == {
        date(2023, 7, 5)
    }
    july = deadlines.deadline_sources(2023, world.bureaus["510681"])[6]
    assert (july.due, july.set_by, july.here) == (date(2023, 8, 12), "德阳市财政局", False)
    assert deadlines.deadline_sources(2023, world.bureaus["510623"])[6].here


def test_the_deadlines_page_shows_the_bureaus_own_and_inherited_dates(client, world):
    from datetime import date

    from tracker.reporting import deadlines

    deadlines.set_deadline(world.finance["fin-dy"], 2023, 7, date(2023, 8, 12))
    login_as(client, world.finance["fin-zj"])
    page = client.get("/deadlines?year=2023").get_data(as_text=True)
    assert "沿用德阳市财政局" in page and "中江县财政局" in page
    answer = client.post("/deadlines", data={"year": "2023", "month": "8", "due_date": "2023-09-08"})
    assert answer.status_code == 302
    assert deadlines.deadline_for(2023, 8, world.places["K101"].department) == date(2023, 9, 8)
    assert deadlines.deadline_for(2023, 8, world.places["K201"].department) == date(2023, 9, 5)


def test_a_bureaus_settings_are_in_its_own_audit_log_and_its_parents_not_its_neighbours(client, world):
    """中江县 sets a due date and 德阳市 its recipients: 中江's log shows its own change, not the city's;
    the city's shows both; the root's every one."""
    from datetime import date

    from tracker.reporting import deadlines
    from tracker.reports.recipients import set_recipients

    deadlines.set_deadline(world.finance["fin-zj"], 2023, 10, date(2023, 11, 17))
    set_recipients(world.finance["fin-dy"], None, "dy-czj@example.org")

    def logged(username: str) -> set[str]:
        login_as(client, world.finance[username])
        text = client.get("/audit").get_data(as_text=True)
        return {marker for marker in ("2023-11-17", "dy-czj@example.org") if marker in text}

    assert logged("fin-zj") == {"2023-11-17"}
    assert logged("fin-dy") == {"2023-11-17", "dy-czj@example.org"}
    assert logged("fin-root") == {"2023-11-17", "dy-czj@example.org"}


def test_a_finance_user_must_name_its_bureau_once_there_is_a_tree(world):
    """Placed nowhere, a finance user would read the whole province: refused, naming the root."""
    from tracker.auth.services import AccountError, create_user

    with pytest.raises(AccountError) as refused:
        create_user("fin-new", "a-long-password-1", "finance")
    assert "须指定所属财政局" in str(refused.value) and "510000 四川省财政厅" in str(refused.value)
    placed = create_user("fin-gh", "a-long-password-1", "finance", bureau_code="510681")
    assert access.visible_department_ids(placed) == {world.places["K201"].department.id}


@pytest.mark.parametrize(
    "data",
    [
        {"year": "99999", "month": "5", "due_date": "2023-12-01"},
        {"year": "2023", "month": "13", "due_date": "2023-12-01"},
        {"year": "2023", "month": "x", "due_date": "2023-12-01"},
        {"year": "2023", "month": "5", "due_date": "NaN"},
        {"year": "2023", "month": "5", "due_date": "2023-12-01\x1b"},
    ],
)
def test_a_bad_deadline_post_is_422_in_chinese_and_sets_nothing(client, world, data):
    from tracker.extensions import db
    from tracker.reporting.models import ReportingDeadline

    login_as(client, world.finance["fin-zj"])
    answer = client.post("/deadlines", data=data)
    assert answer.status_code == 422
    assert 'class="field-error"' in answer.get_data(as_text=True)
    assert db.session.query(ReportingDeadline).count() == 0
