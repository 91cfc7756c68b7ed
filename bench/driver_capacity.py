"""How many documents per second one fleet driver can receive and record (issue #13: >= 5,000,
the output of 125 IPs at 40 requests/s).

No HTTP: the workers' answers are made up in advance. Each worker of a real Dask LocalCluster
(--workers processes, one thread each, as a fleet runs them) holds the simulator's movie
documents (with the crawler's default appends) and answers a chunk of ids at once with their
`Chunk`. The driver is the real one: `distributed.Pass` over a fresh store whose ids are
pending (as a crawl's plan leaves them) submits chunks of --chunk ids (40/s x 15 s: what a
fleet sends at TMDb's limit) in its usual window, receives them through Dask and records
each (store, tally), until every id is `ok`. Docs/s = documents / the pass's time.

With --in-process, no Dask: the chunks are pickled before the clock starts, and the timed
part is the driver's own work only: unpickle each (Dask's deserialization) and `Pass.record`
it, then everything committed.

Each measurement runs in a child process. With --baseline-src DIR the same measurement runs
with PYTHONPATH=DIR too (another version's `src`, a checkout of main say), interleaved:
A C A C ...

    .venv/bin/python bench/driver_capacity.py [--docs 30000] [--chunk 600] [--rounds 3]
        [--workers 2] [--in-process] [--baseline-src ../main/src]

Prints each round (docs/s, the driver's CPU per document) and the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import pickle
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


def documents(docs: int) -> dict[int, bytes]:
    """The simulator's first `docs` movies (ghosts skipped), id -> raw JSON."""
    from tmdb_collector import config
    from tmdb_collector.simulator.catalog import Catalog
    from tmdb_collector.simulator.movies import movie_json

    catalog = Catalog(docs * 2, SEED, date(2026, 11, 2))
    appends = tuple(config.MOVIE_APPENDS.split(","))
    found, i = {}, 0
    while len(found) < docs:
        if not catalog.movies.is_ghost(i):
            found[catalog.movies.ids.id_of(i)] = movie_json(catalog, i, appends)
        i += 1
    return found


def chunk_of(bodies: dict[int, bytes], ids: list[int], worker: str) -> Any:
    """What a worker sends back for `ids`: every one `ok`, with its document."""
    from tmdb_collector import distributed
    from tmdb_collector.crawl.scheduler import Tally
    from tmdb_collector.crawl.store import Outcome

    outcomes = [Outcome("movie", i, "ok", "ok", 200, bodies[i]) for i in ids]
    tally = Tally("movie", requests=len(ids), ok=len(ids))
    return distributed.Chunk(worker, outcomes, tally, 15.0)


def driver_pass(client: Any, store: Any, writer: Any, chunk: int) -> Any:
    """The driver's `Pass` over the pending movies, for this version of it (older ones wrote
    on the event loop, with no writer)."""
    from tmdb_collector import distributed
    from tmdb_collector.crawl.scheduler import Tally

    argv: dict[str, Any] = {"client": client, "store": store, "tally": Tally("movie")}
    argv |= {"states": ("pending",), "rate": 40.0, "fixed_size": chunk}
    if "writer" in {f.name for f in dataclasses.fields(distributed.Pass)}:
        argv["writer"] = writer
    return distributed.Pass(**argv)


class Recording:
    """The store the driver records into, with the writer thread where this version has one."""

    def __init__(self, data_dir: Path, ids: list[int]) -> None:
        from tmdb_collector.crawl.store import Store

        self.store = Store.open(data_dir)
        self.store.add("movie", ids)
        self.writer: Any = None
        try:
            from tmdb_collector import config
            from tmdb_collector.crawl.writer import Writer
        except ImportError:  # an older version: the driver writes on its event loop
            return
        self.writer = Writer(self.store.path, config.FLEET_WRITER_BACKLOG, 0.0, commit_at=1)
        self.writer.start()

    def finish(self) -> int:
        """Everything committed; how many documents the store holds."""
        if self.writer is not None:
            self.writer.close()
        ok = self.store.counts()["movie"]["ok"]
        self.store.close()
        return ok


async def over_dask(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    from tmdb_collector import distributed

    class MadeUpAnswers(distributed.EgressPlugin):
        """Every worker's Egress answers from documents made before the clock starts."""

        def __init__(self, docs: int) -> None:
            self.docs, self.egress = docs, None

        def setup(self, worker: Any) -> None:
            bodies, label = documents(self.docs), str(worker.address)

            class Answers:
                fetcher = type("Stop", (), {"stopping": False})()

                def fetch(self, ids: list[int]) -> Any:
                    return chunk_of(bodies, ids, label)

            self.egress = Answers()  # type: ignore[assignment]

    logging.getLogger("distributed").setLevel(logging.ERROR)
    ids = list(documents(args.docs))
    async with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
            asynchronous=True,
        ) as cluster,
        Client(cluster, asynchronous=True) as client,
    ):
        await client.register_plugin(MadeUpAnswers(args.docs), name=distributed.PLUGIN)
        recording = Recording(data_dir, ids)
        driver = driver_pass(client, recording.store, recording.writer, args.chunk)
        cpu, started = time.process_time(), time.perf_counter()
        await driver.run()
        ok = recording.finish()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"docs": len(ids), "ok": ok, "seconds": seconds, "cpu_seconds": cpu}


async def in_process(args: argparse.Namespace, data_dir: Path) -> dict[str, Any]:
    bodies = documents(args.docs)
    ids = list(bodies)
    blobs = [
        pickle.dumps(chunk_of(bodies, ids[i : i + args.chunk], "127.0.0.2"), protocol=5)
        for i in range(0, len(ids), args.chunk)
    ]
    recording = Recording(data_dir, ids)
    driver = driver_pass(None, recording.store, recording.writer, args.chunk)
    cpu, started = time.process_time(), time.perf_counter()
    for blob in blobs:
        driver.record(pickle.loads(blob))
        if recording.writer is not None:
            await recording.writer.room()
    ok = recording.finish()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"docs": len(ids), "ok": ok, "seconds": seconds, "cpu_seconds": cpu}


def child(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-driver-") as tmp:
        measure = in_process if args.in_process else over_dask
        found = asyncio.run(measure(args, Path(tmp) / "data"))
    print(orjson.dumps(found).decode())


def measure(args: argparse.Namespace, src: str | None) -> dict[str, Any]:
    """One measurement in a child process (with PYTHONPATH=src when given)."""
    cmd = [sys.executable, __file__, "--child", *sys.argv[1:]]
    env = os.environ | ({"PYTHONPATH": str(Path(src).resolve())} if src else {})
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=args.seconds, check=False
        )
    except subprocess.TimeoutExpired:
        sys.exit(f"a measurement took over {args.seconds:g} s")
    if done.returncode != 0:
        sys.exit(f"the measurement failed ({done.returncode}):\n{done.stderr[-2000:]}")
    found: dict[str, Any] = orjson.loads(done.stdout.strip().splitlines()[-1])
    if found["ok"] != found["docs"]:
        sys.exit(f"only {found['ok']} of {found['docs']} documents were recorded")
    return found


def describe(found: dict[str, Any]) -> str:
    return (
        f"{found['docs']:,} docs in {found['seconds']:.2f} s = "
        f"{found['docs'] / found['seconds']:,.0f} docs/s; driver CPU {found['cpu_seconds']:.2f} s "
        f"({found['cpu_seconds'] / found['docs'] * 1e6:.0f} us/doc, all its threads)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=30_000, help="documents per measurement")
    parser.add_argument("--chunk", type=int, default=600, help="ids per chunk (40/s x 15 s)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per side")
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    parser.add_argument("--in-process", action="store_true", help="no Dask: unpickle + record")
    parser.add_argument("--seconds", type=float, default=300.0, help="most seconds per one")
    parser.add_argument("--baseline-src", help="side C: the driver of this src directory")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    rates: dict[str, list[float]] = {"A": [], "C": []}
    sides = [("A", None), ("C", args.baseline_src)] if args.baseline_src else [("A", None)]
    for r in range(1, args.rounds + 1):
        for side, src in sides:
            found = measure(args, src)
            rates[side].append(found["docs"] / found["seconds"])
            name = "A this driver:" if side == "A" else "C baseline:   "
            print(f"round {r} {name} {describe(found)}", flush=True)
    a = statistics.median(rates["A"])
    how = "unpickled and recorded" if args.in_process else "received over Dask and recorded"
    print(
        f"median of {args.rounds} rounds: {a:,.0f} docs/s {how} by one driver "
        f"(target >= {TARGET:,.0f}: {'met' if a >= TARGET else 'NOT met'}; "
        f"{a / 40:,.0f} IPs at 40 requests/s)"
    )
    if args.baseline_src:
        c = statistics.median(rates["C"])
        print(f"baseline ({args.baseline_src}) {c:,.0f} docs/s; this / baseline = {a / c:.2f}x")


if __name__ == "__main__":
    main()
