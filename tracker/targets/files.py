"""Reading the tables users bring (SPEC §8): CSV or XLSX, UTF-8, first row the header.

Files are judged by their content, never by their name alone, and every defence runs before a
parser sees the bytes: a size limit, a zip-bomb check on the XLSX container (entry count, total
uncompressed size, compression ratio), no DTDs or entities in its XML (openpyxl also parses through
defusedxml when it is installed, which this project requires), and a row limit.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

__all__ = ["FileRejected", "Limits", "Table", "CellProblem", "read_table", "open_source"]


class FileRejected(ValueError):
    """The whole file is refused; ``str()`` says why, in Chinese."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_rows: int = 500_000
    max_zip_entries: int = 2_000
    max_unzipped_bytes: int = 300 * 1024 * 1024
    max_compression_ratio: int = 200


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


_XLSX_MAGIC = b"PK\x03\x04"
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
#: Excel keeps 15 significant digits: a 20-digit 项目编码 typed as a number is already wrong.
_MAX_EXACT_FLOAT = 10**15


def open_source(source: str | Path | IO[bytes]) -> tuple[IO[bytes], str]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise FileRejected(f"找不到文件 {path}")
        return path.open("rb"), path.name
    return source, getattr(source, "name", "") or ""


def read_table(stream: IO[bytes], filename: str, limits: Limits | None = None) -> Table:
    """Read a CSV or XLSX table, refusing anything else with :class:`FileRejected`."""
    limits = limits or Limits()
    data = stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise FileRejected(f"文件超过大小上限（{limits.max_bytes // (1024 * 1024)} MB）")
    if not data:
        raise FileRejected("文件为空")
    suffix = Path(filename).suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise FileRejected(f"只接受 CSV 或 XLSX 文件（收到“{filename or '未命名文件'}”）")
    is_zip = data.startswith(_XLSX_MAGIC)
    if suffix == ".xlsx":
        if not is_zip:
            raise FileRejected("文件扩展名为 .xlsx，但内容不是 Excel 工作簿")
        table = _read_xlsx(data, limits)
    else:
        if is_zip or b"\x00" in data[:65536]:
            raise FileRejected("文件扩展名为 .csv，但内容不是文本（可能是改名的二进制文件）")
        table = _read_csv(data, limits)
    _check_headers(table.headers)
    return table


def _check_headers(headers: list[str]) -> None:
    if not any(headers):
        raise FileRejected("第 1 行应为表头，但为空")
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise FileRejected(f"表头“{header}”重复")
        seen.add(header)


def _clean_header(value: Any) -> str:
    return re.sub(r"\s+", "", str(value or "")).replace("（", "(").replace("）", ")")


def _read_csv(data: bytes, limits: Limits) -> Table:
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
    headers = [_clean_header(h) for h in header]
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[CellProblem] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= limits.max_rows:
                raise FileRejected(f"数据行超过上限（{limits.max_rows} 行）")
            if len(record) > len(headers) and any(cell.strip() for cell in record[len(headers) :]):
                problems.append(
                    CellProblem(line, "", f"本行有 {len(record)} 列，多于表头的 {len(headers)} 列")
                )
            rows.append((line, {h: (record[i] if i < len(record) else "") for i, h in enumerate(headers)}))
    except csv.Error as exc:
        raise FileRejected(f"第 {reader.line_num} 行无法按 CSV 解析：{exc}") from exc
    return Table(headers, rows, problems)


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
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileRejected("文件是压缩包，但不是 Excel（.xlsx）工作簿")
    for entry in entries:
        if entry.filename.endswith((".xml", ".rels")):
            with archive.open(entry) as member:
                head = member.read(4096)
            if _DOCTYPE.search(head):
                raise FileRejected(f"Excel 文件条目“{entry.filename}”含有 DTD/实体声明，已拒绝")


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
    return str(value)


def _read_xlsx(data: bytes, limits: Limits) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FileRejected("Excel 文件已损坏，无法打开") from exc
    with archive:
        _check_zip(archive, limits)
    import openpyxl

    if not getattr(openpyxl, "DEFUSEDXML", False):  # pragma: no cover - a dependency of the project
        raise FileRejected("服务器缺少 defusedxml，出于安全考虑不读取 Excel 文件")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise FileRejected(f"Excel 文件无法读取：{type(exc).__name__}") from exc
    try:
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header = next(iterator, None)
        if header is None:
            raise FileRejected("工作表为空")
        headers = [_clean_header(h) for h in header]
        while headers and not headers[-1]:
            headers.pop()
        rows: list[tuple[int, dict[str, str]]] = []
        problems: list[CellProblem] = []
        for line, values in enumerate(iterator, start=2):
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            if len(rows) >= limits.max_rows:
                raise FileRejected(f"数据行超过上限（{limits.max_rows} 行）")
            rows.append(
                (
                    line,
                    {
                        h: _cell_text(values[i] if i < len(values) else None, line, h, problems)
                        for i, h in enumerate(headers)
                    },
                )
            )
    finally:
        workbook.close()
    return Table(headers, rows, problems)
