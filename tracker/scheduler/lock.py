"""The leader lock: only one scheduler process runs jobs, a second one stands by.

PostgreSQL: ``pg_try_advisory_lock`` on a dedicated, unpooled connection (a pooled connection that
is "closed" goes back to the pool and keeps holding the lock). SQLite: an exclusive ``flock`` on a
file beside the database; the kernel releases both when the process dies.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

__all__ = ["LeaderLock", "LOCK_KEY"]

#: Advisory lock key: "tracker" scheduler.
LOCK_KEY = 0x747261636B6572


class LeaderLock:
    """``acquire()`` → True when this process is the leader; ``release()`` gives it up."""

    def __init__(self, database_url: str, lock_dir: str | os.PathLike[str], key: int = LOCK_KEY):
        self.url = make_url(database_url)
        self.key = key
        self.lock_dir = Path(lock_dir)
        self._connection: Connection | None = None
        self._file: IO[str] | None = None

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
            engine = create_engine(self.url, poolclass=NullPool)
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

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
