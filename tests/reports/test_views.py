"""Download routes, /deliveries and its settings, the dashboard: who may see what."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest

from tests.conftest import login_as
from tests.factories import DepartmentFactory, UserFactory
from tracker.reports import delivery as deliveries
from tracker.reports.models import ReportRecipient


@pytest.fixture
def admin_801(scenario):
    return UserFactory(role="department", department_id=scenario.department.id)


@pytest.fixture
def finance(scenario):
    return UserFactory(role="finance")


def test_department_admin_downloads_the_monitoring_workbook(client, admin_801):
    login_as(client, admin_801)

    response = client.get("/downloads/monitoring/801/2023/7.xlsx")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="801-2023-07-monitoring.xlsx"'
    assert openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames[-1] == "预算执行进度"


def test_finance_downloads_the_self_assessment_pdf(client, finance):
    login_as(client, finance)

    response = client.get("/downloads/self-assessment/801/2023.pdf")

    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    assert response.data.startswith(b"%PDF")


@pytest.mark.parametrize("role", ["department", "reporter"])
def test_another_departments_user_gets_404(client, scenario, role):
    other = DepartmentFactory()
    user = UserFactory(role=role, department_id=other.id if role == "department" else None)
    login_as(client, user)

    assert client.get("/downloads/self-assessment/801/2023.xlsx").status_code == 404


def test_a_reporter_of_the_department_cannot_download_its_package(client, scenario):
    login_as(client, UserFactory(role="reporter", unit_id=scenario.units[0].id))

    assert client.get("/downloads/monitoring/801/2023/7.pdf").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/downloads/monitoring/801/2023.xlsx",
        "/downloads/nonsense/801/2023.pdf",
        "/downloads/execution/801/2023/7.exe",
    ],
)
def test_malformed_download_is_404(client, admin_801, path):
    login_as(client, admin_801)

    assert client.get(path).status_code == 404


def test_download_needs_a_login(client, scenario):
    assert client.get("/downloads/self-assessment/801/2023.xlsx").status_code in (302, 401)


def test_deliveries_page_shows_records_and_attempts(client, scenario, smtp, finance):
    smtp.stop()
    record = deliveries.send_package("execution", 2023, 7, "801", now=datetime(2024, 1, 5, tzinfo=UTC))
    login_as(client, finance)

    page = client.get("/deliveries").get_data(as_text=True)

    assert f'id="delivery-{record.id}"' in page
    assert "重试中" in page and record.xlsx_name in page and "ConnectionRefusedError" in page


def test_deliveries_page_names_the_recipients_a_retry_still_has_to_reach(client, scenario, smtp, finance):
    deliveries.set_recipients(finance, None, "jxk@czj.example.org；kj@czj.example.org")
    smtp.inbox.refuse.add("kj@czj.example.org")
    deliveries.send_package("execution", 2023, 7, "801", now=datetime(2024, 1, 5, tzinfo=UTC))
    login_as(client, finance)

    page = client.get("/deliveries").get_data(as_text=True)

    assert "待送达：kj@czj.example.org" in page


def test_deliveries_of_another_department_are_not_listed(client, scenario, smtp):
    record = deliveries.send_package("execution", 2023, 7, "801")
    other = DepartmentFactory()
    login_as(client, UserFactory(role="department", department_id=other.id))

    assert f'id="delivery-{record.id}"' not in client.get("/deliveries").get_data(as_text=True)
    assert client.get(f"/deliveries/{record.id}.pdf").status_code == 404
    assert client.post(f"/deliveries/{record.id}/resend").status_code == 404


def test_a_department_admin_sends_its_package_from_the_page(client, admin_801, smtp):
    login_as(client, admin_801)

    response = client.post(
        "/deliveries/send", data={"kind": "monitoring", "department": "801", "year": "2023", "month": "7"}
    )

    assert response.status_code == 302
    assert len(smtp.inbox.messages) == 1


def test_in_english_the_page_says_what_was_sent_in_english(client, admin_801, smtp):
    client.get("/lang/en")
    login_as(client, admin_801)

    client.post(
        "/deliveries/send", data={"kind": "monitoring", "department": "801", "year": "2023", "month": "7"}
    )

    assert "Sent: " in client.get("/deliveries").get_data(as_text=True)


def test_finance_sets_the_bureau_address_on_the_settings_page(client, finance):
    login_as(client, finance)

    response = client.post("/deliveries/settings", data={"department": "", "emails": "jxk@czj.example.org"})

    assert response.status_code == 302
    assert [row.email for row in ReportRecipient.query.filter_by(scope_key="bureau")] == [
        "jxk@czj.example.org"
    ]
    assert "jxk@czj.example.org" in client.get("/deliveries/settings").get_data(as_text=True)


def test_a_department_admin_cannot_open_the_settings(client, admin_801):
    login_as(client, admin_801)

    assert client.get("/deliveries/settings").status_code == 403


def test_dashboard_draws_its_charts_from_the_bundled_plotly(client, admin_801):
    login_as(client, admin_801)

    page = client.get("/dashboard?year=2023&month=7").get_data(as_text=True)

    for chart in ("lamps", "progress", "distribution", "grades", "worst"):
        assert f'id="figure-{chart}"' in page
    assert "/dashboard/plotly.min.js" in page and "cdn" not in page.lower()
    assert client.get("/dashboard/plotly.min.js").data.startswith(b"/**")


def test_dashboard_lists_the_worst_indicators_first(client, admin_801):
    login_as(client, admin_801)

    page = client.get("/dashboard?year=2023&month=7").get_data(as_text=True)

    assert page.index("服务人次") < page.index("</table>", page.index("问题最突出的十项指标"))


def test_a_reporter_has_no_dashboard(client, scenario):
    login_as(client, UserFactory(role="reporter", unit_id=scenario.units[0].id))

    assert client.get("/dashboard").status_code == 404


def test_the_home_page_of_a_department_admin_carries_the_dashboard(client, admin_801):
    login_as(client, admin_801)

    page = client.get("/?year=2023").get_data(as_text=True)

    assert 'id="figure-progress"' in page and "/dashboard/plotly.min.js" in page
