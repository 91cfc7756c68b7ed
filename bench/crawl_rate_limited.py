"""How much of a rate limit `crawl movies` uses, and how often it runs into it.

A simulator with `--rate-limit 40` (one process: the limit is exact), once sending Retry-After
with its 429s and once not (`--no-retry-after`, as TMDb's CDN sometimes does), each a fresh
server. Against each, `tmdb-collector crawl movies --ids-file F --limit N --rate 60 --json` in a
child process (TMDB_API_KEY=x): its ceiling is above the limit, so the governor has to learn the
limit from the 429s. The ids file is written beforehand from the simulator's export, so the
crawl downloads nothing but documents.

Counted by the simulator (`/__sim/stats`, read before and after the crawl, and every
--every seconds for the timeline; the benchmark's own stats requests are taken out):
accepted = API answers other than 429 (200s and the export's 404 ids; not the crawler's
access check, made before it plans), over the crawl's fetch time (the `seconds` of its JSON
summary), as a share of the limit (target: at least 97%); the 429 share = 429s / all API
requests (target: at most 1%). Bounded: --ids ids, and the crawler is interrupted (SIGINT: it
saves and reports) after --seconds. The timeline counts from the crawler's start (its
interpreter start-up, access check and planning fall in the first step).

    .venv/bin/python bench/crawl_rate_limited.py [--limit 40] [--rate 60] [--ids 10000]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from common import crawl_command, crawler_env, export_ids
from tmdb_collector.simulator.process import SimulatorProcess

ACCEPTED_TARGET = 0.97
PREFLIGHT = 1  # the crawler's access check (GET /3/configuration), before it plans: not
# part of the fetch phase, taken out of the counts
THROTTLED_TARGET = 0.01


class Counts:
    """The simulator's counters by status, minus the benchmark's own stats requests (each
    is counted after it is answered, so it shows up in the next reading)."""

    def __init__(self, sim: SimulatorProcess) -> None:
        self.sim = sim
        self.readings = 0
        self.base = self._read()

    def _read(self) -> Counter[str]:
        counts = Counter(self.sim.stats()["by_status"])
        counts["200"] -= self.readings
        self.readings += 1
        return counts

    def since_start(self) -> Counter[str]:
        now = self._read()
        now.subtract(self.base)
        return now


def accepted(counts: Counter[str]) -> int:
    return sum(n for status, n in counts.items() if status != "429")


def crawl(sim: SimulatorProcess, args: argparse.Namespace) -> dict[str, Any]:
    """One crawl against `sim`; its JSON summary, the simulator's counts and a timeline."""
    ids = export_ids(sim)
    with tempfile.TemporaryDirectory(prefix="bench-rate-") as tmp:
        work = Path(tmp)
        ids_file = work / "ids.txt"
        ids_file.write_text("".join(f"{i}\n" for i in ids))
        cmd = crawl_command(
            sim,
            ids_file,
            str(work / "data"),
            "--limit",
            str(args.ids),
            "--rate",
            str(args.rate),
            "--json",
        )
        time.sleep(0.5)  # a streamed answer (the export) may be counted after its last byte
        counts = Counts(sim)
        timeline: list[Counter[str]] = []
        with (work / "out").open("w+") as out, (work / "err").open("w+") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=crawler_env(), cwd=work)
            deadline = time.monotonic() + args.seconds
            stopped = False
            try:
                while True:
                    try:
                        proc.wait(timeout=max(0.0, min(args.every, deadline - time.monotonic())))
                        break
                    except subprocess.TimeoutExpired:
                        timeline.append(counts.since_start())
                    if time.monotonic() >= deadline:
                        stopped = True
                        stop(proc)
                        break
            finally:
                if proc.poll() is None:  # this script failed or was interrupted
                    proc.kill()
                    proc.wait()
            total = counts.since_start()
            total["200"] -= PREFLIGHT
            out.seek(0)
            err.seek(0)
            events = [orjson.loads(line) for line in out if line.startswith("{")]
            summary = next((e for e in events if e.get("event") == "summary"), None)
            if summary is None:
                sys.exit(
                    f"crawler exited {proc.returncode} without a summary:\n{err.read()[-2000:]}"
                )
    return {"summary": summary, "counts": total, "timeline": timeline, "stopped": stopped}


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Interrupt the crawler (it saves and prints its summary); kill it if it hangs."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def report(label: str, result: dict[str, Any], args: argparse.Namespace) -> None:
    s, counts = result["summary"], result["counts"]
    ok = accepted(counts)
    throttled = counts["429"]
    share = ok / s["seconds"] / args.limit
    throttled_share = throttled / max(1, ok + throttled)
    print(f"{label}:")
    print(
        f"  crawler: {s['done']:,} ids in {s['seconds']:.1f} s (ok {s['ok']:,}, gone "
        f"{s['gone']:,}, failed {s['failed']:,}), {s['requests']:,} requests, "
        f"{s['throttled']:,} 429s, outcome {s['outcome']}"
        + (" (stopped after --seconds)" if result["stopped"] else "")
    )
    print(
        f"  server:  {ok:,} accepted + {throttled:,} 429s; accepted "
        f"{ok / s['seconds']:.2f} req/s = {share:.1%} of {args.limit:g} "
        f"(target >= {ACCEPTED_TARGET:.0%}: {'met' if share >= ACCEPTED_TARGET else 'NOT met'}); "
        f"429 share {throttled_share:.2%} "
        f"(target <= {THROTTLED_TARGET:.0%}: "
        f"{'met' if throttled_share <= THROTTLED_TARGET else 'NOT met'})"
    )
    if ok + throttled != s["requests"]:
        print(
            f"  note: the server counted {ok + throttled:,} requests, the crawler {s['requests']:,}"
        )
    windows, previous = [], Counter[str]()
    for reading in result["timeline"]:
        delta = reading - previous
        windows.append(f"{accepted(delta) / args.every:.1f}/{delta['429']}")
        previous = reading
    if windows:
        print(f"  every {args.every:g} s, accepted req/s / 429s: {' '.join(windows)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=40.0, help="the simulator's req/s")
    parser.add_argument("--rate", type=float, default=60.0, help="the crawler's ceiling")
    parser.add_argument("--ids", type=int, default=10_000, help="ids to crawl (--limit N)")
    parser.add_argument("--seconds", type=float, default=330.0, help="most seconds per crawl")
    parser.add_argument("--movies", type=int, default=20_000, help="simulator catalog size")
    parser.add_argument("--every", type=float, default=10.0, help="timeline step, seconds")
    args = parser.parse_args()
    if args.ids > args.movies:
        parser.error("--movies must be at least --ids")

    for label, flag in (
        ("Retry-After sent", "--retry-after"),
        ("no Retry-After", "--no-retry-after"),
    ):
        server = ("--movies", str(args.movies), "--rate-limit", f"{args.limit:g}", flag)
        with SimulatorProcess(*server) as sim:
            result = crawl(sim, args)
        report(
            f"{label} (simulator --rate-limit {args.limit:g}, crawler --rate {args.rate:g})",
            result,
            args,
        )


if __name__ == "__main__":
    main()
