"""`status`: what a collection holds, from its store alone (no network)."""

from __future__ import annotations

import time
from typing import Any

import orjson

from tmdb_collector.crawl.store import STATES, Store
from tmdb_collector.crawl.sync import last_sync_key, watermark_key
from tmdb_collector.progress import worker_lines
from tmdb_collector.vocab import Kind


def describe(store: Store) -> dict[str, Any]:
    """Per kind: ids by state, failed ids by last cause, the export used, the last run."""
    with store.snapshot():  # one moment's figures, while a crawl may be writing
        return {"store": str(store.path), "kinds": _kinds(store)}


def _kinds(store: Store) -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    for name, counts in sorted(store.counts().items()):
        kind = Kind(name)
        last_run = store.get_meta(f"last_run:{kind}")
        kinds[name] = {  # the plain name: orjson writes no str subclass (a Kind) as a key
            "ids": sum(counts.values()),
            "states": counts,
            "failed_by_cause": store.failures(kind),
            "export_day": store.get_meta(f"export_day:{kind}"),
            "last_run": orjson.loads(last_run) if last_run else None,
            **_sync_facts(store, kind),
        }
    return kinds


def _sync_facts(store: Store, kind: Kind) -> dict[str, Any]:
    """The kind's sync watermark (the last day whose changes it holds) and its last sync."""
    last_sync = store.get_meta(last_sync_key(kind))
    return {
        "watermark": store.get_meta(watermark_key(kind)),
        "last_sync": orjson.loads(last_sync) if last_sync else None,
    }


def render(facts: dict[str, Any]) -> str:
    """`describe`'s facts as a few lines for a person."""
    lines = [f"store: {facts['store']}"]
    if not facts["kinds"]:
        lines.append("  empty: no ids yet")
    for kind, info in facts["kinds"].items():
        states = ", ".join(f"{state} {info['states'][state]:,}" for state in STATES)
        lines.append(f"{Kind(kind).plural}: {info['ids']:,} ids ({states})")
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
                + _rate_found(run)
            )
            if run.get("notes"):
                notes = ", ".join(f"{k} {v:,}" for k, v in sorted(run["notes"].items()))
                lines.append(f"    noted: {notes}")
            for worker, line in worker_lines(run.get("workers") or {}):
                lines.append(f"    worker {worker}: {line}")
        lines += _sync_lines(info)
    return "\n".join(lines)


def _rate_found(run: dict[str, Any]) -> str:
    """The pace the run settled at; runs recorded before it was kept have none."""
    found = run.get("rate_found")
    return "" if found is None else f", rate found {found:,.1f} req/s"


def _sync_lines(info: dict[str, Any]) -> list[str]:
    if not info.get("watermark"):
        return []
    lines = [f"  synced through {info['watermark']}"]
    last = info.get("last_sync")
    if last:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last["finished"]))
        days = f"{last['days'][0]}..{last['days'][-1]}" if last["days"] else "no day"
        lines[0] += (
            f"; last sync {when}: {last['outcome']}, read {days} ({last['requests']:,} "
            f"change-list requests), {last['fetched']:,} ids fetched again ({last['new']:,} new)"
        )
        if last.get("reconciled"):
            found = last["reconciled"]
            lines.append(
                f"  reconciled with {found['export']}: {found['new']:,} new, "
                f"{found['vanished']:,} no longer listed (marked gone)"
            )
        if last.get("stopped"):
            lines.append(f"  stopped: {last['stopped']}")
    return lines
