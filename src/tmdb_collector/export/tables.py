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
from collections.abc import Callable, Iterator
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
    staged = {name for w in wanted for name in schema.STAGED_BY.get(w.name, ())}
    staging = [t for t in schema.STAGING if t.name in staged]
    for table in (*wanted, *staging):
        con.execute(table.create_sql())
    inserts = {
        kind: [schema.insert_sql(t) for t in (*wanted, *staging) if t.source == kind]
        for kind in Kind
    }
    # People are only read when a wanted table needs them; every kind from one snapshot.
    for kind, rows, parts in _chunks(store, [k for k, sqls in inserts.items() if sqls], chunk):
        _load(con, kind, rows, inserts[kind], parts)
        if progress:
            progress(rows.num_rows)
    for table in wanted:
        if table.source == "derived":
            con.execute(schema.insert_sql(table))
    for table in staging:
        con.execute(f'DROP TABLE "{table.name}"')


def _load(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    rows: pa.Table,
    inserts: list[str],
    parts: pa.Table | None = None,
) -> None:
    # Parse the chunk once into a temporary table; each table then takes its columns from it.
    con.register("chunk", rows)
    if parts is not None:
        con.register("parts", parts)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE parsed AS SELECT id, fetched_at, "
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
"""A kind, a chunk of its documents (id, fetched_at, doc), and their parts when the kind has
any (a series' seasons: series_id, number, doc)."""


def _chunks(store: Store, kinds: list[Kind], size: int) -> Iterator[Chunk]:
    """The store's ok documents of `kinds` as Arrow tables (id, fetched_at, doc), read and
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
    ids: list[int] = []
    stamps: list[datetime] = []
    docs: list[bytes] = []
    held = 0
    for id_, fetched_at, doc in reader.documents_with_time(kind):
        ids.append(id_)
        stamps.append(datetime.fromtimestamp(fetched_at or 0, UTC).replace(tzinfo=None))
        docs.append(doc)
        held += len(doc)
        # A chunk ends at `size` documents or OUTPUT_CHUNK_BYTES of JSON, whichever comes
        # first: a series with its seasons can weigh as much as a hundred movies.
        if len(ids) >= size or held >= config.OUTPUT_CHUNK_BYTES:
            ahead.put((kind, _arrow(ids, stamps, docs), _parts(kind, ids, docs)))
            ids, stamps, docs, held = [], [], [], 0
            if stop.is_set():
                return False
    if ids:
        ahead.put((kind, _arrow(ids, stamps, docs), _parts(kind, ids, docs)))
    return True


def _parts(kind: Kind, ids: list[int], docs: list[bytes]) -> pa.Table | None:
    """A series' seasons, one row each, split off here (on the reader's thread): DuckDB
    would take far longer to walk each document's keys itself."""
    if kind is not Kind.TV:
        return None
    found = tv_schema.season_parts(ids, docs)
    table = pa.table(
        {
            "series_id": pa.array(found[0], pa.int64()),
            "number": pa.array(found[1], pa.int32()),
            "doc": pa.array(found[2], pa.binary()).view(pa.string()),
        }
    )
    return pa.Table.from_batches(table.to_batches(max_chunksize=config.OUTPUT_BATCH_ROWS))


def _arrow(ids: list[int], stamps: list[datetime], docs: list[bytes]) -> pa.Table:
    table = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "fetched_at": pa.array(stamps, pa.timestamp("us")),
            # The store holds JSON that parsed when it was fetched, so valid UTF-8: a view
            # instead of a cast skips validating ~6 KB per document again.
            "doc": pa.array(docs, pa.binary()).view(pa.string()),
        }
    )
    # Several record batches, so that DuckDB parses them on all cores.
    return pa.Table.from_batches(table.to_batches(max_chunksize=config.OUTPUT_BATCH_ROWS))
