"""Requests per TV series: `crawl tv` (seasons appended, 20 items a request) against one request
per season, on the simulated catalog; and what a crawl of TMDb's ~200,000 series would take.

A simulator (no faults, no rate limit) serves a catalog of `--movies` movies (0.19 series per
movie, as TMDb's exports): most series one to three seasons, a few over twenty, daily shows
with over a hundred episodes a season. `crawl tv --json` runs in a child process, bounded in
time; its summary gives the requests made. The one-request-per-season way needs, for each
series, its own request plus one per season it has (counted from the stored documents: every
season stored, and each that answered 404). Both are projected to `--series` series at
`--rate` requests/s.

    .venv/bin/python bench/tv_requests.py [--movies 20000] [--series 200000] [--rate 40]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from common import crawler_env
from tmdb_collector.crawl.store import Store
from tmdb_collector.simulator.process import SimulatorProcess
from tmdb_collector.vocab import Kind

TIMEOUT_S = 1800
DAY = "2026-11-02"
TARGET = 1.1  # requests per series (issue #16)


def crawl_tv(sim: SimulatorProcess, data_dir: Path) -> tuple[dict[str, object], float]:
    """`crawl tv` to its end: its --json summary and its wall seconds."""
    cmd = [
        sys.executable, "-m", "tmdb_collector", "crawl", "tv", "--date", DAY,
        "--data-dir", str(data_dir), "--api-url", sim.api_url, "--exports-url", sim.exports_url,
        "--rate", "100000", "--json",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(
        cmd, env=crawler_env(), capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        sys.exit(f"crawl tv exited {done.returncode}:\n{done.stderr[-2000:]}")
    lines = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    return next(e for e in lines if e["event"] == "summary"), time.perf_counter() - started


def seasons_per_series(data_dir: Path) -> tuple[int, int, int]:
    """(series stored, seasons stored + seasons that answered 404, most seasons of one)."""
    store = Store.open(data_dir)
    try:
        series = seasons = most = 0
        for _, body in store.documents(Kind.TV):
            doc = orjson.loads(body)
            count = sum(k.startswith("season/") for k in doc) + len(doc.get("_missing_seasons", []))
            series, seasons, most = series + 1, seasons + count, max(most, count)
        return series, seasons, most
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--movies", type=int, default=20_000)
    parser.add_argument("--series", type=int, default=200_000, help="to project to")
    parser.add_argument("--rate", type=float, default=40.0, help="requests/s, to project at")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tmdb-bench-tv-") as work:
        with SimulatorProcess("--movies", str(args.movies), "--day", DAY) as sim:
            facts, wall = crawl_tv(sim, Path(work) / "data")
        series, seasons, most = seasons_per_series(Path(work) / "data")
    requests, gone = int(facts["requests"]), int(facts["gone"])  # type: ignore[call-overload]
    ours = requests / (series + gone)
    per_season = (series + seasons + gone) / (series + gone)
    print(f"catalog: {args.movies:,} movies, {series + gone:,} series ({gone} gone), "
          f"{seasons:,} seasons (most: {most}); crawl took {wall:.1f} s")  # fmt: skip
    print(f"crawl tv:                {requests:>8,} requests, {ours:.3f} per series "
          f"({'within' if ours <= TARGET else 'OVER'} the {TARGET} target)")  # fmt: skip
    print(f"one request per season:  {series + seasons + gone:>8,} requests, "
          f"{per_season:.3f} per series ({per_season / ours:.2f}x as many)")  # fmt: skip
    for label, rate in (("crawl tv", ours), ("one per season", per_season)):
        hours = args.series * rate / args.rate / 3600
        print(f"projected, {args.series:,} series at {args.rate:g} req/s, {label}: {hours:.1f} h")


if __name__ == "__main__":
    main()
