"""Reading the files users bring (SPEC §8): CSV or XLSX, UTF-8, first row the header.

Files are judged by their content, never by their name alone, and every defence runs before a
parser sees the bytes: a size limit here, then the reader of the kind the content is —
:func:`~tracker.targets.tables.read_csv` or the bounded :func:`~tracker.targets.xlsx.read_xlsx` —
each counting the ceilings of :class:`~tracker.targets.tables.Limits` as the rows come.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from tracker import rules
from tracker.targets.tables import (
    Ceilings,
    CellProblem,
    FileRejected,
    Limits,
    Table,
    check_headers,
    column_letter,
    read_csv,
)
from tracker.targets.xlsx import read_xlsx

__all__ = ["read_table", "open_source"]

_XLSX_MAGIC = b"PK\x03\x04"


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
    ceilings = Ceilings(limits)
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
        table = read_xlsx(data, ceilings)
    else:
        if is_zip or b"\x00" in data[:65536]:
            raise FileRejected("文件扩展名为 .csv，但内容不是文本（可能是改名的二进制文件）")
        table = read_csv(data, ceilings)
    check_headers(table.headers)
    _refuse_control_characters(table, filename)
    return table


def _refuse_control_characters(table: Table, filename: str) -> None:
    """A cell holding a control character other than tab and line breaks is a problem of its row,
    naming the file, row and column — in the header, of the whole file (issue 12 §11)."""
    name = rules.visible_text(filename)
    for index, text in enumerate(table.headers, start=1):
        if found := rules.control_characters(text):
            raise FileRejected(
                f"文件“{name}”第 1 行（表头）{column_letter(index)} 列含有控制字符 "
                f"{rules.control_character_names(found)}：{_CONTROL_ADVICE}"
            )
    for line, row in table.rows:
        if not rules.control_characters("\t".join(row.values())):  # one scan a row
            continue
        for column, value in row.items():
            if found := rules.control_characters(value):
                column = rules.visible_text(column)
                table.problems.append(
                    CellProblem(
                        line,
                        column,
                        f"文件“{name}”第 {line} 行“{column}”列含有控制字符 "
                        f"{rules.control_character_names(found)}，已拒绝：{_CONTROL_ADVICE}",
                    )
                )


_CONTROL_ADVICE = "请删除这些看不见的字符（常见于从终端、网页或其他系统复制的内容）后重新导入"
