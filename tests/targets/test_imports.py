"""Imports from the command line (SPEC §8, §9): all or nothing, row errors, idempotent upserts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import DATA
from tracker.budget.models import Department, DepartmentBudgetLine, Project, SpendingEntry, Unit
from tracker.core.audit import AuditEntry
from tracker.extensions import db
from tracker.reporting.models import IndicatorActual, MonthlyReport
from tracker.targets.imports import run_import
from tracker.targets.models import Indicator

TARGETS = DATA / "jiaozuo-2023-targets.csv"
FAITHFUL = DATA / "jiaozuo-2023-targets.faithful.csv"
PROJECTS = DATA / "jiaozuo-2023-projects.csv"
DEPARTMENT = DATA / "jiaozuo-2023-department.csv"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def invoke(cli, *args):
    return cli.invoke(args=["tracker", *map(str, args)])


def write_csv(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_real_targets_import_from_the_command_line(cli):
    result = invoke(cli, "import-targets", TARGETS)
    assert result.exit_code == 0, result.output
    assert "新增 88" in result.output
    assert count(Indicator) == 88
    assert count(Project) == 10
    assert {u.code for u in db.session.scalars(select(Unit))} == {"122101", "122201", "122301"}
    department = db.session.scalar(select(Department))
    assert (department.code, department.name) == ("122", "焦作市政务服务和大数据管理局")


def test_faithful_seed_is_refused_naming_exactly_its_four_defective_rows(cli):
    result = invoke(cli, "import-targets", FAITHFUL)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("行 ")]
    assert [int(line.split()[1]) for line in lines] == [38, 51, 91, 93]
    assert lines[0] == "行 38 列 三级指标: 不能为空"
    assert lines[3] == "行 93 列 指标值: 不能为空"
    assert count(Indicator) == 0 and count(Project) == 0 and count(Department) == 0


def test_importing_the_same_file_twice_changes_nothing(cli):
    invoke(cli, "import-projects", PROJECTS)
    invoke(cli, "import-targets", TARGETS)
    audit_before = count(AuditEntry)
    again = invoke(cli, "import-targets", TARGETS)
    assert again.exit_code == 0
    assert "新增 0，更新 0，未变 88" in again.output
    assert count(Indicator) == 88
    assert count(AuditEntry) == audit_before


def test_a_changed_target_is_updated_and_audited(cli, tmp_path):
    invoke(cli, "import-targets", TARGETS)
    text = TARGETS.read_text(encoding="utf-8").replace("≥35 万人", "≥40 万人")
    result = invoke(cli, "import-targets", write_csv(tmp_path, "t.csv", text))
    assert "更新 1" in result.output
    indicator = db.session.scalar(select(Indicator).where(Indicator.name == "接待群众数量"))
    assert (indicator.target, indicator.target_low) == ("≥40 万人", Decimal(40))
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.field == "target", AuditEntry.old_value == "≥35 万人")
    )
    assert entry.new_value == "≥40 万人" and entry.department_code == "122"


def test_parsed_form_and_mode_are_stored_beside_the_raw_text(cli):
    invoke(cli, "import-targets", TARGETS)
    rows = {i.name: i for i in db.session.scalars(select(Indicator).where(Indicator.scope_code != ""))}
    assert (rows["系统维护响应"].comparator, rows["系统维护响应"].target_unit, rows["系统维护响应"].mode) == (
        "LE", "小时", "level",
    )  # fmt: skip
    assert (rows["项目支出成本"].mode, rows["接待群众数量"].mode, rows["营商环境提升"].mode) == (
        "cap", "cumulative", "qualitative",
    )  # fmt: skip
    assert rows["压缩行政审批承诺时限"].target == "<24 工作日"


def test_department_indicators_named_as_metrics_are_marked_computed(cli):
    invoke(cli, "import-targets", TARGETS)
    computed = dict(
        db.session.execute(
            select(Indicator.name, Indicator.computed_metric).where(Indicator.computed_metric.is_not(None))
        ).all()
    )
    assert computed == {
        "预算执行率": "预算执行率",
        "预算调整率": "预算调整率",
        "结转结余率": "结转结余率",
        "“三公经费”控制率": "三公经费控制率",
        "政府采购执行率": "政府采购执行率",
    }
    modes = dict(
        db.session.execute(
            select(Indicator.name, Indicator.mode).where(Indicator.computed_metric.is_not(None))
        ).all()
    )
    assert modes["预算执行率"] == "budget" and modes["政府采购执行率"] == "cumulative"


def test_lint_warns_about_the_real_data_without_blocking(cli):
    invoke(cli, "import-projects", PROJECTS)
    result = invoke(cli, "import-targets", TARGETS)
    assert result.exit_code == 0
    out = result.output
    assert (
        "“网络及网站建设维护”（410800230000000011631）的成本指标“系统维护成本”为 15 万元，高于项目预算 12.30 万元"
        in out
    )
    assert "项目金额 65.88 万元与预算的年初预算数 65.89 万元不一致" in out
    assert "指标“信息公开合格率”是越高越好的比率，指标值却用了“≤”" in out
    assert "项目“政府信息公开经费”（410800230000000011625）没有成本指标" in out
    assert "项目“信息采集加工”（410800230000000011626）没有成本指标" in out
    assert "没有满意度指标" not in out


def test_lint_warns_about_duplicate_names_and_keeps_both(cli, tmp_path):
    # The seed prints two values for 政务服务工作经费's 办事群众满意度 (≥99% and ≥90%); transcribed
    # faithfully with the name repeated, both rows are kept and the duplicate is a warning.
    text = FAITHFUL.read_text(encoding="utf-8").splitlines()
    text[50] = text[50].replace("满意度指标,,,≥90%", "满意度指标,,办事群众满意度,≥90%")
    kept = [line for i, line in enumerate(text, start=1) if i not in (38, 91, 93)]
    result = invoke(cli, "import-targets", write_csv(tmp_path, "dup.csv", "\n".join(kept) + "\n"))
    assert result.exit_code == 0, result.stderr
    assert "项目“政务服务工作经费”的三级指标“办事群众满意度”出现 2 次" in result.output
    both = db.session.scalars(
        select(Indicator).where(
            Indicator.name == "办事群众满意度", Indicator.scope_code == "41080022000000053204"
        )
    ).all()
    assert sorted((i.occurrence, i.target) for i in both) == [(1, "≥99%"), (2, "≥90%")]


def test_project_budget_import_then_department_totals(cli):
    assert invoke(cli, "import-projects", PROJECTS).exit_code == 0
    assert invoke(cli, "import-department", DEPARTMENT).exit_code == 0
    project = db.session.scalar(select(Project).where(Project.code == "410800230000000012109"))
    assert project.initial_budget == Decimal("65.89") and project.kind == "specific"
    lines = dict(db.session.execute(select(DepartmentBudgetLine.subject, DepartmentBudgetLine.amount)).all())
    assert lines["部门预算总额"] == Decimal("1074.33") and lines["“三公”经费预算"] == Decimal("13.10")


def test_targets_keep_the_budget_they_did_not_set(cli):
    invoke(cli, "import-projects", PROJECTS)
    invoke(cli, "import-targets", TARGETS)
    project = db.session.scalar(select(Project).where(Project.code == "410800230000000012109"))
    assert (project.initial_budget, project.target_table_amount) == (Decimal("65.89"), Decimal("65.88"))


SPENDING_HEADER = "年度,月份,单位编码,项目编码,类别,金额(万元)\n"


def test_spending_rows_are_checked_against_units_and_projects(cli, tmp_path):
    invoke(cli, "import-projects", PROJECTS)
    text = SPENDING_HEADER + (
        "2023,1,122101,41080022000000053196,支出,1.20\n"
        "2023,13,122101,,支出,1\n"
        "2023,1,999999,,支出,1\n"
        "2023,1,122201,41080022000000053196,支出,1\n"
        "2023,1,122101,41080022000000053196,支出,1.2345678\n"
        "2023,1,122101,,三公经费支出,-3\n"
        "2023,1,122101,41080022000000053196,支出,2\n"
    )
    result = invoke(cli, "import-spending", write_csv(tmp_path, "s.csv", text))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:6] == [
        "行 3 列 月份: 月份应在 1–12 之间",
        "行 4 列 单位编码: 单位编码 999999 不存在或不在您的管理范围内",
        "行 5 列 项目编码: 项目 41080022000000053196 不属于单位 122201",
        "行 6 列 金额(万元): 最多 6 位小数",
        "行 7 列 金额(万元): 只有“预算调整”可以为负数",
        "行 8 列 类别: 同一单位、项目、月份和类别与第 2 行重复",
    ]
    assert count(SpendingEntry) == 0


def test_spending_upserts_by_month_unit_project_and_category(cli, tmp_path):
    invoke(cli, "import-projects", PROJECTS)
    first = SPENDING_HEADER + "2023,1,122101,41080022000000053196,支出,1.20\n2023,1,122101,,支出,50\n"
    assert invoke(cli, "import-spending", write_csv(tmp_path, "a.csv", first)).exit_code == 0
    second = SPENDING_HEADER + "2023,1,122101,41080022000000053196,支出,1.50\n2023,2,122101,,预算调整,-2\n"
    result = invoke(cli, "import-spending", write_csv(tmp_path, "b.csv", second))
    assert "新增 1，更新 1" in result.output
    amounts = sorted(db.session.scalars(select(SpendingEntry.amount)))
    assert amounts == [Decimal("-2.00"), Decimal("1.50"), Decimal("50.00")]


ACTUALS_HEADER = "年度,月份,项目编码,三级指标,实际完成值,全年预计完成值,完成目标可能性,偏差原因,改进措施\n"


def test_actuals_import_as_approved_reports(cli, tmp_path):
    invoke(cli, "import-targets", TARGETS)
    text = ACTUALS_HEADER + (
        "2023,7,41080022000000053196,接待群众数量,20.5万人,34,有可能,其他：大厅改造,延长服务时间\n"
        "2023,7,41080022000000053196,政务服务保障水平的改善或提高程度,部分达成 70%,,,,\n"
        "2023,7,,系统维护时限,12,,,,\n"
    )
    result = invoke(cli, "import-actuals", write_csv(tmp_path, "a.csv", text))
    assert result.exit_code == 0, result.stderr
    reports = {r.scope_key: r for r in db.session.scalars(select(MonthlyReport))}
    assert set(reports) == {"unit:122101", "department:122"}
    assert all(r.status == "approved" and r.imported for r in reports.values())
    values = {a.indicator_id: a for a in db.session.scalars(select(IndicatorActual))}
    by_name = {db.session.get(Indicator, i).name: a for i, a in values.items()}
    assert by_name["接待群众数量"].actual == Decimal("20.5")
    assert by_name["接待群众数量"].deviation_category == "其他"
    assert by_name["接待群众数量"].likelihood == "有可能"
    assert (
        by_name["政务服务保障水平的改善或提高程度"].grade,
        by_name["政务服务保障水平的改善或提高程度"].grade_percent,
    ) == ("部分达成", Decimal(70))
    again = invoke(cli, "import-actuals", write_csv(tmp_path, "a.csv", text))
    assert "未变 3" in again.output


def test_bad_actuals_are_reported_row_by_row(cli, tmp_path):
    invoke(cli, "import-targets", TARGETS)
    text = ACTUALS_HEADER + (
        "2023,7,41080022000000053196,不存在的指标,1,,,,\n"
        "2023,7,41080022000000053196,接待群众数量,很多,,,,\n"
        "2023,7,,预算执行率,50,,,,\n"
        "2023,7,41080022000000053196,政务服务保障水平的改善或提高程度,部分达成 95%,,,,\n"
        "2023,7,41080022000000053196,公共设施设备完好率,95,,,天气：晴,\n"
        "2023,7,41080022000000053196,办事企业和群众满意率,99,,也许,,\n"
    )
    result = invoke(cli, "import-actuals", write_csv(tmp_path, "a.csv", text))
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[0] == "行 2 列 三级指标: 2023 年项目 41080022000000053196中没有三级指标“不存在的指标”"
    assert errors[1] == "行 3 列 实际完成值: “很多”不是有效的数字"
    assert errors[2] == "行 4 列 三级指标: “预算执行率”由财务数据自动计算，不能填报或导入"
    assert errors[3] == "行 5 列 实际完成值: “部分达成”的百分比应在 60–80% 之间"
    assert errors[4].startswith("行 6 列 偏差原因: 偏差原因应以 经费保障")
    assert errors[5].startswith("行 7 列 完成目标可能性: 应为 确定能")
    assert count(MonthlyReport) == 0


def test_dry_run_reports_without_writing(cli):
    result = invoke(cli, "import-targets", TARGETS, "--dry-run")
    assert result.exit_code == 0 and "预检 88 行 — 新增 88" in result.output
    assert count(Indicator) == 0 and count(Department) == 0


def test_a_department_user_may_only_import_its_own_department(cli, tmp_path):
    from tests.factories import DepartmentFactory, UserFactory

    invoke(cli, "import-targets", TARGETS)
    other = DepartmentFactory(code="999")
    user = UserFactory(role="department", department_id=other.id)
    report = run_import("targets", TARGETS, user=user)
    assert not report.ok
    assert str(report.errors[0]) == "行 2 列 部门编码: 部门编码 122 不存在或不在您的管理范围内"
    reporter = UserFactory(role="reporter")
    assert str(run_import("targets", TARGETS, user=reporter).errors[0]) == "只有部门管理员可以导入绩效目标表"


def test_json_records_use_the_same_import_and_name_fields(cli):
    from tracker.targets.imports import import_records

    invoke(cli, "import-projects", PROJECTS)
    good = {
        "year": 2023,
        "month": 3,
        "unit_code": "122101",
        "project_code": "41080022000000053196",
        "category": "支出",
        "amount": "1.25",
    }
    report = import_records("spending", [good, {**good, "month": 0}, {**good, "unit_code": "nope"}])
    assert [str(e) for e in report.errors] == [
        "行 2 列 month: 月份应在 1–12 之间",
        "行 3 列 unit_code: 单位编码 nope 不存在或不在您的管理范围内",
    ]
    assert count(SpendingEntry) == 0
    assert import_records("spending", [good]).inserted == 1


def test_money_printed_to_the_yuan_and_fen_is_kept_exactly(cli, tmp_path, session):
    """Real sheets print 89.974 and -0.026 万元 (元 and 分): stored exactly, six decimals at most."""
    from decimal import Decimal

    from sqlalchemy import select

    from tracker.budget.models import Project

    path = tmp_path / "projects.csv"
    path.write_text(
        "年度,部门编码,单位编码,单位名称,项目编码,项目名称,项目类型,年初预算数(万元),一般公共预算(万元)\n"
        "2023,122,122101,焦作市政务服务和大数据管理局,41080022000000099001,分厘项目,其他运转类,89.974,132.912\n",
        encoding="utf-8",
    )
    result = cli.invoke(args=["tracker", "import-projects", str(path)])
    assert result.exit_code == 0, result.output
    project = session.scalar(select(Project).where(Project.code == "41080022000000099001"))
    assert (project.initial_budget, project.general_budget) == (Decimal("89.974"), Decimal("132.912"))


@pytest.mark.parametrize("amount", ["1e999", "1234567890123456789012345678901234567890"])
def test_an_absurd_amount_is_refused_with_its_row_not_a_database_error(cli, tmp_path, amount):
    path = tmp_path / "spending.csv"
    path.write_text(
        f"年度,月份,单位编码,项目编码,类别,金额(万元)\n2023,1,122101,41080022000000053196,支出,{amount}\n",
        encoding="utf-8",
    )
    result = cli.invoke(args=["tracker", "import-spending", str(path)])
    assert result.exit_code == 1
    assert "行 2 列 金额(万元): 数值过大" in (result.stderr if hasattr(result, "stderr") else result.output)


def test_a_2020_template_cost_under_output_is_a_cap_and_a_rate_under_cost_is_not(cli, tmp_path, session):
    """2020 template: 成本指标 is a 二级 under 一级 产出指标; only its money amount is a cap."""
    from sqlalchemy import select

    from tracker.targets.models import Indicator

    rows = [
        "年度,部门编码,部门名称,单位编码,单位名称,项目编码,项目名称,项目类型,项目金额(万元),一级指标,二级指标,三级指标,指标值,指标值说明",
        "2023,122,焦作市政务服务和大数据管理局,122101,焦作市政务服务和大数据管理局,41080022000000098001,"
        "二〇二〇模板项目,其他运转类,20,产出指标,成本指标,设备采购成本,20万元,",
        "2023,122,焦作市政务服务和大数据管理局,122101,焦作市政务服务和大数据管理局,41080022000000098001,"
        "二〇二〇模板项目,其他运转类,20,成本指标,经济成本指标,国家政策性粮收购价格执行率,100%,",
    ]
    path = tmp_path / "targets-2020.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = cli.invoke(args=["tracker", "import-targets", str(path)])
    assert result.exit_code == 0, result.output
    by_name = {
        i.name: i
        for i in session.scalars(select(Indicator).where(Indicator.scope_code == "41080022000000098001"))
    }
    assert (by_name["设备采购成本"].comparator, by_name["设备采购成本"].mode) == ("LE", "cap")
    assert (by_name["国家政策性粮收购价格执行率"].comparator, by_name["国家政策性粮收购价格执行率"].mode) == (
        "GE",
        "level",
    )


def test_the_command_line_says_how_printed_actuals_were_read(cli, tmp_path):
    invoke(cli, "import-targets", TARGETS)
    text = ACTUALS_HEADER + (
        "2023,7,41080022000000053196,接待群众数量,≥205000人,,,,\n"
        "2023,7,41080022000000053196,政务服务保障水平的改善或提高程度,未达成预期指标,,,,\n"
    )
    result = invoke(cli, "import-actuals", write_csv(tmp_path, "a.csv", text), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "读取: 行 2 列 实际完成值: “≥205000人”读作 20.5万人（“≥”按“至少”理解）" in result.output
    assert "读取: 行 3 列 实际完成值: “未达成预期指标”读作 未达成" in result.output
    assert count(MonthlyReport) == 0


def test_not_applicable_actuals_import_with_their_reason_and_are_refused_without(cli, tmp_path):
    invoke(cli, "import-targets", TARGETS)
    bare = ACTUALS_HEADER + "2023,12,41080022000000053196,接待群众数量,—,,,,\n"
    refused = invoke(cli, "import-actuals", write_csv(tmp_path, "a.csv", bare))
    assert refused.exit_code == 1
    assert "行 2 列 偏差原因: “不适用”须在偏差原因中说明原因" in refused.stderr
    assert count(MonthlyReport) == 0

    text = ACTUALS_HEADER + "2023,12,41080022000000053196,接待群众数量,—,,,其他：大厅全年改造未对外接待,\n"
    result = invoke(cli, "import-actuals", write_csv(tmp_path, "a.csv", text))
    assert result.exit_code == 0, result.stderr
    assert "读取: 行 2 列 实际完成值: “—”读作 不适用" in result.output
    actual = db.session.scalar(select(IndicatorActual))
    assert (actual.actual, actual.grade, actual.deviation_cause) == (None, "不适用", "大厅全年改造未对外接待")


def test_an_export_with_unit_direction_and_nature_columns_imports_and_says_how_it_read_them(
    cli, tmp_path, session
):
    """一体化 exports print 计量单位, 指标方向 and 指标性质 apart from the value (issue 10 §9)."""
    head = "年度,部门编码,部门名称,单位编码,单位名称,项目编码,项目名称,项目类型,项目金额(万元),一级指标,二级指标,三级指标,指标值,计量单位,指标方向,指标性质"
    who = "2023,122,焦作市政务服务和大数据管理局,122101,焦作市政务服务和大数据管理局,41080022000000098002,一体化导出项目,其他运转类,10"
    rows = [
        f"{who},产出指标,质量指标,系统可用率,99,%,正向,定量",
        f"{who},产出指标,时效指标,故障响应时间,2,小时,反向,定量",
        f"{who},效益指标,社会效益指标,服务质量,明显,,,定性",
        f"{who},产出指标,时效指标,上线时间,2023年底之前,,,定性",
    ]
    path = write_csv(tmp_path, "export.csv", head + "\n" + "\n".join(rows) + "\n")
    result = invoke(cli, "import-targets", path)
    assert result.exit_code == 0, result.output
    assert "读取: 行 2 列 指标值: “99”读作 ≥99%（计量单位“%”；指标方向“正向”）" in result.output
    assert "读取: 行 3 列 指标值: “2”读作 ≤2小时（计量单位“小时”；指标方向“反向”）" in result.output
    assert "读取: 行 5 列 指标值: “2023年底之前”读作 时限 2023-12-31" in result.output
    stored = {
        i.name: i
        for i in session.scalars(select(Indicator).where(Indicator.scope_code == "41080022000000098002"))
    }
    assert (
        stored["系统可用率"].target,
        stored["系统可用率"].comparator,
        stored["系统可用率"].target_unit,
    ) == ("≥99%", "GE", "%")
    assert (stored["故障响应时间"].target, stored["故障响应时间"].comparator) == ("≤2小时", "LE")

    bad = write_csv(
        tmp_path, "bad.csv", head + "\n" + f"{who},产出指标,质量指标,系统可用率,≤99,%,正向,定量\n"
    )
    refused = invoke(cli, "import-targets", bad)
    assert refused.exit_code == 1
    assert "行 2 列 指标值: 指标值“≤99”与指标方向“正向”矛盾" in refused.stderr
