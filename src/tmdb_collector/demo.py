"""`demo`: the whole job end to end against the built-in simulator, in a few minutes.

Three steps, which the `demo` command runs in order: start a simulator (`simulator`), crawl
its movies and their people (`crawl`, async: the command owns the loop), then write the
outputs from the store (`write_outputs`, after the simulator has stopped).
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from tmdb_collector import config
from tmdb_collector.client.governor import RateSetting
from tmdb_collector.client.protocol import Credentials, parse_appends
from tmdb_collector.crawl import jobs
from tmdb_collector.crawl.scheduler import Tally
from tmdb_collector.crawl.store import Store
from tmdb_collector.errors import ConfigError
from tmdb_collector.export import outputs
from tmdb_collector.network import NetworkOptions, build_from_store
from tmdb_collector.progress import Reporter
from tmdb_collector.report import build_report
from tmdb_collector.simulator.process import SimulatorProcess
from tmdb_collector.vocab import Kind, RunOutcome, State

DEMO_MARK = "demo"


@contextlib.contextmanager
def simulator(
    data_dir: Path, movies: int, echo: Callable[[str], None] = print
) -> Iterator[tuple[SimulatorProcess, str]]:
    """A simulator of `movies` movies (flaky faults, a per-IP rate limit) and the throwaway
    key it checks, like TMDb would; `data_dir` is emptied first, if it holds a demo's store."""
    _fresh_store(data_dir)
    key = secrets.token_hex(16)
    args = (
        "--movies",
        str(movies),
        "--faults",
        "flaky",
        "--slow-seconds",
        "3",
        "--rate-limit",
        str(config.DEMO_SERVER_RATE),
    )
    with SimulatorProcess(*args, api_key=key) as sim:
        echo(
            f"simulator: {sim.url} (flaky faults, {config.DEMO_SERVER_RATE:.0f} requests/s "
            f"per IP), crawling at up to {config.DEMO_RATE:.0f} requests/s"
        )
        yield sim, key


async def crawl(sim: SimulatorProcess, key: str, data_dir: Path, reporter: Reporter) -> Store:
    """Crawl the simulator's movies, then their people, into `data_dir`, with a summary of
    each (also when interrupted: the cancellation then goes on)."""
    options = jobs.CrawlOptions(
        data_dir=data_dir,
        credentials=Credentials(token=key),
        api_url=sim.api_url,
        exports_url=sim.exports_url,
        rate=RateSetting.of(config.DEMO_RATE),
        appends=parse_appends(config.MOVIE_APPENDS),
    )
    store = Store.open(data_dir)
    store.set_meta(DEMO_MARK, "1")
    plan = jobs.plan_movies(store, options, day=sim.today())
    await _crawl(store, Kind.MOVIE, options, plan, reporter)
    people_options = dataclasses.replace(options, appends=())
    plan = jobs.plan_people(store, people_options)
    await _crawl(store, Kind.PERSON, people_options, plan, reporter)
    return store


async def _crawl(
    store: Store, kind: Kind, options: jobs.CrawlOptions, plan: jobs.Plan, reporter: Reporter
) -> None:
    def summary(tally: Tally, outcome: RunOutcome) -> None:
        reporter.summary(tally, outcome, plan.as_dict())

    await jobs.run(store, Tally(kind), options, follow=reporter.follow, finished=summary)


def write_outputs(store: Store, data_dir: Path, echo: Callable[[str], None] = print) -> int:
    """Parquet, DuckDB and the network from the demo's store, and where each went; the exit
    code (1 when some ids failed)."""
    echo(f"\nstore: {store.path}  (inspect it with: tmdb-collector status --data-dir {data_dir})")
    for format_ in ("parquet", "duckdb"):
        request = outputs.ExportRequest.check(format_, data_dir)
        echo(f"{format_}: {outputs.export(store, request).path}")
    echo(f"network: {_network(store, data_dir / config.OUTPUT_DIR / config.NETWORK_DIR)}")
    echo(f"report: {_report(store, data_dir / config.OUTPUT_DIR / config.REPORT_FILE)}")
    failed = sum(counts[State.FAILED] for counts in store.counts().values())
    return 1 if failed else 0


def _network(store: Store, out: Path) -> str:
    """The actor network of the demo's collection, for Gephi (GEXF) and for code (Parquet)."""
    # Top-billed cast only: a graph Gephi opens in seconds (all cast: ~100x the edges).
    options = NetworkOptions(top_billed=config.DEMO_TOP_BILLED)
    summary = build_from_store(store, options, out, ("parquet", "gexf"))
    return (
        f"{summary.nodes:,} people, {summary.edges:,} edges in {out} (open network.gexf in Gephi)"
    )


def _report(store: Store, out: Path) -> str:
    """The report page: the collection, its catalog in charts, the network to explore."""
    cut = NetworkOptions(top_billed=config.REPORT_TOP_BILLED, min_shared=config.REPORT_MIN_SHARED)
    summary = build_report(store, out, cut)
    return f"{summary.path} (open it in a browser; {summary.nodes:,} people in its network)"


def _fresh_store(data_dir: Path) -> None:
    """A demo starts from an empty store; it never touches a store it did not make."""
    path = data_dir / config.STORE_FILE
    if not path.exists():
        return
    store = Store(path)
    is_demo = store.get_meta(DEMO_MARK) is not None
    store.close()
    if not is_demo:
        raise ConfigError(
            f"{data_dir} holds a collection that is not a demo's: choose another --data-dir"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
