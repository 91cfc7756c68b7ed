"""The crawl loop: every pending id of a kind fetched once, its outcome committed in batches.

Ids are read from the store in pages (never all at once), handed to at most
`governor.max_in_flight` workers through a small queue, fetched with retries, and recorded by
batch: every `BATCH_SIZE` outcomes or `BATCH_SECONDS`, whichever comes first. Ids that end
`failed` get one more pass at the end of the run. A crash loses at most the batch not yet
written; cancelling (Ctrl-C) writes it first.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tmdb_collector import config
from tmdb_collector.client.api import TmdbClient
from tmdb_collector.client.governor import Governor
from tmdb_collector.client.protocol import Verdict, backoff
from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.errors import CredentialsError

UNREACHABLE_STREAK = 5  # this many unanswered connects before any answer: stop, say why
MAX_429_PER_ID = 50  # 429s one id may meet before they count against its tries


@dataclass
class Tally:
    """What a crawl has done so far; progress displays read it while the crawl runs."""

    kind: str
    total: int = 0  # ids this run set out to fetch
    ok: int = 0
    gone: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # retried requests, by class
    started: float = field(default_factory=time.time)

    @property
    def done(self) -> int:
        return self.ok + self.gone + self.failed

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "total": self.total,
            "done": self.done,
            "ok": self.ok,
            "gone": self.gone,
            "failed": self.failed,
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "reasons": dict(self.reasons),
            "seconds": round(time.time() - self.started, 3),
        }


@dataclass
class Crawl:
    """One kind's crawl over a store; `run` fetches everything pending, then retries failed."""

    store: Store
    kind: str
    client: TmdbClient
    governor: Governor
    appends: tuple[str, ...] = ()
    batch_size: int = config.BATCH_SIZE
    batch_seconds: float = config.BATCH_SECONDS
    max_attempts: int = config.RETRY_MAX_ATTEMPTS
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    tally: Tally = field(default_factory=lambda: Tally(""))
    _batch: list[Outcome] = field(default_factory=list, init=False)
    _unreachable: int = field(default=0, init=False)
    _failed_now: set[int] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self.tally.kind = self.kind

    async def run(self) -> Tally:
        counts = self.store.counts().get(self.kind, {})
        self.tally.total = counts.get("pending", 0) + counts.get("failed", 0)
        try:
            for states in (("pending",), ("failed",)):
                await self._pass(states)
        finally:
            self.flush()  # also on Ctrl-C (cancellation) and on a fatal answer
        return self.tally

    def flush(self) -> None:
        """Write the outcomes not yet written, in one transaction."""
        if self._batch:
            self.store.record(self._batch)
            self._batch = []

    async def _pass(self, states: tuple[str, ...]) -> None:
        workers = self.governor.max_in_flight
        queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=4 * workers)
        tasks = [asyncio.create_task(self._produce(queue, states, workers))]
        tasks += [asyncio.create_task(self._work(queue)) for _ in range(workers)]
        flusher = asyncio.create_task(self._flush_every_so_often())
        try:
            await asyncio.gather(*tasks)  # the first error (a fatal answer) ends the pass
        finally:
            for task in [*tasks, flusher]:
                task.cancel()
            await asyncio.gather(*tasks, flusher, return_exceptions=True)

    async def _produce(
        self, queue: asyncio.Queue[int | None], states: tuple[str, ...], workers: int
    ) -> None:
        after = -1
        while page := self.store.todo(self.kind, states, after):
            for id_ in page:
                await queue.put(id_)
            after = page[-1]
        for _ in range(workers):
            await queue.put(None)

    async def _flush_every_so_often(self) -> None:
        while True:
            await asyncio.sleep(self.batch_seconds)
            self.flush()

    async def _work(self, queue: asyncio.Queue[int | None]) -> None:
        while (id_ := await queue.get()) is not None:
            outcome = await self._fetch(id_)
            self._count(outcome)
            self._batch.append(outcome)
            if len(self._batch) >= self.batch_size:
                self.flush()

    def _count(self, outcome: Outcome) -> None:
        if outcome.id in self._failed_now:  # failed earlier in this run, now tried again
            self._failed_now.discard(outcome.id)
            self.tally.failed -= 1
        if outcome.status == "ok":
            self.tally.ok += 1
        elif outcome.status == "gone":
            self.tally.gone += 1
        else:
            self.tally.failed += 1
            self._failed_now.add(outcome.id)

    async def _fetch(self, id_: int) -> Outcome:
        """One id, retried up to max_attempts times, to a final outcome.

        A 429 is about our pace, not about the id: it does not use up the id's tries (the
        governor pauses everyone instead), up to MAX_429_PER_ID so nothing loops forever.
        """
        attempts = throttled = 0
        while True:
            started = await self.governor.acquire()
            answer, body = await self.client.fetch(self.kind, id_, self.appends)
            await self.governor.release(started, answer)
            self.tally.requests += 1
            self._check_reachable(answer.reason)
            if answer.verdict is Verdict.OK:
                return Outcome(self.kind, id_, "ok", "ok", 200, body)
            if answer.verdict is Verdict.GONE:
                return Outcome(self.kind, id_, "gone", "gone", 404)
            if answer.verdict is Verdict.FATAL:
                raise CredentialsError(answer.message)
            if answer.verdict is Verdict.FAILED:
                return Outcome(self.kind, id_, "failed", answer.reason, _status(answer.reason))
            self.tally.retries += 1
            self.tally.reasons[answer.reason] += 1
            self.tally.throttled += answer.reason == "http_429"
            if answer.reason == "http_429" and throttled < MAX_429_PER_ID:
                throttled += 1
                continue
            attempts += 1
            if attempts >= self.max_attempts:
                return Outcome(self.kind, id_, "failed", answer.reason, _status(answer.reason))
            await self.sleep(backoff(attempts, self.rng))

    def _check_reachable(self, reason: str) -> None:
        if reason != "unreachable":
            self._unreachable = -1 if self._unreachable >= 0 else self._unreachable
            return
        if self._unreachable < 0:
            return  # the API answered before: an outage now is retried, not fatal
        self._unreachable += 1
        if self._unreachable >= UNREACHABLE_STREAK:
            raise self.client.unreachable()


def _status(reason: str) -> int | None:
    return int(reason[5:]) if reason.startswith("http_") else None
