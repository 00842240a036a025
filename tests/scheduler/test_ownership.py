"""The leader's check of its own lock (before each job)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from tracker.scheduler.lock import LeaderLock


def test_the_lock_check_notices_a_lost_lock(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    leader, usurper = LeaderLock(url, tmp_path), LeaderLock(url, tmp_path)
    try:
        assert leader.acquire() and leader.check() is True
        if leader.is_postgresql:
            admin = create_engine(url)
            with admin.connect() as connection:
                connection.execute(
                    text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": leader.backend_pid}
                )
            admin.dispose()
        else:
            leader._lock_path().unlink()  # and a new file, which another process may lock
        assert usurper.acquire(timeout=5) is True
        assert leader.check() is False and leader.held is False
        leader.release()  # nothing left to release: no error
    finally:
        leader.release()
        usurper.release()
