"""`status`: what a collection holds, from its store alone (no network)."""

from __future__ import annotations

import time
from typing import Any

import orjson

from tmdb_collector.crawl.store import STATES, Store
from tmdb_collector.progress import worker_lines


def describe(store: Store) -> dict[str, Any]:
    """Per kind: ids by state, failed ids by last cause, the export used, the last run."""
    kinds: dict[str, Any] = {}
    for kind, counts in sorted(store.counts().items()):
        last_run = store.get_meta(f"last_run:{kind}")
        kinds[kind] = {
            "ids": sum(counts.values()),
            "states": counts,
            "failed_by_cause": store.failures(kind),
            "export_day": store.get_meta(f"export_day:{kind}"),
            "last_run": orjson.loads(last_run) if last_run else None,
        }
    return {"store": str(store.path), "kinds": kinds}


def render(facts: dict[str, Any]) -> str:
    """`describe`'s facts as a few lines for a person."""
    lines = [f"store: {facts['store']}"]
    if not facts["kinds"]:
        lines.append("  empty: no ids yet")
    for kind, info in facts["kinds"].items():
        states = ", ".join(f"{state} {info['states'][state]:,}" for state in STATES)
        lines.append(f"{kind}s: {info['ids']:,} ids ({states})")
        if info["export_day"]:
            lines.append(f"  from the export of {info['export_day']}")
        if info["failed_by_cause"]:
            causes = ", ".join(f"{k} {v:,}" for k, v in sorted(info["failed_by_cause"].items()))
            lines.append(f"  failed by cause: {causes}")
        run = info["last_run"]
        if run:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run["finished"]))
            lines.append(
                f"  last run {when}: {run['outcome']}, {run['requests']:,} requests in "
                f"{run['seconds']:,.0f} s ({run['ok']:,} ok, {run['gone']:,} gone, "
                f"{run['failed']:,} failed, {run['retries']:,} retried, {run['throttled']:,} 429s)"
            )
            for worker, line in worker_lines(run.get("workers") or {}):
                lines.append(f"    worker {worker}: {line}")
    return "\n".join(lines)
