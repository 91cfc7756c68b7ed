"""How many typical movie documents a second the simulator serves on this machine.

Starts `tmdb-collector simulate` (no faults, no rate limit) in a child process, then fetches
`/movie/{id}?append_to_response=credits,keywords,external_ids` for distinct ids taken from its
export, as a crawl does (each document once, gzip), with a pool of keep-alive connections.
Bounded: stops after --seconds or --max-requests, whichever comes first.

    python bench/simulator_throughput.py [--movies 200000] [--rounds 3] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import time
from pathlib import Path

import aiohttp

from common import export_ids
from tmdb_collector.simulator.process import SimulatorProcess

APPEND = "credits,keywords,external_ids"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children still running (Linux /proc)."""
    pids = [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    total = 0
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


async def fetch_all(api: str, ids: list[int], concurrency: int, seconds: float) -> dict[str, float]:
    queue = iter(ids)
    deadline = time.perf_counter() + seconds
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    size = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal size
        for movie_id in queue:
            if time.perf_counter() > deadline:
                return
            t0 = time.perf_counter()
            async with session.get(f"{api}/movie/{movie_id}?append_to_response={APPEND}") as r:
                body = await r.read()
            latencies.append(time.perf_counter() - t0)
            statuses[r.status] = statuses.get(r.status, 0) + 1
            size += len(body)

    connector = aiohttp.TCPConnector(limit=concurrency)
    headers = {"Accept-Encoding": "gzip"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    done = sum(statuses.values())
    return {
        "requests": done,
        "seconds": elapsed,
        "req_per_s": done / elapsed,
        "ok_share": statuses.get(200, 0) / max(1, done),
        "median_ms": statistics.median(latencies) * 1000,
        "mean_body_kb": size / max(1, done) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="per round")
    parser.add_argument("--max-requests", type=int, default=30_000, help="per round")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="per side")
    parser.add_argument("--workers", default="1,2", help="simulator processes, one side each")
    args = parser.parse_args()
    sides = [int(w) for w in args.workers.split(",")]
    sims = [SimulatorProcess("--movies", str(args.movies), "--workers", str(w)) for w in sides]
    with contextlib.ExitStack() as stack:
        for sim in sims:
            stack.enter_context(sim)
        ids = export_ids(sims[0])
        rates: dict[int, list[float]] = {w: [] for w in sides}
        # Sides interleaved (A B A B ...): the host's speed drifts, so compare within a run.
        for r in range(args.rounds):
            for workers, sim in zip(sides, sims, strict=True):
                offset = (r * len(sides) + len(rates[workers])) * args.max_requests % len(ids)
                chunk = (ids[offset:] + ids[:offset])[: args.max_requests]
                result = one_round(sim, chunk, args)
                rates[workers].append(result["req_per_s"])
                print(f"workers={workers} round {r + 1}: {describe(result)}")
    summary = ", ".join(f"{w} worker(s) {statistics.median(v):.0f} req/s" for w, v in rates.items())
    print(f"simulator, median of {args.rounds} rounds: {summary} (movie documents with {APPEND},")
    print("each id once, gzip, an aiohttp client on the same 2 cores)")


def one_round(sim: SimulatorProcess, ids: list[int], args: argparse.Namespace) -> dict[str, float]:
    assert sim.proc is not None
    cpu_before = cpu_seconds(sim.proc.pid)
    result = asyncio.run(fetch_all(sim.api_url, ids, args.concurrency, args.seconds))
    result["server_cpu_us"] = (cpu_seconds(sim.proc.pid) - cpu_before) / result["requests"] * 1e6
    return result


def describe(result: dict[str, float]) -> str:
    return (
        f"{result['requests']:.0f} requests in {result['seconds']:.1f} s = "
        f"{result['req_per_s']:.0f} req/s, 200s {result['ok_share']:.1%}, "
        f"median {result['median_ms']:.1f} ms, mean body {result['mean_body_kb']:.1f} KiB gz, "
        f"server CPU {result['server_cpu_us']:.0f} us/request"
    )


if __name__ == "__main__":
    main()
