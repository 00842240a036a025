"""The report form's rows as the page prints them (issue 13 §3): a 1,000-indicator form is 1,000 rows
of eight fields, so everything a row shows — the value in each field, what is saved beside what was
typed, its errors, the lamp, the labels — is worked out here once, with each translation looked up
once a page, and the template (``reporting/report.html``) only prints it.

Every text of a :class:`FormRow` is escaped here, as :class:`~markupsafe.Markup`: the template prints
the rows without autoescaping (a third of its time, 60 outputs a row), so nothing may reach a row
unescaped — a name, a typed value, an error message that quotes it.

A row shown again with what was typed (an error, a conflict) is ``extra``: the template prints the
saved value (``data-stored``), the errors and, after a conflict, the other person's value beside
each field; the rows of a plain GET print none of that and call no macro.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from tracker.auth.i18n import current_lang, fmt_number, term
from tracker.auth.rule_texts import translate_rule_text
from tracker.budget.models import Project
from tracker.reporting.reading import ReportData, ReportRow
from tracker.reporting.values import ROW_FIELDS
from tracker.reporting.views_common import plain
from tracker.rules import NOT_APPLICABLE_GRADE, IndicatorLamp

__all__ = ["FormRow", "FormSection", "form_sections", "OptionTags"]

#: Every field of a row, in the order the page shows them: those a user may set.
FIELDS = ROW_FIELDS
_CAUSE_FIELDS = ("deviation_category", "deviation_cause", "corrective_measure")


@dataclass(slots=True)
class FormRow:
    """One indicator's row, ready to print: every text escaped (Markup)."""

    id: int
    name: Markup
    level2: Markup
    target: Markup
    unit: Markup
    mode: Markup
    comparator: Markup
    low: Markup
    computed: bool
    computed_text: Markup
    qualitative: bool
    previous: Markup | None
    #: What each field shows (what was typed, else what is saved).
    values: dict[str, Markup]
    lamp_class: Markup
    lamp_label: Markup
    lamp_explain: Markup
    show_cause: bool
    warnings: list[Markup]
    disabled: bool
    #: Shown again with what was typed, or with errors: print saved values, errors and theirs.
    extra: bool = False
    typed: bool = False
    #: What is saved, for ``data-stored`` (``extra`` rows that were typed).
    stored: dict[str, Markup] = field(default_factory=dict)
    errors: dict[str, list[Markup]] = field(default_factory=dict)
    #: After a conflict: the other person's saved value of each field typed differently.
    theirs: dict[str, Markup] = field(default_factory=dict)


@dataclass(slots=True)
class FormSection:
    """A project's table (or the 部门整体 indicators'), its rows by 一级指标, and its 已填 count."""

    project: Project | None
    level1s: list[tuple[str, list[FormRow]]]
    filled: int = 0
    total: int = 0


def _stored(row: ReportRow) -> dict[str, str]:
    values = row.values
    if values is None:
        return dict.fromkeys(FIELDS, "")
    out = {name: plain(getattr(values, name)) for name in FIELDS}
    if row.qualitative or values.grade == NOT_APPLICABLE_GRADE:
        out["actual"] = values.grade or ""
    if row.qualitative:
        out["forecast"] = values.forecast_grade or ""
    return out


class _Labels:
    """Translations and lamp names, each looked up once a page."""

    def __init__(self, modes: Mapping[str, str], lamps: Mapping[str, str]):
        self._modes, self._lamps = modes, lamps
        self._cache: dict[tuple[str, str], str] = {}
        self._lang = current_lang()  # rule_text asks Flask-Babel for the locale at every call

    def rule(self, text: str | None) -> str:
        """:func:`~tracker.auth.i18n.rule_text` in the page's language, found once."""
        return translate_rule_text(text, self._lang)

    def mode(self, mode: str) -> str:
        key = ("mode", mode)
        if key not in self._cache:
            self._cache[key] = _(self._modes.get(mode, mode))
        return self._cache[key]

    def lamp(self, status: str) -> str:
        key = ("lamp", status)
        if key not in self._cache:
            self._cache[key] = _(self._lamps.get(status, status))
        return self._cache[key]


def number_format() -> Callable[[Decimal | None], str]:
    """:func:`~tracker.auth.i18n.fmt_number` for this page's locale: where its symbols are the plain
    ``.``, ``,`` and ``-`` (zh, en) the same text straight from Python's format, without Babel's
    pattern machinery, a thousand times a page."""
    locale = get_locale()
    symbols = (get_decimal_symbol(locale), get_group_symbol(locale), get_minus_sign_symbol(locale))
    if symbols != (".", ",", "-"):
        return fmt_number

    def plain_grouped(value: Decimal | None) -> str:
        if value is None:
            return ""
        return format(value.normalize() if isinstance(value, Decimal) else Decimal(str(value)), ",f")

    return plain_grouped


def _previous(row: ReportRow, number: Callable[[Decimal | None], str]) -> str | None:
    previous = row.previous
    if previous is None:
        return None
    if row.qualitative or previous.grade == NOT_APPLICABLE_GRADE:
        return term(previous.grade) or ""
    return number(previous.actual)


def _row(
    row: ReportRow,
    lamp: IndicatorLamp,
    editable: bool,
    labels: _Labels,
    number: Callable[[Decimal | None], str],
    typed: Mapping[str, str] | None,
    errors: dict[str, list[str]],
    conflict: bool,
) -> FormRow:
    indicator = row.indicator
    stored = _stored(row)
    values = stored if typed is None else {name: typed.get(name, "") for name in FIELDS}
    computed = row.computed_value
    show_cause = (
        lamp.status in ("yellow", "red")
        or any(values[name] for name in _CAUSE_FIELDS)
        or any(errors.get(name) for name in _CAUSE_FIELDS)
    )
    theirs = {}
    if conflict and typed is not None:
        theirs = {name: stored[name] for name in FIELDS if name in typed and stored[name] != str(typed[name])}
    html = escape
    return FormRow(
        id=indicator.id,
        name=html(indicator.name),
        level2=html(indicator.level2),
        target=html(indicator.target),
        unit=html(indicator.target_unit or ""),
        mode=html(labels.mode(indicator.effective_mode)),
        comparator=html(indicator.comparator),
        low=html(plain(indicator.target_low)),
        computed=bool(indicator.computed_metric),
        computed_text=html(
            f"{fmt_number(computed, 2)} {indicator.target_unit or ''}".rstrip()
            if computed is not None
            else "—"
        ),
        qualitative=row.qualitative,
        previous=None if (previous := _previous(row, number)) is None else html(previous),
        values={name: html(value) for name, value in values.items()},
        lamp_class=html(lamp.status.replace("/", "")),
        lamp_label=html(labels.lamp(lamp.status)),
        lamp_explain=html(labels.rule(lamp.explain)),
        show_cause=bool(show_cause),
        warnings=[html(labels.rule(w)) for w in row.warnings] if typed is None else [],
        disabled=not editable or bool(indicator.computed_metric),
        extra=typed is not None or bool(errors),
        typed=typed is not None,
        stored={name: html(value) for name, value in stored.items()} if typed is not None else {},
        errors={name: [html(m) for m in messages] for name, messages in errors.items()},
        theirs={name: html(value) for name, value in theirs.items()},
    )


def form_sections(
    data: ReportData,
    *,
    typed: Mapping[int, Mapping[str, str]],
    errors: Mapping[str, list[str]],
    conflict: bool,
    lamps: Mapping[int, IndicatorLamp],
    modes: Mapping[str, str],
    lamp_names: Mapping[str, str],
) -> list[FormSection]:
    """The form's tables, by project then 一级指标 (target-file order), every row ready to print."""
    labels = _Labels(modes, lamp_names)
    number = number_format()
    by_row: dict[int, dict[str, list[str]]] = {}
    for key, messages in errors.items():
        indicator, _dot, name = key.partition(".")
        if indicator.isdigit():
            by_row.setdefault(int(indicator), {})[name] = list(messages)
    sections: list[FormSection] = []
    for project, level1s in data.groups():
        section = FormSection(project, [])
        for level1, rows in level1s:
            printed = []
            for row in rows:
                iid = row.indicator.id
                item = _row(
                    row, lamps.get(iid) or row.lamp, data.editable, labels, number, typed.get(iid),
                    by_row.get(iid, {}), conflict,
                )  # fmt: skip
                if not item.computed:
                    section.total += 1
                    section.filled += bool(item.values["actual"].strip())
                printed.append(item)
            section.level1s.append((level1, printed))
        sections.append(section)
    return sections


class OptionTags:
    """The ``<option>`` tags of a choice with one value selected, made once per choice and value a
    page: the options (GRADES, LIKELIHOODS, DEVIATION_CATEGORIES) are few, the rows many."""

    def __init__(self, choices: Mapping[str, tuple[str, ...]], translate: Callable[[str], str] = _):
        self._choices = {
            name: [(value, translate(value)) for value in values] for name, values in choices.items()
        }
        self._cache: dict[tuple[str, str], Markup] = {}

    def __call__(self, name: str, current: str) -> Markup:
        key = (name, current)
        tags = self._cache.get(key)
        if tags is None:
            parts = ['<option value="">—</option>']
            for value, label in self._choices[name]:
                selected = " selected" if value == current else ""
                parts.append(f'<option value="{escape(value)}"{selected}>{escape(label)}</option>')
            tags = self._cache[key] = Markup("".join(parts))
        return tags
