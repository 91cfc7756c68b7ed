"""What a `sync` costs: requests and wall time for 1 and 7 days of changes, 100,000 movies.

A collection of a 100,000-movie simulated catalog (its movies with the crawler's default
appends and every person in their credits, as `crawl movies` + `crawl people` leave it) is
built once without HTTP (`common.simulated_store`) and copied for each run. Each run starts a
simulator of the same catalog (no faults, no rate limit), moves its clock on by the run's
days, and times `tmdb-collector sync --until DAY --rate 100000 --json` in a child process.
The simulator's counters give the requests made; the sync's JSON summaries give the change-list
requests, the ids listed and those outside the collection. Runs:

- 1 day: the first sync, one day after the crawl's export;
- 7 days: the first sync, seven days after it;
- next day: a second sync one day after the 1-day run (the steady nightly case, which reads
  the previous run's last day again: the overlap).

The runs are interleaved (1 day, 7 days, 1 day, 7 days, ...) and medians are quoted.

    .venv/bin/python bench/sync_cost.py [--movies 100000] [--rounds 3] [--work DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from common import crawler_env, simulated_store
from tmdb_collector import config
from tmdb_collector.crawl.store import Store
from tmdb_collector.simulator.process import SimulatorProcess

FIRST_DAY = date(2026, 11, 2)  # the catalog's first day: the crawl's export day
SEED = 7  # simulated_store's catalog
TIMEOUT_S = 900


def sync_run(sim: SimulatorProcess, data_dir: Path, until: date) -> dict[str, Any]:
    """One `sync` to `until`: wall time, requests the simulator answered, the summaries."""
    before = sim.stats()["requests"]
    cmd = [
        sys.executable, "-m", "tmdb_collector", "sync", "--data-dir", str(data_dir),
        "--api-url", sim.api_url, "--exports-url", sim.exports_url, "--until", until.isoformat(),
        "--rate", "100000", "--json",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(
        cmd, env=crawler_env(), capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"sync exited {done.returncode}:\n{done.stderr[-2000:]}")
    events = [orjson.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    summaries = [e for e in events if e["event"] == "summary"]
    credited = sum(e["credited"] for e in events if e["event"] == "synced")
    return {
        "seconds": wall,
        "requests": sim.stats()["requests"] - before - 1,  # less this script's own stats call
        "pages": sum(s["change-list requests"] for s in summaries),
        "listed": sum(s["ids read"] for s in summaries),
        "outside": sum(s.get("changed ids outside the collection", 0) for s in summaries),
        "fetched": sum(s["requests"] for s in summaries),
        "credited": credited,
        "sync_seconds": sum(s["seconds"] for s in summaries),
    }


def fresh_copy(source: Path, work: Path, name: str) -> Path:
    target = work / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copy2(source / config.STORE_FILE, target / config.STORE_FILE)
    return target


def scenario(base: Path, work: Path, movies: int, days: int, then: int = 0) -> list[Any]:
    """Sync a copy of the collection `days` after its export (then, if `then`, `then` days
    later again); the figures of each sync."""
    data = fresh_copy(base, work, f"sync-{days}")
    args = ("--movies", str(movies), "--seed", str(SEED), "--day", FIRST_DAY.isoformat())
    found = []
    with SimulatorProcess(*args, api_key="x") as sim:
        for step in (days, then) if then else (days,):
            day = date.fromisoformat(sim.advance(step))
            found.append(sync_run(sim, data, day))
    return found


def build_base(work: Path, movies: int) -> Path:
    started = time.perf_counter()
    base = simulated_store(work / "base", movies, SEED)
    store = Store.open(base)
    store.set_meta("export_day:movie", FIRST_DAY.isoformat())  # the crawl took that export
    counts = store.counts()
    store.close()
    print(
        f"collection: {counts['movie']['ok']:,} movies, {counts['person']['ok']:,} people "
        f"(built or reused in {time.perf_counter() - started:.0f} s)"
    )
    return base


def row(name: str, runs: list[dict[str, Any]]) -> str:
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    basis = med["listed"] + med["credited"] + med["pages"]
    times = ", ".join(f"{r['seconds']:.1f}" for r in runs)
    return (
        f"| {name} | {med['pages']:,.0f} | {med['listed']:,.0f} | {med['outside']:,.0f} | "
        f"{med['credited']:,.0f} | {med['requests']:,.0f} | {med['requests'] / basis:.3f} | "
        f"{med['seconds']:.1f} s ({times}) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-sync")
    options = parser.parse_args()
    if FIRST_DAY + timedelta(days=8) > date.today():
        sys.exit("the simulated days must be in the past: run it after 2026-11-10")
    base = build_base(options.work, options.movies)
    one: list[dict[str, Any]] = []
    seven: list[dict[str, Any]] = []
    nightly: list[dict[str, Any]] = []
    for _ in range(options.rounds):  # interleaved: the host's speed drifts
        first, second = scenario(base, options.work, options.movies, 1, then=1)
        one.append(first)
        nightly.append(second)
        seven.extend(scenario(base, options.work, options.movies, 7))
    print(
        "\n| sync | change-list requests | ids listed (in the collection) | changed ids outside "
        "| people newly credited | requests in all | requests / (listed + credited + pages) "
        "| wall time, median (runs) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, runs in (("1 day", one), ("7 days", seven), ("next day (overlap)", nightly)):
        print(row(name, runs))
    print("\nrequests in all = change-list requests + one per id fetched + 1 access check")


if __name__ == "__main__":
    main()
