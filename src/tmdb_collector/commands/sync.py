"""`tmdb-collector sync`: bring a collection up to date from TMDb's change lists."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from tmdb_collector import config
from tmdb_collector.commands.crawl import common_options, crawl_options, reporter, summarize
from tmdb_collector.commands.options import parse_day
from tmdb_collector.crawl import lock
from tmdb_collector.crawl import sync as syncing
from tmdb_collector.crawl.jobs import Plan
from tmdb_collector.crawl.scheduler import Tally
from tmdb_collector.crawl.store import Store
from tmdb_collector.errors import ConfigError
from tmdb_collector.progress import Reporter, emit
from tmdb_collector.vocab import Kind, RunOutcome


class Report(syncing.SyncReport):
    """Shows a sync as the crawl command shows a crawl, and works out its exit code: 130 when
    interrupted, 1 when ids failed or a change list could not be read, else 0."""

    def __init__(self, store: Store, shown: Reporter, json_lines: bool) -> None:
        self.store, self.shown, self.json_lines = store, shown, json_lines
        self.code = 0
        self.interrupted = False

    async def follow(self, tally: Tally) -> None:
        await self.shown.follow(tally)

    def crawled(self, tally: Tally, outcome: RunOutcome, plan: Plan) -> None:
        self.interrupted = outcome is RunOutcome.INTERRUPTED
        self.code = max(self.code, summarize(self.store, self.shown, tally, outcome, plan))

    def synced(self, plan: syncing.SyncPlan, watermark: date) -> None:
        _say(plan, watermark, self.json_lines)
        self.code = max(self.code, 1 if plan.stopped else 0)


@click.command()
@click.option(
    "--only",
    type=click.Choice(sorted(kind.plural for kind in Kind)),
    help="Sync one kind.  [default: movies, and people when they were crawled]",
)
@click.option(
    "--reconcile",
    is_flag=True,
    help="Also diff the newest export against the store: ids new to it are fetched, ids it no "
    f"longer lists are marked gone (done anyway after {config.SYNC_MAX_GAP_DAYS} days).",
)
@click.option(
    "--until",
    callback=parse_day,
    metavar="YYYY-MM-DD",
    help="Read the change lists through this day (UTC), not later.  [default: today]",
)
@common_options(config.MOVIE_APPENDS)
@click.pass_context
def sync(
    ctx: click.Context,
    /,
    only: str | None,
    reconcile: bool,
    until: date | None,
    refresh: bool,
    json_lines: bool,
    quiet: bool,
    appends: str,
    **common: Any,
) -> int:
    """Fetch what changed on TMDb since the last sync (resumable: re-run to continue).

    Reads the movie and person change lists one day at a time from the last day synced, and
    fetches the changed and new ids of the collection; a gap of over 14 days (or --reconcile)
    also diffs the newest export against the store.
    """
    if _explicit(ctx) and only is None:
        raise click.UsageError("--append applies to one kind: give --only movies or people too")
    today, now = _today(until)
    options = crawl_options(appends=appends, **common)
    kind = Kind.from_plural(only) if only else None
    _refuse_early(options.data_dir, kind, today)
    with lock.writing(options.data_dir, "sync"):
        store = Store.open(options.data_dir)
        report = Report(store, reporter(json_lines, quiet), json_lines)
        work = syncing.sync(
            store,
            options,
            today=today,
            only=kind,
            reconcile=reconcile,
            now=now,
            refresh=refresh,
            appends=appends if _explicit(ctx) else None,
            report=report,
        )
        try:
            asyncio.run(work)
        except KeyboardInterrupt:
            if not report.interrupted:
                raise  # before any fetching: one line, as for any command
            return 130  # the summary said so, and what was fetched is saved and settled
        return report.code


def _explicit(ctx: click.Context) -> bool:
    return ctx.get_parameter_source("appends") is not ParameterSource.DEFAULT


def _today(until: date | None) -> tuple[date, datetime]:
    """The day a sync reads through, and the moment whose newest export a reconcile takes."""
    now = datetime.now(UTC)
    if until is None:
        return now.date(), now
    if until > now.date():
        raise ConfigError(f"--until {until} is after today ({now.date()}, UTC)")
    return until, min(now, datetime.combine(until, time(23, 59), UTC))


def _open_collection(data_dir: Path) -> Store:
    """The store of `data_dir`; ConfigError, creating nothing, when there is none."""
    if not (data_dir / config.STORE_FILE).is_file():
        raise ConfigError(
            f"no collection in {data_dir} to sync: crawl it first ('tmdb-collector crawl movies')"
        )
    return Store.open(data_dir)


def _refuse_early(data_dir: Path, only: Kind | None, today: date) -> None:
    """The refusals a sync makes (no collection, a kind never crawled, a watermark after
    today), made before the writer lock too, so that they leave the directory untouched."""
    store = _open_collection(data_dir)
    try:
        for kind in syncing.kinds_to_sync(store, only):
            syncing.check_kind(store, kind, today)
    finally:
        store.close()


def _say(plan: syncing.SyncPlan, watermark: date, json_lines: bool) -> None:
    """Where the watermark went, and why it stopped short of today."""
    plural = plan.kind.plural
    if json_lines:
        facts = {"kind": plan.kind, "watermark": watermark.isoformat()}
        emit(
            {
                "event": "synced",
                **facts,
                "was": plan.watermark.isoformat(),
                "credited": plan.credited,
            }
        )
    else:
        credited = f"; {plan.credited:,} people newly credited" if plan.credited else ""
        click.echo(
            f"{plural}: synced through {watermark} (was {plan.watermark}){credited}", err=True
        )
    if plan.stopped:
        click.echo(f"tmdb-collector: {plan.stopped}; run sync again to read it", err=True)


def _reword(command: click.Command, name: str, help_text: str) -> None:
    """Give a shared option the meaning it has for this command."""
    for param in command.params:
        if isinstance(param, click.Option) and param.name == name:
            param.help, param.show_default = help_text, False


_reword(
    sync,
    "appends",
    "append_to_response items, comma-separated, with --only.  [default: those the kind's "
    "crawl used]",
)
_reword(sync, "refresh", "Fetch every stored id of the kinds synced again, changed or not.")
