"""Issue 5 "done": on the 焦作 demo, ``send-reports`` delivers a 绩效自评 package whose numbers equal
``evaluate self-assessment --json``."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from pypdf import PdfReader

from tracker.targets.demo import load_demo

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(session):
    for report in load_demo():
        assert report.ok, report.errors[:5]


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_demo_self_assessment_package_sent_by_mail_equals_the_evaluation(demo, smtp, cli):
    evaluated = cli.invoke(
        args=["tracker", "evaluate", "self-assessment", "--year", "2023", "--department", "122", "--json"]
    )
    document = json.loads(evaluated.stdout)

    sent = cli.invoke(
        args=["tracker", "send-reports", "--kind", "self-assessment", "--year", "2023", "--department", "122"]
    )

    assert sent.exit_code == 0, sent.output
    [(_, message)] = smtp.inbox.messages
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    book = openpyxl.load_workbook(io.BytesIO(files["122-2023-self-assessment.xlsx"]))
    assert len(book.worksheets) == len(document["projects"]) + 1
    for sheet, project in zip(book.worksheets, document["projects"], strict=False):
        rows = _rows(sheet)
        assert next(row[1] for row in rows if row[0] == "项目名称") == project["name"]
        assert [
            (row[3], row[6], row[7]) for row in rows if row[3] in {i["name"] for i in project["indicators"]}
        ] == [(item["name"], item["weight"], item["score"]) for item in project["indicators"]]
        assert next(row[7] for row in rows if row[0] == "总分") == project["total"]
    whole = _rows(book.worksheets[-1])
    assert next(row[7] for row in whole if row[0] == "总分") == document["department"]["total"]
    pdf_text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(files["122-2023-self-assessment.pdf"])).pages
    )
    assert "焦作市政务服务和大数据管理局" in pdf_text and "部门整体绩效自评表" in pdf_text
