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

from tmdb_collector import config, ids
from tmdb_collector.client.api import TmdbClient
from tmdb_collector.client.governor import Governor
from tmdb_collector.client.protocol import Credentials
from tmdb_collector.crawl.fleet import Fleet
from tmdb_collector.crawl.scheduler import Crawl, Tally
from tmdb_collector.crawl.store import Store
from tmdb_collector.progress import Reporter


@dataclass(frozen=True)
class CrawlOptions:
    """Where to fetch from, how fast, and where the collection lives."""

    data_dir: Path
    credentials: Credentials
    api_url: str = config.API_URL
    exports_url: str = config.EXPORTS_URL
    rate: float = config.RATE
    concurrency: int = config.RATE_MAX_IN_FLIGHT
    appends: tuple[str, ...] = ()
    local_addr: str | None = None


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
    store: Store, kind: str, source: ids.IdSource, label: str, limit: int | None = None
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
        return plan_from_file(store, "movie", ids.read_ids(ids_file), str(ids_file), limit)
    path, used = ids.download_export(
        options.exports_url, "movie", options.data_dir / "exports", day, now or datetime.now(UTC)
    )
    plan = plan_from_file(store, "movie", ids.read_ids(path), path.name, limit)
    store.set_meta("export_day:movie", used.isoformat())
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
            options.exports_url, "person", options.data_dir / "exports", None, datetime.now(UTC)
        )
        store.set_meta("export_day:person", used.isoformat())
        return plan_from_file(store, "person", ids.read_ids(path), path.name, limit)
    store.set_meta("people_from", "cast" if cast_only else "credits")  # the scope `sync` keeps
    people = credited_people(store, cast_only)
    added = store.add("person", itertools.islice(people, limit) if limit else people)
    return Plan(
        "cast of the stored movies" if cast_only else "credits of the stored movies", added=added
    )


def credited_people(store: Store, cast_only: bool = False) -> Iterator[int]:
    """Person ids in the stored movies' cast (and crew), streamed; repeats are the store's to
    drop."""
    for _, body in store.documents("movie"):
        credits = orjson.loads(body).get("credits") or {}
        for row in credits.get("cast") or ():
            yield row["id"]
        if not cast_only:
            for row in credits.get("crew") or ():
                yield row["id"]


def run(
    store: Store,
    kind: str,
    options: CrawlOptions,
    reporter: Reporter,
    refresh: bool = False,
    fleet: Fleet | None = None,
) -> tuple[Tally, str]:
    """Fetch every pending (then failed) id of `kind`, in this process or on `fleet`; returns
    the tally and how it ended: "done", or "interrupted" (Ctrl-C: what was fetched is saved).
    Errors that stop a run (refused credentials, an unreachable API) are raised after saving
    too."""
    if refresh:
        store.requeue(kind, None)
    store.set_meta(f"appends:{kind}", ",".join(options.appends))  # `sync` fetches alike
    tally = Tally(kind)
    outcome = "stopped"
    try:
        asyncio.run(_run(store, tally, options, reporter, fleet))
        outcome = "done"
    except KeyboardInterrupt:
        outcome = "interrupted"
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
    async with TmdbClient(
        options.api_url,
        options.credentials,
        connections=options.concurrency,
        local_addr=options.local_addr,
    ) as client:
        governor = Governor(options.rate, options.concurrency)
        await Crawl(store, tally.kind, client, governor, options.appends, tally=tally).run()


def check_access(options: CrawlOptions) -> None:
    """One request to TMDb before anything is written: refused credentials (exit 2) or an
    unreachable API stop the command while the store is still as it was."""

    async def check() -> None:
        async with TmdbClient(
            options.api_url, options.credentials, connections=1, local_addr=options.local_addr
        ) as client:
            await client.check()

    asyncio.run(check())


def save_run(store: Store, tally: Tally, outcome: str) -> None:
    """Remember the run: the last of its kind for `status`, and every one for `report`."""
    facts = {**tally.as_dict(), "outcome": outcome, "finished": time.time()}
    store.set_meta(f"last_run:{tally.kind}", orjson.dumps(facts).decode())
    store.set_meta(f"run:{tally.kind}:{facts['finished']:.3f}", orjson.dumps(facts).decode())
