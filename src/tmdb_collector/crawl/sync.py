"""`sync`: keep a collection current from TMDb's change lists; reconcile it with an export.

A kind's *watermark* (meta `sync_day:{kind}`) is the last day whose changes the store holds;
before the first sync it is the day of the export the crawl took (changes made later that day
are not in the export). A sync has three steps, like a crawl's plan and run:

1. plan: read the change lists of every day from the watermark's (read again: the overlap)
   through today, one day per request, every page; requeue the listed ids that belong to the
   collection (see `synclog`). With `reconcile`, or when the watermark is over
   SYNC_MAX_GAP_DAYS old, first diff the newest export against the store: ids it lists that
   the store lacks are added, stored ids it no longer lists are marked gone. The gap's change
   lists are read all the same: they alone say which stored documents changed.
2. run: fetch every pending id, as `crawl` does (`jobs.run`: governor, retries, batches).
3. settle: after movies, add the people their credits name who are not stored yet (as
   `crawl people` would); then move the watermark to the last day through which every listed
   id is ok or gone. A crash, Ctrl-C or failure leaves it where a rerun redoes the work.

`sync` does the three for every kind, in order; a notebook awaits it as the command does.

Scope follows the crawl: ids new to the store are taken only when the crawl took the whole
export of the kind (meta `export_day:{kind}`); otherwise (people from movie credits, movies
from an ids file) only ids the store already holds are fetched again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson

from tmdb_collector import config, ids
from tmdb_collector.client.protocol import parse_appends
from tmdb_collector.crawl import jobs
from tmdb_collector.crawl.changes import ChangeReader, days_from
from tmdb_collector.crawl.credited import CREDITED_KINDS, credited_people
from tmdb_collector.crawl.jobs import Plan, Runner, crawl_here
from tmdb_collector.crawl.options import CrawlOptions, connect
from tmdb_collector.crawl.scheduler import Tally
from tmdb_collector.crawl.store import STATES, Store
from tmdb_collector.crawl.synclog import ChangeLog, Listing, diff_export
from tmdb_collector.crawl.syncrules import advance, days_to_read, needs_reconcile
from tmdb_collector.errors import ChangeListError, ConfigError
from tmdb_collector.vocab import Kind, RunOutcome

DEFAULT_APPENDS = {
    Kind.MOVIE: config.MOVIE_APPENDS,
    Kind.PERSON: config.PERSON_APPENDS,
    Kind.TV: config.TV_APPENDS,
}
"""A kind's appends when neither --append nor its crawl said (a store from before they were
remembered)."""


def watermark_key(kind: Kind) -> str:
    return f"sync_day:{kind}"


def last_sync_key(kind: Kind) -> str:
    return f"last_sync:{kind}"


# --- where a sync starts, and what it covers -----------------------------------------------------


def kinds_to_sync(store: Store, only: Kind | None) -> list[Kind]:
    """`only`, or every kind that was crawled (movies when none was: `check_kind` then says
    so)."""
    if only is not None:
        return [only]
    return [kind for kind in Kind if was_crawled(store, kind)] or [Kind.MOVIE]


def start_day(store: Store, kind: Kind) -> date | None:
    """The watermark; None when the kind was never crawled. Before the first sync, the
    earliest day the crawl's data can date from: its export's day, the movie export's for
    people taken from movie credits, the day its oldest document was fetched (a crawl from
    an ids file). Too early only means a few more days read."""
    if value := store.get_meta(watermark_key(kind)):
        return date.fromisoformat(value)
    if not was_crawled(store, kind):
        return None
    keys = [f"export_day:{kind}"] + ([f"export_day:{Kind.MOVIE}"] if kind == Kind.PERSON else [])
    days = [date.fromisoformat(day) for key in keys if (day := store.get_meta(key))]
    if (first := store.first_fetched(kind)) is not None:
        days.append(datetime.fromtimestamp(first, UTC).date())
    return min(days) if days else None


def was_crawled(store: Store, kind: Kind) -> bool:
    """True when the store holds ids of the kind, or its crawl took the kind's export."""
    return bool(store.todo(kind, STATES, limit=1)) or takes_whole_export(store, kind)


def check_kind(store: Store, kind: Kind, today: date) -> date:
    """Where `kind`'s sync starts; ConfigError (before anything is written) when it was never
    crawled, or when its watermark is after `today`."""
    start = start_day(store, kind)
    if start is None:
        raise ConfigError(
            f"no {kind.plural} to sync in {store.path.parent}: crawl them first "
            f"('tmdb-collector crawl {kind.plural}')"
        )
    if start > today:
        raise ConfigError(
            f"the {kind.plural} are synced through {start}, after today ({today}, UTC): "
            "check this machine's clock, or --until"
        )
    return start


def takes_whole_export(store: Store, kind: Kind) -> bool:
    """True when the crawl took every id of the kind's export, so new ids belong too."""
    return store.get_meta(f"export_day:{kind}") is not None


def credited_scope(store: Store) -> str | None:
    """'credits' or 'cast' when the people are those of the stored movies' credits; None when
    people were not crawled, or were crawled from the whole person export."""
    if takes_whole_export(store, Kind.PERSON) or not was_crawled(store, Kind.PERSON):
        return None
    return store.get_meta("people_from") or "credits"


# --- plan ----------------------------------------------------------------------------------------


@dataclass
class SyncPlan:
    """What a sync's first step did for one kind: for the summary, `settle` and `status`."""

    kind: Kind
    watermark: date  # when the sync began
    today: date
    days: list[date] = field(default_factory=list)  # days whose change lists were read whole
    stopped: str | None = None  # why the next day's list was not read
    requests: int = 0  # change-list pages requested
    null_ids: int = 0  # change-list rows without an id, skipped
    listing: Listing = field(default_factory=Listing)
    reconciled: dict[str, Any] | None = None
    credited: int = 0  # people new to the store named in the synced movies' credits
    synced_through: date | None = None  # the watermark once settled

    def as_plan(self) -> Plan:
        """The plan's facts in the shape a crawl's summary shows."""
        span = f"{self.days[0]}..{self.days[-1]}" if self.days else "none"
        facts: dict[str, Any] = {"days read": span, "change-list requests": self.requests}
        facts["ids to fetch"] = len(self.listing.to_fetch)
        if self.null_ids:
            facts["null ids skipped"] = self.null_ids
        if already := len(self.listing.already - self.listing.to_fetch):
            facts["ids already fetched by an earlier run"] = already
        if self.listing.out_of_scope:
            facts["changed ids outside the collection"] = len(self.listing.out_of_scope)
        if self.reconciled:
            facts["reconciled with"] = _reconciled_text(self.reconciled)
        if self.stopped:
            facts["stopped"] = self.stopped
        listed = len(self.listing.to_fetch | self.listing.already)
        source = f"{self.kind} change lists"
        return Plan(source, lines=listed, added=len(self.listing.new), facts=facts)

    def as_dict(self, watermark: date, outcome: RunOutcome) -> dict[str, Any]:
        """What `status` shows of the last sync: kept in meta `last_sync:{kind}`."""
        return {
            "finished": time.time(),
            "outcome": outcome,
            "from": self.watermark.isoformat(),
            "through": watermark.isoformat(),
            "days": [day.isoformat() for day in self.days],
            "requests": self.requests,
            "null_ids_skipped": self.null_ids,
            "fetched": len(self.listing.to_fetch),
            "new": len(self.listing.new),
            "out_of_scope": len(self.listing.out_of_scope),
            "credited": self.credited,
            "reconciled": self.reconciled,
            "stopped": self.stopped,
        }


async def plan_sync(
    store: Store,
    kind: Kind,
    options: CrawlOptions,
    *,
    today: date,
    reconcile: bool = False,
    now: datetime | None = None,
) -> SyncPlan:
    """Read the change lists (and, when due, the newest export) and requeue what changed."""
    plan = SyncPlan(kind, check_kind(store, kind, today), today)
    log = ChangeLog(store)
    log.tidy(kind, plan.watermark, today)
    if not kind.has_changes:
        return from_export_only(store, log, plan, options, now)
    days = days_to_read(plan.watermark, today)
    if needs_reconcile(plan.watermark, today, reconcile):
        plan.reconciled = reconcile_export(store, log, plan, options, days[0], now)
        # An export older than the first day read (a reconcile before 08:00 UTC) misses ids
        # born since, and has just marked them gone: the lists from its day name them again.
        days = days_from(min(days[0], date.fromisoformat(plan.reconciled["day"])), today)
    await _read_days(store, log, plan, options, days)
    return plan


def reconcile_export(
    store: Store,
    log: ChangeLog,
    plan: SyncPlan,
    options: CrawlOptions,
    day: date | None,
    now: datetime | None,
) -> dict[str, Any]:
    """Diff the newest export against the store: its new ids are listed under `day` (the
    export's own when None; when the
    crawl took the whole export), stored ids it no longer lists are marked gone."""
    path, used = ids.download_export(
        options.exports_url, plan.kind.export, options.data_dir / "exports", None, now or _now()
    )
    day = day or used
    new, vanished = diff_export(store, plan.kind, ids.read_ids(path))
    if not takes_whole_export(store, plan.kind):
        new = []
    gone = store.mark_gone(plan.kind, vanished, "not_in_export")
    log.forget(plan.kind, vanished)  # should a change list name one again, it is fetched
    log.note(plan.kind, day, set(new), plan.today, True, plan.listing)
    return {"export": path.name, "day": used.isoformat(), "new": len(new), "vanished": gone}


def from_export_only(
    store: Store, log: ChangeLog, plan: SyncPlan, options: CrawlOptions, now: datetime | None
) -> SyncPlan:
    """A kind TMDb keeps no change list of (collections, companies, networks, keywords):
    reconciled with the newest export every time, its day then read as the day synced. New
    ids are fetched, unlisted ones marked gone; a keyword's line is its document, so keywords
    are stored anew. A changed document of another kind is not seen: `crawl KIND --refresh`
    fetches them all again."""
    if plan.kind.fetched:
        plan.reconciled = reconcile_export(store, log, plan, options, None, now)
    else:
        path, used = ids.download_export(
            options.exports_url, plan.kind.export, options.data_dir / "exports", None,
            now or _now(),
        )  # fmt: skip
        stored = jobs.store_lines(store, plan.kind, ids.read_ids(path), path.name, None, True)
        vanished = stored.facts.get("no longer listed (marked gone)", 0)
        plan.reconciled = {"export": path.name, "day": used.isoformat(), "new": stored.added,
                           "vanished": vanished}  # fmt: skip
    plan.days = [date.fromisoformat(plan.reconciled["day"])]
    return plan


async def _read_days(
    store: Store, log: ChangeLog, plan: SyncPlan, options: CrawlOptions, days: list[date]
) -> None:
    whole_export = takes_whole_export(store, plan.kind)
    async with connect(options) as sender:
        reader = ChangeReader(sender)
        try:
            for day in days:  # in order: a day that cannot be read holds back the later ones
                try:
                    found = await reader.read_day(plan.kind, day)
                except ChangeListError as error:
                    plan.stopped = str(error)
                    return
                log.note(plan.kind, day, found, plan.today, whole_export, plan.listing)
                plan.days.append(day)
        finally:
            plan.requests, plan.null_ids = reader.requests, reader.null_ids


# --- settle --------------------------------------------------------------------------------------


def settle(store: Store, plan: SyncPlan, outcome: RunOutcome) -> date:
    """After the run: add newly credited people (after movies), move the watermark past every
    settled day, remember the sync for `status`. Returns the new watermark."""
    log = ChangeLog(store)
    if plan.kind in CREDITED_KINDS and (scope := credited_scope(store)):
        synced = log.listed_ok(plan.kind)
        credited = credited_people(store, scope == "cast", synced, plan.kind)
        plan.credited = store.add(Kind.PERSON, credited)
    watermark = advance(plan.watermark, plan.days, lambda day: log.settled(plan.kind, day))
    plan.synced_through = watermark
    store.set_meta(watermark_key(plan.kind), watermark.isoformat())
    log.tidy(plan.kind, watermark, plan.today)
    facts = plan.as_dict(watermark, outcome)
    store.set_meta(last_sync_key(plan.kind), orjson.dumps(facts).decode())
    return watermark


# --- the whole sync ------------------------------------------------------------------------------


class SyncReport:
    """What `sync` tells its caller as it goes; by default nothing (the caller reads what it
    returns). The command line shows progress and summaries through one of these."""

    async def follow(self, tally: Tally) -> None:
        """Show a kind's fetching while it runs, until cancelled."""

    def crawled(self, tally: Tally, outcome: RunOutcome, plan: Plan) -> None:
        """A kind's fetching ended, done or interrupted; `plan` says what the lists held."""

    def synced(self, plan: SyncPlan, watermark: date) -> None:
        """A kind is settled: its watermark is now `watermark`."""


async def sync(
    store: Store,
    options: CrawlOptions,
    *,
    today: date,
    only: Kind | None = None,
    reconcile: bool = False,
    now: datetime | None = None,
    refresh: bool = False,
    appends: str | None = None,
    runner: Runner = crawl_here,
    report: SyncReport | None = None,
) -> list[SyncPlan]:
    """Bring every crawled kind (or `only`) up to date through `today`: read its change lists,
    fetch what changed, settle its watermark. Refusals (a kind never crawled, a watermark
    after today) and the access check come before any other request or write. `appends`
    (with `only`) replaces those the kind's crawl used. Cancelled (Ctrl-C), the kind being
    fetched is settled as far as it got before the cancellation goes on."""
    report = report or SyncReport()
    kinds = kinds_to_sync(store, only)
    for kind in kinds:
        check_kind(store, kind, today)
    await jobs.check_access(options)
    plans = []
    for kind in kinds:
        kind_options = options_for(store, kind, options, appends)
        plan = await plan_sync(store, kind, kind_options, today=today, reconcile=reconcile, now=now)
        await _fetch_and_settle(store, plan, kind_options, runner, refresh, report)
        plans.append(plan)
    return plans


def options_for(
    store: Store, kind: Kind, options: CrawlOptions, appends: str | None
) -> CrawlOptions:
    """The options for one kind: the appends given, else those its crawl used."""
    text = appends if appends is not None else store.get_meta(f"appends:{kind}")
    chosen = parse_appends(DEFAULT_APPENDS[kind] if text is None else text)
    return dataclasses.replace(options, appends=chosen)


async def _fetch_and_settle(
    store: Store,
    plan: SyncPlan,
    options: CrawlOptions,
    runner: Runner,
    refresh: bool,
    report: SyncReport,
) -> None:
    """Fetch what the plan requeued, then settle; interrupted, settle what was fetched (it
    counts) before the cancellation goes on."""
    tally = Tally(plan.kind)

    def crawled(counted: Tally, outcome: RunOutcome) -> None:
        report.crawled(counted, outcome, plan.as_plan())

    try:
        await jobs.run(
            store, tally, options, runner, refresh=refresh, follow=report.follow, finished=crawled
        )
    except asyncio.CancelledError:
        report.synced(plan, settle(store, plan, RunOutcome.INTERRUPTED))
        raise
    outcome = RunOutcome.STOPPED if plan.stopped else RunOutcome.DONE
    report.synced(plan, settle(store, plan, outcome))


def _reconciled_text(facts: dict[str, Any]) -> str:
    return f"{facts['export']}: {facts['new']:,} new, {facts['vanished']:,} no longer listed"


def _now() -> datetime:
    return datetime.now(UTC)
