"""``flask tracker report …`` and ``flask tracker send-reports …`` (issue 5)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import click

from tracker.reports.delivery import NoRecipients
from tracker.reports.fonts import MissingFont, require_cjk_font
from tracker.reports.jobs import send_for_all
from tracker.reports.models import REPORT_KINDS
from tracker.reports.pdf import package_pdf
from tracker.reports.service import BadPeriod, build_package
from tracker.reports.xlsx import package_xlsx


@click.command("report")
@click.argument("kind", type=click.Choice(REPORT_KINDS))
@click.option("--year", type=int, required=True)
@click.option("--month", type=click.IntRange(1, 12))
@click.option("--department", "department_code", required=True, help="部门编码")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@click.option("--date", "report_date", type=click.DateTime(["%Y-%m-%d"]), help="编制日期 (default: today)")
def report_command(
    kind: str,
    year: int,
    month: int | None,
    department_code: str,
    fmt: str,
    out: Path,
    report_date: datetime | None,
) -> None:
    """Write a department's 绩效自评 / 绩效监控 / 预算执行进度 package as XLSX or PDF (a PDF only where
    a Chinese font is installed: otherwise nothing is written and the message says what to install)."""
    try:
        if fmt == "pdf":
            require_cjk_font()
        package = build_package(
            kind, year, month, department_code, report_date=report_date.date() if report_date else None
        )
        content = package_pdf(package) if fmt == "pdf" else package_xlsx(package)
    except (BadPeriod, LookupError, MissingFont) as exc:
        raise click.ClickException(str(exc)) from exc
    out.write_bytes(content)
    click.echo(f"{out} ({len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()})")


@click.command("send-reports")
@click.option("--kind", type=click.Choice(REPORT_KINDS), required=True)
@click.option("--year", type=int, required=True)
@click.option("--month", type=click.IntRange(1, 12))
@click.option("--department", "department_code", help="部门编码 (default: every department with projects)")
@click.option("--resend", is_flag=True, help="再次发送已送达的同一报表（默认不重复发送）")
def send_reports_command(
    kind: str, year: int, month: int | None, department_code: str | None, resend: bool
) -> None:
    """E-mail packages to the finance bureau, each once: a package already delivered is not sent
    again unless --resend; failures are recorded and retried by the scheduler."""
    from tracker.extensions import db
    from tracker.reports.models import Delivery

    try:
        if department_code:
            from tracker.reports.delivery import send_package

            ids = [send_package(kind, year, month, department_code, resend=resend).id]
        else:
            ids = send_for_all(kind, year, month, resend=resend)
    except (BadPeriod, LookupError, NoRecipients, MissingFont) as exc:
        raise click.ClickException(str(exc)) from exc
    failed = 0
    for delivery_id in ids:
        delivery = db.session.get(Delivery, delivery_id)
        assert delivery is not None
        period = f"{delivery.year}-{delivery.month:02d}" if delivery.month else f"{delivery.year}"
        problem = f" ({delivery.last_error})" if delivery.status != "sent" else ""
        click.echo(
            f"#{delivery.id} {delivery.kind} {delivery.department.code} {period} → "
            f"{delivery.recipients}: {delivery.status}{problem}"
        )
        failed += delivery.status != "sent"
    if failed or not ids:
        raise SystemExit(1)
