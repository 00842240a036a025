"""A department admin uploads last year's 自评表 values as the sheet prints them (issue 10 §1, §2):
through /imports in the production configuration, the preview says how each odd value was read
before anything is written, and the confirmed import stores the numbers and grades so read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.web.conftest import DEMO_PASSWORD, ORIGIN, https_client, production_app_over
from tests.web.crawler import parse_page
from tracker.extensions import db
from tracker.reporting.models import IndicatorActual, MonthlyReport
from tracker.targets.models import Indicator

PROJECT = "41080022000000053196"
SHEET = (
    "年度,月份,项目编码,三级指标,实际完成值\n"
    f"2023,12,{PROJECT},接待群众数量,≥36万人\n"
    f"2023,12,{PROJECT},公共设施设备完好率,95%以上\n"
    f"2023,12,{PROJECT},政务服务保障水平的改善或提高程度,达成预期指标\n"
    f"2023,12,{PROJECT},办事企业和群众满意率,达到99.5%\n"
    f"2023,12,{PROJECT},政务服务事项平均办事环节,4\n"
    "2023,12,,政务信息化系统的改善程度,明显\n"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with production_app_over(tmp_path_factory.mktemp("printed")) as app:
        yield app


def _department_admin(app):
    client = https_client(app)
    login = next(f for f in parse_page(ORIGIN + "/login", client.get("/login").get_data(as_text=True))[1])
    data = dict(login.fields) | {"username": "dept122", "password": DEMO_PASSWORD}
    assert client.post("/login", data=data, headers={"Referer": f"{ORIGIN}/login"}).status_code == 302
    return client


def _upload_form(client):
    forms = parse_page(ORIGIN + "/imports", client.get("/imports").get_data(as_text=True))[1]
    return next(f for f in forms if f.action.endswith("/imports"))


def _december(app) -> dict[str, tuple]:
    with app.app_context():
        rows = db.session.execute(
            select(Indicator.name, IndicatorActual)
            .join(IndicatorActual, IndicatorActual.indicator_id == Indicator.id)
            .join(MonthlyReport, MonthlyReport.id == IndicatorActual.report_id)
            .where(MonthlyReport.year == 2023, MonthlyReport.month == 12)
            .where((Indicator.scope_code == PROJECT) | (Indicator.project_id.is_(None)))
        ).all()
        db.session.remove()
    return {name: (actual.actual, actual.grade) for name, actual in rows}


def test_the_preview_says_how_each_printed_value_was_read_and_the_import_stores_it(app):
    before = _december(app)
    client = _department_admin(app)
    form = _upload_form(client)
    data = dict(form.fields) | {
        "kind": "actuals",
        "file": (__import__("io").BytesIO(SHEET.encode()), "自评.csv"),
    }
    response = client.post(
        "/imports", data=data, content_type="multipart/form-data", headers={"Referer": form.page}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    assert "读取说明" in page
    for reading in (
        "行 2 列 实际完成值: “≥36万人”读作 36万人（“≥”按“至少”理解）",
        "行 3 列 实际完成值: “95%以上”读作 95%（“以上”按“至少”理解）",
        "行 4 列 实际完成值: “达成预期指标”读作 达成",
        "行 5 列 实际完成值: “达到99.5%”读作 99.5%",
        "行 7 列 实际完成值: “明显”与指标值相同，读作 达成",
    ):
        assert reading in page
    assert "行 6 " not in page, "a plain value needs no note"
    assert _december(app) == before, "a preview writes nothing"

    confirm = next(f for f in parse_page(ORIGIN + "/imports", page)[1] if f.action.endswith("/confirm"))
    done = client.post(
        confirm.action.removeprefix(ORIGIN), data=dict(confirm.fields), headers={"Referer": confirm.page}
    )
    assert done.status_code == 302
    stored = _december(app)
    assert stored["接待群众数量"] == (Decimal(36), None)
    assert stored["公共设施设备完好率"] == (Decimal(95), None)
    assert stored["办事企业和群众满意率"] == (Decimal("99.5"), None)
    assert stored["政务服务事项平均办事环节"] == (Decimal(4), None)
    assert stored["政务服务保障水平的改善或提高程度"] == (None, "达成")
    assert stored["政务信息化系统的改善程度"] == (None, "达成")
    assert stored != before
