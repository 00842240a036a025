"""Which characters a cell of an imported file may not hold (issue 12 §11), table-driven."""

from __future__ import annotations

import pytest

from tracker import rules


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("大厅运行费", []),
        ("第一行\n第二行\r\n\t缩进", []),
        ("", []),
        ("a\x1b[31mb", ["\x1b"]),
        ("\x07\x07\x00", ["\x07", "\x00"]),
        ("\x08\x0b\x0c\x0e\x1f", ["\x08", "\x0b", "\x0c", "\x0e", "\x1f"]),
        ("\x7f", ["\x7f"]),
        ("\x80 \x85 \x9b \x9f", ["\x80", "\x85", "\x9b", "\x9f"]),
        ("\xa0 ¥ 中\u2028", []),  # no-break space, ¥, CJK, the line separator: text, not controls
    ],
)
def test_control_characters(text, found):
    assert rules.control_characters(text) == found


@pytest.mark.parametrize(
    ("characters", "named"),
    [
        (["\x1b"], "ESC（U+001B）"),
        (["\x07", "\x00"], "BEL（U+0007）、NUL（U+0000）"),
        (["\x7f", "\x9b", "\x85"], "DEL（U+007F）、CSI（U+009B）、NEL（U+0085）"),
    ],
)
def test_control_character_names(characters, named):
    assert rules.control_character_names(characters) == named


def test_visible_text_writes_each_control_character_as_an_escape():
    assert rules.visible_text("a\x1b[2J\x07b\n") == "a\\x1b[2J\\x07b\n"
