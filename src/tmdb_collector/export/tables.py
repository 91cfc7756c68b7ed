"""The normalized tables, built in a DuckDB database from the store's raw documents.

Everything derived starts here: the Parquet and DuckDB exports copy these tables, the JSONL
export filters with them, the network reads cast and crew from them. The store is read a
chunk of documents at a time (bounded memory); DuckDB parses each chunk on every core and
spills to disk beyond its memory limit.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from tmdb_collector import config
from tmdb_collector.crawl.store import Store
from tmdb_collector.export import schema, tv_schema
from tmdb_collector.vocab import Kind

Progress = Callable[[int], None]
"""Told how many more documents were read."""


def connect(path: Path | str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the collector's limits: bounded memory, spilling next to
    `path`, all cores."""
    con = duckdb.connect(str(path))
    con.execute(f"SET memory_limit = '{config.OUTPUT_MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")  # lets big inserts stream
    if str(path) != ":memory:":
        con.execute(f"SET temp_directory = '{Path(path).parent / '.duckdb-spill'}'")
    return con


def build(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    progress: Progress | None = None,
    only: set[str] | None = None,
    chunk: int = config.OUTPUT_CHUNK_DOCS,
) -> None:
    """Fill `con` with the tables of `schema.TABLES` (or the `only` ones, and movies) from
    the store's ok documents."""
    wanted = [t for t in schema.TABLES if only is None or t.name in only | {"movies"}]
    tables = [*wanted, *staging_of(wanted)]
    for table in tables:
        con.execute(table.create_sql())
    # People (or series, ...) are only read when a wanted table needs them.
    fill(con, read(store, kinds_of(tables), chunk), tables, progress)
    for table in wanted:
        if table.source == "derived":
            con.execute(schema.insert_sql(table))
    for table in tables:
        if table in schema.STAGING:
            con.execute(f'DROP TABLE "{table.name}"')


def staging_of(wanted: list[schema.Table]) -> list[schema.Table]:
    """The staging tables the derived tables among `wanted` are made from."""
    staged = {name for w in wanted for name in schema.STAGED_BY.get(w.name, ())}
    return [t for t in schema.STAGING if t.name in staged]


def kinds_of(tables: list[schema.Table]) -> list[Kind]:
    """The kinds of documents `tables` are cut from, in the order they are read."""
    return [Kind(k) for k in schema.STRUCTURE if any(t.source == k for t in tables)]


def fill(
    con: duckdb.DuckDBPyConnection,
    chunks: Iterable[Chunk],
    tables: list[schema.Table],
    progress: Progress | None = None,
    extra: Callable[[str], list[str]] = lambda kind: [],
) -> None:
    """Parse each chunk of documents into those of `tables` cut from its kind (the derived
    ones are left to the caller), and run `extra(kind)`'s statements over it too."""
    inserts = {
        kind: [schema.insert_sql(t) for t in tables if t.source == kind] + extra(kind)
        for kind in schema.STRUCTURE
    }
    for kind, rows, parts in chunks:
        load(con, kind, rows, inserts[kind], parts)
        if progress:
            progress(rows.num_rows)


def load(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    rows: pa.Table,
    inserts: list[str],
    parts: pa.Table | None = None,
) -> None:
    """Parse a chunk of documents (`arrow`'s table) once into the temporary table `parsed`
    (id, fetched_at, stamp, d), and its `parts` (a series' seasons) with the kind's
    `schema.EXTRA_PARSE`; each statement of `inserts` then takes its rows from them."""
    con.register("chunk", rows)
    if parts is not None:
        con.register("parts", parts)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE parsed AS SELECT id, fetched_at, stamp, "
            f"json_transform(doc, '{schema.STRUCTURE[kind]}') AS d FROM chunk"
        )
        if extra := schema.EXTRA_PARSE.get(kind):
            con.execute(extra)
    finally:
        con.unregister("chunk")
        if parts is not None:
            con.unregister("parts")
    for sql in inserts:
        con.execute(sql)
    con.execute("DROP TABLE parsed")
    con.execute("DROP TABLE IF EXISTS seasons")


Chunk = tuple[Kind, pa.Table, pa.Table | None]
"""A kind, a chunk of its documents (`arrow`'s table), and their parts when the kind has any
(a series' seasons: series_id, number, doc)."""


def read(store: Store, kinds: list[Kind], size: int = config.OUTPUT_CHUNK_DOCS) -> Iterator[Chunk]:
    """The store's ok documents of `kinds` as Arrow tables (`arrow`'s columns), read and
    decompressed on a thread while DuckDB parses the previous chunk; all of them from one
    read transaction, so a crawl writing meanwhile cannot make the tables disagree."""
    ahead: queue.Queue[Chunk | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()
    thread = threading.Thread(
        target=_read, args=(store.path, kinds, size, ahead, stop), name="read-store", daemon=True
    )
    thread.start()
    try:
        while (item := ahead.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a reader waiting on a full queue
            with contextlib.suppress(queue.Empty):
                ahead.get(timeout=0.05)
        thread.join()


def _read(
    path: Path,
    kinds: list[Kind],
    size: int,
    ahead: queue.Queue[Chunk | BaseException | None],
    stop: threading.Event,
) -> None:
    # SQLite connections belong to their thread: the reader opens its own.
    reader = Store(path)
    try:
        with reader.snapshot():
            for kind in kinds:
                if not _read_kind(reader, kind, size, ahead, stop):
                    return
        ahead.put(None)
    except BaseException as exc:  # handed to the consumer, which raises it
        ahead.put(exc)
    finally:
        reader.close()


def _read_kind(
    reader: Store,
    kind: Kind,
    size: int,
    ahead: queue.Queue[Chunk | BaseException | None],
    stop: threading.Event,
) -> bool:
    """Queue a kind's documents in chunks of `size`; False when told to stop."""
    for found in chunks_of(kind, reader.documents_with_time(kind), size):
        ahead.put(found)
        if stop.is_set():
            return False
    return True


def chunks_of(
    kind: Kind, rows: Iterable[tuple[int, float | None, bytes]], size: int
) -> Iterator[Chunk]:
    """Documents (id, fetched_at, JSON) of `kind` as chunks: each ends at `size` documents or
    OUTPUT_CHUNK_BYTES of JSON, whichever comes first (a series with its seasons can weigh
    as much as a hundred movies)."""
    held: list[tuple[int, float | None, bytes]] = []
    weight = 0
    for row in rows:
        held.append(row)
        weight += len(row[2])
        if len(held) >= size or weight >= config.OUTPUT_CHUNK_BYTES:
            yield kind, arrow(held), _parts(kind, held)
            held, weight = [], 0
    if held:
        yield kind, arrow(held), _parts(kind, held)


def _parts(kind: Kind, rows: Sequence[tuple[int, float | None, bytes]]) -> pa.Table | None:
    """A series' seasons, one row each, split off in Python (on the reader's thread, for a
    full read): DuckDB would take far longer to walk each document's keys itself."""
    if kind is not Kind.TV:
        return None
    found = tv_schema.season_parts([r[0] for r in rows], [r[2] for r in rows])
    table = pa.table(
        {
            "series_id": pa.array(found[0], pa.int64()),
            "number": pa.array(found[1], pa.int32()),
            "doc": pa.array(found[2], pa.binary()).view(pa.string()),
        }
    )
    return pa.Table.from_batches(table.to_batches(max_chunksize=config.OUTPUT_BATCH_ROWS))


def arrow(rows: Sequence[tuple[int, float | None, bytes]]) -> pa.Table:
    """Documents as the Arrow table `load` parses: id, fetched_at (a TIMESTAMP, UTC), stamp
    (fetched_at as the store holds it: Unix time, a DOUBLE) and doc (the JSON)."""
    ids, stamps, docs = zip(*rows, strict=True) if rows else ((), (), ())
    times = [datetime.fromtimestamp(s or 0, UTC).replace(tzinfo=None) for s in stamps]
    table = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "fetched_at": pa.array(times, pa.timestamp("us")),
            "stamp": pa.array(stamps, pa.float64()),
            # The store holds JSON that parsed when it was fetched, so valid UTF-8: a view
            # instead of a cast skips validating ~6 KB per document again.
            "doc": pa.array(docs, pa.binary()).view(pa.string()),
        }
    )
    # Several record batches, so that DuckDB parses them on all cores.
    return pa.Table.from_batches(table.to_batches(max_chunksize=config.OUTPUT_BATCH_ROWS))
