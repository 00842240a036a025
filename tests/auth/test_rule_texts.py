"""The rules' sentences in English (issue 11 §5): every template of tracker/rules/wording.py, and the
sentences the rules really write, come out with no Chinese left but the data they hold, their
numbers kept; in Chinese they are shown as stored."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tracker.auth.rule_texts import translate_rule_text
from tracker.rules import monitor_indicator, score_indicator, wording
from tracker.rules.packs import get_rule_pack
from tracker.rules.plausibility import plausibility_warnings

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: What a place may hold, by name: a grade or a lamp in Chinese (words with an English term), or a
#: number that must come through unchanged.
SAMPLES = {
    "grade": "部分达成",
    "lamp": "黄灯",
    "likelihood": "有可能",
    "metric": "结转结余率",
    "why": "“达成”默认 100%",
    "formula": "达标：得满分 10",
}


def _filled(template: str) -> tuple[str, list[str]]:
    names = re.findall(r"%\((\w+)\)s", template)
    values = {name: SAMPLES.get(name, f"{index + 1}.5") for index, name in enumerate(names)}
    return template % values, [v for k, v in values.items() if k not in SAMPLES]


@pytest.fixture
def english(app):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        yield lambda text: translate_rule_text(text, "en")


@pytest.mark.parametrize("template", wording.TEMPLATES)
def test_every_template_comes_out_in_english_with_its_numbers(english, template):
    text, numbers = _filled(template)
    shown = english(text)
    assert not HAN.search(shown), shown
    for number in numbers:
        assert number in shown, (number, shown)


def test_chinese_is_shown_as_stored(app):
    text = _filled(wording.CUMULATIVE)[0]
    with app.test_request_context("/"):
        assert translate_rule_text(text, "zh") == text


def test_a_lamp_the_rules_explain_is_english_through_and_through(english):
    pack = get_rule_pack()
    lamp = monitor_indicator(
        mode="cumulative",
        comparator="GE",
        low=Decimal(140),
        high=None,
        actual=Decimal(100),
        grade=None,
        forecast=Decimal(120),
        forecast_grade=None,
        likelihood="有可能",
        month=7,
        thresholds=pack.thresholds,
    )
    assert "累计型" in lamp.explain and "有可能" in lamp.explain  # stored in Chinese
    shown = english(lamp.explain)
    assert shown.startswith("Cumulative: expected = target 140 × time progress 0.5833 = 81.6667")
    assert "→ Green" in shown and "full-year forecast 120 judged at year end: Green" in shown
    assert "likelihood of meeting the target “Possible” → Yellow" in shown and "(thresholds 0.8/0.6)" in shown
    assert not HAN.search(shown), shown


def test_scores_and_warnings_are_english(english):
    pack = get_rule_pack()
    score = score_indicator(
        comparator="GE",
        low=Decimal(100),
        high=None,
        actual=Decimal(150),
        grade=None,
        grade_percent=None,
        weight=Decimal(10),
        pack=pack,
    )
    qualitative = score_indicator(
        comparator="QUALITATIVE",
        low=None,
        high=None,
        actual=None,
        grade="部分达成",
        grade_percent=Decimal(95),
        weight=Decimal(10),
        pack=pack,
    )
    warnings = plausibility_warnings(
        mode="cumulative",
        comparator="GE",
        low=Decimal(10),
        unit="件",
        actual=Decimal(40),
        previous=Decimal(50),
        pack=pack,
    )
    assert len(warnings) == 2
    for text in (score.explain, qualitative.explain, *warnings):
        assert HAN.search(text)
        assert not HAN.search(english(text)), english(text)
    assert english(score.explain) == (
        "Actual 150, target 100; met: full points 10; actual ≥ target × 1.2: target set too low"
    )


def test_a_unit_or_a_note_in_a_sentence_is_data_and_kept(english):
    shown = english(wording.LEVEL_JUMP % {"previous": "95百分点", "jump": "50"})
    assert "95百分点" in shown and "percentage points" in shown
