"""``next=`` never leaves the site, whatever it is dressed in: the language switch and the login page
redirect only to same-site paths, after the normalisation Werkzeug and browsers apply, and never 500."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

import pytest

from tests.conftest import login_as
from tests.reporting.world import PASSWORD

# As an attacker writes them in the URL: percent-escapes are sent as they stand.
HOSTILE = [
    "//evil.example",
    "///evil.example",
    "////evil.example/",
    "https://evil.example/",
    "HTTPS://evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "data:text/html,x",
    "evil.example",
    "@evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%5C/evil.example",
    "%5C%5Cevil.example",
    "/%09/evil.example",
    "/%0A/x",
    "/%0D%0ASet-Cookie:%20a=b",
    "/%0D/evil.example",
    "%09//evil.example",
    "%20//evil.example",
    "%00//evil.example",
    "/%00/evil.example",
    "/%20/evil.example",
    "/%E3%80%80/evil.example",  # U+3000 ideographic space
    "/%C2%A0/evil.example",  # no-break space
    "/%E2%80%A8/evil.example",  # line separator
    "/%EF%BB%BF/evil.example",  # BOM
    "/%E2%80%8B/evil.example",  # zero-width space
    "%EF%BC%8F%EF%BC%8Fevil.example",  # full-width ／／
    "/%2F/evil.example",
    "/%2fevil.example",
    "%2F%2Fevil.example",
    "/%252F/evil.example",
    "/%25252F%25252Fevil.example",
    "/%2509/evil.example",
    "/%255C/evil.example",
    "/%7F/evil.example",
    "/" + "a" * 5000,
    "",
]


def _browser_path(location: str) -> str:
    """What a browser makes of a Location, as far as leaving the site goes (WHATWG URL parsing)."""
    location = location.strip("".join(map(chr, range(0x21))))
    location = re.sub(r"[\t\r\n]", "", location)
    return location.replace("\\", "/")


def assert_same_site(location: str) -> None:
    assert location.startswith("/"), location
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    path = parts.path
    for _ in range(5):
        seen = _browser_path(path)
        assert seen.startswith("/") and not seen.startswith("//"), location
        assert not any(ord(char) < 0x21 or ord(char) == 0x7F for char in path), location
        path = unquote(path)


def _query(raw: str) -> str:
    return f"?next={raw}"


@pytest.mark.parametrize("raw", HOSTILE)
def test_the_language_switch_stays_on_the_site(client, raw):
    response = client.get("/lang/en" + _query(raw))
    assert response.status_code == 302
    assert_same_site(response.headers["Location"])
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("raw", HOSTILE)
def test_a_login_stays_on_the_site(client, world, raw):
    response = client.post("/login" + _query(raw), data={"username": "r801001", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("raw", HOSTILE)
def test_the_login_page_of_someone_logged_in_stays_on_the_site(client, world, raw):
    login_as(client, world.reporter)
    response = client.get("/login" + _query(raw))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target",
    [
        "/reports/801001/2023/7",
        "/dashboard?year=2023&month=7",
        "/login",
        "/monitoring?department=801&q=%2F%2Fa",
        "/a:b",
    ],
)
def test_a_path_of_the_site_is_kept(client, world, target):
    assert client.get("/lang/en" + _query(quote(target))).headers["Location"] == target
    response = client.post(
        "/login" + _query(quote(target)), data={"username": "r801001", "password": PASSWORD}
    )
    assert response.headers["Location"] == target
