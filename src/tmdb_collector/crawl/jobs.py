"""What `crawl movies|people|tv|collections|...` do, as functions a notebook can call too.

A crawl has two steps: plan (make the ids to fetch known to the store, as pending) and run
(fetch every pending id, then the failed ones once more). Re-running the same command after a
crash or Ctrl-C plans nothing new twice and fetches only what is still pending or failed.

Running is `async`: the caller owns the event loop (the command line's commands, or a
notebook's), and chooses where the fetching happens by passing a runner: `crawl_here`, or a
fleet's from `tmdb_collector.distributed`.

    store = Store.open("tmdb-data")
    options = CrawlOptions(Path("tmdb-data"), Credentials(token="..."))
    plan = plan_movies(store, options, limit=100)
    tally = Tally(Kind.MOVIE)
    await run(store, tally, options)  # or: runner=distributed.runner(fleet)
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import orjson

from tmdb_collector import ids
from tmdb_collector.crawl import synclog
from tmdb_collector.crawl.credited import credited_people
from tmdb_collector.crawl.options import CrawlOptions, client_for, connect
from tmdb_collector.crawl.scheduler import Crawl, Fetcher, Tally
from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.errors import StorageError
from tmdb_collector.vocab import Kind, RunOutcome, State

__all__ = [
    "CrawlOptions",
    "Plan",
    "Runner",
    "check_access",
    "crawl_here",
    "credited_people",
    "plan_kind",
    "plan_movies",
    "plan_people",
    "run",
]

T = TypeVar("T")

Runner = Callable[[Store, Tally, CrawlOptions], Awaitable[None]]
"""Fetches every pending, then failed, id of `tally.kind` into the store, counting into the
tally: `crawl_here`, or a fleet's (`distributed.runner(fleet)`)."""

Follow = Callable[[Tally], Coroutine[Any, Any, None]]
"""Shows a running crawl's tally until cancelled (`progress.Reporter.follow`)."""

Finished = Callable[[Tally, RunOutcome], None]
"""Told how a crawl ended, done or interrupted (a summary, say)."""


@dataclass
class Plan:
    """Where this run's ids came from, for the summary and `status`."""

    source: str
    lines: int = 0
    malformed: int = 0
    adult: int = 0
    added: int = 0
    duplicates: int = 0
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        found = {"source": self.source, "ids read": self.lines, "new ids": self.added}
        if self.malformed:
            found["malformed lines skipped"] = self.malformed
        if self.adult:
            found["adult lines skipped"] = self.adult
        if self.duplicates:
            found["duplicate lines skipped"] = self.duplicates
        return found | self.facts


def plan_from_file(
    store: Store, kind: Kind, source: ids.IdSource, label: str, limit: int | None = None
) -> Plan:
    """Make a file's ids (an export, or an ids file) pending; `limit` keeps the first N."""
    wanted: Iterable[int] = itertools.islice(source, limit) if limit else source
    added = store.add(kind, wanted)
    return Plan(label, source.lines, source.malformed, source.adult, added, source.duplicates)


def plan_movies(
    store: Store,
    options: CrawlOptions,
    *,
    day: date | None = None,
    ids_file: Path | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> Plan:
    """Movie ids from an ids file, or from TMDb's daily export (the newest, or `day`'s)."""
    return plan_kind(store, options, Kind.MOVIE, day=day, ids_file=ids_file, limit=limit, now=now)


def plan_kind(
    store: Store,
    options: CrawlOptions,
    kind: Kind,
    *,
    day: date | None = None,
    ids_file: Path | None = None,
    limit: int | None = None,
    now: datetime | None = None,
) -> Plan:
    """Ids of `kind` from an ids file, or from TMDb's daily export of the kind (the newest, or
    `day`'s). Keywords are stored there and then: their export line is their whole document."""
    if ids_file is not None:
        source, label, used = ids.read_ids(ids_file), str(ids_file), None
    else:
        path, used = ids.download_export(
            options.exports_url, kind.export, options.data_dir / "exports", day,
            now or datetime.now(UTC),
        )  # fmt: skip
        source, label = ids.read_ids(path), path.name
    if kind.fetched:
        plan = plan_from_file(store, kind, source, label, limit)
    else:
        plan = store_lines(store, kind, source, label, limit, whole=used is not None)
    if used is not None:
        store.set_meta(f"export_day:{kind}", used.isoformat())
    return plan


def store_lines(
    store: Store, kind: Kind, source: ids.IdSource, label: str, limit: int | None, whole: bool
) -> Plan:
    """Store each line of `source` as the document of its id (a keyword's line is all TMDb
    has of it), in batches; with `whole` (the file is the day's export), stored ids it no
    longer lists are marked gone, as a reconcile would."""
    lines = source.lines_by_id()
    added = 0
    for batch in _batched(itertools.islice(lines, limit) if limit else lines, 10_000):
        added += store.add(kind, (id_ for id_, _ in batch))
        store.record(Outcome(kind, id_, State.OK, "export", None, line) for id_, line in batch)
    plan = Plan(label, source.lines, source.malformed, source.adult, added, source.duplicates)
    plan.facts["stored from the export"] = source.lines - source.malformed - source.adult
    if whole and not limit:
        _, vanished = synclog.diff_export(store, kind, source)
        plan.facts["no longer listed (marked gone)"] = store.mark_gone(
            kind, vanished, "not_in_export"
        )
    return plan


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def plan_people(
    store: Store,
    options: CrawlOptions,
    *,
    source: str = "credits",
    cast_only: bool = False,
    limit: int | None = None,
) -> Plan:
    """People in the stored movies' and series' credits (default), or TMDb's whole person
    export."""
    if source == "export":
        path, used = ids.download_export(
            options.exports_url, Kind.PERSON, options.data_dir / "exports", None, datetime.now(UTC)
        )
        store.set_meta(f"export_day:{Kind.PERSON}", used.isoformat())
        return plan_from_file(store, Kind.PERSON, ids.read_ids(path), path.name, limit)
    store.set_meta("people_from", "cast" if cast_only else "credits")  # the scope `sync` keeps
    people = credited_people(store, cast_only)
    added = store.add(Kind.PERSON, itertools.islice(people, limit) if limit else people)
    what = "cast" if cast_only else "credits"
    return Plan(f"{what} of the stored movies and series", added=added)


async def crawl_here(store: Store, tally: Tally, options: CrawlOptions) -> None:
    """The runner that fetches in this process, through one client and one governor."""
    async with connect(options) as sender:
        fetcher = Fetcher(tally.kind, sender, options.appends)
        try:
            await Crawl(store, fetcher, tally).run()
        finally:  # the pace found is news however the run ends
            tally.rate_found = sender.governor.found


async def run(
    store: Store,
    tally: Tally,
    options: CrawlOptions,
    runner: Runner = crawl_here,
    *,
    refresh: bool = False,
    follow: Follow | None = None,
    finished: Finished | None = None,
) -> None:
    """Fetch every pending (then failed) id of `tally.kind` with `runner`, counting into
    `tally` (which `follow` shows meanwhile). The run is remembered for `status` however it
    ends: done; interrupted (cancelled, as by Ctrl-C: what was fetched is saved and the
    cancellation goes on); or stopped by an error (refused credentials, an unreachable API),
    raised after saving. `finished` is told how it ended, when done or interrupted."""
    if refresh:
        store.requeue(tally.kind, None)
    store.set_meta(f"appends:{tally.kind}", ",".join(options.appends))  # `sync` fetches alike
    outcome = RunOutcome.STOPPED
    try:
        await _following(runner(store, tally, options), tally, follow)
        outcome = RunOutcome.DONE
    except (asyncio.CancelledError, KeyboardInterrupt):  # Ctrl-C: once, or twice
        outcome = RunOutcome.INTERRUPTED
        raise
    finally:
        try:
            save_run(store, tally, outcome)
        except StorageError:
            if outcome is RunOutcome.DONE:  # else the error that ended the run is the news
                raise
        if finished is not None and outcome is not RunOutcome.STOPPED:
            finished(tally, outcome)


async def _following(work: Awaitable[None], tally: Tally, follow: Follow | None) -> None:
    """Await `work` while `follow` shows the tally; the display ends with it."""
    follower = asyncio.create_task(follow(tally)) if follow else None
    try:
        await work
    finally:
        if follower is not None:
            follower.cancel()
            await asyncio.gather(follower, return_exceptions=True)


async def check_access(options: CrawlOptions) -> None:
    """One request to TMDb before anything is written: refused credentials (exit 2) or an
    unreachable API stop the command while the store is still as it was."""
    async with client_for(options, connections=1) as client:
        await client.check()


def save_run(store: Store, tally: Tally, outcome: RunOutcome) -> None:
    """Remember the run: the last of its kind for `status`, and every one for `report`."""
    facts = {**tally.as_dict(), "outcome": outcome, "finished": time.time()}
    store.set_meta(f"last_run:{tally.kind}", orjson.dumps(facts).decode())
    store.set_meta(f"run:{tally.kind}:{facts['finished']:.3f}", orjson.dumps(facts).decode())
