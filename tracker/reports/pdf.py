"""The package as one PDF: a Jinja template rendered by WeasyPrint with the Noto CJK fonts (none
rendered without a Chinese font: :mod:`tracker.reports.fonts`).

The metadata dates come from the report date (``dcterms.created``) and the PDF identifier from the
content, so the same data gives the same bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from decimal import Decimal

from flask import render_template

from tracker import rules
from tracker.reports.fonts import require_cjk_font
from tracker.reports.forms import LAMP_TEXT, Package

__all__ = ["package_pdf", "package_html", "content_digest", "fmt_money", "fmt_percent"]

CENT = Decimal("0.01")


def fmt_money(value: Decimal) -> str:
    """万元 and scores: 2 decimals, half-up, thousands separated."""
    return f"{rules.round2(Decimal(value)):,}"


def fmt_percent(value: Decimal) -> str:
    return f"{rules.round2(Decimal(value))}%"


def package_html(package: Package) -> str:
    return render_template(
        "pdf/package.html", package=package, lamp_text=LAMP_TEXT, fmt_money=fmt_money, fmt_percent=fmt_percent
    )


def package_pdf(package: Package) -> bytes:
    """The PDF; :class:`~tracker.reports.fonts.MissingFont` when no font here covers Chinese."""
    require_cjk_font()
    html = package_html(package)
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    from weasyprint import HTML  # lazy: 0.4 s of start-up every command would pay

    return HTML(string=html).write_pdf(pdf_identifier=identifier)


def content_digest(package: Package) -> str:
    """SHA-256 of what the package says, its 编制日期 left out: the same data sent on another day is
    the same package (issue 12 §6)."""
    undated = package_html(replace(package, report_date=date.min))
    return hashlib.sha256(undated.encode()).hexdigest()
