"""The rules' sentences in the page's language (issue 11 §5): a lamp's or a score's explanation and a
plausibility warning are made and stored in Chinese from the templates of
:mod:`tracker.rules.wording`; in English each template found in the sentence is replaced by its
translation with its places filled in (words such as 绿灯 or 达成 translated too), the rest of the
sentence (an indicator's unit, a reviewer's note) kept as it is.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask_babel import gettext

from tracker.rules import wording

__all__ = ["translate_rule_text"]

#: A place holding one word or number: up to the next space or Chinese punctuation.
_WORD = r"[^\s；，：（）“”→]+"
_PLACE = re.compile(r"%\((\w+)\)s|%%")
_PUNCTUATION = {"；": "; ", "，": ", ", "：": ": ", "（": " (", "）": ")"}


def _pattern(template: str) -> re.Pattern[str]:
    """The template as a regular expression: its fixed words literal, each place a named group (a
    place met again must hold the same text); a sentence place at the end takes the rest."""
    parts: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in _PLACE.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        position = match.end()
        name = match.group(1)
        if name is None:
            parts.append("%")
        elif name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            last = position == len(template)
            body = (".+" if last else ".+?") if name in wording.TEXT_PLACES else _WORD
            parts.append(f"(?P<{name}>{body})")
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts))


Patterns = tuple[tuple[str, re.Pattern[str]], ...]


@lru_cache(maxsize=1)
def _patterns() -> tuple[Patterns, dict[str, Patterns]]:
    """(templates that open with a place, tried at the start only; the others by their first
    character). Longest first: 定性：报告等级… before 预计等级…, 部分达成 before 达成."""
    ordered = sorted(wording.TEMPLATES, key=len, reverse=True)
    opening: list[tuple[str, re.Pattern[str]]] = []
    by_first: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for template in ordered:
        entry = (template, _pattern(template))
        if template.startswith("%("):
            opening.append(entry)
        else:
            by_first.setdefault(template[0], []).append(entry)
    return tuple(opening), {first: tuple(entries) for first, entries in by_first.items()}


@lru_cache(maxsize=1)
def _words() -> tuple[str, ...]:
    return tuple(sorted((w for w in wording.VOCABULARY if len(w) > 1), key=len, reverse=True))


def _translated(template: str, match: re.Match[str]) -> str:
    values = {
        name: _english(value) if name in wording.TEXT_PLACES else gettext(value)
        for name, value in match.groupdict().items()
    }
    return gettext(template) % values


def _english(text: str) -> str:
    whole = gettext(text)
    if whole != text:  # a sentence of its own in the catalog (由财务数据计算)
        return whole
    opening, by_first = _patterns()
    out: list[str] = []
    position = 0
    while position < len(text):
        candidates = (opening if position == 0 else ()) + by_first.get(text[position], ())
        for template, pattern in candidates:
            match = pattern.match(text, position)
            if match:
                out.append(_translated(template, match))
                position = match.end()
                break
        else:
            word = next((w for w in _words() if text.startswith(w, position)), None)
            if word:
                out.append(gettext(word))
                position += len(word)
            else:
                out.append(_PUNCTUATION.get(text[position], text[position]))
                position += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def _english_cached(text: str, locale: str) -> str:
    return _english(text)


def translate_rule_text(text: str | None, lang: str) -> str:
    """``text`` (a sentence of the rules, as stored) in ``lang``; Chinese is what is stored."""
    if not text:
        return ""
    return text if lang != "en" else _english_cached(text, lang)
