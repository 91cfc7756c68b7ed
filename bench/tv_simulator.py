"""What a full TV crawl asks of the simulator: requests per series, time, bytes.

Starts `tmdb-collector simulate` (no faults, no rate limit), reads its tv_series export and
fetches series as issue #16 plans: `/tv/{id}` with aggregate_credits, keywords, external_ids,
content_ratings and seasons 0 to 15 as `season/N` appends (20 items, TMDb's most; seasons a
series lacks are left out of the answer), then the seasons beyond those, 20 a request. It
prints requests per series against the one-request-per-season way (1 + seasons), the
simulator's series a second, and what a crawl of TMDb's export size would take at 40
requests/s. Bounded by --seconds and --series.

    python bench/tv_simulator.py [--movies 200000] [--seconds 20] [--series 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import time
import urllib.request
from typing import Any

import aiohttp
import orjson

from tmdb_collector import config
from tmdb_collector.simulator.process import SimulatorProcess

APPENDS = ("aggregate_credits", "keywords", "external_ids", "content_ratings")
TMDB_SERIES = 230_101
"""Lines of TMDb's tv_series export of 2026-08-28 (API.md)."""
TMDB_RATE = 40.0


def export_ids(sim: SimulatorProcess) -> list[int]:
    url = f"{sim.exports_url}/tv_series_ids_{sim.today():%m_%d_%Y}.json.gz"
    with urllib.request.urlopen(url, timeout=120) as answer:
        return [orjson.loads(line)["id"] for line in gzip.decompress(answer.read()).splitlines()]


async def crawl(api: str, ids: list[int], seconds: float, concurrency: int) -> dict[str, float]:
    queue = iter(ids)
    deadline = time.perf_counter() + seconds
    counts = {"series": 0, "requests": 0, "seasons": 0, "bytes": 0, "gone": 0}
    latencies: list[float] = []

    async def get(session: aiohttp.ClientSession, tv_id: int, items: list[str]) -> Any:
        t0 = time.perf_counter()
        async with session.get(f"{api}/tv/{tv_id}?append_to_response={','.join(items)}") as r:
            body = await r.read()
        latencies.append(time.perf_counter() - t0)
        counts["requests"] += 1
        counts["bytes"] += len(body)
        return orjson.loads(body) if r.status == 200 else None

    async def worker(session: aiohttp.ClientSession) -> None:
        for tv_id in queue:
            if time.perf_counter() > deadline:
                return
            # Seasons are asked for blind: one the series lacks is left out of the answer.
            first = [f"season/{n}" for n in range(config.MAX_APPENDS - len(APPENDS))]
            doc = await get(session, tv_id, [*APPENDS, *first])
            if doc is None:
                counts["gone"] += 1
                continue
            seasons = [f"season/{s['season_number']}" for s in doc["seasons"]]
            rest = [s for s in seasons if s not in first]
            while rest:
                await get(session, tv_id, rest[: config.MAX_APPENDS])
                rest = rest[config.MAX_APPENDS :]
            counts["series"] += 1
            counts["seasons"] += len(seasons)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers={"Accept-Encoding": "gzip"}) as s:
        started = time.perf_counter()
        await asyncio.gather(*(worker(s) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    result = {k: float(v) for k, v in counts.items()}
    result["seconds"] = elapsed
    result["median_ms"] = statistics.median(latencies) * 1000 if latencies else 0.0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--series", type=int, default=2000, help="series fetched at most")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with SimulatorProcess("--movies", str(args.movies)) as sim:
        ids = export_ids(sim)
        step = max(1, len(ids) // args.series)
        r = asyncio.run(
            crawl(sim.api_url, ids[::step][: args.series], args.seconds, args.concurrency)
        )
    series = max(1.0, r["series"])
    live_requests = r["requests"] - r["gone"]
    per_series = live_requests / series
    per_season_way = 1 + r["seasons"] / series
    print(
        f"{len(ids)} series in the export; fetched {r['series']:.0f} (+{r['gone']:.0f} gone) "
        f"in {r['seconds']:.1f} s: {r['series'] / r['seconds']:.0f} series/s, "
        f"median {r['median_ms']:.1f} ms a request, "
        f"{r['bytes'] / max(1, r['requests']) / 1024:.1f} KiB gz a request"
    )
    print(
        f"requests per series: {per_series:.3f} with season/N appends (target <= 1.1) against "
        f"{per_season_way:.2f} one request per season ({per_season_way / per_series:.1f}x); "
        f"{r['seasons'] / series:.2f} seasons a series"
    )
    hours = TMDB_SERIES * per_series / TMDB_RATE / 3600
    hours_per_season = TMDB_SERIES * per_season_way / TMDB_RATE / 3600
    print(
        f"a full TV crawl of {TMDB_SERIES:,} series at {TMDB_RATE:.0f} req/s: {hours:.1f} h "
        f"(one request per season: {hours_per_season:.1f} h)"
    )


if __name__ == "__main__":
    main()
