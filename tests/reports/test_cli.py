"""``flask tracker report …`` writes the package files."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from pypdf import PdfReader


def _report(cli, kind: str, out: Path, *options: str, department: str = "801"):
    """``flask tracker report KIND --year 2023 --department … --format <out's suffix> --out OUT …``."""
    return cli.invoke(
        args=[
            "tracker",
            "report",
            kind,
            "--year",
            "2023",
            "--department",
            department,
            "--format",
            out.suffix.lstrip("."),
            "--out",
            str(out),
            *options,
        ]
    )


def test_report_command_writes_the_monitoring_workbook(scenario, cli, tmp_path):
    out = tmp_path / "m.xlsx"

    result = _report(cli, "monitoring", out, "--month", "7")

    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(io.BytesIO(out.read_bytes())).sheetnames[-1] == "预算执行进度"


def test_report_command_writes_the_self_assessment_pdf(scenario, cli, tmp_path):
    out = tmp_path / "s.pdf"

    result = _report(cli, "self-assessment", out, "--date", "2024-02-01")

    assert result.exit_code == 0, result.output
    assert "项目支出绩效自评表" in PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text()


def test_monitoring_report_without_a_month_is_refused(scenario, cli, tmp_path):
    result = _report(cli, "monitoring", tmp_path / "x.pdf")

    assert result.exit_code != 0
    assert "月份" in result.output + (result.stderr if hasattr(result, "stderr") else "")


def test_report_for_an_unknown_department_is_refused(scenario, cli, tmp_path):
    result = _report(cli, "execution", tmp_path / "x.xlsx", "--month", "7", department="999")

    assert result.exit_code != 0
    assert not (tmp_path / "x.xlsx").exists()
