"""How many documents per second one fleet driver can receive and record (issue #13: >= 5,000,
the output of 125 IPs at 40 requests/s).

No HTTP and no workers: the chunks are what workers send back (a `Chunk` of `Outcome`s
holding the simulator's movie documents, with the crawler's default appends), pickled before
the clock starts, as Dask delivers them to the driver. Timed, per chunk, what the driver then
does on its event loop: unpickle it (Dask's deserialization) and `Pass.record` it (the store,
and the tally), then, at the end, everything committed. Docs/s = documents / that time.

Each measurement runs in a child process over a fresh store whose ids are pending, as a
crawl's plan leaves them. With --baseline-src DIR the same measurement runs with
PYTHONPATH=DIR too (another version's `src`, a checkout of main say), interleaved: A C A C ...

    .venv/bin/python bench/driver_capacity.py [--docs 30000] [--chunk 600] [--rounds 3]
        [--baseline-src ../main/src]

Prints each round (docs/s, CPU per document) and the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import orjson

TARGET = 5_000.0
SEED = 7


def chunks_of_documents(docs: int, size: int) -> list[bytes]:
    """`docs` movie documents as pickled chunks of `size` outcomes, as workers return them."""
    from tmdb_collector import config, distributed
    from tmdb_collector.crawl.scheduler import Tally
    from tmdb_collector.crawl.store import Outcome
    from tmdb_collector.simulator.catalog import Catalog
    from tmdb_collector.simulator.movies import movie_json

    catalog = Catalog(docs * 2, SEED, date(2026, 11, 2))
    appends = tuple(config.MOVIE_APPENDS.split(","))
    outcomes, i = [], 0
    while len(outcomes) < docs:
        if not catalog.movies.is_ghost(i):
            body = movie_json(catalog, i, appends)
            outcomes.append(Outcome("movie", catalog.movies.ids.id_of(i), "ok", "ok", 200, body))
        i += 1
    blobs = []
    for start in range(0, docs, size):
        part = outcomes[start : start + size]
        tally = Tally("movie", requests=len(part), ok=len(part))
        chunk = distributed.Chunk("127.0.0.2", part, tally, 15.0)
        blobs.append(pickle.dumps(chunk, protocol=5))
    return blobs


async def record_all(blobs: list[bytes], data_dir: Path) -> dict[str, Any]:
    """The timed part: every chunk unpickled and recorded by the driver's `Pass.record`."""
    from tmdb_collector import distributed
    from tmdb_collector.crawl.scheduler import Tally
    from tmdb_collector.crawl.store import Store

    store = Store.open(data_dir)
    first = pickle.loads(blobs[0])
    ids = [o.id for blob in blobs for o in pickle.loads(blob).outcomes]
    store.add("movie", ids)
    tally = Tally("movie")
    fields = {f.name for f in dataclasses.fields(distributed.Pass)}
    argv: dict[str, Any] = {"client": None, "store": store, "tally": tally}
    argv |= {"states": ("pending",), "rate": 40.0}
    cpu, started = time.process_time(), time.perf_counter()
    if "writer" in fields:  # the driver records through the store's writer thread
        from tmdb_collector import config
        from tmdb_collector.crawl.writer import Writer

        with Writer(store.path, config.FLEET_WRITER_BACKLOG, 0.0, commit_at=1) as writer:
            driver = distributed.Pass(writer=writer, **argv)
            for blob in blobs:
                driver.record(pickle.loads(blob))
                await writer.room()
    else:  # an older driver: it writes on its event loop
        driver = distributed.Pass(**argv)
        for blob in blobs:
            driver.record(pickle.loads(blob))
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    counts = store.counts()["movie"]
    store.close()
    del first
    return {"docs": len(ids), "ok": counts["ok"], "seconds": seconds, "cpu_seconds": cpu}


def child(docs: int, chunk: int) -> None:
    blobs = chunks_of_documents(docs, chunk)
    with tempfile.TemporaryDirectory(prefix="bench-driver-") as tmp:
        found = asyncio.run(record_all(blobs, Path(tmp) / "data"))
    found["chunk_bytes"] = sum(map(len, blobs)) / len(blobs)
    print(orjson.dumps(found).decode())


def measure(args: argparse.Namespace, src: str | None) -> dict[str, Any]:
    """One measurement in a child process (with PYTHONPATH=src when given)."""
    cmd = [sys.executable, __file__, "--child", "--docs", str(args.docs), "--chunk", str(args.chunk)]
    env = {"PYTHONPATH": str(Path(src).resolve())} if src else {}
    import os

    done = subprocess.run(
        cmd, capture_output=True, text=True, env=os.environ | env, timeout=args.seconds, check=False
    )
    if done.returncode != 0:
        sys.exit(f"the measurement failed ({done.returncode}):\n{done.stderr[-2000:]}")
    found: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    if found["ok"] != found["docs"]:
        sys.exit(f"only {found['ok']} of {found['docs']} documents were recorded")
    return found


def describe(found: dict[str, Any]) -> str:
    return (
        f"{found['docs']:,} docs in {found['seconds']:.2f} s = "
        f"{found['docs'] / found['seconds']:,.0f} docs/s; CPU {found['cpu_seconds']:.2f} s "
        f"({found['cpu_seconds'] / found['docs'] * 1e6:.0f} us/doc, both threads); "
        f"chunks of {found['chunk_bytes'] / 1e6:.1f} MB pickled"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=30_000, help="documents per measurement")
    parser.add_argument("--chunk", type=int, default=600, help="ids per chunk (40/s x 15 s)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per side")
    parser.add_argument("--seconds", type=float, default=300.0, help="most seconds per one")
    parser.add_argument("--baseline-src", help="side C: the driver of this src directory")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.docs, args.chunk)
        return
    rates: dict[str, list[float]] = {"A": [], "C": []}
    for r in range(1, args.rounds + 1):
        for side, src in (("A", None), ("C", args.baseline_src)):
            if side == "C" and not src:
                continue
            found = measure(args, src)
            rates[side].append(found["docs"] / found["seconds"])
            name = "A this driver:" if side == "A" else "C baseline:   "
            print(f"round {r} {name} {describe(found)}", flush=True)
    a = statistics.median(rates["A"])
    print(
        f"median of {args.rounds} rounds: {a:,.0f} docs/s recorded by one driver "
        f"(target >= {TARGET:,.0f}: {'met' if a >= TARGET else 'NOT met'}; "
        f"{a / 40:,.0f} IPs at 40 requests/s)"
    )
    if args.baseline_src:
        c = statistics.median(rates["C"])
        print(f"baseline ({args.baseline_src}) {c:,.0f} docs/s; this / baseline = {a / c:.2f}x")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"(children's CPU in all: {usage.ru_utime + usage.ru_stime:.1f} s)")


if __name__ == "__main__":
    main()
