"""The package as one XLSX workbook, a sheet per form (XlsxWriter).

Every text cell is written with ``write_string`` (``strings_to_formulas`` off as well), and a text
that begins like a formula (``= + - @``) also gets Excel's quote prefix, so a hostile 偏差原因 stays
text even when someone edits the cell later. Workbook properties carry the report date, never
"now", so the same data gives the same bytes.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tracker.reports.forms import (
    LAMP_TEXT,
    ExecutionSheet,
    MonitoringSheet,
    Package,
    SelfAssessmentSheet,
)

if TYPE_CHECKING:
    import xlsxwriter
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

__all__ = ["package_xlsx", "FORMULA_PREFIXES"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LAMP_COLOURS = {
    "green": "#C6EFCE",
    "yellow": "#FFEB9C",
    "red": "#FFC7CE",
    "missing": "#E7E6E6",
    "n/a": "#E7E6E6",
}


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 10, "border": 1, "valign": "vcenter", "text_wrap": True}
        self.title = book.add_format(
            {"font_name": "黑体", "font_size": 16, "bold": True, "align": "center", "valign": "vcenter"}
        )
        self.subtitle = book.add_format({"font_name": "宋体", "font_size": 10, "align": "center"})
        self.note = book.add_format({"font_name": "宋体", "font_size": 9, "italic": True})
        self.header = book.add_format({**base, "bold": True, "align": "center", "bg_color": "#D9E1F2"})
        self.text = book.add_format(base)
        self.text_quoted = book.add_format({**base, "quote_prefix": True})
        self.center = book.add_format({**base, "align": "center"})
        self.money = book.add_format({**base, "num_format": "#,##0.00"})
        self.score = book.add_format({**base, "num_format": "0.00"})
        self.percent = book.add_format({**base, "num_format": "0.00%"})
        self.bold_score = book.add_format({**base, "num_format": "0.00", "bold": True})
        self.lamps = {
            status: book.add_format({**base, "align": "center", "bg_color": colour})
            for status, colour in LAMP_COLOURS.items()
        }


class _Sheet:
    """A worksheet with a write cursor and the safe writers."""

    def __init__(self, book: xlsxwriter.Workbook, formats: _Formats, name: str, widths: list[int]) -> None:
        self.ws: Worksheet = book.add_worksheet(name)
        self.f = formats
        self.columns = len(widths)
        self.row = 0
        for column, width in enumerate(widths):
            self.ws.set_column(column, column, width)
        self.ws.set_landscape()
        self.ws.set_paper(9)  # A4
        self.ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        self.ws.fit_to_pages(1, 0)
        self.ws.center_horizontally()

    def text(self, row: int, column: int, value: str, fmt: Format | None = None) -> None:
        fmt = fmt or self.f.text
        if not value:
            self.ws.write_blank(row, column, None, fmt)
            return
        if value.startswith(FORMULA_PREFIXES) and fmt is self.f.text:
            fmt = self.f.text_quoted
        self.ws.write_string(row, column, value, fmt)

    def texts(self, values: list[str], fmt: Format | None = None, start: int = 0) -> None:
        """``values`` in consecutive cells of the current row, from column ``start``."""
        for column, value in enumerate(values, start=start):
            self.text(self.row, column, value, fmt)

    def merged(
        self, first_col: int, last_col: int, value: str, fmt: Format | None = None, rows: int = 1
    ) -> None:
        fmt = fmt or self.f.text
        if value and value.startswith(FORMULA_PREFIXES) and fmt is self.f.text:
            fmt = self.f.text_quoted
        if first_col != last_col or rows != 1:
            self.ws.merge_range(self.row, first_col, self.row + rows - 1, last_col, None, fmt)
        self.text(self.row, first_col, value, fmt)

    def number(self, row: int, column: int, value: Decimal | None, fmt: Format) -> None:
        if value is None:
            self.ws.write_blank(row, column, None, fmt)
        else:
            self.ws.write_number(row, column, value, fmt)

    def percent(self, row: int, column: int, value: Decimal | None) -> None:
        """A percent number of the documents (54.00) as an Excel percentage (0.54 shown 54.00%)."""
        self.number(row, column, None if value is None else value / 100, self.f.percent)

    def lamp(self, row: int, column: int, status: str) -> None:
        self.ws.write_string(
            row, column, LAMP_TEXT.get(status, status or ""), self.f.lamps.get(status, self.f.center)
        )

    def title(self, package: Package, title: str) -> None:
        self.ws.set_row(0, 28)
        self.ws.merge_range(0, 0, 0, self.columns - 1, title, self.f.title)
        self.ws.merge_range(
            1,
            0,
            1,
            self.columns - 1,
            f"（{package.period}）  编制日期：{package.report_date.isoformat()}",
            self.f.subtitle,
        )
        self.ws.set_header(f'&L&"宋体"{_escape(package.department_name)}&R&"宋体"{_escape(title)}')
        self.ws.set_footer(f'&L&"宋体"{package.report_date.isoformat()}&C&"宋体"第 &P 页 / 共 &N 页')
        self.row = 2

    def heading_pairs(self, pairs: list[tuple[str, str]]) -> None:
        """项目名称 / 主管部门 / 实施单位: label in column A, value over the rest."""
        for label, value in pairs:
            self.merged(0, 0, label, self.f.header)
            self.merged(1, self.columns - 1, value)
            self.row += 1


def _escape(text: str) -> str:
    return text.replace("&", "&&")


def package_xlsx(package: Package) -> bytes:
    """The package's workbook as bytes."""
    import xlsxwriter  # lazy: only exports need it, not every command's start-up

    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    stamp = datetime(package.report_date.year, package.report_date.month, package.report_date.day)
    book.set_properties(
        {
            "title": package.title,
            "subject": package.period,
            "author": package.department_name,
            "company": package.department_name,
            "created": stamp,
        }
    )
    book.set_calc_mode("manual")
    formats = _Formats(book)
    for sheet in package.sheets:
        if isinstance(sheet, SelfAssessmentSheet):
            _self_assessment(book, formats, package, sheet)
        elif isinstance(sheet, MonitoringSheet):
            _monitoring(book, formats, package, sheet)
        elif isinstance(sheet, ExecutionSheet):
            _execution(book, formats, package, sheet)
        else:  # pragma: no cover - a new form without a writer is a programming error
            raise TypeError(type(sheet))
    book.close()
    return out.getvalue()


def _self_assessment(book: Any, formats: _Formats, package: Package, sheet: SelfAssessmentSheet) -> None:
    """项目支出绩效自评表 / 部门整体绩效自评表 on a 9-column grid (财预〔2020〕10号 附件)."""
    s = _Sheet(book, formats, sheet.sheet_name, [11, 14, 13, 24, 16, 16, 9, 9, 34])
    f = formats
    s.title(package, sheet.title)
    s.heading_pairs(sheet.heading)
    # 项目资金（万元）
    funds_label = "项目资金（万元）" if sheet.project_code else "年度资金（万元）"
    s.merged(0, 0, funds_label, f.header, rows=len(sheet.funds) + 1)
    s.texts(
        ["", "年初预算数", "全年预算数(A)", "全年执行数(B)", "分值", "执行率(B/A)", "得分", ""],
        f.header,
        start=1,
    )
    s.row += 1
    for fund in sheet.funds:
        s.text(s.row, 1, fund.label, f.text)
        s.number(s.row, 2, fund.initial, f.money)
        s.number(s.row, 3, fund.budget, f.money)
        s.number(s.row, 4, fund.spent, f.money)
        s.number(s.row, 5, fund.weight, f.score)
        s.percent(s.row, 6, fund.rate)
        s.number(s.row, 7, fund.score, f.score)
        s.text(s.row, 8, "", f.text)
        s.row += 1
    # 年度总体目标
    s.merged(0, 0, "年度总体目标", f.header, rows=2)
    s.merged(1, 4, "预期目标", f.header)
    s.merged(5, 8, "实际完成情况", f.header)
    s.row += 1
    s.ws.set_row(s.row, max(30, 15 * (1 + max(len(sheet.goal_expected), len(sheet.goal_actual)) // 60)))
    s.merged(1, 4, sheet.goal_expected)
    s.merged(5, 8, sheet.goal_actual)
    s.row += 1
    # 绩效指标
    header_row = s.row
    s.merged(0, 0, "绩效指标", f.header, rows=len(sheet.indicators) + 1)
    s.texts(
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            "实际完成值",
            "分值",
            "得分",
            "偏差原因分析及改进措施",
        ],
        f.header,
        start=1,
    )
    s.row += 1
    for item in sheet.indicators:
        s.text(s.row, 1, item.level1)
        s.text(s.row, 2, item.level2)
        s.text(s.row, 3, item.name)
        s.text(s.row, 4, item.target)
        s.text(s.row, 5, item.actual)
        s.number(s.row, 6, item.weight, f.score)
        s.number(s.row, 7, item.score, f.score)
        cause = "；".join(filter(None, [item.cause, *item.flags]))
        s.text(s.row, 8, cause)
        s.row += 1
    s.merged(0, 5, "总分", f.header)
    s.number(s.row, 6, Decimal(100), f.bold_score)
    s.number(s.row, 7, sheet.total, f.bold_score)
    s.text(s.row, 8, f"等级：{sheet.grade}", f.header)
    s.row += 1
    s.ws.freeze_panes(header_row + 1, 0)
    s.ws.repeat_rows(header_row)
    s.ws.print_area(0, 0, s.row - 1, s.columns - 1)


def _monitoring(book: Any, formats: _Formats, package: Package, sheet: MonitoringSheet) -> None:
    """绩效监控情况表（1–M月） on a 10-column grid (财预〔2019〕136号 附件)."""
    s = _Sheet(book, formats, sheet.sheet_name, [11, 13, 22, 14, 14, 14, 26, 11, 26, 9])
    f = formats
    month = package.month or 12
    s.title(package, sheet.title)
    s.heading_pairs(sheet.heading)
    if sheet.project_code:
        s.merged(0, 0, "预算执行情况（万元）", f.header, rows=2)
        s.merged(1, 2, "全年预算数", f.header)
        s.texts([f"1–{month}月执行数", "执行率", "全年预计执行数", "时间进度"], f.header, start=3)
        s.merged(7, 8, "说明", f.header)
        s.text(s.row, 9, "状态", f.header)
        s.row += 1
        s.ws.merge_range(s.row, 1, s.row, 2, "", f.money)
        s.number(s.row, 1, sheet.budget, f.money)
        s.number(s.row, 3, sheet.spent, f.money)
        s.percent(s.row, 4, sheet.execution)
        s.number(s.row, 5, sheet.forecast_spent, f.money)
        s.percent(s.row, 6, package.time_progress)
        s.merged(7, 8, "全年预计执行数按1–M月进度推算".replace("M", str(month)), f.text)
        s.lamp(s.row, 9, sheet.budget_status)
        s.row += 1
    if sheet.metrics:
        s.merged(0, 0, "部门财务指标", f.header, rows=len(sheet.metrics))
        for name, value in sheet.metrics:
            s.merged(1, 3, name)
            if value is None:
                s.merged(4, 9, "—（年末计算）" if "结转" in name else "—")
            else:
                s.ws.merge_range(s.row, 4, s.row, 9, "", f.percent)
                s.percent(s.row, 4, value)
            s.row += 1
    s.merged(0, 0, "年度总体目标", f.header)
    s.ws.set_row(s.row, max(30, 15 * (1 + len(sheet.goal) // 110)))
    s.merged(1, 9, sheet.goal.strip())
    s.row += 1
    header_row = s.row
    s.texts(
        [
            "一级指标",
            "二级指标",
            "三级指标",
            "年度指标值",
            f"1–{month}月完成值",
            "全年预计完成值",
            "偏差原因分析",
            "完成目标可能性",
            "采取的改进措施",
            "状态",
        ],
        f.header,
    )
    s.row += 1
    for item in sheet.indicators:
        s.texts(
            [
                item.level1,
                item.level2,
                item.name,
                item.target,
                item.actual,
                item.forecast,
                item.cause,
                item.likelihood,
                item.measure,
            ]
        )
        s.lamp(s.row, 9, item.status)
        s.row += 1
    s.ws.freeze_panes(header_row + 1, 0)
    s.ws.repeat_rows(header_row)
    s.ws.print_area(0, 0, s.row - 1, s.columns - 1)


def _execution(book: Any, formats: _Formats, package: Package, sheet: ExecutionSheet) -> None:
    """预算执行进度表: one row per project, totals at the end."""
    s = _Sheet(book, formats, sheet.sheet_name, [6, 24, 24, 34, 13, 13, 11, 11, 9])
    f = formats
    s.title(package, sheet.title)
    header_row = s.row
    s.texts(
        [
            "序号",
            "实施单位",
            "项目编码",
            "项目名称",
            "全年预算数（万元）",
            "累计执行数（万元）",
            "预算执行进度",
            "时间进度",
            "状态",
        ],
        f.header,
    )
    s.row += 1
    for item in sheet.rows:
        s.number(s.row, 0, Decimal(item.number), f.center)
        s.text(s.row, 1, item.unit)
        s.text(s.row, 2, item.code)
        s.text(s.row, 3, item.name)
        s.number(s.row, 4, item.budget, f.money)
        s.number(s.row, 5, item.spent, f.money)
        s.percent(s.row, 6, item.execution)
        s.percent(s.row, 7, package.time_progress)
        s.lamp(s.row, 8, item.status)
        s.row += 1
    s.merged(0, 3, "合计", f.header)
    s.number(s.row, 4, sheet.total_budget, f.money)
    s.number(s.row, 5, sheet.total_spent, f.money)
    s.percent(s.row, 6, sheet.total_execution)
    s.percent(s.row, 7, package.time_progress)
    s.text(s.row, 8, "", f.text)
    s.row += 1
    s.ws.write_string(
        s.row + 1,
        0,
        "状态：按预算执行进度与时间进度之比亮灯（绿灯、黄灯、红灯），阈值见财政局设置的规则包。",
        f.note,
    )
    s.ws.freeze_panes(header_row + 1, 0)
    s.ws.repeat_rows(header_row)
    s.ws.print_area(0, 0, s.row - 1, s.columns - 1)
