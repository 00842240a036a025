"""What a cell of a file users bring may hold (SPEC §8, issue 12 §11): text, with tabs and line
breaks (a cell's Alt+Enter, a 指标值说明 of several lines), but no other control character — the C0
controls (ESC, BEL, NUL, backspace …), DEL and the C1 controls. Such a character is invisible in
Excel and on the page but acts on a terminal reading the audit log or a CSV export (ESC starts an
escape sequence), so an import refuses the cell instead of storing it.
"""

from __future__ import annotations

import re

__all__ = ["control_characters", "control_character_names", "visible_text"]

#: C0 except tab, line feed and carriage return; DEL; C1.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The control characters' short names (ISO 6429), by code point.
# fmt: off
_C0_NAMES = [
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
    "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
]
_C1_NAMES = [
    "PAD", "HOP", "BPH", "NBH", "IND", "NEL", "SSA", "ESA", "HTS", "HTJ", "VTS", "PLD", "PLU", "RI", "SS2", "SS3",
    "DCS", "PU1", "PU2", "STS", "CCH", "MW", "SPA", "EPA", "SOS", "SGC", "SCI", "CSI", "ST", "OSC", "PM", "APC",
]
# fmt: on


def control_characters(text: str) -> list[str]:
    """The control characters ``text`` holds that no cell may, each once, in order of appearance."""
    if _CONTROL.search(text) is None:  # the common case: one scan in C
        return []
    return list(dict.fromkeys(_CONTROL.findall(text)))


def _name(character: str) -> str:
    code = ord(character)
    if code < 0x20:
        short = _C0_NAMES[code]
    elif code == 0x7F:
        short = "DEL"
    else:
        short = _C1_NAMES[code - 0x80]
    return f"{short}（U+{code:04X}）"


def control_character_names(characters: list[str]) -> str:
    """``ESC（U+001B）、BEL（U+0007）``: the characters named, never written out."""
    return "、".join(_name(character) for character in characters)


def visible_text(text: str) -> str:
    """``text`` fit to quote in a message: each control character as ``\\x1b``."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match[0]):02x}", text)
