"""The report's first part, the collection: what `status` says, and every run the store recalls.

Runs are read from the store's meta: `last_run:{kind}` (the last crawl or sync fetch of a kind,
as `status` shows it), `run:{kind}:{finished}` (each run, kept since the run history was added)
and `last_sync:{kind}` (the last sync's change-list reading).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from tmdb_collector.crawl.status import describe
from tmdb_collector.crawl.store import STATES, Store


def collection_facts(store: Store) -> dict[str, Any]:
    """Per kind: ids by state, failures by cause, export day, watermark; and the runs in time
    order, each with its requests, rate and 429s."""
    described = describe(store)
    kinds = {
        kind: {
            "ids": info["ids"],
            "states": {state: info["states"].get(state, 0) for state in STATES},
            "failed_by_cause": info["failed_by_cause"],
            "export_day": info["export_day"],
            "watermark": info["watermark"],
            "last_sync": _sync(info["last_sync"]),
        }
        for kind, info in described["kinds"].items()
    }
    return {"store": store.path.name, "kinds": kinds, "runs": runs(store)}


def runs(store: Store) -> list[dict[str, Any]]:
    """Every run the store recalls, oldest first: kind, finished (ISO, UTC), seconds,
    requests, rate (requests/s), 429s, ok, gone, failed, outcome."""
    found: dict[tuple[str, float], dict[str, Any]] = {}
    rows = store.db.execute(
        "SELECT key, value FROM meta WHERE key LIKE 'run:%' OR key LIKE 'last_run:%'"
    ).fetchall()
    for key, value in rows:
        facts = orjson.loads(value)
        kind = key.split(":")[1]
        found[(kind, float(facts["finished"]))] = _run(kind, facts)
    return [found[key] for key in sorted(found, key=lambda k: (k[1], k[0]))]


def _run(kind: str, facts: dict[str, Any]) -> dict[str, Any]:
    seconds = float(facts.get("seconds") or 0)
    requests = int(facts.get("requests") or 0)
    return {
        "kind": kind,
        "finished": _iso(facts["finished"]),
        "seconds": round(seconds, 1),
        "requests": requests,
        "rate": round(requests / seconds, 1) if seconds > 0 else None,
        "throttled": int(facts.get("throttled") or 0),
        "retries": int(facts.get("retries") or 0),
        **{state: int(facts.get(state) or 0) for state in ("ok", "gone", "failed")},
        "outcome": facts.get("outcome"),
    }


def _sync(facts: dict[str, Any] | None) -> dict[str, Any] | None:
    if facts is None:
        return None
    return {
        "finished": _iso(facts["finished"]),
        "outcome": facts.get("outcome"),
        "through": facts.get("through"),
        "days": len(facts.get("days") or ()),
        "requests": facts.get("requests"),
        "fetched": facts.get("fetched"),
        "new": facts.get("new"),
    }


def _iso(unix: float) -> str:
    return datetime.fromtimestamp(float(unix), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
