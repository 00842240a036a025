"""Language and number formatting: Chinese by default, English by a switch (issue 3 §7).

The catalog's msgids are the Chinese texts; ``translations/en`` holds their English.
Numbers, dates and 万元 follow the zh_CN conventions of Babel (CLDR) for the current locale.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale, gettext, refresh
from flask_babel import lazy_gettext as _l

from tracker.auth.rule_texts import translate_rule_text
from tracker.extensions import babel
from tracker.rules import round_half_up

#: Interface language code → Babel locale.
LOCALES = {"zh": "zh_Hans_CN", "en": "en"}
LANG_COOKIE = "lang"


def select_locale() -> str:
    """The request's language (session, then cookie); the default outside a request (commands,
    jobs, imports), so services can translate their messages wherever they run."""
    lang = (session.get("lang") or request.cookies.get(LANG_COOKIE)) if has_request_context() else None
    if lang not in LOCALES:
        lang = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")
    return LOCALES.get(lang, LOCALES["zh"])


def current_lang() -> str:
    return "en" if str(get_locale()).startswith("en") else "zh"


def _quantize(value: Any, places: int) -> Decimal:
    return round_half_up(value if isinstance(value, Decimal) else Decimal(str(value)), places)


def fmt_number(value: Any, places: int | None = None) -> str:
    """A number for a page: grouping per locale; trailing zeros dropped unless ``places`` given."""
    if value is None or value == "":
        return ""
    if places is None:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        number = number.normalize()
        exponent = number.as_tuple().exponent
        digits = max(0, -exponent) if isinstance(exponent, int) else 0
        return format_decimal(number, format="#,##0." + "#" * digits if digits else "#,##0")
    return format_decimal(_quantize(value, places), format="#,##0." + "0" * places if places else "#,##0")


def fmt_money(value: Any) -> str:
    """万元, 2 decimals, rounded half-up only here at the edge (SPEC §2)."""
    if value is None:
        return ""
    return f"{fmt_number(value, 2)} 万元"


def fmt_percent(value: Any, places: int = 2) -> str:
    """A fraction (0.5833) as a percentage (58.33%)."""
    if value is None:
        return ""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return f"{fmt_number(number * 100, places)}%"


def fmt_date(value: date | datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "yyyy-MM-dd HH:mm")
    return format_date(value, style)


ROLE_LABELS = {
    "reporter": _l("填报员"),
    "department": _l("部门管理员"),
    "finance": _l("财政局"),
    "admin": _l("系统管理员"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def term(word: Any) -> Any:
    """A word kept as Chinese where it is made (a lamp, a grade, a report's kind) in the page's
    language; a word the catalog lacks (a name) stays as it is, and a number is left alone."""
    if word is None:
        return ""
    return gettext(word) if isinstance(word, str) and word else word


def rule_text(text: str | None) -> str:
    """A sentence of the rules (a lamp's explanation, a warning) in the page's language."""
    return translate_rule_text(text, current_lang())


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel caches the locale on the app context, which can outlive a request (tests, scripts).
    app.before_request(refresh)
    app.jinja_env.filters.update(num=fmt_number, money=fmt_money, pct=fmt_percent, date=fmt_date)
    app.jinja_env.filters.update(rule_text=rule_text, term=term)
    app.jinja_env.globals.update(current_lang=current_lang, role_label=role_label)
