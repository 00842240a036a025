"""The tables users bring, and the ceilings of reading one (SPEC §8): a CSV or a sheet's first row
is the header, the rows after it are ``(line, {header: text})``.

A table has ceilings on rows, columns and cells, and its reading a wall-clock budget (:class:`Limits`).
They are counted as the rows come, from the rows themselves, never from a size the file declares
(an XLSX's ``<dimension>`` is ignored): a sheet that puts one cell in row 1,048,576 or in column XFD is
refused at that cell, before anything is padded up to it. CSV is read here; XLSX in
:mod:`tracker.targets.xlsx`; which one a file is, :mod:`tracker.targets.files`.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

__all__ = [
    "FileRejected",
    "Limits",
    "Table",
    "CellProblem",
    "column_letter",
    "Ceilings",
    "clean_header",
    "check_headers",
    "read_csv",
    "rows_exceeded",
    "columns_exceeded",
    "cells_exceeded",
]


class FileRejected(ValueError):
    """The whole file is refused; ``str()`` says why, in Chinese."""


@dataclass(frozen=True)
class Limits:
    """What one file may hold. Rows are counted after the header, blank ones included (a sheet's
    row number, a CSV's record); a row's width is up to its last cell, blanks before it included;
    cells are those widths summed. ``max_seconds`` is the wall-clock budget of reading one file."""

    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 500_000
    max_columns: int = 64
    max_cells: int = 8_000_000
    max_seconds: float = 120.0
    max_zip_entries: int = 2_000
    max_unzipped_bytes: int = 300 * 1024 * 1024
    max_compression_ratio: int = 200

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        """The ceilings an app is configured with (``IMPORT_MAX_ROWS`` … in config.py)."""
        defaults = cls()
        return cls(
            max_rows=int(config.get("IMPORT_MAX_ROWS", defaults.max_rows)),
            max_columns=int(config.get("IMPORT_MAX_COLUMNS", defaults.max_columns)),
            max_cells=int(config.get("IMPORT_MAX_CELLS", defaults.max_cells)),
            max_seconds=float(config.get("IMPORT_READ_SECONDS", defaults.max_seconds)),
        )


@dataclass(frozen=True)
class CellProblem:
    line: int
    column: str
    reason: str


@dataclass
class Table:
    """Rows as ``(line, {header: text})``; ``line`` is the file's line (CSV) or sheet row (XLSX)
    where the record starts, the header being line 1."""

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]
    problems: list[CellProblem] = field(default_factory=list)


def check_headers(headers: list[str]) -> None:
    if not any(headers):
        raise FileRejected("第 1 行应为表头，但为空")
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise FileRejected(f"表头“{header}”重复")
        seen.add(header)


def clean_header(value: Any) -> str:
    return re.sub(r"\s+", "", str(value or "")).replace("（", "(").replace("）", ")")


def column_letter(column: int) -> str:
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def rows_exceeded(limits: Limits, line: int) -> str:
    return (
        f"数据行超过上限（{limits.max_rows} 行）：第 {line} 行已超出（表头之后的空行也计入），"
        "请拆分文件后分批导入"
    )


def columns_exceeded(limits: Limits, line: int, column: int) -> str:
    return (
        f"第 {line} 行 {column_letter(column)} 列（第 {column} 列）超出列数上限"
        f"（最多 {limits.max_columns} 列）：请删除多余的列后再导入"
    )


def cells_exceeded(limits: Limits, line: int) -> str:
    return f"单元格总数超过上限（{limits.max_cells} 个）：读到第 {line} 行时已超出，请拆分文件后分批导入"


class Ceilings:
    """The ceilings of one read (:class:`Limits`), counted as the rows come; the clock starts with it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds
        self.cells = 0

    def check_time(self, where: str) -> None:
        if time.monotonic() >= self.deadline:
            self.out_of_time(where)

    def out_of_time(self, where: str) -> NoReturn:
        raise FileRejected(
            f"读取文件超过时间上限（{self.limits.max_seconds:g} 秒），{where}时停止："
            "请拆分文件分批导入，或另存为 CSV 后导入"
        )

    def row(self, line: int, position: int, width: int) -> None:
        """Count the row starting at ``line``, the ``position``-th after the header, ``width`` cells wide."""
        limits = self.limits
        if position > limits.max_rows:
            raise FileRejected(rows_exceeded(limits, line))
        if width > limits.max_columns:
            raise FileRejected(columns_exceeded(limits, line, width))
        self.cells += width
        if self.cells > limits.max_cells:
            raise FileRejected(cells_exceeded(limits, line))
        if time.monotonic() >= self.deadline:
            self.out_of_time(f"读到第 {line} 行")


def read_csv(data: bytes, ceilings: Ceilings) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileRejected(
            f"第 {line} 行不是 UTF-8 编码：请在 Excel 中“另存为 CSV UTF-8（逗号分隔）”后再导入"
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FileRejected(f"第 1 行无法按 CSV 解析：{exc}") from exc
    if header is None:
        raise FileRejected("文件为空")
    ceilings.row(1, 0, len(header))
    headers = [clean_header(h) for h in header]
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[CellProblem] = []
    start = reader.line_num + 1
    try:
        for position, record in enumerate(reader, start=1):
            line, start = start, reader.line_num + 1
            ceilings.row(line, position, len(record))
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(headers) and any(cell.strip() for cell in record[len(headers) :]):
                problems.append(
                    CellProblem(line, "", f"本行有 {len(record)} 列，多于表头的 {len(headers)} 列")
                )
            rows.append((line, {h: (record[i] if i < len(record) else "") for i, h in enumerate(headers)}))
    except csv.Error as exc:
        raise FileRejected(f"第 {reader.line_num} 行无法按 CSV 解析：{exc}") from exc
    return Table(headers, rows, problems)
