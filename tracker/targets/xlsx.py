"""The bounded XLSX reader (SPEC §8): every defence runs before openpyxl sees the bytes.

First a zip-bomb check on the container (entry count, total uncompressed size, compression ratio),
then one streaming pass over every XML part of the workbook (expat, no tree: no DTDs or entities, a
budget of XML elements, and on the sheet the ceilings of :class:`~tracker.targets.tables.Limits`)
before openpyxl parses any of it (openpyxl also parses through defusedxml, which this project
requires). Only the first sheet is read.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any
from xml.parsers import expat

from tracker.targets.tables import (
    Ceilings,
    CellProblem,
    FileRejected,
    Limits,
    Table,
    cells_exceeded,
    clean_header,
    columns_exceeded,
    rows_exceeded,
)

__all__ = ["read_xlsx"]

#: Excel keeps 15 significant digits: a 20-digit 项目编码 typed as a number is already wrong.
_MAX_EXACT_FLOAT = 10**15


def _check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    entries = archive.infolist()
    if len(entries) > limits.max_zip_entries:
        raise FileRejected(f"Excel 文件内部条目过多（{len(entries)} 个），疑似恶意文件")
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_unzipped_bytes:
        raise FileRejected("Excel 文件解压后过大，疑似压缩炸弹，已拒绝")
    for entry in entries:
        if entry.compress_size and entry.file_size / entry.compress_size > limits.max_compression_ratio:
            raise FileRejected(f"Excel 文件条目“{entry.filename}”压缩比异常，疑似压缩炸弹，已拒绝")
    names = {entry.filename for entry in entries}
    if len(names) != len(entries):
        raise FileRejected("Excel 文件内部有重名的条目，疑似恶意文件，已拒绝")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRejected("文件是压缩包，但不是 Excel（.xlsx）工作簿")


#: A cell reference as openpyxl reads it (``A1``, ``$XFD$1048576``).
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?\d+$")
#: XML elements a row may hold per column allowed (a cell, its value, rich-text runs and their fonts).
_ELEMENTS_PER_COLUMN = 16
#: XML elements a sheet may hold outside its rows (columns, merged cells, links, validations …).
_MAX_SHEET_ELEMENTS_OUTSIDE_ROWS = 100_000
_CHUNK = 64 * 1024


def _row_number(text: str) -> int:
    """A row's ``r`` as openpyxl reads it: an integer, or a float that is one."""
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise
        return int(number)


def _looks_like_xml(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


class _WorkbookScan:
    """One streaming pass (expat, no tree kept) over every XML part of a workbook, before openpyxl
    parses any of them: a DTD refuses the file, every part's elements count against one budget (as
    many as a workbook at the cell ceiling needs), and the clock runs.

    On a worksheet part the pass also counts what openpyxl will read (:class:`_SheetScan`); the first
    ceiling crossed is kept in :attr:`sheets`. Which part is the first sheet is known only once
    openpyxl has read the workbook, so it is the reader that refuses.
    """

    def __init__(self, ceilings: Ceilings) -> None:
        self.ceilings = ceilings
        self.budget = 4 * ceilings.limits.max_cells + 1_000_000
        self.elements = 0
        #: worksheet part → the first ceiling its rows cross, or None
        self.sheets: dict[str, str | None] = {}

    def scan(self, archive: zipfile.ZipFile) -> None:
        for entry in archive.infolist():
            if entry.is_dir():
                continue
            with archive.open(entry) as member:
                head = member.read(_CHUNK)
                if _looks_like_xml(head):
                    self._part(entry.filename, head, member)

    def count(self, where: str) -> None:
        """Every 4096th element: the budget and the clock."""
        if self.elements > self.budget:
            raise FileRejected(
                f"Excel 文件内部结构过于庞大（XML 元素超过 {self.budget} 个），疑似恶意文件，已拒绝"
            )
        self.ceilings.check_time(where)

    def _part(self, name: str, head: bytes, member: IO[bytes]) -> None:
        where = f"检查 Excel 文件内部条目“{name}”"
        parser = expat.ParserCreate()
        sheet: _SheetScan | None = None

        def element(tag: str, attrs: dict[str, str]) -> None:
            self.elements += 1
            if not self.elements & 0xFFF:
                self.count(where)

        def root(tag: str, attrs: dict[str, str]) -> None:
            nonlocal sheet
            element(tag, attrs)
            if tag.rpartition(":")[2] == "worksheet":
                sheet = _SheetScan(self, where)
                self.sheets[name] = None
                parser.StartElementHandler = sheet.start
                parser.EndElementHandler = sheet.end
            else:
                parser.StartElementHandler = element

        def refuse_dtd(*args: object) -> None:
            raise FileRejected(f"Excel 文件条目“{name}”含有 DTD/实体声明，已拒绝")

        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = refuse_dtd  # entities can only be declared in a DTD
        parser.StartElementHandler = root
        chunk = head
        try:
            while chunk:
                parser.Parse(chunk, False)
                self.ceilings.check_time(where)
                chunk = member.read(_CHUNK)
            parser.Parse(b"", True)
        except expat.ExpatError:
            # Not well-formed: openpyxl's parser (expat too) stops at the same byte, and a part it
            # does not read (legacy VML) need not be XML at all.
            pass
        if sheet is not None and sheet.problem:
            self.sheets[name] = sheet.problem


class _SheetScan:
    """What openpyxl will make of a worksheet's rows, counted from its elements: rows by number (``r``,
    or one after the last), each child of a row a cell at its column (``r``, or one after the last),
    a row as wide as its last cell (openpyxl pads up to it). Stops counting at the first ceiling
    crossed, keeping it in :attr:`problem`; the elements are still counted for the budget."""

    def __init__(self, scan: _WorkbookScan, where: str) -> None:
        self.scan, self.where = scan, where
        self.limits = limits = scan.ceilings.limits
        self.per_row = _ELEMENTS_PER_COLUMN * limits.max_columns
        self.counting = True
        self.problem = ""
        self.depth = 1  # the root is open
        self.row_depth = 0  # depth of the open row, 0 outside rows
        self.row = self.column = self.width = self.row_elements = 0
        self.outside_rows = self.cells = 0

    def refuse(self, problem: str) -> None:
        self.problem, self.counting, self.row_depth = problem, False, 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        scan = self.scan
        scan.elements += 1
        if not scan.elements & 0xFFF:
            scan.count(self.where)
        self.depth += 1
        if self.row_depth:
            self.row_elements += 1
            if self.row_elements > self.per_row:
                self.refuse(
                    f"第 {self.row} 行的内容过于复杂（超过 {self.per_row} 个 XML 元素），疑似恶意文件，已拒绝"
                )
            elif self.depth == self.row_depth + 1:  # openpyxl takes every child of a row for a cell
                self.cell(attrs.get("r"))
        elif not self.counting:
            return
        elif tag.rpartition(":")[2] == "row":
            self.open_row(attrs.get("r"))
        else:
            self.outside_rows += 1
            if self.outside_rows > _MAX_SHEET_ELEMENTS_OUTSIDE_ROWS:
                self.refuse(
                    f"工作表中表格以外的内容过多（超过 {_MAX_SHEET_ELEMENTS_OUTSIDE_ROWS} 个 XML 元素），"
                    "疑似恶意文件，已拒绝"
                )

    def open_row(self, number: str | None) -> None:
        try:
            row = self.row + 1 if number is None else _row_number(number)
        except (ValueError, OverflowError):
            self.refuse(f"工作表的行号“{(number or '')[:20]}”无效，已拒绝")
            return
        self.row_depth, self.row, self.column, self.width, self.row_elements = self.depth, row, 0, 0, 0
        if row - 1 > self.limits.max_rows:
            self.refuse(rows_exceeded(self.limits, row))

    def cell(self, ref: str | None) -> None:
        if ref:
            match = _CELL_REF.match(ref)
            if match is None:
                self.refuse(f"第 {self.row} 行的单元格坐标“{ref[:20]}”无效，已拒绝")
                return
            column = 0
            for letter in match[1].upper():
                column = column * 26 + ord(letter) - 64
        else:
            column = self.column + 1
        self.column = self.width = column
        if column > self.limits.max_columns:
            self.refuse(columns_exceeded(self.limits, self.row, column))

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.row_depth and self.depth < self.row_depth:  # the row closes
            self.row_depth = 0
            self.cells += self.width
            if self.cells > self.limits.max_cells:
                self.refuse(cells_exceeded(self.limits, self.row))


def _cell_text(value: Any, line: int, column: str, problems: list[CellProblem]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= _MAX_EXACT_FLOAT:
            problems.append(
                CellProblem(
                    line, column, "长数字被 Excel 存成了数值，已丢失精度：请把该列设为“文本”格式后重新录入"
                )
            )
            return ""
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    # Excel writes a character XML cannot hold (ESC, BEL …) as _xHHHH_; openpyxl leaves it so.
    return _OOXML_ESCAPE.sub(lambda match: chr(int(match[1], 16)), str(value))


#: ECMA-376's escape of a character in a cell's text (``_x001B_``; ``_x005F_`` is the underscore).
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def read_xlsx(data: bytes, ceilings: Ceilings) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FileRejected("Excel 文件已损坏，无法打开") from exc
    scan = _WorkbookScan(ceilings)
    with archive:
        _check_zip(archive, ceilings.limits)
        scan.scan(archive)
    import openpyxl

    if not getattr(openpyxl, "DEFUSEDXML", False):  # pragma: no cover - a dependency of the project
        raise FileRejected("服务器缺少 defusedxml，出于安全考虑不读取 Excel 文件")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise FileRejected(f"Excel 文件无法读取：{type(exc).__name__}") from exc
    try:
        if not workbook.worksheets:
            raise FileRejected("Excel 文件中没有工作表")
        sheet = workbook.worksheets[0]
        # The part openpyxl streams the rows from; the scan has seen it, or the file is refused.
        part = getattr(sheet, "_worksheet_path", None)
        if part not in scan.sheets:
            raise FileRejected("Excel 文件的第一个工作表无法识别，已拒绝")
        problem = scan.sheets[part]
        if problem:
            raise FileRejected(problem)
        # The declared <dimension> is not believed: unsized, a row is as wide as its last cell and
        # the sheet as long as its last row, instead of padded to the size the file claims.
        sheet.reset_dimensions()
        return _xlsx_table(sheet.iter_rows(values_only=True), ceilings)
    except FileRejected:
        raise
    except Exception as exc:  # a broken part surfaces only while its rows are read
        raise FileRejected(f"Excel 文件无法读取：{type(exc).__name__}") from exc
    finally:
        workbook.close()


def _xlsx_table(iterator: Iterator[tuple[Any, ...]], ceilings: Ceilings) -> Table:
    header = next(iterator, None)
    if header is None:
        raise FileRejected("工作表为空")
    ceilings.row(1, 0, len(header))
    headers = [clean_header(h) for h in header]
    while headers and not headers[-1]:
        headers.pop()
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[CellProblem] = []
    # Rows come numbered as in the sheet (openpyxl yields the missing ones empty), so the row
    # ceiling stops a far row here too, had it passed the scan.
    for line, values in enumerate(iterator, start=2):
        ceilings.row(line, line - 1, len(values))
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        rows.append(
            (
                line,
                {
                    h: _cell_text(values[i] if i < len(values) else None, line, h, problems)
                    for i, h in enumerate(headers)
                },
            )
        )
    return Table(headers, rows, problems)
