"""What `crawl movies` and `crawl people` do, as functions a notebook can call too.

A crawl has two steps: plan (make the ids to fetch known to the store, as pending) and run
(fetch every pending id, then the failed ones once more). Re-running the same command after a
crash or Ctrl-C plans nothing new twice and fetches only what is still pending or failed.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from tmdb_collector import ids
from tmdb_collector.crawl.fleet import Fleet
from tmdb_collector.crawl.options import CrawlOptions, client_for, connect
from tmdb_collector.crawl.scheduler import Crawl, Fetcher, Tally
from tmdb_collector.crawl.store import Store
from tmdb_collector.progress import Reporter
from tmdb_collector.vocab import Kind, RunOutcome

__all__ = [
    "CrawlOptions",
    "Plan",
    "check_access",
    "credited_people",
    "plan_movies",
    "plan_people",
    "run",
]


@dataclass
class Plan:
    """Where this run's ids came from, for the summary and `status`."""

    source: str
    lines: int = 0
    malformed: int = 0
    adult: int = 0
    added: int = 0
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        found = {"source": self.source, "ids read": self.lines, "new ids": self.added}
        if self.malformed:
            found["malformed lines skipped"] = self.malformed
        if self.adult:
            found["adult lines skipped"] = self.adult
        return found | self.facts


def plan_from_file(
    store: Store, kind: Kind, source: ids.IdSource, label: str, limit: int | None = None
) -> Plan:
    """Make a file's ids (an export, or an ids file) pending; `limit` keeps the first N."""
    wanted: Iterable[int] = itertools.islice(source, limit) if limit else source
    added = store.add(kind, wanted)
    return Plan(label, source.lines, source.malformed, source.adult, added)


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
    if ids_file is not None:
        return plan_from_file(store, Kind.MOVIE, ids.read_ids(ids_file), str(ids_file), limit)
    path, used = ids.download_export(
        options.exports_url, Kind.MOVIE, options.data_dir / "exports", day, now or datetime.now(UTC)
    )
    plan = plan_from_file(store, Kind.MOVIE, ids.read_ids(path), path.name, limit)
    store.set_meta(f"export_day:{Kind.MOVIE}", used.isoformat())
    return plan


def plan_people(
    store: Store,
    options: CrawlOptions,
    *,
    source: str = "credits",
    cast_only: bool = False,
    limit: int | None = None,
) -> Plan:
    """People in the stored movies' credits (default), or TMDb's whole person export."""
    if source == "export":
        path, used = ids.download_export(
            options.exports_url, Kind.PERSON, options.data_dir / "exports", None, datetime.now(UTC)
        )
        store.set_meta(f"export_day:{Kind.PERSON}", used.isoformat())
        return plan_from_file(store, Kind.PERSON, ids.read_ids(path), path.name, limit)
    store.set_meta("people_from", "cast" if cast_only else "credits")  # the scope `sync` keeps
    people = credited_people(store, cast_only)
    added = store.add(Kind.PERSON, itertools.islice(people, limit) if limit else people)
    return Plan(
        "cast of the stored movies" if cast_only else "credits of the stored movies", added=added
    )


def credited_people(store: Store, cast_only: bool = False) -> Iterator[int]:
    """Person ids in the stored movies' cast (and crew), streamed; repeats are the store's to
    drop."""
    for _, body in store.documents(Kind.MOVIE):
        credits = orjson.loads(body).get("credits") or {}
        for row in credits.get("cast") or ():
            yield row["id"]
        if not cast_only:
            for row in credits.get("crew") or ():
                yield row["id"]


def run(
    store: Store,
    kind: Kind,
    options: CrawlOptions,
    reporter: Reporter,
    refresh: bool = False,
    fleet: Fleet | None = None,
) -> tuple[Tally, RunOutcome]:
    """Fetch every pending (then failed) id of `kind`, in this process or on `fleet`; returns
    the tally and how it ended: done, or interrupted (Ctrl-C: what was fetched is saved).
    Errors that stop a run (refused credentials, an unreachable API) are raised after saving
    too."""
    if refresh:
        store.requeue(kind, None)
    store.set_meta(f"appends:{kind}", ",".join(options.appends))  # `sync` fetches alike
    tally = Tally(kind)
    outcome = RunOutcome.STOPPED
    try:
        asyncio.run(_run(store, tally, options, reporter, fleet))
        outcome = RunOutcome.DONE
    except KeyboardInterrupt:
        outcome = RunOutcome.INTERRUPTED
    finally:
        save_run(store, tally, outcome)
    return tally, outcome


async def _run(
    store: Store,
    tally: Tally,
    options: CrawlOptions,
    reporter: Reporter,
    fleet: Fleet | None = None,
) -> None:
    follower = asyncio.create_task(reporter.follow(tally))
    try:
        if fleet is None:
            await _crawl_here(store, tally, options)
        else:
            from tmdb_collector import distributed  # Dask, an optional extra: only when asked

            settings = distributed.worker_settings(tally.kind, options, fleet)
            await distributed.crawl(store, tally, settings, fleet)
    finally:
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)


async def _crawl_here(store: Store, tally: Tally, options: CrawlOptions) -> None:
    async with connect(options) as sender:
        fetcher = Fetcher(tally.kind, sender, options.appends)
        await Crawl(store, fetcher, tally).run()


def check_access(options: CrawlOptions) -> None:
    """One request to TMDb before anything is written: refused credentials (exit 2) or an
    unreachable API stop the command while the store is still as it was."""

    async def check() -> None:
        async with client_for(options, connections=1) as client:
            await client.check()

    asyncio.run(check())


def save_run(store: Store, tally: Tally, outcome: RunOutcome) -> None:
    """Remember the last run of a kind, for `status`."""
    facts = {**tally.as_dict(), "outcome": outcome, "finished": time.time()}
    store.set_meta(f"last_run:{tally.kind}", orjson.dumps(facts).decode())
