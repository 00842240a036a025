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
    defaults = list(limiter.limit_manager._default_limits)
    yield
    for name, value in saved.items():
        setattr(limiter, name, value)
    limiter.limit_manager.set_default_limits(defaults)
