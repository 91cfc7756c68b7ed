"""`export --format duckdb|parquet` after a nightly sync: incremental (the kept tables brought
up to date by parsing only what changed) against a full rebuild (`--full`), interleaved.

The collection is `common.simulated_store`'s (the simulator's first N movies with the
crawler's default appends and every person in their credits, as a crawl leaves them), built
once and reused; a copy of it is synced for real: a simulator of the same catalog is moved one
day on and `tmdb-collector sync --until DAY` fetches that day's changes (about 8,000 documents
at a million movies). Before that, one full export makes the kept tables of the day before,
and a copy of them is put back before each incremental run, so that every run has the same
sync to catch up on. Each command runs as a child process, its peak RSS read as VmHWM.

    .venv/bin/python bench/export_incremental.py [--movies 1000000] [--rounds 2]
        [--store DIR] [--work DIR]

--store names an existing collection (it is copied, never changed); by default it is
`simulated_store`'s in --work. Prints each run's wall time, the median of each command and
the ratio incremental / full; targets at a million movies: incremental under 30 s, full
under 120 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import orjson

from common import crawler_env, peak_rss_kb, simulated_store
from tmdb_collector import config
from tmdb_collector.crawl.store import Store
from tmdb_collector.simulator.process import SimulatorProcess

FIRST_DAY = date(2026, 11, 2)  # the simulated store's export day
SEED = 7  # simulated_store's catalog
TARGETS = {"incremental": 30.0, "full": 120.0}
LIMIT_S = 1800  # any one command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--movies", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--store", type=Path, help="an existing collection, copied")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    source = args.store or simulated_store(
        args.work / f"tmdb-bench-store-{args.movies}", args.movies, SEED
    )
    data = args.work / "tmdb-bench-export-incremental"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    try:
        started = time.monotonic()
        shutil.copy2(source / config.STORE_FILE, data / config.STORE_FILE)
        print(f"store copied in {time.monotonic() - started:.0f} s: {data}", flush=True)
        seconds, _, line = export(data, "duckdb", "--full")
        print(f"kept tables of the day before built in {seconds:.0f} s: {line}", flush=True)
        base = data / "kept-before-sync.duckdb"
        shutil.copy2(data / config.OUTPUT_KEPT_FILE, base)
        changed = nightly_sync(data, args.movies)
        print(f"sync: {changed:,} documents fetched", flush=True)
        runs = interleaved(data, base, args.rounds)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    report(runs)


def nightly_sync(data: Path, movies: int) -> int:
    """Sync `data` one day on against a simulator of its catalog; documents fetched."""
    store = Store.open(data)
    store.set_meta("export_day:movie", FIRST_DAY.isoformat())  # the crawl took that export
    store.close()
    sim_args = ("--movies", str(movies), "--seed", str(SEED), "--day", FIRST_DAY.isoformat())
    with SimulatorProcess(*sim_args, api_key="x") as sim:
        day = sim.advance(1)
        command = [
            sys.executable, "-m", "tmdb_collector", "sync", "--data-dir", str(data),
            "--api-url", sim.api_url, "--exports-url", sim.exports_url, "--until", day,
            "--rate", "100000", "--json",
        ]  # fmt: skip
        done = subprocess.run(
            command, env=crawler_env(), capture_output=True, text=True, timeout=LIMIT_S,
            check=False,
        )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"sync exited {done.returncode}:\n{done.stderr[-2000:]}")
    events = [orjson.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return sum(e["requests"] for e in events if e["event"] == "summary")


Run = tuple[str, str, float, int, str]  # format, way, seconds, peak KiB, the export's line


def interleaved(data: Path, base: Path, rounds: int) -> list[Run]:
    """Each round: incremental duckdb, incremental parquet, full duckdb, full parquet (the
    kept tables of the day before put back before each incremental run)."""
    runs: list[Run] = []
    for n in range(rounds):
        for way in ("incremental", "full"):
            for fmt in ("duckdb", "parquet"):
                if way == "incremental":
                    shutil.copy2(base, data / config.OUTPUT_KEPT_FILE)
                seconds, peak, line = export(data, fmt, *(["--full"] if way == "full" else []))
                runs.append((fmt, way, seconds, peak, line))
                print(f"round {n + 1}: {way:<11} {fmt:<7} {seconds:6.1f} s "
                      f"{peak / 1024:5.0f} MB  {line}", flush=True)  # fmt: skip
    return runs


def export(data: Path, fmt: str, *extra: str) -> tuple[float, int, str]:
    """One `export` to its end: wall seconds, peak RSS (KiB), the line it printed."""
    out = data / "outputs" / ("tmdb.duckdb" if fmt == "duckdb" else "parquet")
    argv = [sys.executable, "-m", "tmdb_collector", "export", "--format", fmt, "--quiet",
            "--data-dir", str(data), "--out", str(out), *extra]  # fmt: skip
    started = time.monotonic()
    child = subprocess.Popen(
        argv, env=crawler_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = peak_rss_kb(child, limit_s=LIMIT_S)
    seconds = time.monotonic() - started
    stdout, stderr = child.communicate()
    if child.returncode != 0:
        sys.exit(f"{' '.join(argv[3:])} failed ({child.returncode}): {stderr}")
    return seconds, peak, stdout.strip()


def report(runs: list[Run]) -> None:
    print("\n| export | incremental, median (runs) | full, median (runs) | incr. / full |")
    print("|---|---|---|---|")
    for fmt in ("duckdb", "parquet"):
        medians = {}
        cells = []
        for way in ("incremental", "full"):
            times = [s for f, w, s, _, _ in runs if f == fmt and w == way]
            medians[way] = statistics.median(times)
            verdict = "within" if medians[way] < TARGETS[way] else "OVER"
            listed = ", ".join(f"{t:.1f}" for t in times)
            cells.append(f"{medians[way]:.1f} s ({listed}; {verdict} {TARGETS[way]:.0f} s)")
        ratio = medians["incremental"] / medians["full"]
        print(f"| `--format {fmt}` | {cells[0]} | {cells[1]} | {ratio:.2f} |")
    peak = max(p for *_, p, _ in runs)
    print(f"\npeak RSS of any run: {peak / 1024:.0f} MB")


if __name__ == "__main__":
    main()
