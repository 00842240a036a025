"""Bulk-pass helpers: the cyclic collector is paused for the pass and given back as it was."""

from __future__ import annotations

import gc

import pytest

from tracker.evaluation import service
from tracker.evaluation.bulk import collector_paused


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_during_the_pass_and_on_after_it():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_when_the_pass_raises():
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_a_province_run_evaluates_with_the_collector_off(monkeypatch, session):
    seen = []
    monkeypatch.setattr(service.engine, "departments_for", lambda *a, **k: seen.append(gc.isenabled()) or [])

    service.evaluate_all(service.MONITORING, 2023, 7)

    assert seen == [False] and gc.isenabled()
