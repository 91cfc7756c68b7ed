"""`tmdb-collector crawl KIND`: fetch ids of every TMDb kind into the store.

The command picks where the crawl runs (this process, or a Dask fleet) and owns the event
loop; the library (`crawl.jobs`) plans and runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from tmdb_collector import config
from tmdb_collector.client.governor import RateSetting
from tmdb_collector.client.protocol import parse_appends
from tmdb_collector.commands.options import data_dir_option, parse_day
from tmdb_collector.crawl import fleet as fleets
from tmdb_collector.crawl import jobs, lock
from tmdb_collector.crawl.fleet import Fleet
from tmdb_collector.crawl.jobs import CrawlOptions, Plan
from tmdb_collector.crawl.scheduler import Tally
from tmdb_collector.crawl.store import Store
from tmdb_collector.credentials import environment, load_credentials
from tmdb_collector.errors import ConfigError
from tmdb_collector.progress import Reporter
from tmdb_collector.vocab import Kind, RunOutcome, State


def parse_rate(ctx: click.Context, param: click.Parameter, value: str) -> RateSetting:
    """`--rate`: `auto` or requests/s, as a RateSetting."""
    try:
        return RateSetting.parse(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc).removeprefix("--rate must be ")) from None


def common_options(appends_default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options every command that talks to TMDb takes, each also an environment variable."""
    options = [
        data_dir_option("Where the store and outputs live"),
        click.option(
            "--api-url",
            envvar=config.API_URL_ENV,
            default=config.API_URL,
            show_default=True,
            help=f"TMDb API base (${config.API_URL_ENV}).",
        ),
        click.option(
            "--exports-url",
            envvar=config.EXPORTS_URL_ENV,
            default=config.EXPORTS_URL,
            show_default=True,
            help=f"Where the daily id exports are (${config.EXPORTS_URL_ENV}).",
        ),
        click.option(
            "--rate",
            envvar=config.RATE_ENV,
            default=config.RATE,
            show_default=True,
            callback=parse_rate,
            metavar="auto|N",
            help=f"Requests/s from this machine: 'auto' finds the server's limit from its 429s "
            f"(starting at {config.RATE_AUTO_START:g}, never above {config.RATE_AUTO_CEILING:g}); "
            f"a number is a fixed ceiling, which 429s lower further (${config.RATE_ENV}).",
        ),
        click.option(
            "--concurrency",
            envvar=config.CONCURRENCY_ENV,
            default=config.RATE_MAX_IN_FLIGHT,
            show_default=True,
            type=click.IntRange(1, config.RATE_MAX_IN_FLIGHT),
            help=f"Most requests in flight (${config.CONCURRENCY_ENV}).",
        ),
        click.option(
            "--append",
            "appends",
            default=appends_default,
            show_default=True,
            help="append_to_response items, comma-separated (at most 20).",
        ),
        click.option(
            "--refresh",
            is_flag=True,
            help="Fetch ids already stored again (default: only pending and failed).",
        ),
        click.option(
            "--json",
            "json_lines",
            is_flag=True,
            help="Progress and summary as JSON lines on stdout, for scripts.",
        ),
        click.option("--quiet", is_flag=True, help="No progress display, only the summary."),
    ]

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


FLEET_OPTIONS = [
    click.option(
        "--cluster",
        envvar=config.CLUSTER_ENV,
        metavar="tcp://HOST:PORT",
        help="Crawl on a running Dask scheduler's workers, one per egress IP "
        f"(${config.CLUSTER_ENV}).",
    ),
    click.option(
        "--ssh",
        envvar=config.SSH_HOSTS_ENV,
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="HOSTS_FILE",
        help="Start a Dask cluster over ssh: one [user@]host[:port] a line, one worker each; "
        f"the first also runs the scheduler (${config.SSH_HOSTS_ENV}).",
    ),
    click.option(
        "--ssh-config",
        envvar=config.SSH_CONFIG_ENV,
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help="With --ssh: an OpenSSH client config (IdentityFile, Port, User, "
        f"UserKnownHostsFile) instead of ~/.ssh/config (${config.SSH_CONFIG_ENV}).",
    ),
    click.option(
        "--local-workers",
        envvar=config.LOCAL_WORKERS_ENV,
        type=click.IntRange(1, 64),
        metavar="N",
        help=f"Start a Dask cluster of N processes on this machine (${config.LOCAL_WORKERS_ENV}).",
    ),
    click.option(
        "--bind",
        envvar=config.BIND_ENV,
        metavar="IP[,IP...]",
        help="Send from these addresses of this machine: the crawl from the one given; with "
        f"several, one local worker from each (${config.BIND_ENV}).",
    ),
    click.option(
        "--chunk-size",
        envvar=config.CHUNK_SIZE_ENV,
        type=click.IntRange(1, config.FLEET_CHUNK_MAX),
        help=f"With a fleet: ids per task.  [default: ~{config.FLEET_CHUNK_SECONDS:g} s of "
        f"requests at --rate] (${config.CHUNK_SIZE_ENV})",
    ),
    click.option(
        "--remote-python",
        envvar=config.REMOTE_PYTHON_ENV,
        metavar="PATH",
        help="With --ssh: the Python that has tmdb-collector on the hosts "
        f"(${config.REMOTE_PYTHON_ENV}).",
    ),
    click.option(
        "--cluster-timeout",
        envvar=config.CLUSTER_TIMEOUT_ENV,
        default=config.FLEET_CLUSTER_TIMEOUT_S,
        show_default=True,
        type=click.FloatRange(0.5),
        help="Seconds to reach the scheduler, and for its first worker to join "
        f"(${config.CLUSTER_TIMEOUT_ENV}).",
    ),
]


def fleet_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Where a crawl runs (this process, or a Dask fleet), checked before anything starts;
    the command gets `fleet` (a Fleet, or None) and `local_addr` (this process's source)."""

    @functools.wraps(command)
    def checked(
        *args: Any,
        cluster: str | None,
        ssh: Path | None,
        local_workers: int | None,
        bind: str | None,
        chunk_size: int | None,
        remote_python: str | None,
        ssh_config: Path | None,
        cluster_timeout: float,
        **kwargs: Any,
    ) -> Any:
        fleet, local_addr = fleets.choose(
            cluster,
            ssh,
            local_workers,
            bind,
            chunk_size=chunk_size,
            remote_python=remote_python,
            ssh_config=ssh_config,
            timeout=cluster_timeout,
        )
        if fleet is not None:  # Dask is an extra: without it, say so before any request
            from tmdb_collector import distributed  # noqa: F401
        return command(*args, fleet=fleet, local_addr=local_addr, **kwargs)

    for option in reversed(FLEET_OPTIONS):
        checked = option(checked)
    return checked


def crawl_options(
    data_dir: Path,
    api_url: str,
    exports_url: str,
    rate: RateSetting,
    concurrency: int,
    appends: str,
) -> CrawlOptions:
    """The common options, checked, with the credentials from the environment or `.env`."""
    if urlsplit(api_url).scheme not in ("http", "https") or not urlsplit(api_url).netloc:
        raise ConfigError(
            f"--api-url must be an http(s) URL like {config.API_URL}, not {api_url!r}"
        )
    return CrawlOptions(
        data_dir=data_dir,
        credentials=load_credentials(environment()),
        api_url=api_url,
        exports_url=exports_url,
        rate=rate,
        concurrency=concurrency,
        appends=parse_appends(appends),
    )


@contextlib.contextmanager
def writer(options: CrawlOptions, command: str) -> Iterator[None]:
    """Hold the data directory's writer lock, and check TMDb access: the lock first, so that a
    second writer sends no request; but where there is no data directory yet (nothing to
    protect), the check first, so that a refused key leaves nothing behind."""
    fresh = not options.data_dir.exists()
    if fresh:
        asyncio.run(jobs.check_access(options))
    with lock.writing(options.data_dir, command):
        if not fresh:
            asyncio.run(jobs.check_access(options))
        yield


def reporter(json_lines: bool, quiet: bool) -> Reporter:
    return Reporter("json" if json_lines else "quiet" if quiet else "bar")


def runner(fleet: Fleet | None) -> jobs.Runner:
    """Where the crawl runs: in this process, or on `fleet`."""
    if fleet is None:
        return jobs.crawl_here
    from tmdb_collector import distributed  # Dask, an optional extra: only for a fleet

    return distributed.runner(fleet)


def finish_crawl(
    store: Store,
    kind: Kind,
    options: CrawlOptions,
    plan: Plan,
    refresh: bool,
    json_lines: bool,
    quiet: bool,
    fleet: Fleet | None = None,
) -> int:
    """Run a planned crawl (on `fleet`, if given), print its summary; the exit code (0, 1 if
    ids failed, 130)."""
    shown = reporter(json_lines, quiet)
    tally = Tally(kind)
    work = jobs.run(store, tally, options, runner(fleet), refresh=refresh, follow=shown.follow)
    try:
        asyncio.run(work)
        outcome = RunOutcome.DONE
    except KeyboardInterrupt:  # the run has saved what it fetched, and its record
        outcome = RunOutcome.INTERRUPTED
    return summarize(store, shown, tally, outcome, plan, fleet)


def summarize(
    store: Store,
    shown: Reporter,
    tally: Tally,
    outcome: RunOutcome,
    plan: Plan,
    fleet: Fleet | None = None,
) -> int:
    """Print a crawl's summary, and how to resume when it was interrupted; the exit code."""
    failed_now = store.counts().get(tally.kind, {}).get(State.FAILED, 0)
    facts = {**plan.as_dict(), "failed ids in the store": failed_now}
    shown.summary(tally, outcome, facts | ({"fleet": fleet.describe()} if fleet else {}))
    if outcome is RunOutcome.INTERRUPTED:
        click.echo(
            "tmdb-collector: interrupted; what was fetched is saved, run the same "
            "command to resume",
            err=True,
        )
        return 130
    return 1 if failed_now else 0


@click.group()
def crawl() -> None:
    """Fetch movies, people, TV series and the rest into the store (resumable: re-run)."""


@crawl.command()
@click.option(
    "--from",
    "source",
    type=click.Choice(["credits", "export"]),
    default="credits",
    show_default=True,
    help="The people in the stored movies' credits, or TMDb's whole person export.",
)
@click.option("--cast-only", is_flag=True, help="With --from credits: cast, not crew.")
@click.option("--limit", type=click.IntRange(1), help="Only the first N people (a trial run).")
@common_options(config.PERSON_APPENDS)
@fleet_options
def people(
    source: str,
    cast_only: bool,
    limit: int | None,
    refresh: bool,
    json_lines: bool,
    quiet: bool,
    fleet: Fleet | None,
    local_addr: str | None,
    **common: Any,
) -> int:
    """Fetch the people of the stored movies and series (or of the person export)."""
    options = replace(crawl_options(**common), local_addr=local_addr)
    with writer(options, "crawl people"):
        store = Store.open(options.data_dir)
        plan = jobs.plan_people(store, options, source=source, cast_only=cast_only, limit=limit)
        return finish_crawl(store, Kind.PERSON, options, plan, refresh, json_lines, quiet, fleet)


EXPORT_KINDS = {
    Kind.MOVIE: ("Fetch every movie of TMDb's daily export (or of --ids-file), with its credits.",
                 config.MOVIE_APPENDS),
    Kind.TV: ("Fetch every TV series of TMDb's daily export (or of --ids-file), with all its "
              "seasons and episodes (appended as season/N), credits and keywords.",
              config.TV_APPENDS),
    Kind.COLLECTION: ("Fetch every collection of TMDb's daily export (or of --ids-file).",
                      config.DETAIL_APPENDS),
    Kind.COMPANY: ("Fetch every production company of TMDb's daily export (or of --ids-file).",
                   config.DETAIL_APPENDS),
    Kind.NETWORK: ("Fetch every TV network of TMDb's daily export (or of --ids-file).",
                   config.DETAIL_APPENDS),
    Kind.KEYWORD: ("Store every keyword of TMDb's daily export: its line is the whole keyword, "
                   "so no request is made.", config.DETAIL_APPENDS),
}  # fmt: skip
"""The kinds crawled like movies, from their own export: each one's help and appends."""


def _export_command(kind: Kind, about: str, appends: str) -> None:
    @crawl.command(name=kind.plural, help=about)
    @click.option(
        "--date",
        "day",
        callback=parse_day,
        metavar="YYYY-MM-DD",
        help="Take ids from this day's export.  [default: the newest]",
    )
    @click.option(
        "--ids-file",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="Take ids from this file instead: one id or one export line per line.",
    )
    @click.option("--limit", type=click.IntRange(1), help="Only the first N ids (a trial run).")
    @common_options(appends)
    @fleet_options
    def command(
        day: date | None,
        ids_file: Path | None,
        limit: int | None,
        refresh: bool,
        json_lines: bool,
        quiet: bool,
        fleet: Fleet | None,
        local_addr: str | None,
        **common: Any,
    ) -> int:
        if day and ids_file:
            raise click.UsageError("--date and --ids-file are two sources: give one")
        options = replace(crawl_options(**common), local_addr=local_addr)
        with writer(options, f"crawl {kind.plural}"):
            store = Store.open(options.data_dir)
            plan = jobs.plan_kind(store, options, kind, day=day, ids_file=ids_file, limit=limit)
            return finish_crawl(store, kind, options, plan, refresh, json_lines, quiet, fleet)


for _kind, (_about, _appends) in EXPORT_KINDS.items():
    _export_command(_kind, _about, _appends)
