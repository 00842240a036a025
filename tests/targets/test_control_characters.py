"""A cell holding a control character — ESC, BEL, the C1 controls — is refused by every import, CSV
and XLSX alike, naming the file, the row and the column (issue 12 §11); tabs and line breaks in a text
cell are kept. Nothing of a refused file is written."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.reporting.world import World, build_world
from tests.targets.handmade_xlsx import table, worksheet, xlsx
from tracker.budget.models import DepartmentBudgetLine, Project, SpendingEntry
from tracker.reporting.models import IndicatorActual
from tracker.targets.files import FileRejected, read_table
from tracker.targets.imports import run_import
from tracker.targets.models import DepartmentGoal, Indicator

CODE = "41080023000000090001"
#: kind → (header, one row, the column the control character goes in, the table it would write)
FILES = {
    "targets": (
        "年度,部门编码,部门名称,单位编码,单位名称,项目编码,项目名称,项目类型,一级指标,二级指标,三级指标,指标值",
        f"2023,801,测试部门,801001,甲一单位,{CODE},窗口服务,其他运转类,产出指标,数量指标,办件数量,≥120件",
        "三级指标",
        Indicator,
    ),
    "projects": (
        "年度,部门编码,单位编码,单位名称,项目编码,项目名称,项目类型,年初预算数(万元)",
        f"2023,801,801001,甲一单位,{CODE},窗口服务,其他运转类,10.00",
        "项目名称",
        Project,
    ),
    "department": (
        "年度,部门编码,科目,金额(万元)",
        "2023,801,部门预算总额,100.00",
        "科目",
        DepartmentBudgetLine,
    ),
    "spending": (
        "年度,月份,单位编码,项目编码,类别,金额(万元)",
        f"2023,3,801001,{CODE},支出,1.00",
        "类别",
        SpendingEntry,
    ),
    "actuals": (
        "年度,月份,项目编码,三级指标,实际完成值,偏差原因",
        f"2023,3,{CODE},办件数量,30,其他：人手不足",
        "偏差原因",
        IndicatorActual,
    ),
    "goals": ("类别,内容", "年度履职目标,深化放管服改革", "内容", DepartmentGoal),
}


@pytest.fixture
def world() -> World:
    return build_world()


def _with(row: str, header: str, column: str, character: str) -> str:
    position = header.split(",").index(column)
    cells = row.split(",")
    cells[position] = cells[position][:2] + character + cells[position][2:]
    return ",".join(cells)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("kind", FILES)
@pytest.mark.parametrize(("character", "named"), [("\x1b", "ESC（U+001B）"), ("\x07", "BEL（U+0007）")])
def test_every_import_refuses_a_control_character_naming_file_row_and_column(
    session, world, kind, character, named
):
    header, row, column, model = FILES[kind]
    content = f"{header}\n{row}\n{_with(row, header, column, character)}\n".encode()
    before = _count(session, model)

    report = run_import(kind, io.BytesIO(content), filename=f"{kind}.csv", user=world.department_user)

    assert not report.ok
    found = [str(error) for error in report.errors if "控制字符" in error.reason]
    assert found == [
        f"行 3 列 {column}: 文件“{kind}.csv”第 3 行“{column}”列含有控制字符 {named}，已拒绝："
        "请删除这些看不见的字符（常见于从终端、网页或其他系统复制的内容）后重新导入"
    ]
    assert character not in "".join(str(error) for error in report.errors)
    assert _count(session, model) == before


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("窗口_x001B_[31m服务", "ESC（U+001B）"),  # how Excel writes an ESC the XML cannot hold
        ("窗口\u009b31m服务", "CSI（U+009B）"),  # a C1 control, which XML can hold
        ("窗口\x7f服务", "DEL（U+007F）"),
    ],
)
def test_an_xlsx_cell_with_a_control_character_is_refused(text, named):
    content = xlsx(worksheet(table([["年度", "项目名称"], ["2023", "窗口服务"], ["2023", text]])))

    problems = read_table(io.BytesIO(content), "项目.xlsx").problems

    assert [(p.line, p.column) for p in problems] == [(3, "项目名称")]
    assert f"文件“项目.xlsx”第 3 行“项目名称”列含有控制字符 {named}" in problems[0].reason


@pytest.mark.parametrize("name", ["t.csv", "t.xlsx"])
def test_tabs_and_line_breaks_in_a_text_cell_are_kept(name):
    text = "第一行\n第二行\t（续）"
    if name.endswith(".csv"):
        content = f'年度,指标值说明\n2023,"{text}"\n'.encode()
    else:
        content = xlsx(worksheet(table([["年度", "指标值说明"], ["2023", text]])))

    read = read_table(io.BytesIO(content), name)

    assert read.problems == [] and read.rows[0][1]["指标值说明"] == text


def test_a_control_character_in_the_header_refuses_the_file_naming_the_column():
    with pytest.raises(FileRejected) as refused:
        read_table(io.BytesIO("年度,项目\x1b名称\n2023,x\n".encode()), "p.csv")

    assert str(refused.value).startswith("文件“p.csv”第 1 行（表头）B 列含有控制字符 ESC（U+001B）")


def test_a_control_character_in_the_file_name_is_not_repeated_in_the_message():
    content = "年度,项目名称\n2023,a\x1bb\n".encode()

    [problem] = read_table(io.BytesIO(content), "evil\x1b[2J.csv").problems

    assert "\x1b" not in problem.reason and "evil\\x1b[2J.csv" in problem.reason


def test_the_command_prints_the_refusal_and_exits_1(cli, tmp_path, world, session):
    path = tmp_path / "projects.csv"
    header, row, column, _ = FILES["projects"]
    path.write_text(f"{header}\n{_with(row, header, column, chr(27))}\n", encoding="utf-8")

    result = cli.invoke(args=["tracker", "import-projects", str(path)])

    assert result.exit_code == 1
    output = result.output + (result.stderr if hasattr(result, "stderr") else "")
    assert "第 2 行“项目名称”列含有控制字符 ESC（U+001B）" in output and "\x1b" not in output
