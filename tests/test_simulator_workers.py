"""`simulate --workers N`: several processes on one port behave as one simulator."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from typing import Any

from tmdb_collector.simulator.process import SimulatorProcess


def get(sim: SimulatorProcess, path: str) -> tuple[int, Any]:
    host, port = sim.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)  # a new connection each time
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        conn.close()


def test_workers_share_the_day_clock_and_add_up_their_counters(
    start_sim: Callable[..., SimulatorProcess],
) -> None:
    sim = start_sim("--movies", "500", "--workers", "2")
    before = [get(sim, "/3/movie/latest") for _ in range(20)]
    assert {status for status, _ in before} == {200}
    assert len({doc["id"] for _, doc in before}) == 1  # every worker serves the same catalog
    sim.advance(2)
    # New connections land on either worker; every one of them must see the new day.
    after = [get(sim, "/3/movie/changes") for _ in range(20)]
    assert len({json.dumps(doc, sort_keys=True) for _, doc in after}) == 1
    assert after[0][1]["total_results"] > 0
    assert {get(sim, "/__sim/stats")[1]["day"] for _ in range(10)} == {sim.stats()["day"]}
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:  # counters are published every 0.1 s
        counts = sim.stats()["by_status"]
        if counts.get("200", 0) >= 40:
            break
        time.sleep(0.05)
    assert counts["200"] >= 40, counts
