from __future__ import annotations

import pytest

from tests.reporting.world import World, build_world
from tracker.extensions import limiter


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture(autouse=True)
def isolated_limiter():
    """An app built here (production: limits on) must not leave the process-wide limiter switched
    on, or pointed at its store, for the tests that follow."""
    saved = {
        name: getattr(limiter, name, None) for name in ("enabled", "_storage", "_limiter", "_key_prefix")
    }
    yield
    for name, value in saved.items():
        setattr(limiter, name, value)
