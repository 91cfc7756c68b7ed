"""A soak: a long crawl under the `hostile` fault profile and a per-IP rate limit, killed
with kill -9 every few minutes and started again, as an unattended machine would live it.

One simulator (`--movies` = --ids, `--faults hostile`, `--rate-limit` --limit, one process:
the limit is exact). The crawler, `tmdb-collector crawl movies --ids-file F --json`, runs in a
child process; every --kill-every seconds it gets SIGKILL and is started again, until
--minutes have passed (the last run is killed the same way). A crawl that ends by itself is
started again while ids are still pending or failed; once none is left the soak ends early.

What it reports (target in brackets):
- nothing lost: every id of the file is in the store; every `ok` id holds exactly the
  simulator's document and every `gone` one is a deleted id; `tmdb-collector verify` passes
  [all true];
- peak RSS of each crawler process (VmHWM), and the last one over the first [flat: <= 1.5x];
- the 429 share of all API requests over the whole soak [<= 1%], and the accepted share of the
  limit: answers other than 429 over (limit x crawling seconds) [high: >= 90% under faults].

    .venv/bin/python bench/soak.py                       # 20 minutes, 100,000 ids
    .venv/bin/python bench/soak.py --minutes 1 --ids 2000 --kill-every 20   # a quick check
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import zstandard

from common import crawl_command, crawler_env, export_ids
from tmdb_collector import config
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.movies import movie_json
from tmdb_collector.simulator.process import SimulatorProcess

SEED = 7
DAY = date(2026, 11, 2)
RSS_FLAT = 1.5
THROTTLED_TARGET = 0.01


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="How long the soak runs.")
    parser.add_argument("--ids", type=int, default=100_000, help="Movies in the catalog.")
    parser.add_argument("--kill-every", type=float, default=180.0, help="Seconds between kill -9s.")
    parser.add_argument("--limit", type=float, default=40.0, help="The per-IP limit (req/s).")
    parser.add_argument("--faults", default="hostile", help="The simulator's fault profile.")
    return parser.parse_args()


def running_rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0])
    except (OSError, IndexError, ValueError):
        return 0


def run_for(cmd: list[str], seconds: float, work: Path) -> tuple[str, int, float]:
    """Run `cmd` until it ends or `seconds` pass (then kill -9): how it ended, its peak RSS
    (KiB) and how long it ran."""
    began = time.monotonic()
    with (work / "crawler.log").open("a") as log:
        child = subprocess.Popen(cmd, stdout=log, stderr=log, env=crawler_env(), text=True)
        peak = 0
        while child.poll() is None and time.monotonic() - began < seconds:
            peak = max(peak, running_rss_kb(child.pid))
            time.sleep(0.2)
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
            child.wait()
            return "killed", peak, time.monotonic() - began
    return f"exit {child.returncode}", peak, time.monotonic() - began


def left_to_do(data: Path) -> int:
    """Ids still pending or failed (all of them while there is no store yet)."""
    if not (data / config.STORE_FILE).exists():
        return -1
    with sqlite3.connect(data / config.STORE_FILE) as db:
        query = "SELECT count(*) FROM records WHERE status IN ('pending', 'failed')"
        return int(db.execute(query).fetchone()[0])


def nothing_lost(data: Path, ids: list[int], movies: int) -> dict[str, Any]:
    """Every id stored; ok ones with the simulator's exact document, gone ones deleted."""
    catalog = Catalog(movies, SEED, DAY)
    appends = tuple(config.MOVIE_APPENDS.split(","))
    unpack = zstandard.ZstdDecompressor()
    states: Counter[str] = Counter()
    wrong = 0
    with sqlite3.connect(data / config.STORE_FILE) as db:
        stored = {i: (s, d) for i, s, d in db.execute("SELECT id, status, doc FROM records")}
    for id_ in ids:
        status, doc = stored.get(id_, ("missing", None))
        states[status] += 1
        index = catalog.movies.ids.index_of(id_)
        live = index is not None and catalog.movies.alive(index, 0)
        if status == "ok":
            want = orjson.loads(movie_json(catalog, index, appends)) if index is not None else None
            wrong += not live or orjson.loads(unpack.decompress(doc)) != want
        elif status == "gone":
            wrong += live
    verified = subprocess.run(
        [sys.executable, "-m", "tmdb_collector", "verify", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "states": dict(states),
        "missing ids": states["missing"],
        "wrong documents": wrong,
        "verify passes": verified.returncode == 0,
    }


def soak(args: argparse.Namespace, sim: SimulatorProcess, work: Path) -> dict[str, Any]:
    ids = export_ids(sim)
    ids_file = work / "ids.txt"
    ids_file.write_text("".join(f"{i}\n" for i in ids))
    data = work / "data"
    cmd = crawl_command(sim, ids_file, data, "--json", "--exports-url", sim.exports_url)
    before = Counter(sim.stats()["by_status"])
    ends: list[dict[str, Any]] = []
    deadline = time.monotonic() + args.minutes * 60
    crawling = 0.0
    while (remaining := deadline - time.monotonic()) > 1 and left_to_do(data) != 0:
        ended, peak, took = run_for(cmd, min(args.kill_every, remaining), work)
        crawling += took
        ends.append({"ended": ended, "peak_rss_mb": round(peak / 1024, 1), "seconds": round(took)})
        print(orjson.dumps(ends[-1] | {"left": left_to_do(data)}).decode(), flush=True)
    counts = Counter(sim.stats()["by_status"])
    counts.subtract(before)
    api = sum(counts.values())
    peaks = [e["peak_rss_mb"] for e in ends if e["peak_rss_mb"]]
    return {
        "ids": len(ids),
        "runs": ends,
        "kills": sum(e["ended"] == "killed" for e in ends),
        "crawling_seconds": round(crawling),
        "peak_rss_first_last_mb": [peaks[0], peaks[-1]] if peaks else None,
        "peak_rss_flat": bool(peaks) and peaks[-1] <= RSS_FLAT * peaks[0],
        "throttled_share": round(counts["429"] / api, 4) if api else None,
        "accepted_share_of_limit": round((api - counts["429"]) / (args.limit * crawling), 3)
        if crawling
        else None,
        "left_to_do": left_to_do(data),
        **nothing_lost(data, ids, args.ids),
    }


def main() -> None:
    args = options()
    sim_args = ["--movies", str(args.ids), "--seed", str(SEED), "--day", DAY.isoformat()]
    sim_args += ["--rate-limit", str(args.limit), "--faults", args.faults, "--slow-seconds", "2"]
    with SimulatorProcess(*sim_args) as sim, tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        found = soak(args, sim, Path(tmp))
    print(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
    lost = found["missing ids"] or found["wrong documents"] or not found["verify passes"]
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
