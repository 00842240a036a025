"""Worked example 3 of docs/rules.md: a 2020-template 项目支出绩效自评表, imported as a county prints it
and scored by the engine exactly as scored by hand there (issue 10, "Done means")."""

from __future__ import annotations

import pytest

from tests.evaluation.helpers import validate
from tracker.evaluation import service

HEAD = "年度,部门编码,部门名称,单位编码,单位名称,项目编码,项目名称,项目类型,项目金额(万元),一级指标,二级指标,三级指标,指标值,指标值说明"
WHO = "2023,301,某县水利局,301001,某县水利局,51062323000000000001,农村饮水安全工程维护,其他运转类,50"
TARGETS = [
    "产出指标,数量指标,维修管网长度,≥20公里,",
    "产出指标,质量指标,工程验收合格率,100%,",
    "产出指标,时效指标,完成时限,2023年12月底前,",
    "产出指标,成本指标,维修成本,50万元,",  # 2020 template: 成本 is a 二级 of 产出; a bare amount is a cap
    "效益指标,社会效益指标,受益人口,≥1.2万人,",
    "效益指标,可持续影响指标,长效管护机制,健全,",
    "满意度指标,服务对象满意度指标,受益群众满意度,≥90%,",
]
#: 实际完成值 as the county's 自评表 printed them.
ACTUALS = [
    ("维修管网长度", "22公里"),
    ("工程验收合格率", "98%"),
    ("完成时限", "2023年11月"),
    ("维修成本", "48万元"),
    ("受益人口", "1.5万人"),
    ("长效管护机制", "健全"),
    ("受益群众满意度", "≥93%"),
]


@pytest.fixture
def county(cli, tmp_path):
    files = {
        "targets.csv": HEAD + "\n" + "\n".join(f"{WHO},{row}" for row in TARGETS),
        "projects.csv": "年度,部门编码,单位编码,单位名称,项目编码,项目名称,项目类型,年初预算数(万元),一般公共预算(万元)\n"
        "2023,301,301001,某县水利局,51062323000000000001,农村饮水安全工程维护,其他运转类,50,50",
        "spending.csv": "年度,月份,单位编码,项目编码,类别,金额(万元)\n"
        "2023,6,301001,51062323000000000001,支出,20\n2023,11,301001,51062323000000000001,支出,25",
        "actuals.csv": "年度,月份,项目编码,三级指标,实际完成值\n"
        + "\n".join(f"2023,12,51062323000000000001,{name},{value}" for name, value in ACTUALS),
    }
    for name, kind in (
        ("targets.csv", "targets"),
        ("projects.csv", "projects"),
        ("spending.csv", "spending"),
        ("actuals.csv", "actuals"),
    ):
        path = tmp_path / name
        path.write_text(files[name] + "\n", encoding="utf-8")
        result = cli.invoke(args=["tracker", f"import-{kind}", str(path)])
        assert result.exit_code == 0, (kind, result.output)
    return "301"


def test_the_2020_template_example_scores_as_by_hand(county):
    document = service.run_self_assessment(2023, county)
    validate(document, "self-assessment")
    project = document["projects"][0]
    scores = {i["name"]: (i["weight"], i["score"]) for i in project["indicators"]}
    assert scores == {
        "维修管网长度": (12.5, 12.5),
        "工程验收合格率": (12.5, 12.25),  # 12.5 × 98/100
        "完成时限": (12.5, 12.5),  # 2023年11月 before 2023-12-31: 达成, 100 %
        "维修成本": (12.5, 12.5),  # 48 ≤ 50 万元
        "受益人口": (15.0, 15.0),  # 1.5万人 ≥ 1.2万人
        "长效管护机制": (15.0, 15.0),  # the target's own word repeated: 达成
        "受益群众满意度": (10.0, 10.0),
    }
    assert project["execution"] == {"rate": 90.0, "score": 9.0}  # 45 / 50
    assert (project["total"], project["grade"]) == (98.75, "优")
    # No 部门整体 table was published: no department score (issue 10 §10).
    assert (document["department"]["total"], document["department"]["grade"]) == (None, None)
