"""Each department is evaluated with its bureau's rule pack (SPEC §1a, §6a): the nearest pick up
the tree, else the installation's; results record name@version; a move changes later results only.
Start-up refuses a bad pack file; ``tracker rule-packs`` lists the packs and where each is used."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from tests.evaluation.helpers import DepartmentFactory, ProjectFactory, UnitFactory, indicator, report, spend
from tracker import ConfigurationError, create_app
from tracker.budget.bureaus import move_department, rebuild_paths
from tracker.budget.models import Bureau, Department
from tracker.evaluation import service
from tracker.evaluation.models import EvaluationRun
from tracker.extensions import db
from tracker.rules.pack_files import SHIPPED_DIR

ZHONGJIANG = "sichuan-zhongjiang-2022"


def _bureau(code, name, parent=None, pack=None):
    bureau = Bureau(code=code, name=name, level="county" if parent else "province", path="", rule_pack=pack)
    bureau.parent = parent
    db.session.add(bureau)
    db.session.flush()
    return bureau


@pytest.fixture
def tree(session):
    """四川省财政厅 (no pack: the installation's) → 德阳市财政局 (no pack) → 中江县财政局 (the 中江 pack),
    and 广汉市财政局 beside it picking none."""
    province = _bureau("510000", "四川省财政厅")
    city = _bureau("510600", "德阳市财政局", province)
    zhongjiang = _bureau("510623", "中江县财政局", city, ZHONGJIANG)
    guanghan = _bureau("510681", "广汉市财政局", city)
    rebuild_paths()
    return {"province": province, "city": city, "zhongjiang": zhongjiang, "guanghan": guanghan}


def _department(code, bureau):
    """One project: 产出 met, 效益 at half its target, 满意度 met; 80 % of the budget spent by December."""
    department = DepartmentFactory(code=code, bureau=bureau)
    unit = UnitFactory(department=department, code=f"{code}101")
    project = ProjectFactory(unit=unit, department=department, initial_budget=D("15.00"))
    output = indicator(project, target="≥10个", name="安装水标尺")
    effect = indicator(project, target="≥1000人", level1="效益指标", name="受益人口")
    satisfaction = indicator(project, target="≥90%", level1="满意度指标", name="受益群众满意度")
    spend(project, 2023, 6, "12")
    report(department, unit, 2023, 12, {output: "10", effect: "500", satisfaction: "95"})
    return department


def _total(document):
    (project,) = document["projects"]
    return project["total"], project["grade"], project["execution"]["score"]


def test_the_same_department_scores_differently_under_the_two_packs(tree):
    _department("K101", tree["zhongjiang"])
    _department("K201", tree["guanghan"])
    zhongjiang = service.run_self_assessment(2023, "K101")
    national = service.run_self_assessment(2023, "K201")
    # national-2020: execution 0.8 × 10 + 产出 50 + 效益 30 × 0.5 + 满意度 10 = 83 (良).
    assert _total(national) == (83.0, "良", 8.0)
    # 中江 2022: execution 0 + 产出 70 + 效益 20 × 0.5 + 满意度 10 = 90 (优).
    assert _total(zhongjiang) == (90.0, "优", 0.0)
    assert zhongjiang["rule_pack"] == {"name": ZHONGJIANG, "version": "2022.1"}
    assert national["rule_pack"] == {"name": "national-2020", "version": "2020.1"}


@pytest.mark.parametrize("parallel", [False, True], ids=["here", "forked"])
def test_a_run_of_all_departments_stores_each_with_its_bureaus_pack(tree, parallel):
    for code, bureau in (("K101", "zhongjiang"), ("K201", "guanghan"), ("C01", "city"), ("R01", None)):
        _department(code, tree[bureau] if bureau else None)
    summary = service.evaluate_all(service.SELF_ASSESSMENT, 2023, commit=False, chunk=1, parallel=parallel)
    assert summary.departments == 4
    runs = db.session.execute(
        select(Department.code, EvaluationRun.rule_pack, EvaluationRun.rule_version).join(
            Department, Department.id == EvaluationRun.department_id
        )
    )
    by_code = {code: (pack, version) for code, pack, version in runs}
    assert by_code == {
        "K101": (ZHONGJIANG, "2022.1"),
        "K201": ("national-2020", "2020.1"),
        "C01": ("national-2020", "2020.1"),
        "R01": ("national-2020", "2020.1"),
    }
    stored = service.stored_self_assessment(2023, "K101")
    assert _total(stored) == (90.0, "优", 0.0)


def test_a_pick_higher_up_is_inherited_and_a_lower_pick_wins(tree):
    tree["province"].rule_pack = ZHONGJIANG
    tree["zhongjiang"].rule_pack = "national-2020"
    db.session.flush()
    _department("K101", tree["zhongjiang"])
    _department("K201", tree["guanghan"])
    assert service.run_self_assessment(2023, "K201")["rule_pack"]["name"] == ZHONGJIANG
    assert service.run_self_assessment(2023, "K101")["rule_pack"]["name"] == "national-2020"


def test_a_moved_department_is_evaluated_with_its_new_bureaus_pack_and_keeps_its_stored_results(tree):
    department = _department("K201", tree["guanghan"])
    service.run_self_assessment(2023, "K201", commit=False)
    service.run_monitoring(2023, 12, "K201", commit=False)

    assert move_department(department, tree["zhongjiang"])
    db.session.flush()
    stored = service.stored_self_assessment(2023, "K201")
    assert stored["rule_pack"]["name"] == "national-2020" and _total(stored) == (83.0, "良", 8.0)

    again = service.run_self_assessment(2023, "K201", commit=False)
    assert again["rule_pack"]["name"] == ZHONGJIANG and _total(again) == (90.0, "优", 0.0)
    monitoring = service.stored_monitoring(2023, 12, "K201")
    assert monitoring["rule_pack"]["name"] == "national-2020"


def test_the_command_lists_each_pack_and_where_it_is_used(tree, cli):
    _department("K101", tree["zhongjiang"])
    _department("K201", tree["guanghan"])
    _department("R01", None)
    result = cli.invoke(args=["tracker", "rule-packs"])
    assert result.exit_code == 0, result.output
    national, zhongjiang = result.output.split(f"{ZHONGJIANG}@")
    assert national.startswith("national-2020@2020.1  生效 2020-02-25\n")
    assert "  依据：财政部《项目支出绩效评价管理办法》财预〔2020〕10号" in national
    assert "  分值：产出 50 · 效益 30 · 满意度 10 · 预算执行率 10\n" in national
    assert "  使用：安装默认（RULE_PACK）；评价部门 2 个\n" in national
    assert zhongjiang.startswith("2022.1  生效 2022-01-01\n")
    assert "  来源：2022年度中江县水利局项目支出绩效自评表" in zhongjiang
    assert "national-2020.toml" in national and "sichuan-zhongjiang-2022.toml" in zhongjiang
    assert "  使用：财政局 510623 中江县财政局；评价部门 1 个\n" in zhongjiang


def test_the_command_warns_of_a_bureau_picking_a_pack_no_file_holds(tree, cli):
    tree["guanghan"].rule_pack = "gone-2019"
    db.session.flush()
    result = cli.invoke(args=["tracker", "rule-packs"])
    assert "gone-2019  没有这个规则包的文件：财政局 510681 广汉市财政局" in result.output + (
        result.stderr or ""
    )


def test_the_app_does_not_start_with_a_bad_pack_file(tmp_path):
    text = (SHIPPED_DIR / "national-2020.toml").read_text(encoding="utf-8")
    bad = tmp_path / "henan-2024.toml"
    bad.write_text(
        text.replace('name = "national-2020"', 'name = "henan-2024"').replace("points = 30", 'points = "30"'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError) as refused:
        create_app("testing", RULE_PACK_DIRS=[str(tmp_path)])
    assert f"规则包文件 {bad}：categories[2].points：须为数值" in str(refused.value)


def test_the_app_does_not_start_when_its_default_pack_is_unknown():
    with pytest.raises(ConfigurationError, match="设置 RULE_PACK=no-such-pack：没有这个规则包"):
        create_app("testing", RULE_PACK="no-such-pack")


def test_a_provinces_own_pack_file_is_read_beside_the_shipped_ones(tmp_path):
    text = (SHIPPED_DIR / "national-2020.toml").read_text(encoding="utf-8")
    (tmp_path / "henan-2024.toml").write_text(text.replace('name = "national-2020"', 'name = "henan-2024"'))
    app = create_app("testing", RULE_PACK_DIRS=[str(tmp_path)], RULE_PACK="henan-2024")
    with app.app_context():
        from tracker.core.settings import current_rule_pack, rule_packs

        assert rule_packs().names() == ["henan-2024", "national-2020", ZHONGJIANG]
        assert current_rule_pack().name == "henan-2024"


@pytest.fixture
def strict_pack(monkeypatch):
    """A pack with stricter lamps (green from 0.95, yellow from 0.9), known to the app as a file would be."""
    from dataclasses import replace

    from tracker.core.settings import rule_packs
    from tracker.rules.packs import Thresholds

    national = rule_packs().get("national-2020")
    strict = replace(national, name="strict-test", thresholds=Thresholds(green=D("0.95"), yellow=D("0.9")))
    monkeypatch.setitem(rule_packs().versions, "strict-test", (strict,))
    return strict


def _ninety_percent(code, bureau):
    """A department whose one indicator reached 90 of ≥100 个 by December: green at 0.8, yellow at 0.95."""
    department = DepartmentFactory(code=code, bureau=bureau)
    unit = UnitFactory(department=department, code=f"{code}101")
    project = ProjectFactory(unit=unit, department=department)
    count = indicator(project, target="≥100个", name="培训人数")
    report(department, unit, 2023, 12, {count: "90"})


def test_the_monitoring_and_the_report_form_light_lamps_by_the_departments_pack(tree, strict_pack):
    from tests.factories import UserFactory
    from tracker.reporting.reading import get_report

    tree["guanghan"].rule_pack = "strict-test"
    db.session.flush()
    _ninety_percent("K101", tree["city"])
    _ninety_percent("K201", tree["guanghan"])
    finance = UserFactory(role="finance")
    for code, status in (("K101", "green"), ("K201", "yellow")):
        document = service.run_monitoring(2023, 12, code, commit=False)
        assert document["projects"][0]["indicators"][0]["status"] == status
        (row,) = get_report(finance, f"{code}101", 2023, 12).rows
        assert row.lamp.status == status
    assert service.stored_monitoring(2023, 12, "K201")["rule_pack"]["name"] == "strict-test"


@pytest.mark.parametrize("listed", [500, 1], ids=["by-id", "all-read"])
def test_many_departments_resolve_in_one_read_each_to_its_bureaus_pack(tree, monkeypatch, listed):
    from tracker.budget import packs

    monkeypatch.setattr(packs, "_LISTED", listed)
    made = {
        code: DepartmentFactory(code=code, bureau=tree[b])
        for code, b in (("K1", "zhongjiang"), ("K2", "guanghan"))
    }
    DepartmentFactory(code="OTHER", bureau=tree["zhongjiang"])
    found = packs.department_rule_packs(db.session.connection(), [d.id for d in made.values()])
    assert {d: p.label for d, p in found.items()} == {
        made["K1"].id: f"{ZHONGJIANG}@2022.1",
        made["K2"].id: "national-2020@2020.1",
    }
