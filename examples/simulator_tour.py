"""A short tour of the built-in TMDb simulator (what `make demo` runs until the crawler lands).

Starts `tmdb-collector simulate` on a free loopback port with a key, a rate limit and the
`flaky` fault profile, then walks through what a collector meets: the daily export, movie
and person documents with appends, errors, a change list after the day clock moves, and the
simulator's own counters.
"""

from __future__ import annotations

import gzip
import json
import time
import urllib.error
import urllib.request
from typing import Any

from tmdb_collector.simulator.process import SimulatorProcess

KEY = "demo-key"


def get(url: str, token: str | None = KEY, tries: int = 6) -> tuple[int, Any]:
    """GET with a Bearer token, retrying what a real client retries (429, 5xx, resets)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for attempt in range(tries):
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=5
            ) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as err:
            if err.code not in (429, 500, 502, 503, 504):
                return err.code, json.loads(err.read())
        except (OSError, ValueError):  # reset, truncated body, invalid JSON, timeout
            pass
        time.sleep(0.2 * 2**attempt)
    raise RuntimeError(f"gave up on {url}")


def main() -> None:
    args = ("--movies", "20000", "--rate-limit", "40", "--faults", "flaky", "--slow-seconds", "8")
    with SimulatorProcess(*args, api_key=KEY) as sim:
        print(f"simulator listening at {sim.url} (key {KEY!r}, 40 req/s per IP, flaky faults)")
        day = sim.stats()["day"]
        year, month, dom = day.split("-")
        export = f"{sim.exports_url}/movie_ids_{month}_{dom}_{year}.json.gz"
        with urllib.request.urlopen(export, timeout=60) as answer:
            lines = gzip.decompress(answer.read()).splitlines()
        print(f"\nexport {export.rsplit('/', 1)[1]}: {len(lines):,} lines; the first three:")
        for line in lines[:3]:
            print("   ", line.decode())
        ids = [json.loads(line)["id"] for line in lines[:40]]
        gone = 0
        for movie_id in ids:
            status, doc = get(f"{sim.api_url}/movie/{movie_id}?append_to_response=credits")
            gone += status == 404
            if status == 200 and doc["credits"]["cast"]:
                sample = doc
        cast, crew = sample["credits"]["cast"], sample["credits"]["crew"]
        print(f"\n{len(ids)} movies fetched, {gone} answered 404 (deleted after the export)")
        print(
            f"movie {sample['id']} {sample['title']!r} ({sample['release_date'] or 'unreleased'})"
            f": {len(cast)} cast, {len(crew)} crew; top billed {cast[0]['name']} as "
            f"{cast[0]['character']!r}"
        )
        status, person = get(
            f"{sim.api_url}/person/{cast[0]['id']}?append_to_response=movie_credits"
        )
        print(
            f"person {person['id']} {person['name']}: {len(person['movie_credits']['cast'])} "
            "movies as cast"
        )
        tv_export = f"{sim.exports_url}/tv_series_ids_{month}_{dom}_{year}.json.gz"
        with urllib.request.urlopen(tv_export, timeout=60) as answer:
            tv_ids = [
                json.loads(line)["id"] for line in gzip.decompress(answer.read()).splitlines()
            ]
        seasons = ",".join(f"season/{n}" for n in range(16))  # those a series lacks: left out
        for tv_id in tv_ids[:10]:
            appends = f"aggregate_credits,{seasons}"
            status, series = get(f"{sim.api_url}/tv/{tv_id}?append_to_response={appends}")
            if status == 200:
                break
        got = [key for key in series if key.startswith("season/")]
        episodes = sum(len(series[key]["episodes"]) for key in got)
        print(
            f"\nseries {series['id']} {series['name']!r} ({series['status']}): "
            f"{series['number_of_seasons']} season(s), {len(got)} appended with {episodes} "
            f"episodes, {len(series['aggregate_credits']['cast'])} people in its cast"
        )
        status, error = get(f"{sim.api_url}/movie/{ids[0]}", token="wrong")
        print(f"\na wrong key gets HTTP {status}: {error}")
        print(f"\nthe day clock moves to {sim.advance(1)}")
        status, changes = get(f"{sim.api_url}/movie/changes")
        deleted = sum(row["adult"] is None for row in changes["results"])
        print(
            f"/movie/changes: {changes['total_results']} ids on {changes['total_pages']} page(s),"
            f" {deleted} of the first page deleted (adult: null)"
        )
        stats = sim.stats()
        print(
            f"\nsimulator counters: {stats['requests']} requests, by outcome {stats['by_status']}"
        )
    print("\nThis product uses the TMDB API but is not endorsed or certified by TMDB.")


if __name__ == "__main__":
    main()
