"""A small browser for the test client: reads a page's links and forms as HTML, and submits a form
with exactly the values the page filled in — hidden CSRF token, selected options, typed defaults,
the clicked submit button — the way Chromium would."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

#: Framework text that must never reach a clerk.
RAW_TEXTS = (
    "Unknown field",
    "Not a valid",
    "Missing data for required field",
    "Field may not be null",
    "Length must be",
    "Must be one of",
    "Must be greater",
    "Must be less",
    "Traceback",
    "Internal Server Error",
    "Bad Request",
    "The CSRF token",
    "{'",
    "This field is required",
    "Invalid value",
)


@dataclass
class Form:
    page: str
    action: str
    method: str
    enctype: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    submit: tuple[str, str] | None = None
    buttons: list[tuple[str, str]] = field(default_factory=list)
    index: int = 0
    answered_post: bool = False  # on a page a POST answered (an import preview): no GET shows it again

    def per_button(self) -> list[Form]:
        """One submission per submit button: 保存草稿 and 提交审核 are two ways to send the form."""
        return [
            replace(self, submit=button, buttons=[])
            for button in (self.buttons or ([self.submit] if self.submit else []))
        ]

    def describe(self) -> str:
        return f"form #{self.index} on {self.page} → {self.method.upper()} {self.action}"


class _PageParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: tuple[str | None, bool] | None = None
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {key: (value or "") for key, value in attrs_list}
        if tag == "a" and attrs.get("href"):
            self.links.append(urljoin(self.page, attrs["href"]))
        elif tag == "form":
            self._form = Form(
                page=self.page,
                action=urljoin(self.page, attrs.get("action") or self.page),
                method=(attrs.get("method") or "get").lower(),
                enctype=attrs.get("enctype", ""),
                index=len(self.forms),
            )
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            self._input(attrs)
        elif tag == "button":
            kind = attrs.get("type", "submit")
            if kind == "submit":
                button = (attrs.get("name", ""), attrs.get("value", ""))
                self._form.buttons.append(button)
                if self._form.submit is None:
                    self._form.submit = button
        elif tag == "select" and "name" in attrs and "disabled" not in attrs:
            self._select = (attrs["name"], [])
        elif tag == "option" and self._select is not None:
            self._option = (attrs.get("value"), "selected" in attrs)
            self._option_text = ""
        elif tag == "textarea" and "name" in attrs and "disabled" not in attrs:
            self._textarea = attrs["name"]
            self._textarea_text = ""

    def _input(self, attrs: dict[str, str]) -> None:
        assert self._form is not None
        kind = attrs.get("type", "text").lower()
        name = attrs.get("name")
        if not name or "disabled" in attrs:
            if kind == "submit" and name is None:
                self._form.buttons.append(("", attrs.get("value", "")))
                if self._form.submit is None:
                    self._form.submit = ("", "")
            return
        if kind == "file":
            self._form.files.append(name)
        elif kind == "submit":
            self._form.buttons.append((name, attrs.get("value", "")))
            if self._form.submit is None:
                self._form.submit = (name, attrs.get("value", ""))
        elif kind in ("checkbox", "radio"):
            if "checked" in attrs:
                self._form.fields.append((name, attrs.get("value", "on")))
        elif kind not in ("button", "reset", "image"):
            self._form.fields.append((name, attrs.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option_text += data
        if self._textarea is not None:
            self._textarea_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            value, selected = self._option
            self._select[1].append((value if value is not None else self._option_text.strip(), selected))
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options = self._select
            chosen = next((value for value, selected in options if selected), None)
            if chosen is None and options:
                chosen = options[0][0]
            if chosen is not None:
                self._form.fields.append((name, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea, self._textarea_text))
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse_page(url: str, html: str) -> tuple[list[str], list[Form]]:
    parser = _PageParser(url)
    parser.feed(html)
    return parser.links, parser.forms


def same_site_path(url: str, origin: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme and f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def shape(path: str) -> str:
    """A page's kind: /reports/122201/2023/7 and /reports/122201/2023/8 are one shape; another unit's
    months (a six-digit code) are another."""
    return re.sub(r"(?<!\d)\d{1,4}(?!\d)", "N", path.split("?")[0])


def raw_text_in(html: str) -> str | None:
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    return next((raw for raw in RAW_TEXTS if raw in text), None)


def page_text(html: str, limit: int = 300) -> str:
    """What the page says below its top bar, as text: enough to read why a submission failed."""
    body = html.split("</header>", 1)[-1]
    body = re.sub(r"<(script|style).*?</\1>", "", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()[:limit]
