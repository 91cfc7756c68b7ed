"""The crawl loop: every pending id of a kind fetched once, its outcome committed in batches.

Ids are read from the store in pages (never all at once), handed to at most
`governor.max_in_flight` workers through a small queue, fetched through the one `Sender`
(governor and retry policy), and handed to the store's writer thread (`Writer`), which
compresses, hashes and commits them off the event loop, at least every `BATCH_SECONDS`. At most
`BATCH_SIZE` outcomes are ever uncommitted: a crash loses at most that batch; cancelling
(Ctrl-C) writes it first. Ids that end `failed` get one more pass at the end of the run
(`PASSES`, which a fleet's run follows too).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from tmdb_collector import config
from tmdb_collector.client.protocol import (
    Answer,
    Verdict,
    detail_request,
    missing_appends,
    unexpected,
)
from tmdb_collector.client.sender import Sender
from tmdb_collector.crawl.series import STATE_OF, fetch_series
from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.crawl.writer import Writer
from tmdb_collector.vocab import Kind, State

UNREACHABLE_STREAK = 5  # this many unanswered connects before any answer: stop, say why

PASSES = ((State.PENDING,), (State.FAILED,))
"""A run's passes over the store: every pending id, then each failed one (in this run or an
earlier one) once more."""


@dataclass
class Tally:
    """What a crawl has done so far; progress displays read it while the crawl runs."""

    kind: Kind
    total: int = 0  # ids this run set out to fetch
    ok: int = 0
    gone: int = 0
    failed: int = 0
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    reasons: Counter[str] = field(default_factory=Counter)  # retried requests, by class
    notes: Counter[str] = field(default_factory=Counter)  # odd data met: a season's 404, ...
    started: float = field(default_factory=time.time)
    workers: dict[str, Counter[str]] = field(default_factory=dict)  # a fleet's, by egress
    rate_found: float | None = None  # requests/s the governor(s) settled at (a fleet: summed)
    worker_rates: dict[str, float] = field(default_factory=dict)  # a fleet's, by egress
    failed_now: set[int] = field(default_factory=set, repr=False)  # failed in this run so far

    @property
    def done(self) -> int:
        return self.ok + self.gone + self.failed

    def as_dict(self) -> dict[str, object]:
        return (
            {
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
            | ({"rate_found": self.rate_found} if self.rate_found is not None else {})
            | ({"workers": self.by_worker()} if self.workers else {})
            | ({"notes": dict(self.notes)} if self.notes else {})
        )

    def count(self, outcome: Outcome) -> None:
        """Count an id's final outcome; an id that failed earlier in this run and is tried
        again (the end-of-run pass) moves from failed to its new outcome, so it counts once."""
        if outcome.id in self.failed_now:
            self.failed_now.discard(outcome.id)
            self.failed -= 1
        if outcome.status == State.OK:
            self.ok += 1
        elif outcome.status == State.GONE:
            self.gone += 1
        else:
            self.failed += 1
            self.failed_now.add(outcome.id)

    def add_requests(self, other: Tally, worker: str | None = None, seconds: float = 0.0) -> None:
        """Add another tally's requests, retries and 429s (a fleet worker's chunk) to this one,
        and to `worker`'s own counters."""
        self.requests += other.requests
        self.retries += other.retries
        self.throttled += other.throttled
        self.reasons.update(other.reasons)
        self.notes.update(other.notes)
        if worker is not None:
            mine = self.workers.setdefault(worker, Counter())
            mine.update(requests=other.requests, throttled=other.throttled, chunks=1)
            mine.update(ok=other.ok, gone=other.gone, failed=other.failed, retries=other.retries)
            mine["busy_ms"] += round(seconds * 1000)
            if other.rate_found is not None:  # each worker's governor: one egress IP's pace
                self.worker_rates[worker] = other.rate_found
                self.rate_found = round(sum(self.worker_rates.values()), 2)

    def by_worker(self) -> dict[str, dict[str, float]]:
        """Per worker (egress IP): its counters and its requests/s while it was fetching."""
        return {
            name: {
                **{k: v for k, v in counts.items() if k != "busy_ms"},
                "req_per_s": round(1000 * counts["requests"] / max(1, counts["busy_ms"]), 2),
            }
            | ({"rate_found": self.worker_rates[name]} if name in self.worker_rates else {})
            for name, counts in sorted(self.workers.items())
        }


def passes(store: Store, tally: Tally) -> tuple[tuple[State, ...], ...]:
    """The passes a run makes, in order (PASSES); the ids they will try are counted into
    `tally.total` first, for the progress display."""
    counts = store.counts().get(tally.kind, {})
    tally.total = sum(counts.get(state, 0) for state in (State.PENDING, State.FAILED))
    return PASSES


@dataclass
class Crawl:
    """One kind's crawl over a store; `run` fetches everything pending, then retries failed."""

    store: Store
    fetcher: Fetcher
    tally: Tally
    batch_size: int = config.BATCH_SIZE
    batch_seconds: float = config.BATCH_SECONDS

    async def run(self) -> Tally:
        # The writer thread compresses, hashes and commits; leaving the block (done, Ctrl-C,
        # a fatal answer) commits what it holds.
        with Writer(self.store.path, self.batch_size, self.batch_seconds) as writer:
            for states in passes(self.store, self.tally):
                writer.flush()  # the failed pass reads the store: this run's failures too
                await self._pass(states, writer)
        return self.tally

    async def _pass(self, states: tuple[State, ...], writer: Writer) -> None:
        workers = self.fetcher.sender.governor.max_in_flight
        queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=4 * workers)
        tasks = [asyncio.create_task(self._produce(queue, states, workers))]
        tasks += [asyncio.create_task(self._work(queue, writer)) for _ in range(workers)]
        try:
            await asyncio.gather(*tasks)  # the first error (a fatal answer) ends the pass
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _produce(
        self, queue: asyncio.Queue[int | None], states: tuple[State, ...], workers: int
    ) -> None:
        after = -1
        while page := self.store.todo(self.fetcher.kind, states, after):
            for id_ in page:
                await queue.put(id_)
            after = page[-1]
        for _ in range(workers):
            await queue.put(None)

    async def _work(self, queue: asyncio.Queue[int | None], writer: Writer) -> None:
        while (id_ := await queue.get()) is not None:
            await writer.room()  # at most a batch uncommitted: what a crash can lose
            outcome = await self.fetcher.fetch(id_, self.tally)
            self.tally.count(outcome)
            writer.add((outcome,))


@dataclass
class Fetcher:
    """Fetches ids of one kind to their final outcomes through one sender (its governor and
    retry policy); the crawl over a store uses one, and so does each worker of a fleet (which
    has no store: its driver records what it returns)."""

    kind: Kind
    sender: Sender
    appends: tuple[str, ...] = ()
    stopping: bool = False  # set from another thread: fetch_all takes no more ids
    _unreachable: int = field(default=0, init=False)

    async def fetch_all(self, ids: Iterable[int], tally: Tally) -> list[Outcome]:
        """The final outcome of each of `ids`, fetched up to the governor's cap at a time and
        counted into `tally`; nothing is recorded (a fleet worker's chunk). Once `stopping`
        is set, only the ids already started are finished: the rest stay pending."""
        todo, outcomes = iter(ids), []

        async def work() -> None:
            for id_ in todo:  # one shared iterator: each worker takes the next id
                if self.stopping:
                    return
                outcome = await self.fetch(id_, tally)
                tally.count(outcome)
                outcomes.append(outcome)

        await asyncio.gather(*(work() for _ in range(self.sender.governor.max_in_flight)))
        tally.rate_found = self.sender.governor.found  # a fleet worker's pace, for its driver
        return outcomes

    async def fetch(self, id_: int, tally: Tally) -> Outcome:
        """One id to its final outcome, retried as the sender's policy says; every answer is
        counted into `tally`."""
        if self.kind is Kind.TV:  # a series takes its seasons with it: maybe more requests
            return await fetch_series(self, id_, tally)
        client = self.sender.client
        request = detail_request(client.api_url, self.kind, id_, self.appends, client.credentials)
        sent = await self.sender.send(request, self.body, lambda a: self.count(a, tally))
        answer = sent.answer
        return Outcome(
            self.kind, id_, STATE_OF[sent.verdict], answer.reason, answer.status, sent.value
        )

    def count(self, answer: Answer, tally: Tally) -> None:
        """Count one answer into `tally` (every request of a fetch, retries included)."""
        tally.requests += 1
        self._check_reachable(answer)
        if answer.verdict is Verdict.RETRY:
            tally.retries += 1
            tally.reasons[answer.reason] += 1
            tally.throttled += answer.rate_limited

    def _check_reachable(self, answer: Answer) -> None:
        if not answer.unreachable:
            self._unreachable = -1 if self._unreachable >= 0 else self._unreachable
            return
        if self._unreachable < 0:
            return  # the API answered before: an outage now is retried, not fatal
        self._unreachable += 1
        if self._unreachable >= UNREACHABLE_STREAK:
            raise self.sender.client.unreachable()

    def body(self, answer: Answer, body: bytes) -> bytes | Answer:
        """A document is kept as the bytes TMDb sent (classify has checked they are JSON),
        once it carries every append asked for: one without is retried like a cut-off body,
        and ends `failed` (fetched again by the next run) rather than stored incomplete."""
        if missing := missing_appends(answer.doc, self.appends):
            return unexpected(f"a {self.kind} with its {'+'.join(missing)}")
        return body
