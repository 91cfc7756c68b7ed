"""How fast `tmdb-collector serve` answers on this machine: movie documents and searches.

Builds (once, then reuses) a store of the simulator's first --movies movies, fetched with
--store-appends (default `credits`, so that `/movie/{id}?append_to_response=credits` is
answered with the stored bytes) and the people in their credits, starts `serve` on it in a
child process on 127.0.0.1, then:

1. fetches `/3/movie/{id}?append_to_response=credits` for random stored ids with a pool of
   keep-alive connections (gzip accepted, as clients send), for --seconds or --max-requests,
   whichever comes first, --rounds times: requests/s, and the server's CPU per request;
2. sends --searches `/3/search/movie?query=WORD` one after another (words from the stored
   titles): their latency, median and 95th percentile.

It also prints how long the index took to build and the server's peak memory. Loopback only.

    python bench/serve_throughput.py [--movies 20000] [--rounds 3] [--seconds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from common import simulated_store
from tmdb_collector.crawl.store import Store
from tmdb_collector.serve.process import ServeProcess


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


async def documents(
    api: str, ids: list[int], concurrency: int, seconds: float, limit: int
) -> dict[str, float]:
    deadline = time.perf_counter() + seconds
    budget = iter(range(limit))
    statuses: dict[int, int] = {}
    rng = random.Random(1)

    async def worker(session: aiohttp.ClientSession) -> None:
        for _ in budget:
            if time.perf_counter() > deadline:
                return
            url = f"{api}/movie/{rng.choice(ids)}?append_to_response=credits"
            async with session.get(url) as answer:
                await answer.read()
            statuses[answer.status] = statuses.get(answer.status, 0) + 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    done = sum(statuses.values())
    return {"requests": done, "seconds": elapsed, "ok": statuses.get(200, 0)}


async def searches(api: str, words: list[str], count: int) -> list[float]:
    latencies = []
    async with aiohttp.ClientSession() as session:
        for word in words[:count]:
            started = time.perf_counter()
            async with session.get(f"{api}/search/movie", params={"query": word}) as answer:
                await answer.read()
                assert answer.status == 200, answer.status
            latencies.append(time.perf_counter() - started)
    return latencies


def stored_ids_and_words(data_dir: Path) -> tuple[list[int], list[str]]:
    store = Store.open(data_dir)
    try:
        ids = [row[0] for row in store.db.execute(
            "SELECT id FROM records WHERE kind = 'movie' AND status = 'ok'")]  # fmt: skip
        sample = random.Random(2).sample(ids, min(500, len(ids)))
        words = [str((store.get("movie", i) or {}).get("title", "x")).split()[-1] for i in sample]
    finally:
        store.close()
    return ids, words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=20_000, help="stored movies (default small)")
    parser.add_argument("--store-appends", default="credits")
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="per round")
    parser.add_argument("--max-requests", type=int, default=40_000, help="per round")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()

    started = time.perf_counter()
    name = f"tmdb-bench-serve-{args.movies}-{args.store_appends.replace(',', '+')}"
    data_dir = simulated_store(args.work_dir / name, args.movies, only=args.store_appends)
    print(f"store: {args.movies:,} movies ({args.store_appends}) in {data_dir}, "
          f"ready in {time.perf_counter() - started:.1f} s")  # fmt: skip
    ids, words = stored_ids_and_words(data_dir)
    with ServeProcess(data_dir) as server:
        assert server.url.startswith("http://127.0.0.1:"), server.url  # loopback only
        assert server.proc is not None
        print(server.ready_line)
        rates = []
        for n in range(1, args.rounds + 1):
            cpu = cpu_seconds(server.proc.pid)
            result = asyncio.run(
                documents(server.url, ids, args.concurrency, args.seconds, args.max_requests)
            )
            cpu = cpu_seconds(server.proc.pid) - cpu
            rate = result["requests"] / result["seconds"]
            rates.append(rate)
            print(f"round {n}: {rate:,.0f} req/s for /movie/{{id}}?append_to_response=credits "
                  f"({result['requests']:,.0f} requests, {result['ok']:,.0f} ok, server CPU "
                  f"{cpu / max(1, result['requests']) * 1e6:.0f} µs a request)")  # fmt: skip
        print(f"median: {statistics.median(rates):,.0f} req/s")
        latencies = sorted(asyncio.run(searches(server.url, words, args.searches)))
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(f"/search/movie: {len(latencies)} queries, median "
              f"{statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")  # fmt: skip
        print(f"server peak RSS: {peak_rss_mb(server.proc.pid):,.0f} MB")


if __name__ == "__main__":
    main()
