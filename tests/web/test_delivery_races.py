"""One package reaches the bureau once (issue 12 §6): 重新发送 clicked six times at once, 立即报送
clicked in several tabs, and the retry job meeting a re-run of ``send-reports`` each make one send.

The clicks are the pages' own forms posted from threads started together, in the production
configuration, against the real SMTP server; what counts is how many messages it received."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.web.test_delivery_forms import _forms, _logged_in, _post
from tracker.budget.models import Department
from tracker.extensions import db
from tracker.reports import delivery as deliveries
from tracker.reports.models import Delivery

pytestmark = pytest.mark.xdist_group("web-crawl")


def _at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(i)`` in ``count`` threads released together; their results, or the first error."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 — re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def _in_app(app, work: Callable[[], Any]) -> Any:
    with app.app_context():
        try:
            return work()
        finally:
            db.session.remove()


def _received(smtp) -> Counter:
    """How many messages each address received."""
    return Counter(address for envelope, _ in smtp.inbox.messages for address in envelope)


def _deliveries_of(app, kind: str, month: int) -> int:
    def count() -> int:
        query = select(func.count(Delivery.id)).join(Department)
        return db.session.scalar(
            query.where(Department.code == "122", Delivery.kind == kind, Delivery.month == month)
        )

    return _in_app(app, count)


def test_six_concurrent_resend_clicks_send_the_package_once(production_app, smtp, no_deliveries):
    delivery_id = _in_app(production_app, lambda: deliveries.send_package("monitoring", 2023, 7, "122").id)
    assert len(smtp.inbox.messages) == 1
    clients = [_logged_in(production_app, name) for name in ("finance", "dept122") * 3]
    resend = f"/deliveries/{delivery_id}/resend"
    forms = [
        next(f for f in _forms(client, "/deliveries") if f.action.endswith(resend)) for client in clients
    ]

    responses = _at_once(6, lambda i: _post(clients[i], forms[i]))

    assert [response.status_code for response in responses] == [302] * 6
    assert len(smtp.inbox.messages) == 2, "the first send and one resend"
    pages = [client.get("/deliveries").get_data(as_text=True) for client in clients]
    assert sum("已重新发送" in page for page in pages) == 1
    assert sum("未重复发送" in page for page in pages) == 5
    record = _in_app(production_app, lambda: db.session.get(Delivery, delivery_id))
    assert record.attempts == 2


def test_a_resend_form_from_before_the_last_attempt_sends_nothing(production_app, smtp, no_deliveries):
    delivery_id = _in_app(production_app, lambda: deliveries.send_package("monitoring", 2023, 6, "122").id)
    client = _logged_in(production_app, "finance")
    resend = f"/deliveries/{delivery_id}/resend"
    form = next(f for f in _forms(client, "/deliveries") if f.action.endswith(resend))
    _post(client, form)

    _post(client, form)  # the same page's button again, after the first click went out

    assert len(smtp.inbox.messages) == 2
    assert "未重复发送" in client.get("/deliveries").get_data(as_text=True)


def test_concurrent_send_now_clicks_record_and_send_one_package(production_app, smtp, no_deliveries):
    clients = [_logged_in(production_app, name) for name in ("finance", "dept122") * 2]
    forms = [
        next(f for f in _forms(c, "/deliveries") if f.action.endswith("/deliveries/send")) for c in clients
    ]
    chosen = {"kind": "execution", "department": "122", "year": "2023", "month": "6"}

    responses = _at_once(4, lambda i: _post(clients[i], forms[i], **chosen))

    codes = [response.status_code for response in responses]
    # a click that waited past the lock timeout for the others' evaluation is told to retry (503)
    assert set(codes) <= {302, 503} and 302 in codes, codes
    assert len(smtp.inbox.messages) == 1
    assert _deliveries_of(production_app, "execution", 6) == 1
    pages = [client.get("/deliveries").get_data(as_text=True) for client in clients]
    assert sum("已发送：" in page for page in pages) == 1
    assert "Internal Server Error" not in "".join(pages)


def test_a_rerun_while_a_retry_is_pending_reaches_everyone_once(production_app, smtp, no_deliveries):
    production_app.config["FINANCE_BUREAU_EMAIL"] = "czj@example.org,kj@example.org"
    department = select(Department).where(Department.code == "122")
    recipients = _in_app(production_app, lambda: deliveries.recipients_for(db.session.scalar(department)))
    smtp.inbox.refuse.add(recipients[-1])
    first = _in_app(production_app, lambda: deliveries.send_package("execution", 2023, 5, "122"))
    assert first.status == "retrying"
    smtp.inbox.refuse.clear()
    later = datetime.now(UTC) + timedelta(hours=1)

    def job_or_rerun(i: int) -> Any:
        if i == 0:
            return _in_app(production_app, lambda: deliveries.retry_failed_deliveries(now=later))
        return _in_app(production_app, lambda: deliveries.send_package("execution", 2023, 5, "122").id)

    _at_once(3, job_or_rerun)

    assert _received(smtp) == Counter({address: 1 for address in recipients})
    assert _deliveries_of(production_app, "execution", 5) == 1
