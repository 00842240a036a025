"""Rule pack files (SPEC §6a): the shipped packs, and what a bad file is told — its name and key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from tracker.rules.pack_files import SHIPPED_DIR, RulePackError, load_pack_dirs, load_pack_file
from tracker.rules.packs import UnknownRulePack, get_rule_pack

NATIONAL = SHIPPED_DIR / "national-2020.toml"


def test_national_2020_holds_the_numbers_of_spec_5_and_6():
    pack = load_pack_file(NATIONAL)
    assert (pack.label, pack.effective) == ("national-2020@2020.1", date(2020, 2, 25))
    assert "财预〔2020〕10号" in pack.regulation and "〔2019〕136号" in pack.regulation
    assert pack.category_points == (("产出", 50), ("效益", 30), ("满意度", 10))
    assert pack.execution_points == 10 and pack.department_points == 100
    assert dict(pack.level1_categories) == {
        "产出指标": "产出",
        "成本指标": "产出",
        "效益指标": "效益",
        "满意度指标": "满意度",
    }
    assert [(g, (b.low, b.high, b.default)) for g, b in pack.bands] == [
        ("达成", (80, 100, 100)),
        ("部分达成", (60, 80, 70)),
        ("未达成", (0, 60, 30)),
    ]
    assert (pack.thresholds.green, pack.thresholds.yellow) == (D("0.8"), D("0.6"))
    assert pack.grades == (("优", 90), ("良", 80), ("中", 60)) and pack.lowest_grade == "差"
    assert (pack.overachievement_factor, pack.not_applicable_scoring) == (D("1.2"), "share")
    assert (pack.plausibility_factor, pack.plausibility_level_jump) == (3, 50)
    assert (pack.report_due_day, pack.monitoring_day) == (5, 6)
    assert {method for _, method in pack.category_methods} == {"proportional"}
    # Kept exact, never a float.
    assert all(isinstance(v, D) for v in (pack.thresholds.green, pack.overachievement_factor))


def test_the_zhongjiang_pack_prints_70_20_10_and_cites_its_sheet():
    pack = get_rule_pack("sichuan-zhongjiang-2022")
    assert pack.category_points == (("产出", 70), ("效益", 20), ("满意度", 10))
    assert pack.execution_points == 0
    assert "2022年度中江县水利局项目支出绩效自评表" in pack.source
    assert pack.bands == get_rule_pack("national-2020").bands


def test_an_unknown_pack_name_is_refused():
    with pytest.raises(UnknownRulePack):
        get_rule_pack("no-such-pack")


def _variant(tmp_path: Path, old: str, new: str, name: str = "variant.toml") -> Path:
    text = NATIONAL.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[thresholds]\n", "[thresholds]\ncolour = 1\n", "thresholds.colour：未知的键"),
        ("green = 0.8", 'green = "0.8"', "thresholds.green：须为数值"),
        ("green = 0.8", "green = 8", "thresholds.green：须在 0 到 1 之间"),
        ("yellow = 0.6", "yellow = 0.9", "thresholds.yellow：黄灯阈值不能高于绿灯阈值"),
        ("points = 30", "points = true", "categories[2].points：须为数值"),
        ('method = "proportional"', 'method = "banded"', "categories[1].method：计分方法“banded”未实现"),
        (
            '[execution]\npoints = 10\nmethod = "proportional"',
            '[execution]\npoints = 10\nmethod = "checkpoints"',
            "execution.method：计分方法“checkpoints”未实现（可用：proportional）",
        ),
        ("points = 30", "points = 31", "categories：各类别分值与 execution.points 之和须为 100（现为 101）"),
        ("default = 70", "default = 90", "qualitative.部分达成.default：须满足 low ≤ default ≤ high"),
        ("report_due_day = 5", "report_due_day = 5.5", "reporting.report_due_day：须为整数"),
        ("effective = 2020-02-25", 'effective = "2020-02-25"', "effective：须为日期"),
        ('version = "2020.1"\n', "", "version：缺少此项"),
        ('level1 = ["效益指标"]', 'level1 = ["产出指标"]', "categories：同一个一级指标出现在两个类别中"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_key(tmp_path, old, new, message):
    path = _variant(tmp_path, old, new)
    with pytest.raises(RulePackError) as refused:
        load_pack_file(path)
    assert str(refused.value).startswith(f"规则包文件 {path}：")
    assert message in str(refused.value)


def test_a_file_that_is_not_toml_is_refused_with_its_line(tmp_path):
    path = _variant(tmp_path, "[thresholds]", "[thresholds")
    with pytest.raises(RulePackError, match=r"variant\.toml：不是有效的 TOML（.*line \d+"):
        load_pack_file(path)


def test_a_directory_names_every_bad_file_and_a_version_defined_twice(tmp_path):
    (tmp_path / "copy.toml").write_text(NATIONAL.read_text(encoding="utf-8"), encoding="utf-8")
    _variant(tmp_path, "green = 0.8", 'green = "x"', "bad.toml")
    with pytest.raises(RulePackError) as refused:
        load_pack_dirs([SHIPPED_DIR, tmp_path])
    lines = str(refused.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"规则包文件 {tmp_path / 'bad.toml'}：thresholds.green")
    assert (
        lines[1]
        == f"规则包文件 {tmp_path / 'copy.toml'}：name/version national-2020@2020.1 已在 {NATIONAL} 中定义"
    )


def test_a_new_version_applies_from_its_effective_date(tmp_path):
    _variant(
        tmp_path, 'version = "2020.1"\neffective = 2020-02-25', 'version = "2026.1"\neffective = 2026-07-01'
    )
    packs = load_pack_dirs([SHIPPED_DIR, tmp_path])
    assert [p.version for p in packs.versions["national-2020"]] == ["2020.1", "2026.1"]
    assert packs.get("national-2020", date(2026, 6, 30)).version == "2020.1"
    assert packs.get("national-2020", date(2026, 7, 1)).version == "2026.1"
    assert packs.files["national-2020@2026.1"] == str(tmp_path / "variant.toml")
