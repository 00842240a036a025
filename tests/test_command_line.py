"""``flask --app wsgi tracker …`` as a script runs it: a real process over a fresh database.

The other CLI tests invoke the commands inside the test app; these run the entry point itself, where
the ``tracker`` group loads ``wsgi`` without the web layer (tracker/cli.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import fresh_database
from tests.evaluation.helpers import validate

ROOT = Path(__file__).resolve().parent.parent

#: Runs Flask's command line, then names every ``tracker`` module and page/API library it imported.
PROBE = """
import sys
from flask.cli import main
try:
    main()
finally:
    loaded = [m for m in sys.modules if m.startswith("tracker") or m == "flask_smorest"]
    print("LOADED", *sorted(loaded), file=sys.stderr)
"""


class CommandLine:
    def __init__(self, database_url: str, files: Path) -> None:
        self.files = files
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TRACKER_CONFIG": "development",
            "UPLOAD_DIR": str(files / "uploads"),
            "REPORT_DIR": str(files / "reports"),
        }

    def __call__(self, *args: str, probe: bool = False) -> subprocess.CompletedProcess:
        program = [sys.executable, "-c", PROBE] if probe else [sys.executable, "-m", "flask"]
        return subprocess.run(
            [*program, "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )


@pytest.fixture(scope="module")
def flask(tmp_path_factory: pytest.TempPathFactory):
    """``flask --app wsgi …`` over a database migrated and loaded with the demo, as ``make run`` does."""
    tmp = tmp_path_factory.mktemp("command-line")
    with fresh_database(tmp) as url:
        run = CommandLine(url, tmp)
        for step in (("db", "upgrade"), ("tracker", "load-demo")):
            done = run(*step)
            assert done.returncode == 0, done.stderr
        yield run


def test_evaluate_prints_the_contract_document_of_the_demo(flask):
    done = flask(
        "tracker", "evaluate", "monitoring", "--year", "2023", "--month", "7", "--department", "122", "--json"
    )

    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    validate(document, "monitoring")
    assert document["department"]["code"] == "122"
    assert {"unit": "122201", "status": "none"} in document["department"]["missing_reports"]


def test_report_writes_the_self_assessment_pdf_of_the_demo(flask, tmp_path):
    out = tmp_path / "自评.pdf"
    done = flask(
        "tracker",
        "report",
        "self-assessment",
        "--year",
        "2023",
        "--department",
        "122",
        "--format",
        "pdf",
        "--out",
        str(out),
    )

    assert done.returncode == 0, done.stderr
    text = PdfReader(out).pages[0].extract_text()
    assert "焦作市政务服务和大数据管理局" in text


def test_without_a_chinese_font_report_writes_no_pdf_and_says_what_to_install(flask, tmp_path):
    from tests.reports.test_fonts import empty_fontconfig

    out = tmp_path / "自评.pdf"
    flask.env["FONTCONFIG_FILE"] = empty_fontconfig(tmp_path)
    try:
        done = flask(
            "tracker", "report", "self-assessment", "--year", "2023", "--department", "122", "--format", "pdf",
            "--out", str(out),
        )  # fmt: skip
    finally:
        del flask.env["FONTCONFIG_FILE"]

    assert done.returncode == 1 and not out.exists()
    assert "无法生成 PDF" in done.stderr and "apt-get install fonts-noto-cjk" in done.stderr


def test_a_tracker_command_loads_no_pages_and_no_api(flask):
    done = flask(
        "tracker", "evaluate", "self-assessment", "--year", "2023", "--department", "122", probe=True
    )

    assert done.returncode == 0, done.stderr
    loaded = done.stderr.rsplit("LOADED", 1)[1].split()
    assert "tracker.evaluation.engine" in loaded
    assert [m for m in loaded if m.startswith("tracker.api.") or m.endswith(".views")] == []
    assert "flask_smorest" not in loaded


def test_other_commands_get_the_whole_app(flask):
    done = flask("routes")

    assert done.returncode == 0, done.stderr
    assert "/api/v1/departments" in done.stdout and "/jobs" in done.stdout and "/login" in done.stdout


def test_the_scheduler_catches_up_in_a_command_line_app(flask):
    done = flask("tracker", "scheduler", "--catch-up-only")

    assert done.returncode == 0, done.stderr
    assert "补跑" in done.stdout
    assert "failed" not in done.stderr
    # each run's lines carry its id: "… INFO tracker.scheduler [job-…] job J P: run N started (catch-up)"
    started = re.findall(
        r"tracker\.scheduler \[(job-[0-9a-f]{16})\] job (\S+ \S+): run \d+ started", done.stderr
    )
    ended = re.findall(r"tracker\.scheduler \[(job-[0-9a-f]{16})\] job (\S+ \S+) succeeded", done.stderr)
    assert started and sorted(started) == sorted(ended), done.stderr
    assert len({run_id for run_id, _ in started}) == len(started)
