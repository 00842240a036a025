"""Issue 11 in a real browser: finance sets the recipients on /deliveries/settings (CSRF on, both 保存
buttons), sends a package with 立即报送, and a real SMTP server (aiosmtpd on a loopback port)
receives it with its Excel and PDF; sending the same package again, or 重新发送 from a page that an
earlier resend made stale, is refused with a Chinese message and sends nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.conftest import SmtpServer
from tracker.extensions import db
from tracker.reports.models import Delivery, DeliveryAttempt

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MAIL_KEYS = (
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USER",
    "MAIL_FROM",
    "FINANCE_BUREAU_EMAIL",
    "SMTP_TIMEOUT",
)
BUREAU = ["czj@example.org", "jxk@example.org"]
DEPARTMENT = "bm122@example.org"


@pytest.fixture
def smtp(live_server) -> Iterator[SmtpServer]:
    """The live server mails to a real SMTP server on a free loopback port while the test runs; no
    address comes from the environment (FINANCE_BUREAU_EMAIL empty): only what the form saves."""
    app = live_server.app
    server = SmtpServer()
    server.start()
    saved = {key: app.config[key] for key in MAIL_KEYS}
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=server.port,
        SMTP_SECURITY="none",
        SMTP_USER="",
        MAIL_FROM="tracker@example.org",
        FINANCE_BUREAU_EMAIL="",
        SMTP_TIMEOUT=5,
    )
    with app.app_context():  # the package is this test's first: a send is a send
        db.session.query(DeliveryAttempt).delete()
        db.session.query(Delivery).delete()
        db.session.commit()
        db.session.remove()
    try:
        yield server
    finally:
        server.stop()
        app.config.update(saved)


def _attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def test_finance_sets_recipients_and_sends_a_package_that_arrives(live_server, page, smtp, screenshots):
    live_server.login(page, "finance")
    page.goto(f"{live_server.url}/deliveries")
    page.click("a:has-text('收件人设置')")
    page.wait_for_url("**/deliveries/settings")

    bureau = page.locator("textarea[name=emails]")
    bureau.fill(", ".join(BUREAU))
    page.locator("form.recipients button[type=submit]").click()
    expect(page.locator(".flash.success")).to_have_text("收件人已保存。")
    expect(bureau).to_have_value(", ".join(BUREAU))

    # The department's row: a form of its own, its field labelled with the department.
    row = page.locator(
        "form.recipient-row", has=page.locator("label", has_text="122 焦作市政务服务和大数据管理局")
    )
    expect(page.get_by_label("122 焦作市政务服务和大数据管理局")).to_have_count(1)
    row.locator("input[name=emails]").fill(DEPARTMENT)
    row.locator("button[type=submit]").click()
    expect(page.locator(".flash.success")).to_have_text("收件人已保存。")
    expect(row.locator("input[name=emails]")).to_have_value(DEPARTMENT)
    page.screenshot(path=str(screenshots / "1-recipients.png"), full_page=True)

    page.goto(f"{live_server.url}/deliveries")
    form = page.locator("form.send-form")
    form.locator("select[name=kind]").select_option("self-assessment")
    form.locator("select[name=department]").select_option("122")
    expect(form.locator("input[name=year]")).to_have_value("2023")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.success")).to_contain_text(
        "已发送：【绩效自评】焦作市政务服务和大数据管理局 2023年度"
    )
    expect(page.locator("table.deliveries tbody tr").first.locator(".status")).to_have_text("已送达")
    page.screenshot(path=str(screenshots / "2-sent.png"), full_page=True)

    [(envelope, message)] = smtp.inbox.messages
    assert sorted(envelope) == sorted([*BUREAU, DEPARTMENT])
    assert message["Subject"].startswith("【绩效自评】焦作市政务服务和大数据管理局 2023年度")
    files = _attachments(message)
    assert sorted(files) == ["122-2023-self-assessment.pdf", "122-2023-self-assessment.xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(files["122-2023-self-assessment.xlsx"]))
    assert book.worksheets[0].max_row > 5
    pdf = PdfReader(io.BytesIO(files["122-2023-self-assessment.pdf"])).pages[0].extract_text()
    assert "焦作市政务服务和大数据管理局" in pdf

    # 立即报送 of the same package again: delivered before, same content, nothing sent.
    form.locator("select[name=kind]").select_option("self-assessment")
    form.locator("select[name=department]").select_option("122")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.info")).to_contain_text("此前已送达，内容相同，未重复发送")
    assert len(smtp.inbox.messages) == 1

    # 重新发送 on purpose sends again; the same button on a page from before that resend does not.
    stale = page.context.new_page()
    stale.goto(f"{live_server.url}/deliveries")
    page.locator("table.deliveries tbody tr").first.locator("button:has-text('重新发送')").click()
    expect(page.locator(".flash.success")).to_have_text("已重新发送。")
    assert len(smtp.inbox.messages) == 2
    stale.locator("table.deliveries tbody tr").first.locator("button:has-text('重新发送')").click()
    refusal = stale.locator(".flash.info")
    expect(refusal).to_contain_text("已由其他操作发送（共 2 次尝试），未重复发送")
    expect(refusal).to_have_attribute("role", "alert")
    stale.screenshot(path=str(screenshots / "3-resend-refused.png"), full_page=True)
    assert len(smtp.inbox.messages) == 2
    stale.close()
