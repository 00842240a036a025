"""The leader lock: only one scheduler process runs jobs, a second one stands by.

PostgreSQL: ``pg_try_advisory_lock`` on a dedicated, unpooled connection (a pooled connection that
is "closed" goes back to the pool and keeps holding the lock). SQLite: an exclusive ``flock`` on a
file beside the database; the kernel releases both when the process dies.

The lock can also be lost while the process lives — its connection terminated from outside
(``pg_terminate_backend``), or the lock file removed and created anew — and then another process
may take it: the leader asks :meth:`LeaderLock.check` before each job and stands down when it says
the lock is gone.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

__all__ = ["LeaderLock", "LOCK_KEY"]

log = logging.getLogger("tracker.scheduler")

#: Advisory lock key: "tracker" scheduler.
LOCK_KEY = 0x747261636B6572

#: Whether this session still holds the advisory lock (pg_locks shows a bigint key as its high and
#: low 32 bits, objsubid 1).
_HOLDING = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    " AND granted AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1)"
)
#: The session holding the lock in this database (advisory locks are per database).
_HOLDER = text(
    "SELECT a.pid, a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND l.classid::bigint = :high AND l.objid::bigint = :low AND l.objsubid = 1"
)


class LeaderLock:
    """``acquire()`` → True when this process is the leader; ``release()`` gives it up."""

    def __init__(self, database_url: str, lock_dir: str | os.PathLike[str], key: int = LOCK_KEY):
        self.url = make_url(database_url)
        self.key = key
        self.lock_dir = Path(lock_dir)
        self._connection: Connection | None = None
        self._file: IO[str] | None = None
        self._guard = threading.Lock()  # jobs check from the scheduler's worker threads
        #: The PostgreSQL backend of the lock connection (while held).
        self.backend_pid: int | None = None

    @property
    def is_postgresql(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def _lock_path(self) -> Path:
        database = self.url.database
        if database and database != ":memory:":
            return Path(f"{database}.scheduler.lock")
        return self.lock_dir / "scheduler.lock"

    def acquire(self, timeout: float = 0) -> bool:
        """Try to become the leader; on PostgreSQL wait up to ``timeout`` seconds (a holder that just
        died is released by the server once its backend notices)."""
        if self.held:
            return True
        if self.is_postgresql:
            # The session's name says which process leads (pg_stat_activity, ``tracker doctor``).
            name = f"tracker-scheduler {socket.gethostname()}:{os.getpid()}"[:63]
            engine = create_engine(self.url, poolclass=NullPool, connect_args={"application_name": name})
            connection = engine.connect()
            if timeout > 0:
                connection.execute(text(f"SET lock_timeout = {int(timeout * 1000)}"))
                try:
                    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self.key})
                    got = True
                except DBAPIError:
                    connection.rollback()
                    got = False
            else:
                got = bool(
                    connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
                )
            if got:
                self.backend_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            connection.commit()  # a session-level lock: no transaction left open
            if got:
                self._connection = connection
            else:
                connection.close()
            return got
        path = self._lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the process's life)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return True

    def check(self) -> bool:
        """Whether this process still holds the lock: on PostgreSQL its connection answers and its
        session still holds the advisory lock; on SQLite the locked file is still the one at the
        lock path. A lost lock is let go of (``held`` becomes False)."""
        with self._guard:
            if self._connection is not None:
                try:
                    holding = bool(
                        self._connection.execute(
                            _HOLDING, {"high": self.key >> 32, "low": self.key & 0xFFFFFFFF}
                        ).scalar()
                    )
                    self._connection.commit()
                except DBAPIError as error:
                    log.warning("the leader lock's connection failed: %s", str(error).splitlines()[0])
                    holding = False
                if not holding:
                    self._drop_connection()
                return holding
            if self._file is not None:
                try:
                    holding = os.stat(self._lock_path()).st_ino == os.fstat(self._file.fileno()).st_ino
                except OSError:
                    holding = False
                if not holding:
                    log.warning("the leader lock file %s was removed or replaced", self._lock_path())
                    self._file.close()
                    self._file = None
                return holding
            return False

    def holder(self) -> str | None:
        """Who holds the lock now, without taking it — on PostgreSQL the session holding the advisory
        lock in this database (named ``tracker-scheduler host:pid``), on SQLite the pid written in the
        locked file — or None when nobody does."""
        if self.is_postgresql:
            engine = create_engine(self.url, poolclass=NullPool)
            try:
                with engine.connect() as connection:
                    row = connection.execute(
                        _HOLDER, {"high": self.key >> 32, "low": self.key & 0xFFFFFFFF}
                    ).first()
            finally:
                engine.dispose()
            if row is None:
                return None
            return f"{row.application_name or '?'}（PostgreSQL 会话 {row.pid}，自 {row.backend_start:%Y-%m-%d %H:%M}）"
        path = self._lock_path()
        if not path.exists():
            return None
        with open(path, encoding="utf-8") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return f"pid {handle.read().strip() or '?'}（锁文件 {path}）"
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return None

    def _drop_connection(self) -> None:
        connection, self._connection, self.backend_pid = self._connection, None, None
        if connection is not None and not connection.closed:
            try:
                connection.invalidate()  # never back into use: the socket is closed as it is
            finally:
                connection.close()

    def release(self) -> None:
        with self._guard:
            if self._connection is not None:
                try:
                    self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                    self._connection.commit()
                    self._connection.close()
                except DBAPIError:  # the connection is gone, and with it the lock
                    pass
                self._drop_connection()
            if self._file is not None:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
                self._file.close()
                self._file = None
