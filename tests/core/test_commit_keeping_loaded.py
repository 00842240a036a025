"""``commit_keeping_loaded``: a commit that leaves what the session holds loaded, for the requests
that answer with a redirect or read back only what they wrote (a save of a thousand values)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from tests.factories import DepartmentFactory
from tests.perf.counting import counted
from tracker.core.database import commit_keeping_loaded
from tracker.extensions import db


def test_what_was_loaded_stays_loaded_and_is_committed(session):
    department = DepartmentFactory(name="焦作市政务服务和大数据管理局")
    session.flush()
    department.name = "焦作市大数据管理局"
    commit_keeping_loaded()
    assert not inspect(department).expired
    with counted(db.engine) as sent:
        assert department.name == "焦作市大数据管理局"
    assert sent == []
    session.expire_all()
    assert department.name == "焦作市大数据管理局"  # read again: it was written


def test_the_sessions_own_setting_is_back_after_it(session):
    assert session().expire_on_commit
    DepartmentFactory()
    commit_keeping_loaded()
    assert session().expire_on_commit
    department = DepartmentFactory()
    session.commit()
    assert inspect(department).expired  # a plain commit expires, as before


def test_a_failed_commit_puts_the_setting_back(session, monkeypatch):
    def refuse() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(session(), "commit", refuse)
    with pytest.raises(RuntimeError):
        commit_keeping_loaded()
    assert session().expire_on_commit
