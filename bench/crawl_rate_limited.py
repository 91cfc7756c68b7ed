"""How much of a rate limit `crawl movies` uses by default, and how often it runs into it.

For each limit (--limits, default 40 and 50 requests/s) a simulator with `--rate-limit L` (one
process: the limit is exact), once sending Retry-After with its 429s and once not
(`--no-retry-after`, as TMDb's CDN sometimes does), each a fresh server. Against each,
`tmdb-collector crawl movies --ids-file F --json` with no `--rate` (the default: `auto`) in a
child process (TMDB_API_KEY=x). With `--old-src DIR` (a checkout's `src`, e.g. of main) each
case is run a second time with PYTHONPATH=DIR, the old code with its own defaults, the two
sides interleaved (their order alternating from case to case). The ids file is written
beforehand from the simulator's export, so the crawl downloads nothing but documents.

Counted by the simulator (`/__sim/stats`, read before and after the crawl, and every --every
seconds for the timeline; the benchmark's own stats requests are taken out): accepted = API
answers other than 429 (200s and the export's 404 ids; not the crawler's access check), as a
share of the limit over the crawl's fetch time (the `seconds` of its JSON summary: target at
least 97%) and in steady state, from 20 s after its first accepted answer to the last reading
(target at least 98%); the 429 share = 429s / all API requests (target at most 0.5%). Bounded:
the crawler is interrupted (SIGINT: it saves and reports) after --seconds (the issue's runs:
600), and has more ids than it can fetch by then.

    .venv/bin/python bench/crawl_rate_limited.py [--limits 40,50] [--seconds 600] \
        [--old-src ../main-checkout/src]
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
STEADY_TARGET = 0.98
STEADY_AFTER_S = 20.0
PREFLIGHT = 1  # the crawler's access check (GET /3/configuration), before it plans: not
# part of the fetch phase, taken out of the counts
THROTTLED_TARGET = 0.005


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


def crawl(sim: SimulatorProcess, args: argparse.Namespace, old_src: str | None) -> dict[str, Any]:
    """One crawl against `sim` (the old code's, from `old_src`, when given); its JSON
    summary, the simulator's counts and a timeline."""
    ids = export_ids(sim)
    with tempfile.TemporaryDirectory(prefix="bench-rate-") as tmp:
        work = Path(tmp)
        ids_file = work / "ids.txt"
        ids_file.write_text("".join(f"{i}\n" for i in ids))
        cmd = crawl_command(
            sim,
            ids_file,
            str(work / "data"),
            "--json",
        )
        env = crawler_env() | ({"PYTHONPATH": old_src} if old_src else {})
        time.sleep(0.5)  # a streamed answer (the export) may be counted after its last byte
        counts = Counts(sim)
        timeline: list[tuple[float, Counter[str]]] = []
        with (work / "out").open("w+") as out, (work / "err").open("w+") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=work)
            deadline = time.monotonic() + args.seconds
            stopped = False
            try:
                while True:
                    try:
                        proc.wait(timeout=max(0.0, min(args.every, deadline - time.monotonic())))
                        break
                    except subprocess.TimeoutExpired:
                        timeline.append((time.monotonic(), counts.since_start()))
                    if time.monotonic() >= deadline:
                        stopped = True
                        stop(proc)
                        break
            finally:
                if proc.poll() is None:  # this script failed or was interrupted
                    proc.kill()
                    proc.wait()
            total = counts.since_start()
            timeline.append((time.monotonic(), total.copy()))
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


def steady(timeline: list[tuple[float, Counter[str]]]) -> tuple[float, float]:
    """Accepted answers/s from STEADY_AFTER_S after the first accepted answer to the last
    reading, and the seconds that covers."""
    timeline = timeline[:-1]  # the last reading comes after the crawler's shutdown
    first = next((t for t, c in timeline if accepted(c) > PREFLIGHT), None)
    if first is None:
        return 0.0, 0.0
    window = [(t, c) for t, c in timeline if t >= first + STEADY_AFTER_S]
    if len(window) < 2:
        return 0.0, 0.0
    (t0, c0), (t1, c1) = window[0], window[-1]
    return (accepted(c1) - accepted(c0)) / (t1 - t0), t1 - t0


def report(label: str, result: dict[str, Any], limit: float, every: float) -> dict[str, float]:
    """Print one crawl's figures; returns its shares."""
    s, counts = result["summary"], result["counts"]
    ok = accepted(counts)
    throttled = counts["429"]
    share = ok / s["seconds"] / limit
    throttled_share = throttled / max(1, ok + throttled)
    steady_rate, steady_s = steady(result["timeline"])
    print(f"{label}:")
    print(
        f"  crawler: {s['done']:,} ids in {s['seconds']:.1f} s (ok {s['ok']:,}, gone "
        f"{s['gone']:,}, failed {s['failed']:,}), {s['requests']:,} requests, "
        f"{s['throttled']:,} 429s, rate found {s.get('rate_found', '-')}, outcome {s['outcome']}"
        + (" (stopped after --seconds)" if result["stopped"] else "")
    )
    print(
        f"  server:  {ok:,} accepted + {throttled:,} 429s; overall {share:.1%} of {limit:g} "
        f"({mark(share >= ACCEPTED_TARGET)} {ACCEPTED_TARGET:.0%}); steady "
        f"{steady_rate / limit:.1%} over {steady_s:.0f} s "
        f"({mark(steady_rate / limit >= STEADY_TARGET)} {STEADY_TARGET:.0%}); "
        f"429 share {throttled_share:.2%} "
        f"({mark(throttled_share <= THROTTLED_TARGET)} {THROTTLED_TARGET:.1%})"
    )
    windows, previous, last = [], Counter[str](), None
    for when, reading in result["timeline"]:
        if last is not None and when - last < every / 2:
            continue
        delta = reading - previous
        windows.append(f"{accepted(delta) / every:.1f}/{delta['429']}")
        previous, last = reading, when
    if windows:
        print(f"  every {every:g} s, accepted req/s / 429s: {' '.join(windows)}")
    return {"overall": share, "steady": steady_rate / limit, "429": throttled_share}


def mark(met: bool) -> str:
    return "target met:" if met else "target NOT met:"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limits", default="40,50", help="the simulator's req/s, each a case")
    parser.add_argument("--seconds", type=float, default=120.0, help="seconds per crawl")
    parser.add_argument("--every", type=float, default=2.0, help="timeline step, seconds")
    parser.add_argument("--old-src", help="a checkout's src dir: run its code too (A/B)")
    args = parser.parse_args()
    limits = [float(x) for x in args.limits.split(",")]
    sides = [("new", None)] + ([("old", args.old_src)] if args.old_src else [])
    table = []
    case = 0
    for limit in limits:
        args.movies = int(limit * 1.3 * (args.seconds + 10))  # more than it can fetch in time
        for label, flag in (
            ("Retry-After", "--retry-after"),
            ("no Retry-After", "--no-retry-after"),
        ):
            order = sides if case % 2 == 0 else sides[::-1]
            case += 1
            for side, src in order:
                server = ("--movies", str(args.movies), "--rate-limit", f"{limit:g}", flag)
                with SimulatorProcess(*server) as sim:
                    result = crawl(sim, args, src)
                name = f"{side}: limit {limit:g}, {label}"
                table.append((name, report(name, result, limit, args.every)))
    print("\nsummary (overall / steady / 429 share):")
    for name, f in table:
        print(f"  {name:<32} {f['overall']:.1%} / {f['steady']:.1%} / {f['429']:.2%}")


if __name__ == "__main__":
    main()
