"""Without a Chinese font no PDF is written or sent (issue 12 §12): the download, the delivery and
the report command refuse with the install line instead of an unreadable file. "Without the font" is
fontconfig pointed at a configuration with no font directory (FONTCONFIG_FILE), as a bare host has.
The command's own process is in tests/test_command_line.py."""

from __future__ import annotations

import pytest

from tests.conftest import login_as
from tests.factories import UserFactory
from tracker.extensions import db
from tracker.reports import delivery as deliveries
from tracker.reports.fonts import MissingFont, require_cjk_font
from tracker.reports.models import Delivery

INSTALL = "apt-get install fonts-noto-cjk"


def empty_fontconfig(directory) -> str:
    """A fontconfig configuration that knows no font at all."""
    path = directory / "fonts.conf"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><cachedir>{directory / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    return str(path)


@pytest.fixture
def no_fonts(monkeypatch, tmp_path):
    monkeypatch.setenv("FONTCONFIG_FILE", empty_fontconfig(tmp_path))


def test_the_installed_noto_font_is_found():
    assert require_cjk_font() == "Noto Sans CJK SC"


def test_without_a_chinese_font_the_check_refuses_with_the_install_line(no_fonts):
    with pytest.raises(MissingFont) as refused:
        require_cjk_font()

    assert "无法生成 PDF" in str(refused.value) and INSTALL in str(refused.value)


def test_without_fc_list_the_check_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nowhere to find fc-list
    monkeypatch.setenv("FONTCONFIG_PATH", str(tmp_path))  # another environment: asked again

    with pytest.raises(MissingFont) as refused:
        require_cjk_font()

    assert "apt-get install fontconfig fonts-noto-cjk" in str(refused.value)


def test_the_pdf_download_answers_503_with_the_install_line_and_no_pdf(client, scenario, no_fonts):
    login_as(client, UserFactory(role="finance"))

    response = client.get("/downloads/self-assessment/801/2023.pdf")

    assert response.status_code == 503 and response.mimetype == "text/html"
    assert INSTALL in response.get_data(as_text=True)
    assert client.get("/downloads/self-assessment/801/2023.xlsx").status_code == 200, "XLSX needs no font"


def test_no_delivery_is_recorded_or_sent_without_the_font(scenario, smtp, no_fonts):
    with pytest.raises(MissingFont):
        deliveries.send_package("execution", 2023, 7, "801")

    assert smtp.inbox.messages == [] and db.session.query(Delivery).count() == 0


def test_the_send_page_says_what_to_install(client, scenario, smtp, no_fonts):
    login_as(client, UserFactory(role="finance"))
    form = {"kind": "execution", "department": "801", "year": "2023", "month": "7"}

    client.post("/deliveries/send", data=form)

    assert INSTALL in client.get("/deliveries").get_data(as_text=True)
    assert smtp.inbox.messages == []


def test_the_report_command_writes_no_pdf_and_exits_1(scenario, cli, tmp_path, no_fonts):
    out = tmp_path / "自评.pdf"
    args = ["tracker", "report", "self-assessment", "--year", "2023", "--department", "801"]

    result = cli.invoke(args=[*args, "--format", "pdf", "--out", str(out)])

    assert result.exit_code == 1 and INSTALL in result.output and not out.exists()
    xlsx = tmp_path / "自评.xlsx"
    assert cli.invoke(args=[*args, "--format", "xlsx", "--out", str(xlsx)]).exit_code == 0
    assert xlsx.stat().st_size > 0
