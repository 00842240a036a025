"""重新计算 clicked in several tabs at once (issue 12): each click answers with the page, none with a
500, and one result set of the period is left — the last store's, whole."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.web.conftest import ORIGIN
from tests.web.crawler import parse_page
from tests.web.test_delivery_forms import _logged_in
from tests.web.test_delivery_races import _at_once, _in_app
from tracker.evaluation.models import EvaluationRun, IndicatorResult
from tracker.extensions import db

pytestmark = pytest.mark.xdist_group("web-crawl")

PAGE = "/monitoring?year=2023&month=5&department=122"


def test_recomputing_one_month_in_four_tabs_at_once_leaves_one_whole_result(production_app):
    clients = [_logged_in(production_app, "dept122") for _ in range(4)]
    forms = []
    for client in clients:
        page = client.get(PAGE).get_data(as_text=True)
        forms.append(
            next(f for f in parse_page(ORIGIN + PAGE, page)[1] if f.action.endswith("/monitoring/run"))
        )

    def click(i: int) -> int:
        return (
            clients[i]
            .post("/monitoring/run", data=dict(forms[i].fields), headers={"Referer": ORIGIN + PAGE})
            .status_code
        )

    assert _at_once(4, click) == [302] * 4

    def stored() -> tuple[int, int]:
        runs = db.session.scalars(
            select(EvaluationRun.id).where(
                EvaluationRun.kind == "monitoring", EvaluationRun.year == 2023, EvaluationRun.month == 5
            )
        ).all()
        rows = db.session.scalar(select(func.count()).where(IndicatorResult.run_id.in_(runs)))
        return len(runs), rows

    runs, rows = _in_app(production_app, stored)
    assert runs == 1 and rows > 0
    assert re.search("绩效监控", clients[0].get(PAGE).get_data(as_text=True))
