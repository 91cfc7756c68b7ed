"""The command line: thin commands over the library."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import orjson

from tmdb_collector import __version__, config
from tmdb_collector.crawl import jobs
from tmdb_collector.crawl.jobs import CrawlOptions, Plan
from tmdb_collector.crawl.store import Store
from tmdb_collector.errors import ConfigError, TmdbCollectorError
from tmdb_collector.progress import Reporter


def _parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-25") from None


@click.group()
@click.version_option(__version__, prog_name="tmdb-collector")
def cli() -> None:
    """Collect the full TMDb dataset, keep it current, and turn it into tables and a network.

    This product uses the TMDB API but is not endorsed or certified by TMDB.
    """


@cli.command()
@click.option(
    "--host",
    default=config.SIM_HOST,
    show_default=True,
    help="Address to listen on. Keep it on loopback.",
)
@click.option(
    "--port",
    default=config.SIM_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one (printed on the first line).",
)
@click.option(
    "--movies",
    default=config.SIM_MOVIES,
    show_default=True,
    type=click.IntRange(1, config.SIM_MAX_MOVIES),
    help="Movies in the first day's export (people: 4x as many).",
)
@click.option(
    "--seed",
    default=config.SIM_SEED,
    show_default=True,
    type=int,
    help="Seed of the catalog and the faults: the same seed gives the same run.",
)
@click.option(
    "--day",
    "first_day",
    callback=_parse_day,
    metavar="YYYY-MM-DD",
    help="The catalog's first day, with its export file.  [default: today, UTC]",
)
@click.option(
    "--days-elapsed",
    default=0,
    show_default=True,
    type=click.IntRange(0, 3650),
    help="Start the day clock this many days after --day (each day changes, adds and "
    "deletes ids). POST /__sim/advance?days=N moves it while running.",
)
@click.option(
    "--rate-limit",
    default=config.SIM_RATE_LIMIT,
    show_default=True,
    type=click.FloatRange(0),
    metavar="R",
    help="Requests/s allowed per client IP (token bucket); 0 = no limit. Excess gets "
    "HTTP 429 with TMDb's code 25 body.",
)
@click.option(
    "--burst",
    type=click.FloatRange(1),
    metavar="N",
    help="Token-bucket depth.  [default: a quarter of --rate-limit, at least 1]",
)
@click.option(
    "--max-connections",
    default=config.SIM_MAX_CONNECTIONS,
    show_default=True,
    type=click.IntRange(1),
    help="Concurrent requests allowed per client IP; excess "
    "gets HTTP 429 (TMDb's CDN allows 20 connections per IP).",
)
@click.option(
    "--retry-after/--no-retry-after",
    default=True,
    show_default=True,
    help="Send a Retry-After header with 429s (real TMDb sometimes omits it).",
)
@click.option(
    "--faults",
    default="none",
    show_default=True,
    metavar="SPEC",
    help="A profile (none, flaky, hostile) and/or per-kind rates, comma-separated: "
    "'flaky', 'reset=0.05,http_503=0.1', 'hostile,slow=0'. Kinds: http_500, "
    "http_502, http_503, http_504, reset, truncated, invalid_json, slow.",
)
@click.option(
    "--slow-seconds",
    default=config.SIM_SLOW_SECONDS,
    show_default=True,
    type=click.FloatRange(0),
    help="How long a 'slow' fault holds its answer.",
)
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Median added latency per API request (log-normal); 0 = none.",
)
@click.option(
    "--latency-sigma",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0),
    help="Spread of the log-normal latency (0 = always the median).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes serving the same port, for throughput benchmarks. Above 1, --rate-limit "
    "and --faults are refused (they need one process to be exact) and /__sim/stats may lag "
    "by 0.1 s.",
)
@click.option(
    "--api-key",
    envvar=config.SIM_API_KEY_ENV,
    metavar="KEY",
    help=f"Accept only this key (api_key=KEY or 'Authorization: Bearer KEY'); others "
    f"get HTTP 401, code 7. Also ${config.SIM_API_KEY_ENV}.  [default: any]",
)
def simulate(host: str, port: int, first_day: date | None, workers: int, **options: object) -> None:
    """Serve a TMDb-compatible API and daily exports from a seeded, simulated catalog.

    Paths under /3 as TMDb's (movie, person, changes, latest, configuration), export files
    under /p/exports, request counters at /__sim/stats.
    """
    from tmdb_collector.simulator.app import Settings
    from tmdb_collector.simulator.faults import FaultPlan
    from tmdb_collector.simulator.server import run

    plan = FaultPlan.parse(str(options["faults"]))  # a bad spec fails here, before binding
    if workers > 1 and (plan.rates or options["rate_limit"]):
        raise ConfigError("--workers above 1 cannot apply --rate-limit or --faults exactly")
    settings = Settings(first_day=first_day, **options)  # type: ignore[arg-type]
    try:
        run(settings, host, port, workers)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


# --- collecting ------------------------------------------------------------------------------


def common_options(appends_default: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options every command that talks to TMDb takes, each also an environment variable."""
    options = [
        click.option(
            "--data-dir",
            envvar=config.DATA_DIR_ENV,
            default=config.DATA_DIR,
            show_default=True,
            type=click.Path(file_okay=False, path_type=Path),
            help=f"Where the store and outputs live (${config.DATA_DIR_ENV}).",
        ),
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
            type=click.FloatRange(0.1),
            help=f"Most requests/s from this machine; 429s lower it further (${config.RATE_ENV}).",
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


def crawl_options(
    data_dir: Path, api_url: str, exports_url: str, rate: float, concurrency: int, appends: str
) -> CrawlOptions:
    from tmdb_collector.client.protocol import parse_appends
    from tmdb_collector.credentials import environment, load_credentials

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


def finish_crawl(
    store: Store,
    kind: str,
    options: CrawlOptions,
    plan: Plan,
    refresh: bool,
    json_lines: bool,
    quiet: bool,
) -> int:
    """Run a planned crawl, print its summary; the exit code (0, 1 if ids failed, 130)."""
    reporter = Reporter("json" if json_lines else "quiet" if quiet else "bar")
    tally, outcome = jobs.run(store, kind, options, reporter, refresh=refresh)
    failed_now = store.counts().get(kind, {}).get("failed", 0)
    reporter.summary(tally, outcome, {**plan.as_dict(), "failed ids in the store": failed_now})
    if outcome == "interrupted":
        click.echo(
            "tmdb-collector: interrupted; what was fetched is saved, run the same "
            "command to resume",
            err=True,
        )
        return 130
    return 1 if failed_now else 0


@cli.group()
def crawl() -> None:
    """Fetch movies or people into the store (resumable: re-run to continue)."""


@crawl.command()
@click.option(
    "--date",
    "day",
    callback=_parse_day,
    metavar="YYYY-MM-DD",
    help="Take ids from this day's export.  [default: the newest]",
)
@click.option(
    "--ids-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Take ids from this file instead: one id or one export line per line.",
)
@click.option("--limit", type=click.IntRange(1), help="Only the first N ids (a trial run).")
@common_options(config.MOVIE_APPENDS)
def movies(
    day: date | None,
    ids_file: Path | None,
    limit: int | None,
    refresh: bool,
    json_lines: bool,
    quiet: bool,
    **common: Any,
) -> int:
    """Fetch every movie of TMDb's daily export (or of --ids-file), with its credits."""
    if day and ids_file:
        raise click.UsageError("--date and --ids-file are two sources: give one")
    options = crawl_options(**common)
    jobs.check_access(options)
    store = Store.open(options.data_dir)
    plan = jobs.plan_movies(store, options, day=day, ids_file=ids_file, limit=limit)
    return finish_crawl(store, "movie", options, plan, refresh, json_lines, quiet)


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
def people(
    source: str,
    cast_only: bool,
    limit: int | None,
    refresh: bool,
    json_lines: bool,
    quiet: bool,
    **common: Any,
) -> int:
    """Fetch the people of the stored movies (or of the person export)."""
    options = crawl_options(**common)
    jobs.check_access(options)
    store = Store.open(options.data_dir)
    plan = jobs.plan_people(store, options, source=source, cast_only=cast_only, limit=limit)
    return finish_crawl(store, "person", options, plan, refresh, json_lines, quiet)


@cli.command()
@click.option(
    "--data-dir",
    envvar=config.DATA_DIR_ENV,
    default=config.DATA_DIR,
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Where the store is (${config.DATA_DIR_ENV}).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for scripts.")
def status(data_dir: Path, as_json: bool) -> None:
    """Show what the store holds: ids per kind and state, failures by cause, the last runs."""
    from tmdb_collector.crawl.status import describe, render

    if not (data_dir / config.STORE_FILE).exists():
        raise ConfigError(f"no collection in {data_dir}: run 'tmdb-collector crawl movies' first")
    facts = describe(Store.open(data_dir))
    click.echo(
        orjson.dumps(facts, option=orjson.OPT_INDENT_2).decode() if as_json else render(facts)
    )


@cli.command()
@click.option(
    "--movies",
    default=config.DEMO_MOVIES,
    show_default=True,
    type=click.IntRange(100, 2_000_000),
    help="Movies in the simulated catalog.",
)
@click.option(
    "--data-dir",
    default=config.DEMO_DIR,
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the demo's collection goes (emptied first, if it is a demo's).",
)
@click.option("--json", "json_lines", is_flag=True, help="Progress as JSON lines on stdout.")
def demo(movies: int, data_dir: Path, json_lines: bool) -> int:
    """Run the whole job end to end against the built-in simulator: no key or network needed."""
    from tmdb_collector.demo import run_demo

    return run_demo(data_dir, movies, Reporter("json" if json_lines else "bar"), click.echo)


def main(argv: list[str] | None = None) -> None:
    """Entry point: every failure a user can cause ends in one line and an exit code."""
    try:
        code = cli.main(args=argv, prog_name="tmdb-collector", standalone_mode=False)
    except click.UsageError as exc:
        click.echo(f"tmdb-collector: {exc.format_message()}", err=True)
        sys.exit(2)
    except TmdbCollectorError as exc:
        click.echo(f"tmdb-collector: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("tmdb-collector: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
