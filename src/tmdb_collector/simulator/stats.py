"""Request counters: each process counts its own; /__sim/stats adds up every process's."""

from __future__ import annotations

import time
from collections import Counter, defaultdict, deque
from typing import Any


class Stats:
    """Requests counted by outcome (HTTP status or fault kind), overall and per client IP."""

    def __init__(self) -> None:
        self.started = time.time()
        self.by_ip: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.changes = 0  # a worker publishes its snapshot only when this has moved
        self.window: defaultdict[str, deque[float]] = defaultdict(deque)  # last second's
        self.peak: Counter[str] = Counter()  # most API requests from an IP in any 1 s

    def arrived(self, ip: str, now: float) -> None:
        """An API request from `ip` arrived at `now` (seconds, monotonic): keeps the peak."""
        window = self.window[ip]
        window.append(now)
        while now - window[0] >= 1.0:
            window.popleft()
        self.peak[ip] = max(self.peak[ip], len(window))

    def count(self, ip: str, outcome: int | str) -> None:
        """Count one request from `ip` that ended in `outcome`."""
        self.by_ip[ip][str(outcome)] += 1
        self.changes += 1

    def snapshot(self) -> dict[str, Any]:
        """This process's counters, as plain JSON-ready values."""
        return {
            "uptime_s": round(time.time() - self.started, 3),
            "by_ip": {ip: dict(c) for ip, c in self.by_ip.items()},
            "peak_per_s": dict(self.peak),
        }


def stats_document(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    """The /__sim/stats body: several processes' counters added up, in total and per IP."""
    by_ip: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for snapshot in snapshots:
        for ip, counts in snapshot["by_ip"].items():
            by_ip[ip].update(counts)
    by_status: Counter[str] = sum(by_ip.values(), Counter())
    peaks: Counter[str] = Counter()
    for snapshot in snapshots:
        for ip, peak in snapshot.get("peak_per_s", {}).items():
            peaks[ip] = max(peaks[ip], peak)
    return {
        "uptime_s": max(snapshot["uptime_s"] for snapshot in snapshots),
        "requests": sum(by_status.values()),
        "by_status": dict(by_status),
        "by_ip": {
            ip: {"requests": sum(c.values()), "by_status": dict(c), "peak_per_s": peaks[ip]}
            for ip, c in by_ip.items()
        },
    }
