"""A query parameter a page does not know (a mailer's utm_source, an ad click id) is ignored, not a 404;
a known one with a bad value still is."""

from __future__ import annotations

import pytest

from tests.conftest import login_as


@pytest.mark.parametrize(
    "query",
    [
        "utm_source=x",
        "year=2023&utm_source=mail&utm_medium=email",
        "fbclid=abc&month=6",
        "year=2023&year=2024",
    ],
)
def test_the_dashboard_ignores_what_it_does_not_know(client, world, query):
    login_as(client, world.finance)
    assert client.get(f"/dashboard?{query}").status_code == 200


@pytest.mark.parametrize("query", ["year=abc", "month=13", "year=1900"])
def test_a_bad_value_of_a_known_parameter_is_still_404(client, world, query):
    login_as(client, world.finance)
    assert client.get(f"/dashboard?{query}").status_code == 404
