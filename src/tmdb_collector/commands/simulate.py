"""`tmdb-collector simulate`: the built-in TMDb simulator."""

from __future__ import annotations

from datetime import date

import click

from tmdb_collector import config
from tmdb_collector.commands.options import parse_day
from tmdb_collector.errors import ConfigError


@click.command()
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
    callback=parse_day,
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
    "HTTP 429 with TMDb's code 25 body. POST /__sim/limit?rate=R changes it while running.",
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
    help="A profile (none, flaky, hostile, quirks) and/or per-kind rates, comma-separated: "
    "'flaky', 'reset=0.05,http_503=0.1', 'hostile,quirks'. Kinds: http_500, "
    "http_502, http_503, http_504, reset, truncated, invalid_json, slow; and TMDb's own "
    "quirks: null_change_ids, duplicate_export_ids, missing_append.",
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
    under /p/exports, request counters at /__sim/stats. From loopback, POST
    /__sim/advance?days=N moves the day clock and POST /__sim/limit?rate=R the per-IP limit.
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
