"""Reading a table (SPEC §8): the ceilings on rows, columns, cells and reading time hold, counted from
the rows themselves and never from the size an XLSX declares. No test here times anything: a file
over a ceiling is refused at the ceiling, so a bomb is as quick to refuse as a small file to read."""

from __future__ import annotations

import io
import os

import pytest

from config import Config
from tests.targets.handmade_xlsx import (
    EVERYTHING,
    cell,
    column_bomb,
    row,
    row_bomb,
    table,
    worksheet,
    xlsx,
)
from tracker.targets.files import read_table
from tracker.targets.tables import FileRejected, Limits

HEADER = ["年度", "部门编码", "部门名称"]
SMALL = Limits(max_rows=3, max_columns=4, max_cells=100)


def read(content: bytes, name: str = "t.xlsx", limits: Limits | None = None):
    return read_table(io.BytesIO(content), name, limits)


def refused(content: bytes, name: str = "t.xlsx", limits: Limits | None = None) -> str:
    with pytest.raises(FileRejected) as caught:
        read(content, name, limits)
    return str(caught.value)


def csv_bytes(rows: list[list[object]]) -> bytes:
    return "".join(",".join(map(str, values)) + "\n" for values in rows).encode()


def sheet_bytes(rows: list[list[object]], dimension: str | None = None) -> bytes:
    return xlsx(worksheet(table(rows), dimension))


FORMATS = [pytest.param(csv_bytes, "t.csv", id="csv"), pytest.param(sheet_bytes, "t.xlsx", id="xlsx")]


def test_the_default_ceilings_are_kept():
    limits = Limits()
    assert (limits.max_rows, limits.max_columns, limits.max_cells, limits.max_seconds) == (
        500_000,
        64,
        8_000_000,
        120.0,
    )
    names = ("IMPORT_MAX_ROWS", "IMPORT_MAX_COLUMNS", "IMPORT_MAX_CELLS", "IMPORT_READ_SECONDS")
    if not any(name in os.environ for name in names):
        assert Limits.from_config({name: getattr(Config, name) for name in names}) == limits


def test_a_cell_in_the_last_row_under_a_declared_full_sheet_is_refused_at_the_row_ceiling():
    message = refused(row_bomb(HEADER))
    assert message.startswith("数据行超过上限（500000 行）：第 1048576 行已超出")


def test_a_cell_in_column_xfd_is_refused_at_the_column_ceiling():
    assert refused(column_bomb(HEADER)).startswith("第 2 行 XFD 列（第 16384 列）超出列数上限（最多 64 列）")
    header_too_wide = xlsx(worksheet([row(1, cell("A1", "年度"), cell("XFD1", "备注"))]))
    assert refused(header_too_wide).startswith("第 1 行 XFD 列（第 16384 列）超出列数上限")


def test_a_declared_dimension_is_not_believed():
    table_ = read(sheet_bytes([HEADER, [2023, "122", "本级"]], dimension=EVERYTHING))
    assert table_.headers == HEADER
    assert table_.rows == [(2, {"年度": "2023", "部门编码": "122", "部门名称": "本级"})]


@pytest.mark.parametrize(("make", "name"), FORMATS)
def test_rows_up_to_the_ceiling_pass_and_one_more_is_refused(make, name):
    rows = [HEADER, *([2023, "122", "本级"] for _ in range(3))]
    assert len(read(make(rows), name, SMALL).rows) == 3
    message = refused(make([*rows, [2023, "122", "本级"]]), name, SMALL)
    assert message.startswith("数据行超过上限（3 行）：第 5 行已超出")


@pytest.mark.parametrize(("make", "name"), FORMATS)
def test_columns_up_to_the_ceiling_pass_and_one_more_is_refused(make, name):
    assert read(make([[*HEADER, "备注"], [2023, "122", "本级", "x"]]), name, SMALL).headers[-1] == "备注"
    message = refused(make([[*HEADER, "备注"], [2023, "122", "本级", "x", "y"]]), name, SMALL)
    assert message.startswith("第 2 行 E 列（第 5 列）超出列数上限（最多 4 列）")


@pytest.mark.parametrize(("make", "name"), FORMATS)
def test_cells_up_to_the_ceiling_pass_and_one_more_is_refused(make, name):
    limits = Limits(max_cells=9)
    rows = [HEADER, [2023, "122", "本级"], [2023, "122", "本级"]]
    assert len(read(make(rows), name, limits).rows) == 2
    message = refused(make([*rows[:2], [2023, "122", "本级", "x"]]), name, limits)
    assert message.startswith("单元格总数超过上限（9 个）：读到第 3 行时已超出")


def test_blank_rows_count_toward_the_row_ceiling():
    far_row = xlsx(worksheet([*table([HEADER]), *table([[2023, "122", "本级"]], first=5)]))
    assert refused(far_row, limits=SMALL).startswith("数据行超过上限（3 行）：第 5 行已超出")
    empty_far_row = xlsx(worksheet([*table([HEADER]), row(1_048_576)]))
    assert refused(empty_far_row).startswith("数据行超过上限（500000 行）：第 1048576 行已超出")
    blank_lines = csv_bytes([HEADER, [2023, "122", "本级"], [], [], [2023, "122", "本级"]])
    assert refused(blank_lines, "t.csv", SMALL).startswith("数据行超过上限（3 行）：第 5 行已超出")


def test_cells_without_coordinates_are_placed_as_openpyxl_places_them():
    cells = "".join(f'<c t="inlineStr"><is><t>{i}</t></is></c>' for i in range(65))
    assert refused(xlsx(worksheet([*table([HEADER]), f"<row>{cells}</row>"]))).startswith(
        "第 2 行 BM 列（第 65 列）超出列数上限（最多 64 列）"
    )


def test_a_row_stuffed_with_xml_is_refused():
    runs = "".join(f"<r><t>{i}</t></r>" for i in range(40))
    stuffed = row(2, f'<c r="A2" t="inlineStr"><is>{runs}</is></c>')
    limits = Limits(max_columns=3)  # 48 elements a row
    assert "第 2 行的内容过于复杂" in refused(xlsx(worksheet([*table([HEADER]), stuffed])), limits=limits)


def test_the_reading_budget_refuses_with_where_it_stopped():
    out_of_time = Limits(max_seconds=0)
    assert refused(csv_bytes([HEADER, [2023, "122", "本级"]]), "t.csv", out_of_time).startswith(
        "读取文件超过时间上限（0 秒），读到第 1 行时停止"
    )
    assert refused(sheet_bytes([HEADER]), limits=out_of_time).startswith(
        "读取文件超过时间上限（0 秒），检查 Excel 文件内部条目“[Content_Types].xml”时停止"
    )


def test_a_sheet_broken_among_its_rows_is_refused_not_raised():
    # openpyxl opens it (the dimension comes first) and fails only while reading the rows.
    broken = xlsx(worksheet(table([HEADER, [2023, "122", "本级"]]), dimension="A1:C2")[:-40])
    assert refused(broken).startswith("Excel 文件无法读取")
