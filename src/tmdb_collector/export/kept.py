"""The tables kept between exports: DATA_DIR/tables.duckdb, brought up to date with the store
before each Parquet or DuckDB export by parsing only the documents that changed.

The file holds every table of `schema.TABLES`, the staging tables the item tables (genres,
companies, ...) are made from, and `_documents` (kind, id, stamp): each document parsed into
them, with the store's `fetched_at` of the version parsed. The store writes a document anew,
and only then, with a new `fetched_at`, so comparing the two says exactly what changed:

1. the store's ok documents' (kind, id, fetched_at) are read (one snapshot) and compared with
   `_documents`: changed = new or fetched since; dropped = no longer ok (gone, failed, ...);
2. the rows of changed and dropped documents are deleted from every table cut from documents
   (each table's `doc_id` column), and the changed documents are parsed and inserted;
3. the item tables' rows for the keys those documents named, before or now, are recomputed
   from the staging tables, and `_documents` follows.

All of it is one DuckDB transaction: a crash rolls it back (DuckDB's log), leaving the tables
as the last export left them, and the next export finds the same changes again. A full
rebuild (the first export, `--full`, or code whose tables differ: `_about` holds their
fingerprint) is written into a new file that replaces the old one when complete.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from tmdb_collector import config, io_errors
from tmdb_collector.crawl import lock
from tmdb_collector.crawl.store import Store
from tmdb_collector.export import schema, tables
from tmdb_collector.export.scratch import remove_leftovers, replacing
from tmdb_collector.export.tables import Chunk, Progress
from tmdb_collector.vocab import Kind

__all__ = ["Refresh", "current"]

FORMAT = 1
"""The kept file's own layout; with the tables' code, in the fingerprint."""

KEPT: tuple[schema.Table, ...] = (*schema.TABLES, *schema.STAGING)
BOOKKEEPING = (
    "CREATE TABLE _documents (kind VARCHAR NOT NULL, id BIGINT NOT NULL, stamp DOUBLE)",
    "CREATE TABLE _about (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
)
HIDDEN = ("_documents", "_about", *(t.name for t in schema.STAGING))
"""Tables of the kept file that are not part of an export."""


@dataclass(frozen=True)
class Refresh:
    """What bringing the kept tables up to date took."""

    full: bool  # rebuilt from every document
    parsed: int  # documents parsed
    dropped: int  # documents whose rows went: no longer ok in the store (gone, failed, ...)


def fingerprint() -> str:
    """A digest of how the tables are made: kept tables made otherwise are rebuilt."""
    parts = [str(FORMAT), *BOOKKEEPING, *schema.STRUCTURE.values()]
    parts += [f"{t.create_sql()};{schema.insert_sql(t)};{t.doc_id}" for t in KEPT]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def path_of(store: Store) -> Path:
    """Where a store's kept tables are: beside it."""
    return store.path.parent / config.OUTPUT_KEPT_FILE


def file_of(con: duckdb.DuckDBPyConnection) -> Path:
    """The file of the kept tables `con` has open."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    assert row is not None
    return Path(row[0])


@contextlib.contextmanager
def current(
    store: Store,
    progress: Progress | None = None,
    full: bool = False,
    expect: Callable[[int], None] | None = None,
    busy: Callable[[str], None] | None = None,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, Refresh]]:
    """The kept tables, up to date with one snapshot of the store, open for the block (to be
    read, not changed); another export waits meanwhile (after `busy(who)`). `expect(n)` is
    told how many documents are to be parsed, once known."""
    path = path_of(store)
    waiting = busy or (lambda who: None)
    with lock.holding(path.with_name(f".{path.name}.lock"), "export", waiting):
        remove_leftovers(path.parent)
        with io_errors.writing_to(path, "run the same export again"):
            con = None if full else _open(path)
            try:
                if con is None:
                    refresh = _rebuild(store, path, progress, expect)
                    con = tables.connect(path)
                else:
                    refresh = _update(store, con, progress, expect)
            except BaseException:
                if con is not None:
                    con.close()
                raise
        try:
            yield con, refresh
        finally:
            con.close()


def _open(path: Path) -> duckdb.DuckDBPyConnection | None:
    """The kept tables, or None when there are none usable (missing, unreadable, made by
    other code)."""
    if not path.exists():
        return None
    try:
        con = tables.connect(path)
    except duckdb.Error:
        return None  # damaged: rebuilt
    try:
        row = con.execute("SELECT value FROM _about WHERE key = 'fingerprint'").fetchone()
    except duckdb.Error:
        row = None
    if row is None or row[0] != fingerprint():
        con.close()
        return None
    return con


def _rebuild(
    store: Store, path: Path, progress: Progress | None, expect: Callable[[int], None] | None
) -> Refresh:
    """Parse every ok document into a new file, which replaces `path` when complete."""
    with replacing(path) as tmp:
        con = tables.connect(tmp)
        try:
            for sql in BOOKKEEPING:
                con.execute(sql)
            for table in KEPT:
                con.execute(table.create_sql())
            if expect:
                expect(_ok_documents(store))
            parsed = _Counter(progress)
            record = "INSERT INTO _documents SELECT '{}', id, stamp FROM parsed".format
            chunks = tables.read(store, tables.kinds_of(list(KEPT)))
            tables.fill(con, chunks, list(KEPT), parsed, lambda kind: [record(kind)])
            for table in KEPT:
                if table.source == "derived":
                    con.execute(schema.insert_sql(table))
            con.execute("INSERT INTO _about VALUES ('fingerprint', ?)", (fingerprint(),))
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return Refresh(True, parsed.count, 0)


def _ok_documents(store: Store) -> int:
    counts = store.counts()
    return sum(counts.get(kind, {}).get("ok", 0) for kind in tables.kinds_of(list(KEPT)))


class _Counter:
    """A progress callback that also counts."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress, self.count = progress, 0

    def __call__(self, n: int) -> None:
        self.count += n
        if self.progress:
            self.progress(n)


def _update(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    progress: Progress | None,
    expect: Callable[[int], None] | None,
) -> Refresh:
    """Bring the kept tables up to date in one transaction; what it took."""
    kinds = tables.kinds_of(list(KEPT))
    with store.snapshot():
        _read_stamps(store, con, kinds)
        con.begin()
        try:
            changed, dropped = _diff(con)
            if expect:
                expect(changed)
            parsed = _Counter(progress)
            if changed or dropped:
                _keys_named(con, "_touched")
                _delete_touched(con)
                chunks = _changed_documents(store, con, kinds)
                tables.fill(con, chunks, _parsed_tables(), parsed)
                _keys_named(con, "_changed")
                _derive(con)
                con.execute(
                    "DELETE FROM _documents d USING _touched t "
                    "WHERE d.kind = t.kind AND d.id = t.id"
                )
                con.execute("INSERT INTO _documents SELECT kind, id, stamp FROM _changed")
            con.commit()
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            raise
    return Refresh(False, parsed.count, dropped)


def _read_stamps(store: Store, con: duckdb.DuckDBPyConnection, kinds: list[Kind]) -> None:
    """The temporary table `_now` (kind, id, stamp): every ok document of the store."""
    con.execute("CREATE OR REPLACE TEMP TABLE _now (kind VARCHAR, id BIGINT, stamp DOUBLE)")
    for kind in kinds:
        for rows in store.stamps(kind):
            ids, stamps = zip(*rows, strict=True)
            batch = pa.table(
                {"id": pa.array(ids, pa.int64()), "stamp": pa.array(stamps, pa.float64())}
            )
            con.register("batch", batch)
            try:
                con.execute("INSERT INTO _now SELECT ?, id, stamp FROM batch", (kind,))
            finally:
                con.unregister("batch")


def _diff(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Temporary tables `_changed` (kind, id, stamp: new or fetched again since) and
    `_touched` (kind, id: those and the dropped, whose rows go); how many of each."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _changed AS SELECT n.kind, n.id, n.stamp FROM _now n "
        "LEFT JOIN _documents d ON d.kind = n.kind AND d.id = n.id "
        "WHERE d.stamp IS DISTINCT FROM n.stamp"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _touched AS SELECT kind, id FROM _changed UNION ALL "
        "SELECT kind, id FROM _documents d ANTI JOIN _now n ON d.kind = n.kind AND d.id = n.id"
    )
    changed = _count(con, "_changed")
    return changed, _count(con, "_touched") - changed


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _kind_of(table: schema.Table) -> str:
    """The kind of documents a table's rows come from (a derived table's: its staging's)."""
    if table.source != "derived":
        return table.source
    staged = schema.STAGED_BY[table.name][0]  # a table of links: its one staging table
    return next(t.source for t in schema.STAGING if t.name == staged)


def _of(ids: str, table: schema.Table) -> str:
    """A condition: the row comes from a document among `ids` (_changed or _touched)."""
    return f"{table.doc_id} IN (SELECT id FROM {ids} WHERE kind = '{_kind_of(table)}')"


def _items() -> list[schema.Table]:
    return [t for t in KEPT if t.doc_id is None]


def _keys_named(con: duckdb.DuckDBPyConnection, ids: str) -> None:
    """Add to each item table's `_keys_NAME` the keys its staging rows of documents among
    `ids` name: the items whose row may change."""
    for table in _items():
        (key,) = table.key
        keys = f"_keys_{table.name}"
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {keys} ({key} {table.columns[0].type})")
        for staging in (t for t in schema.STAGING if t.name in schema.STAGED_BY[table.name]):
            con.execute(
                f'INSERT INTO {keys} SELECT DISTINCT {key} FROM "{staging.name}" '
                f"WHERE {_of(ids, staging)} AND {key} IS NOT NULL"
            )


def _delete_touched(con: duckdb.DuckDBPyConnection) -> None:
    for table in KEPT:
        if table.doc_id is not None:
            con.execute(f'DELETE FROM "{table.name}" WHERE {_of("_touched", table)}')


def _parsed_tables() -> list[schema.Table]:
    return [t for t in KEPT if t.source != "derived"]


def _derive(con: duckdb.DuckDBPyConnection) -> None:
    """The derived rows of the changed documents: links by document, items by key."""
    for table in KEPT:
        if table.source != "derived":
            continue
        if table.doc_id is not None:
            con.execute(f"{schema.insert_sql(table)} WHERE {_of('_changed', table)}")
            continue
        (key,) = table.key
        keys = f"_keys_{table.name}"
        con.execute(f'DELETE FROM "{table.name}" WHERE {key} IN (SELECT {key} FROM {keys})')
        con.execute(f"{schema.insert_sql(table)} WHERE {key} IN (SELECT {key} FROM {keys})")
        con.execute(f"DROP TABLE {keys}")


def _changed_documents(
    store: Store, con: duckdb.DuckDBPyConnection, kinds: list[Kind]
) -> Iterator[Chunk]:
    """The changed documents, a chunk at a time (a series' with its seasons split off)."""
    for kind in kinds:
        found = con.execute("SELECT id FROM _changed WHERE kind = ? ORDER BY id", (kind,))
        ids = [row[0] for row in found.fetchall()]
        yield from tables.chunks_of(kind, store.documents_of(kind, ids), config.OUTPUT_CHUNK_DOCS)
