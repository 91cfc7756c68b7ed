"""`demo`: the whole job end to end against the built-in simulator, in a few minutes."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from tmdb_collector import config
from tmdb_collector.client.protocol import Credentials, parse_appends
from tmdb_collector.crawl import jobs
from tmdb_collector.crawl.store import Store
from tmdb_collector.errors import ConfigError
from tmdb_collector.export import outputs, tables
from tmdb_collector.network import NetworkOptions, build_network
from tmdb_collector.progress import Reporter
from tmdb_collector.report import build_report
from tmdb_collector.simulator.process import SimulatorProcess

DEMO_MARK = "demo"


def run_demo(
    data_dir: Path, movies: int, reporter: Reporter, echo: Callable[[str], None] = print
) -> int:
    """Start a simulator (flaky faults, a per-IP rate limit, a key), crawl its movies and
    their people into `data_dir`, and say where everything went. Returns an exit code."""
    _fresh_store(data_dir)
    key = secrets.token_hex(16)  # a throwaway key: the simulator checks it like TMDb would
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
        options = jobs.CrawlOptions(
            data_dir=data_dir,
            credentials=Credentials(token=key),
            api_url=sim.api_url,
            exports_url=sim.exports_url,
            rate=config.DEMO_RATE,
            appends=parse_appends(config.MOVIE_APPENDS),
        )
        store = Store.open(data_dir)
        store.set_meta(DEMO_MARK, "1")
        day = sim.today()
        plan = jobs.plan_movies(store, options, day=day)
        movies_tally, outcome = jobs.run(store, "movie", options, reporter)
        reporter.summary(movies_tally, outcome, plan.as_dict())
        if outcome != "done":
            return 130
        people_options = jobs.CrawlOptions(**{**options.__dict__, "appends": ()})
        plan = jobs.plan_people(store, people_options)
        people_tally, outcome = jobs.run(store, "person", people_options, reporter)
        reporter.summary(people_tally, outcome, plan.as_dict())
        if outcome != "done":
            return 130
    echo(f"\nstore: {store.path}  (inspect it with: tmdb-collector status --data-dir {data_dir})")
    for format_ in ("parquet", "duckdb"):
        request = outputs.ExportRequest.check(format_, data_dir)
        echo(f"{format_}: {outputs.export(store, request)}")
    echo(f"network: {_network(store, data_dir / config.OUTPUT_DIR / config.NETWORK_DIR)}")
    echo(f"report: {_report(store, data_dir / config.OUTPUT_DIR / config.REPORT_FILE)}")
    failed = sum(counts["failed"] for counts in store.counts().values())
    return 1 if failed else 0


def _network(store: Store, out: Path) -> str:
    """The actor network of the demo's collection, for Gephi (GEXF) and for code (Parquet)."""
    with outputs.scratch_dir(out, "network") as scratch:
        con = tables.connect(scratch / "tables.duckdb")
        # Top-billed cast only: a graph Gephi opens in seconds (all cast: ~100x the edges).
        options = NetworkOptions(top_billed=config.DEMO_TOP_BILLED)
        tables.build(store, con, only=options.tables)
        summary = build_network(con, options, out, ("parquet", "gexf"))
        con.close()
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
