"""A run's hold on its ledger claim: the :class:`Lease` and its heartbeat thread, and the
settings that time it (app config, else the environment): ``SCHEDULER_HEARTBEAT_SECONDS`` (15: how
often a running job's heartbeat is written) and ``SCHEDULER_STALE_SECONDS`` (60: a running claim
without a heartbeat this long is abandoned; on PostgreSQL one whose owner's database session is
gone is abandoned at once)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from tracker.scheduler import ledger

__all__ = ["Lease", "heartbeat_seconds", "stale_window", "setting"]

log = logging.getLogger("tracker.scheduler")


def setting(name: str, default: float, app: Flask | None = None) -> float:
    value = (app or current_app).config.get(name)
    return float(os.environ.get(name, default) if value is None else value)


def heartbeat_seconds(app: Flask | None = None) -> float:
    return setting("SCHEDULER_HEARTBEAT_SECONDS", 15, app)


def stale_window(app: Flask | None = None) -> timedelta:
    return timedelta(seconds=setting("SCHEDULER_STALE_SECONDS", ledger.STALE.total_seconds(), app))


_LEASE_ENGINES: dict[URL, Engine] = {}


def _lease_engine(engine: Engine) -> Engine:
    """Unpooled connections of a lease: on PostgreSQL a backend of its own, on SQLite one that
    never waits for a lock (a heartbeat waiting with the write lock taken would make the job's own
    first write fail: SQLite does not wait for a lock when the waiter already reads)."""
    if engine.url not in _LEASE_ENGINES:
        options = {} if engine.dialect.name == "postgresql" else {"connect_args": {"timeout": 0}}
        _LEASE_ENGINES[engine.url] = create_engine(engine.url, poolclass=NullPool, **options)
    return _LEASE_ENGINES[engine.url]


class Lease:
    """A run's hold on its claim: ``owner`` (``host:pid``), a ``token`` of its own, and on
    PostgreSQL a connection of its own, whose backend the ledger records — the server ends it when
    this process dies, so the claim is seen dead at once. A daemon thread writes the heartbeat every
    ``interval`` seconds until :meth:`stop`; ``lost`` is set when the claim was abandoned meanwhile.

    On SQLite a beat is skipped while ``busy()`` (the job's session is inside a transaction: its
    read lock would refuse the beat's commit anyway), and a refused beat is tried again a second
    later. While the job holds a transaction open no other process can commit an abandonment
    either; once it is dead its locks are gone and its heartbeat goes stale."""

    def __init__(self, engine: Engine, interval: float, busy: Callable[[], bool] | None = None) -> None:
        self.owner = f"{socket.gethostname()}:{os.getpid()}"[-100:]
        self.token = uuid.uuid4().hex
        self.interval = interval
        self.backend: int | None = None
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connection: Connection | None = None
        self._postgresql = engine.dialect.name == "postgresql"
        self._busy = busy if busy is not None and not self._postgresql else (lambda: False)
        self._engine = _lease_engine(engine)

    def open(self) -> Lease:
        if self._postgresql:
            self._connect()
        return self

    def _connect(self) -> Connection:
        connection = self._engine.connect()
        self.backend = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        connection.commit()
        self._connection = connection
        return connection

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 — a broken connection is closed as it is
                log.debug("closing a lease connection", exc_info=True)

    def start(self, ledger_id: int) -> None:
        self._thread = threading.Thread(
            target=self._beat, args=(ledger_id,), name=f"heartbeat-{ledger_id}", daemon=True
        )
        self._thread.start()

    def _write(self, ledger_id: int) -> bool:
        if not self._postgresql:
            with self._engine.begin() as connection:
                return ledger.heartbeat(connection, ledger_id, self.token)
        reconnected = self._connection is None
        lease_connection = self._connect() if self._connection is None else self._connection
        ours = ledger.heartbeat(
            lease_connection, ledger_id, self.token, self.backend if reconnected else None
        )
        lease_connection.commit()
        return ours

    def _beat(self, ledger_id: int) -> None:
        wait = self.interval
        try:
            while not self._stop.wait(wait):
                wait = self.interval
                if self._busy():
                    wait = min(self.interval, 1.0)
                    continue
                try:
                    ours = self._write(ledger_id)
                except Exception as error:  # noqa: BLE001 — a missed beat is retried; the job goes on
                    level = logging.WARNING if self._postgresql else logging.DEBUG
                    log.log(level, "heartbeat of claim %s failed: %s", ledger_id, str(error).splitlines()[0])
                    self._disconnect()
                    wait = min(self.interval, 1.0)
                    continue
                if not ours and not self._stop.is_set():
                    log.warning("claim %s is no longer this run's (abandoned by another process)", ledger_id)
                    self.lost.set()
                    return
        finally:
            self._disconnect()

    def stop(self) -> None:
        """No more heartbeats (before the run finishes its claim)."""
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        if self._thread is None:
            self._disconnect()
        else:  # the thread closes its connection; a beat stuck on the network is not waited for
            self._thread.join(timeout=5)
