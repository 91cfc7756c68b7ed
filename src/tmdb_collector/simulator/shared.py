"""What the worker processes of one simulator share: the day clock and the request counters.

One process serves everything exactly; `--workers N` adds processes on the same port for
throughput. They share the day clock (a number in shared memory, moved under a lock) and
publish their counters to a board in shared memory every `PUBLISH_SECONDS`, so
`/__sim/stats` adds up every worker's counts, the others' up to that long ago.
"""

from __future__ import annotations

import multiprocessing
import struct
from typing import Any

import orjson

PUBLISH_SECONDS = 0.1
SLOT_BYTES = 1 << 18
LENGTH = struct.Struct("<I")


class SharedState:
    """Created before the workers are forked; each worker then sets `me` to its number."""

    def __init__(self, workers: int, day: int) -> None:
        ctx = multiprocessing.get_context("fork")
        self.workers = workers
        self.me = 0
        self.day = ctx.RawValue("i", day)
        self.day_lock = ctx.Lock()
        self.board = ctx.RawArray("c", SLOT_BYTES * workers)

    def move_day(self, days: int) -> int:
        """Advance the shared clock; returns the new day number."""
        with self.day_lock:
            self.day.value += days
            return int(self.day.value)

    def publish(self, snapshot: dict[str, Any]) -> None:
        data = orjson.dumps(snapshot)[: SLOT_BYTES - LENGTH.size]
        start = self.me * SLOT_BYTES
        # Length 0 while writing, so a reader never parses half a snapshot.
        self.board[start : start + LENGTH.size] = LENGTH.pack(0)
        self.board[start + LENGTH.size : start + LENGTH.size + len(data)] = data
        self.board[start : start + LENGTH.size] = LENGTH.pack(len(data))

    def others(self) -> list[dict[str, Any]]:
        """The latest snapshots the other workers published."""
        found = []
        for worker in range(self.workers):
            if worker == self.me:
                continue
            start = worker * SLOT_BYTES
            (size,) = LENGTH.unpack(self.board[start : start + LENGTH.size])
            if size:
                try:
                    found.append(
                        orjson.loads(self.board[start + LENGTH.size : start + LENGTH.size + size])
                    )
                except orjson.JSONDecodeError:  # rewritten while we read: skip this once
                    continue
        return found
