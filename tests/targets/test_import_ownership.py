"""No import takes over another department's project, unit or indicator (SPEC §1, §8).

Department 122 is the real 焦作 data; department 999 is another department whose admin imports
rows naming 122's codes. Every such row is refused, nothing is written, and the refusal reads
exactly as it would for a code that does not exist, so nobody learns another department's codes.
The command line (``user=None``) keeps doing everything.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import DATA
from tests.factories import DepartmentFactory, ProjectFactory, UnitFactory, UserFactory
from tracker.budget.models import DepartmentBudgetLine, Project, SpendingEntry, Unit
from tracker.extensions import db
from tracker.reporting.models import MonthlyReport
from tracker.targets.imports import run_import
from tracker.targets.models import DepartmentGoal, Indicator

TARGETS = DATA / "jiaozuo-2023-targets.csv"
PROJECTS = DATA / "jiaozuo-2023-projects.csv"

FOREIGN = "41080022000000053196"  # 大厅运行费, unit 122101 of department 122
MISSING = "41080099999999999999"  # no project has this code

PROJECTS_HEADER = (
    "年度,部门编码,单位编码,单位名称,项目编码,项目名称,项目类型,年初预算数(万元),一般公共预算(万元)\n"
)
TARGETS_HEADER = (
    "年度,部门编码,部门名称,单位编码,单位名称,项目编码,项目名称,项目类型,项目金额(万元),"
    "一级指标,二级指标,三级指标,指标值,指标值说明\n"
)
SPENDING_HEADER = "年度,月份,单位编码,项目编码,类别,金额(万元)\n"
ACTUALS_HEADER = "年度,月份,部门编码,项目编码,三级指标,实际完成值\n"
DEPARTMENT_HEADER = "年度,部门编码,科目,金额(万元)\n"
TAKEOVER_ROW = f"2023,999,999001,甲,{FOREIGN},改名,其他运转类,1.00,1.00\n"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def write_csv(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors(report) -> list[str]:
    assert not report.ok
    return [str(e) for e in report.errors]


def project_state(code: str = FOREIGN) -> tuple:
    db.session.expire_all()
    project = db.session.scalar(select(Project).where(Project.year == 2023, Project.code == code))
    return (
        project.name,
        project.unit.code,
        project.department.code,
        project.initial_budget,
        project.general_budget,
        project.target_table_amount,
    )


@pytest.fixture
def real(cli):
    """Department 122's projects and targets, imported from the command line."""
    for kind, path in (("import-projects", PROJECTS), ("import-targets", TARGETS)):
        result = cli.invoke(args=["tracker", kind, str(path)])
        assert result.exit_code == 0, result.output


@pytest.fixture
def department_999(real):
    """Another department, with no unit yet."""
    return DepartmentFactory(code="999", name="另一个部门")


@pytest.fixture
def other(department_999):
    """Department 999's admin."""
    return UserFactory(role="department", department_id=department_999.id)


@pytest.fixture
def other_unit(department_999):
    """Unit 999001 of department 999 with a project of its own."""
    unit = UnitFactory(department=department_999, code="999001")
    ProjectFactory(unit=unit, code="41080099900000000001", name="本部门项目")
    return unit


# ---------------------------------------------------------------- 项目预算


def test_the_takeover_row_is_refused_and_the_project_is_unchanged(real, other, tmp_path):
    before = project_state()
    assert before[:3] == ("大厅运行费", "122101", "122")

    report = run_import("projects", write_csv(tmp_path, "p.csv", PROJECTS_HEADER + TAKEOVER_ROW), user=other)

    assert errors(report) == [f"行 2 列 项目编码: 项目编码 {FOREIGN} 已被使用或不可用"]
    assert project_state() == before
    assert db.session.scalar(select(Unit).where(Unit.code == "999001")) is None


def test_the_takeover_refusal_names_nothing_of_the_owner(real, other, tmp_path):
    report = run_import("projects", write_csv(tmp_path, "p.csv", PROJECTS_HEADER + TAKEOVER_ROW), user=other)

    text = " ".join(errors(report))
    assert "122" not in text.replace(FOREIGN, "") and "大厅运行费" not in text


def test_a_new_project_code_of_its_own_is_still_imported(real, other, tmp_path):
    row = f"2023,999,999001,甲,{MISSING},新项目,其他运转类,1.00,1.00\n"

    report = run_import("projects", write_csv(tmp_path, "p.csv", PROJECTS_HEADER + row), user=other)

    assert report.ok, report.errors
    assert project_state(MISSING)[:3] == ("新项目", "999001", "999")


def test_a_unit_code_of_another_department_cannot_be_taken(real, other, tmp_path):
    row = f"2023,999,122101,改名单位,{MISSING},新项目,其他运转类,1.00,1.00\n"

    report = run_import("projects", write_csv(tmp_path, "p.csv", PROJECTS_HEADER + row), user=other)

    assert errors(report) == ["行 2 列 单位编码: 单位编码 122101 已被使用或不可用"]
    unit = db.session.scalar(select(Unit).where(Unit.code == "122101"))
    assert (unit.department.code, unit.name) == ("122", "焦作市政务服务和大数据管理局")
    assert db.session.scalar(select(Project).where(Project.code == MISSING)) is None


def test_the_department_imports_its_own_projects_as_before(real, tmp_path):
    department = db.session.scalar(select(Unit).where(Unit.code == "122101")).department
    admin = UserFactory(role="department", department_id=department.id)
    text = PROJECTS.read_text(encoding="utf-8").replace(
        "大厅运行费,其他运转类,15.00", "大厅运行费,其他运转类,16.00"
    )

    report = run_import("projects", write_csv(tmp_path, "p.csv", text), user=admin)

    assert report.ok, report.errors
    assert report.updated == 1 and project_state()[3] == Decimal("16.00")


def test_the_command_line_may_still_move_a_project(real, tmp_path, cli):
    path = write_csv(tmp_path, "p.csv", PROJECTS_HEADER + TAKEOVER_ROW)

    result = cli.invoke(args=["tracker", "import-projects", str(path)])

    assert result.exit_code == 0, result.output
    assert project_state()[:3] == ("改名", "999001", "999")


# ---------------------------------------------------------------- 绩效目标表


def _target_row(project_code: str, unit_code: str = "999001") -> str:
    return (
        f"2023,999,另一个部门,{unit_code},甲,{project_code},改名,其他运转类,1.00,"
        "产出指标,数量指标,接管指标,≥1个,\n"
    )


def test_a_targets_row_with_a_foreign_project_code_is_refused(real, other, tmp_path):
    before, indicators = project_state(), count(Indicator)

    report = run_import(
        "targets", write_csv(tmp_path, "t.csv", TARGETS_HEADER + _target_row(FOREIGN)), user=other
    )

    assert errors(report) == [f"行 2 列 项目编码: 项目编码 {FOREIGN} 已被使用或不可用"]
    assert project_state() == before and count(Indicator) == indicators


def test_a_targets_row_with_a_foreign_unit_code_is_refused(real, other, tmp_path):
    path = write_csv(tmp_path, "t.csv", TARGETS_HEADER + _target_row(MISSING, unit_code="122101"))

    report = run_import("targets", path, user=other)

    assert errors(report) == ["行 2 列 单位编码: 单位编码 122101 已被使用或不可用"]
    assert db.session.scalar(select(Project).where(Project.code == MISSING)) is None


# ---------------------------------------------------------------- 支出, 实际完成值: foreign reads as nonexistent


def _same_for_foreign_and_missing(kind: str, text: str, user, tmp_path, foreign: str, missing: str):
    """The errors for ``text`` naming ``foreign``, and naming ``missing`` instead (code replaced back)."""
    one = errors(run_import(kind, write_csv(tmp_path, "a.csv", text), user=user))
    two = errors(run_import(kind, write_csv(tmp_path, "b.csv", text.replace(foreign, missing)), user=user))
    assert one == [e.replace(missing, foreign) for e in two]
    return one


def test_spending_on_a_foreign_project_reads_as_a_missing_project(real, other_unit, other, tmp_path):
    text = SPENDING_HEADER + f"2023,1,999001,{FOREIGN},支出,1.00\n"

    found = _same_for_foreign_and_missing("spending", text, other, tmp_path, FOREIGN, MISSING)

    assert found == [f"行 2 列 项目编码: 2023 年没有项目 {FOREIGN}"]
    assert count(SpendingEntry) == 0


def test_spending_on_a_foreign_unit_reads_as_a_missing_unit(real, other_unit, other, tmp_path):
    text = SPENDING_HEADER + "2023,1,122101,41080099900000000001,支出,1.00\n"

    found = _same_for_foreign_and_missing("spending", text, other, tmp_path, "122101", "888888")

    assert found == ["行 2 列 单位编码: 单位编码 122101 不存在或不在您的管理范围内"]
    assert count(SpendingEntry) == 0


def test_actuals_of_a_foreign_project_read_as_a_missing_project(real, other, tmp_path):
    text = ACTUALS_HEADER + f"2023,7,,{FOREIGN},接待群众数量,20\n"

    found = _same_for_foreign_and_missing("actuals", text, other, tmp_path, FOREIGN, MISSING)

    assert found == [f"行 2 列 项目编码: 2023 年没有项目 {FOREIGN}"]
    assert count(MonthlyReport) == 0


def test_a_reporter_cannot_import_actuals_of_a_sibling_units_project(real, tmp_path):
    reporter = UserFactory(
        role="reporter", unit_id=db.session.scalar(select(Unit.id).where(Unit.code == "122201"))
    )
    text = ACTUALS_HEADER + f"2023,7,,{FOREIGN},接待群众数量,20\n"

    found = _same_for_foreign_and_missing("actuals", text, reporter, tmp_path, FOREIGN, MISSING)

    assert found == [f"行 2 列 项目编码: 2023 年没有项目 {FOREIGN}"]
    assert count(MonthlyReport) == 0


def test_actuals_of_a_foreign_department_read_as_a_missing_department(real, other, tmp_path):
    text = ACTUALS_HEADER + "2023,7,122,,系统维护时限,12\n"

    _same_for_foreign_and_missing("actuals", text, other, tmp_path, "122", "888")

    assert count(MonthlyReport) == 0


# ---------------------------------------------------------------- 部门预算, 部门目标


def test_department_lines_of_a_foreign_department_read_as_a_missing_department(real, other, tmp_path):
    text = DEPARTMENT_HEADER + "2023,122,部门预算总额,1.00\n"

    found = _same_for_foreign_and_missing("department", text, other, tmp_path, "122", "888")

    assert found == ["行 2 列 部门编码: 部门编码 122 不存在或不在您的管理范围内"]
    assert count(DepartmentBudgetLine) == 0


def test_goals_of_a_foreign_department_read_as_a_missing_department(real, other, tmp_path):
    path = write_csv(tmp_path, "g.csv", "类别,名称,内容\n年度履职目标,,接管\n")

    def refused(code: str) -> list[str]:
        return errors(run_import("goals", path, user=other, year=2023, department_code=code))

    assert refused("122") == [e.replace("888", "122") for e in refused("888")]
    assert refused("122") == ["部门 122 不存在或不在您的管理范围内"]
    assert count(DepartmentGoal) == 0
