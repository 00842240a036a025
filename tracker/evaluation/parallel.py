"""Use the machine's second core for a province-wide run: this process reads each chunk of
departments and writes its results, all on its one connection and transaction, while a forked
child computes the chunk (rules, explanations, the ``COPY`` text). A forked child inherits the
chunk's inputs as they are in memory, so nothing is read twice or sent to it; it never touches the
database connection it inherited and leaves with ``os._exit``.

Results are consumed in chunk order, so the stored result sets are exactly those of a serial run.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection as Pipe
from typing import Any, TypeVar

__all__ = ["available", "pipeline", "ChildFailed"]

P = TypeVar("P")


class ChildFailed(RuntimeError):
    """A child computing a chunk raised; the message carries its traceback."""


def available() -> bool:
    """Whether this platform can fork (not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _child(compute: Callable[[Any], Any], loaded: Any, writer: Pipe) -> None:
    # The child lives for one chunk and leaves with os._exit, so whatever the cyclic collector could
    # free goes with it anyway; walking the inherited heap would only cost time and copy its pages.
    gc.disable()
    try:
        data = pickle.dumps((True, compute(loaded)), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        data = pickle.dumps((False, traceback.format_exc()))
    try:
        writer.send_bytes(data)
        writer.close()
    finally:
        # Skip every exit handler: they belong to the parent (its pool, its open transaction).
        os._exit(0)


class _Running:
    def __init__(self, compute: Callable[[Any], Any], loaded: Any):
        context = multiprocessing.get_context("fork")
        self.reader, writer = context.Pipe(duplex=False)
        self.process = context.Process(target=_child, args=(compute, loaded, writer), daemon=True)
        self.process.start()
        writer.close()

    def result(self) -> Any:
        try:
            ok, payload = pickle.loads(self.reader.recv_bytes())
        except EOFError:
            ok, payload = False, f"child exited with {self.process.exitcode} before answering"
        finally:
            self.reader.close()
            self.process.join()
        if not ok:
            raise ChildFailed(payload)
        return payload

    def stop(self) -> None:
        self.reader.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


def pipeline(
    parts: Iterable[P],
    load: Callable[[P], Any],
    compute: Callable[[Any], Any],
    consume: Callable[[P, Any], None],
    *,
    depth: int = 2,
) -> None:
    """For each part, in order: ``load(part)`` here, ``compute(loaded)`` in a forked child,
    ``consume(part, computed)`` here. Up to ``depth`` children run at once, so this process reads
    the next chunk and writes the previous one while a child computes. If anything raises, the
    children still running are killed and the exception propagates (the caller rolls back)."""
    running: deque[tuple[P, _Running]] = deque()
    try:
        for part in parts:
            loaded = load(part)
            running.append((part, _Running(compute, loaded)))
            del loaded
            while len(running) >= depth:
                done, child = running.popleft()
                consume(done, child.result())
        while running:
            done, child = running.popleft()
            consume(done, child.result())
    except BaseException:
        for _part, child in running:
            child.stop()
        raise
