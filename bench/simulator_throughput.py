"""How many typical movie documents a second the simulator serves on this machine.

Starts `tmdb-collector simulate` (no faults, no rate limit) in a child process, then fetches
`/movie/{id}?append_to_response=credits,keywords,external_ids` for distinct ids taken from its
export, as a crawl does (each document once, gzip), with a pool of keep-alive connections.
Bounded: stops after --seconds or --max-requests, whichever comes first.

    python bench/simulator_throughput.py [--movies 200000] [--seconds 10] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import time
import urllib.request

import aiohttp
import orjson

from tmdb_collector.simulator.process import SimulatorProcess

APPEND = "credits,keywords,external_ids"


def export_ids(sim: SimulatorProcess) -> list[int]:
    day = sim.stats()["day"]
    year, month, dom = day.split("-")
    url = f"{sim.exports_url}/movie_ids_{month}_{dom}_{year}.json.gz"
    with urllib.request.urlopen(url, timeout=120) as answer:
        lines = gzip.decompress(answer.read()).splitlines()
    return [orjson.loads(line)["id"] for line in lines]


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
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with SimulatorProcess("--movies", str(args.movies)) as sim:
        ids = export_ids(sim)[: args.max_requests * args.rounds]
        rates = []
        for r in range(args.rounds):
            chunk = ids[r * args.max_requests : (r + 1) * args.max_requests]
            result = asyncio.run(fetch_all(sim.api_url, chunk, args.concurrency, args.seconds))
            rates.append(result["req_per_s"])
            print(
                f"round {r + 1}: {result['requests']:.0f} requests in {result['seconds']:.1f} s = "
                f"{result['req_per_s']:.0f} req/s, 200s {result['ok_share']:.1%}, "
                f"median {result['median_ms']:.1f} ms, mean body {result['mean_body_kb']:.1f} KiB gz"
            )
    print(f"simulator throughput, median of {args.rounds} rounds: {statistics.median(rates):.0f} req/s "
          f"(typical movie documents with {APPEND}; target >= 2000)")


if __name__ == "__main__":
    main()
