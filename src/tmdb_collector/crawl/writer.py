"""The store's writer thread: outcomes compressed, hashed and committed off the event loop.

A crawl's event loop hands each outcome to a `Writer` (`add`, which never waits) and goes
on fetching; one thread with its own connection to the store takes everything waiting and
records it with `Store.record`: zstd, sha256 and the SQLite upserts, in one transaction, so an
id becomes `ok` only together with its document, as before. zstd, hashlib and SQLite release
the GIL while they work, so on a second core the writing overlaps the fetching.

Durability is the batch's, as before: at most `limit` outcomes are ever waiting or being
written (`room` holds a worker back before its next request once there are that many), so a
crash (kill -9) loses at most that many answers plus the requests in flight. The thread does
not commit each outcome alone: it starts a transaction once `commit_at` outcomes wait (half
the limit by default: the other half keeps the fetching going meanwhile) or the oldest has
waited `linger` seconds. An outcome handed over together (a fleet's chunk) is never split
between transactions.

An error in the thread (a full disk: the store's one-line StorageError) stops the writing;
the next `add`, `room`, `flush` or `close` raises it in the caller's thread, so the crawl
stops as it did when it wrote on the event loop. `close` (also on Ctrl-C) commits everything
handed over first.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from tmdb_collector import config
from tmdb_collector.crawl.store import Outcome, Store

__all__ = ["Writer"]


class Writer:
    """Records outcomes in the store at `path` from a thread of its own; use it as a context
    manager (`with Writer(path) as writer:`): leaving the block commits what is waiting."""

    def __init__(
        self,
        path: Path,
        limit: int = config.BATCH_SIZE,
        linger: float = config.BATCH_SECONDS,
        commit_at: int | None = None,
    ) -> None:
        self.path = path
        self.limit = max(1, limit)
        self.commit_at = max(1, commit_at if commit_at is not None else self.limit // 2)
        self.linger = linger
        self.commits = 0  # transactions written, for tests and benchmarks
        self.error: BaseException | None = None
        self._cond = threading.Condition()
        self._waiting: list[Outcome] = []  # handed over, not yet taken by the thread
        self._oldest = 0.0  # when the oldest waiting outcome was handed over
        self._uncommitted = 0  # waiting + being written
        self._flushing = 0  # callers waiting in `flush`: commit at once
        self._closing = False
        self._room: asyncio.Event | None = None  # a worker waits in `room`
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tmdb-store-writer", daemon=True)

    def __enter__(self) -> Writer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()  # commits what is waiting; raises the thread's error, if it had one

    def start(self) -> None:
        """Start the thread and open its connection; an unusable store raises here."""
        self._thread.start()
        self._ready.wait()
        self._raise()

    # --- the caller's side ---

    def add(self, outcomes: Sequence[Outcome]) -> None:
        """Hand outcomes over to be committed together; never waits. Raises the thread's
        error, if it had one (what is handed over then is not written)."""
        self._raise()
        with self._cond:
            first = not self._waiting
            if first:
                self._oldest = time.monotonic()
            self._waiting.extend(outcomes)
            self._uncommitted += len(outcomes)
            if first or len(self._waiting) >= self.commit_at:
                self._cond.notify()  # the thread starts its `linger` wait, or commits

    async def room(self) -> None:
        """Return once fewer than `limit` outcomes are uncommitted (at once, mostly): what a
        worker awaits before its next request. Raises the thread's error."""
        while True:
            self._raise()
            with self._cond:
                if self._uncommitted < self.limit or self.error is not None:
                    return
                if self._room is None:
                    self._loop, self._room = asyncio.get_running_loop(), asyncio.Event()
                self._room.clear()
            await self._room.wait()

    def flush(self) -> None:
        """Commit everything handed over, and wait until it is (a few milliseconds)."""
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while self._uncommitted and self.error is None and self._thread.is_alive():
                    self._cond.wait(timeout=1.0)  # and look again whether the thread lives
            finally:
                self._flushing -= 1
        self._raise()

    def close(self) -> None:
        """Commit everything handed over, then stop the thread; raises its error, if any."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    # --- the thread's side ---

    def _run(self) -> None:
        try:
            store = Store(self.path)
        except BaseException as exc:  # reported by `start`
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            while (batch := self._next()) is not None:
                if self.error is None:  # after an error, what is handed over is dropped
                    try:
                        store.record(batch)  # zstd, sha256, one transaction
                        self.commits += 1
                    except BaseException as exc:  # a full disk: the caller's to report
                        self._fail(exc)
                self._done(len(batch))
        finally:
            store.close()

    def _next(self) -> list[Outcome] | None:
        """Everything waiting, once it is worth a transaction; None when closing with
        nothing left."""
        with self._cond:
            while True:
                if self._waiting and self._due():
                    batch, self._waiting = self._waiting, []
                    return batch
                if self._closing and not self._waiting:
                    return None
                timeout = None
                if self._waiting:
                    timeout = max(0.0, self._oldest + self.linger - time.monotonic())
                self._cond.wait(timeout)

    def _due(self) -> bool:
        return (
            self._closing
            or self._flushing > 0
            or self.error is not None  # discarded below, at once
            or len(self._waiting) >= self.commit_at
            or time.monotonic() - self._oldest >= self.linger
        )

    def _fail(self, exc: BaseException) -> None:
        with self._cond:
            if self.error is None:
                self.error = exc

    def _done(self, written: int) -> None:
        """`written` outcomes left the uncommitted count: wake a flush, and a waiting worker
        once there is room (or an error to raise)."""
        with self._cond:
            self._uncommitted -= written
            self._cond.notify_all()
            room, loop = self._room, self._loop
            free = self._uncommitted < self.limit or self.error is not None
            if room is not None and loop is not None and free:
                with contextlib.suppress(RuntimeError):  # its loop has closed: none waits
                    loop.call_soon_threadsafe(room.set)
