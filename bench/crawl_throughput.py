"""How close `crawl movies` (fetch + decode + store) comes to a bare aiohttp + orjson loop.

One simulator (no faults, no limit, 2 worker processes) serves both sides, in one run:

- A, the crawler: `tmdb-collector crawl movies --ids-file F --data-dir D --api-url ...
  --rate 100000 --json` in a child process (TMDB_API_KEY=x, a fresh data directory each
  round). Its rate is ids done / the `seconds` of its JSON summary: the fetch phase only (the
  summary's clock starts after planning; interpreter start-up is not counted either).
- B, the bare loop: one aiohttp ClientSession (TCPConnector(limit=20), gzip), 20 tasks, GET
  `/3/movie/{id}?append_to_response=credits,keywords,external_ids`, `orjson.loads` each body,
  nothing stored; timed from opening the session to the last answer.

- C, with --baseline-src DIR: side A again, with PYTHONPATH=DIR (another version's `src`, a
  checkout of main say), to compare two versions of the crawler on the same host and minute.

Every round of every side gets ids of its own (its own slice of the export, in export order),
so no side is served documents the simulator built before; each round has the same number of
ids; the sides are interleaved (A B A B ..., or A C B A C B ...), since the host's speed
drifts. Bounded: a round stops after --seconds (the crawler by SIGINT, which saves and prints
its summary).

    .venv/bin/python bench/crawl_throughput.py [--movies 200000] [--ids 8000] [--rounds 3]
        [--baseline-src ../main/src]

Prints each round (docs/s, outcomes, CPU per document) and the medians of every side and the
ratios A/B (target: at least 85%), C/B and A/C.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from common import crawl_command, crawler_env, export_ids
from tmdb_collector.simulator.process import SimulatorProcess

APPEND = "credits,keywords,external_ids"
TARGET = 0.85


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def crawl_round(
    sim: SimulatorProcess, ids: list[int], seconds: float, src: str | None = None
) -> dict[str, Any]:
    """Side A (or C: the crawler of `src`): the real crawler over `ids`, in a child process;
    its JSON summary."""
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        work = Path(tmp)
        ids_file = work / "ids.txt"
        ids_file.write_text("".join(f"{i}\n" for i in ids))
        cmd = crawl_command(sim, ids_file, str(work / "data"), "--rate", "100000", "--json")
        env = crawler_env() | ({"PYTHONPATH": str(Path(src).resolve())} if src else {})
        cpu_before = children_cpu()
        started = time.perf_counter()
        with (work / "out").open("w+") as out, (work / "err").open("w+") as err:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=work)
            try:
                stopped = finish(proc, seconds)
            finally:
                if proc.poll() is None:  # this script failed or was interrupted
                    proc.kill()
                    proc.wait()
            wall = time.perf_counter() - started
            out.seek(0)
            err.seek(0)
            events = [orjson.loads(line) for line in out if line.startswith("{")]
            summary = next((e for e in events if e.get("event") == "summary"), None)
            if summary is None:
                sys.exit(
                    f"crawler exited {proc.returncode} without a summary:\n{err.read()[-2000:]}"
                )
        summary["process_seconds"] = wall
        summary["cpu_seconds"] = children_cpu() - cpu_before
        summary["stopped"] = stopped
        return summary


def finish(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """Wait for the crawler at most `seconds`, then interrupt it (it saves and reports);
    True if it had to be stopped."""
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return True


async def bare_loop(api: str, ids: list[int], concurrency: int, seconds: float) -> dict[str, Any]:
    """Side B: fetch and decode each id once, nothing else."""
    queue = iter(ids)
    deadline = time.perf_counter() + seconds
    statuses: dict[int, int] = {}

    async def worker(session: aiohttp.ClientSession) -> None:
        for movie_id in queue:
            if time.perf_counter() > deadline:
                return
            async with session.get(f"{api}/movie/{movie_id}?append_to_response={APPEND}") as r:
                body = await r.read()
            orjson.loads(body)
            statuses[r.status] = statuses.get(r.status, 0) + 1

    cpu_before = time.process_time()
    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Accept-Encoding": "gzip"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "done": sum(statuses.values()),
        "seconds": elapsed,
        "statuses": statuses,
        "cpu_seconds": time.process_time() - cpu_before,
    }


def describe_crawl(s: dict[str, Any]) -> str:
    done = max(1, s["done"])
    line = (
        f"{s['done']:,} ids in {s['seconds']:.2f} s = {s['done'] / s['seconds']:,.0f} docs/s "
        f"(ok {s['ok']:,}, gone {s['gone']:,}, failed {s['failed']:,}, requests "
        f"{s['requests']:,}, 429s {s['throttled']}); process {s['process_seconds']:.2f} s, "
        f"CPU {s['cpu_seconds'] / done * 1e6:.0f} us/doc (whole process, start-up included)"
    )
    if s["stopped"] or s["outcome"] != "done":
        line += f" [{s['outcome']}, stopped after --seconds]"
    return line


def describe_bare(s: dict[str, Any]) -> str:
    done = max(1, s["done"])
    codes = ", ".join(f"{code} {n:,}" for code, n in sorted(s["statuses"].items()))
    return (
        f"{s['done']:,} ids in {s['seconds']:.2f} s = {s['done'] / s['seconds']:,.0f} docs/s "
        f"({codes}); CPU {s['cpu_seconds'] / done * 1e6:.0f} us/doc"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=200_000, help="simulator catalog size")
    parser.add_argument("--ids", type=int, default=8_000, help="ids per round (each side)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side")
    parser.add_argument("--seconds", type=float, default=120.0, help="most seconds per round")
    parser.add_argument("--concurrency", type=int, default=20, help="the bare loop's")
    parser.add_argument("--baseline-src", help="side C: the crawler of this src directory")
    args = parser.parse_args()
    sides = 3 if args.baseline_src else 2
    if sides * args.rounds * args.ids > args.movies:
        parser.error(f"--movies must hold {sides} x --rounds x --ids distinct ids")

    rates: dict[str, list[float]] = {"A": [], "B": [], "C": []}
    with SimulatorProcess("--movies", str(args.movies), "--workers", "2") as sim:
        ids = export_ids(sim)
        slices = (ids[i * args.ids : (i + 1) * args.ids] for i in range(sides * args.rounds))
        for r in range(1, args.rounds + 1):
            a = crawl_round(sim, next(slices), args.seconds)
            rates["A"].append(a["done"] / a["seconds"])
            print(f"round {r} A crawler:   {describe_crawl(a)}", flush=True)
            if args.baseline_src:
                c = crawl_round(sim, next(slices), args.seconds, args.baseline_src)
                rates["C"].append(c["done"] / c["seconds"])
                print(f"round {r} C baseline:  {describe_crawl(c)}", flush=True)
            b = asyncio.run(bare_loop(sim.api_url, next(slices), args.concurrency, args.seconds))
            rates["B"].append(b["done"] / b["seconds"])
            print(f"round {r} B bare loop: {describe_bare(b)}", flush=True)

    a_median, b_median = statistics.median(rates["A"]), statistics.median(rates["B"])
    ratio = a_median / b_median
    print(
        f"median of {args.rounds} rounds, {args.ids:,} ids each: crawler {a_median:,.0f} docs/s, "
        f"bare aiohttp + orjson loop {b_median:,.0f} docs/s; crawler/bare = {ratio:.1%} "
        f"(target >= {TARGET:.0%}: {'met' if ratio >= TARGET else 'NOT met'})"
    )
    if args.baseline_src:
        c_median = statistics.median(rates["C"])
        print(
            f"baseline ({args.baseline_src}) {c_median:,.0f} docs/s: baseline/bare = "
            f"{c_median / b_median:.1%}; crawler/baseline = {a_median / c_median:.2f}x"
        )


if __name__ == "__main__":
    main()
