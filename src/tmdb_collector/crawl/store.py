"""The store: one SQLite file, the single source of truth of a collection.

One row per (kind, id) and an explicit state machine:

    pending --ok--> ok          a document is stored (zstd-compressed raw JSON)
    pending --404-> gone        the id does not exist; not retried in this run
    pending --err-> failed      retries ran out; fetched again at the end of the run and by
                                the next run
    ok | gone | failed --requeue--> pending     (a refresh, or the id changed)
    ok | failed --mark_gone--> gone             (the newest export no longer lists it)

Every write is an upsert keyed by (kind, id), so replaying a batch after a crash adds nothing;
each `record` call is one transaction, so a crash loses at most the batch being written.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import zstandard

from tmdb_collector import config, io_errors
from tmdb_collector.errors import ConfigError
from tmdb_collector.vocab import Kind, State

STATES = tuple(State)

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'ok', 'gone', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,   -- requests made for this id, over all runs
    http_status INTEGER,                   -- of the last answer (NULL: no answer, e.g. reset)
    reason TEXT,                           -- last outcome class: ok, gone, http_503, reset, ...
    fetched_at REAL,                       -- when the stored document was fetched (Unix time)
    content_hash TEXT,                     -- sha256 of the stored document
    previous_hash TEXT,                    -- the hash of the version it replaced
    doc BLOB,                              -- zstd(raw JSON), as TMDb sent it
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_status ON records (kind, status, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Outcome:
    """What a fetch ended in, ready to be recorded."""

    kind: Kind
    id: int
    status: State  # ok | gone | failed
    reason: str
    http_status: int | None = None
    body: bytes | None = None  # the raw JSON, for ok


class Store:
    """A collection's SQLite file (WAL mode). Not shared between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at commit
            self.db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot use the data directory {path.parent}: {exc}") from None
        self._pack = zstandard.ZstdCompressor(level=config.STORE_ZSTD_LEVEL)
        self._unpack = zstandard.ZstdDecompressor()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        # Autocommit mode, with explicit transactions: one per batch, all or nothing. A full
        # disk or an I/O error loses only this batch, and says so in one line.
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.db.in_transaction:  # SQLite may have rolled back by itself
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if io_errors.is_bug(exc):
                raise  # a bug of ours, not the disk's
            if self.db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.db.execute("ROLLBACK")
            raise io_errors.explain(
                self.path, exc, "run the same command again: what was fetched before is saved"
            ) from None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction for the block: every read in it sees the store as it was at
        the first one, however a writer goes on meanwhile (WAL mode)."""
        if self.db.in_transaction:  # already in one: it is the snapshot
            yield
            return
        try:
            self.db.execute("BEGIN")
            try:
                yield
            finally:
                self.db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if io_errors.is_bug(exc):
                raise
            # A damaged page or a failing device: one line naming the file, not a traceback.
            raise io_errors.explain(self.path, exc, doing="read") from None

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """One all-or-nothing transaction, for code that keeps its own tables in this file."""
        return self._transaction()

    @classmethod
    def open(cls, data_dir: str | Path) -> Store:
        return cls(Path(data_dir) / config.STORE_FILE)

    def close(self) -> None:
        self.db.close()

    # --- moving between states ---

    def add(self, kind: Kind, ids: Iterable[int], chunk: int = 10_000) -> int:
        """Make `ids` known as pending (ids already known keep their state); returns how many
        were new. Streams: `ids` may be a generator over an export of millions of lines."""
        added = 0
        batch: list[tuple[str, int]] = []
        for id_ in ids:
            batch.append((kind, id_))
            if len(batch) >= chunk:
                added += self._insert(batch)
                batch = []
        return added + (self._insert(batch) if batch else 0)

    def _insert(self, rows: list[tuple[str, int]]) -> int:
        with self._transaction():
            before = self.db.total_changes
            self.db.executemany("INSERT OR IGNORE INTO records (kind, id) VALUES (?, ?)", rows)
            return self.db.total_changes - before

    def record(self, outcomes: Iterable[Outcome]) -> None:
        """Write a batch of outcomes in one transaction (all or nothing)."""
        now = time.time()
        ok, other = [], []
        for o in outcomes:
            if o.status == State.OK:
                assert o.body is not None
                digest = hashlib.sha256(o.body).hexdigest()
                ok.append((o.kind, o.id, o.http_status, now, digest, self._pack.compress(o.body)))
            else:
                other.append((o.kind, o.id, o.status, o.http_status, o.reason))
        with self._transaction():
            self.db.executemany(
                """INSERT INTO records (kind, id, status, attempts, http_status, reason,
                                       fetched_at, content_hash, doc)
                   VALUES (?1, ?2, 'ok', 1, ?3, 'ok', ?4, ?5, ?6)
                   ON CONFLICT (kind, id) DO UPDATE SET
                       status = 'ok', attempts = attempts + 1, http_status = ?3, reason = 'ok',
                       fetched_at = ?4,
                       previous_hash = CASE WHEN content_hash IS ?5 THEN previous_hash
                                            ELSE content_hash END,
                       content_hash = ?5, doc = ?6""",
                ok,
            )
            # gone and failed keep the last good document: a transient failure loses nothing.
            self.db.executemany(
                """INSERT INTO records (kind, id, status, attempts, http_status, reason)
                   VALUES (?1, ?2, ?3, 1, ?4, ?5)
                   ON CONFLICT (kind, id) DO UPDATE SET
                       status = ?3, attempts = attempts + 1, http_status = ?4, reason = ?5""",
                other,
            )

    def requeue(self, kind: Kind, ids: Iterable[int] | None = None) -> int:
        """Mark ids (all of the kind when None) pending again, to be fetched anew."""
        with self._transaction():
            if ids is None:
                cur = self.db.execute("UPDATE records SET status='pending' WHERE kind=?", (kind,))
                return cur.rowcount
            before = self.db.total_changes
            self.db.executemany(
                "INSERT INTO records (kind, id) VALUES (?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET status = 'pending'",
                ((kind, i) for i in ids),
            )
            return self.db.total_changes - before

    def mark_gone(self, kind: Kind, ids: Iterable[int], reason: str) -> int:
        """Move ids that are ok or failed to gone without asking TMDb (the export no longer
        lists them); returns how many moved. Pending ids are left to their fetch, and the
        last good document is kept, as a 404 keeps it."""
        with self._transaction():
            before = self.db.total_changes
            self.db.executemany(
                "UPDATE records SET status = 'gone', reason = ?, http_status = NULL "
                "WHERE kind = ? AND id = ? AND status IN ('ok', 'failed')",
                ((reason, kind, i) for i in ids),
            )
            return self.db.total_changes - before

    # --- reading ---

    def todo(
        self,
        kind: Kind,
        states: tuple[State, ...] = (State.PENDING,),
        after: int = -1,
        limit: int = 1000,
    ) -> list[int]:
        """Ids in `states`, ascending, after `after`: page through with the last id seen."""
        marks = ",".join("?" * len(states))
        rows = self.db.execute(
            f"SELECT id FROM records WHERE kind = ? AND status IN ({marks}) AND id > ? "
            "ORDER BY id LIMIT ?",
            (kind, *states, after, limit),
        )
        return [row[0] for row in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        """kind -> state -> number of ids (every state present, zeros included)."""
        found: dict[str, dict[str, int]] = {}
        for kind, status, n in self.db.execute(
            "SELECT kind, status, count(*) FROM records GROUP BY kind, status"
        ):
            # Plain strings as keys: orjson writes no str subclass (a State) as a key.
            found.setdefault(kind, dict.fromkeys(map(str, STATES), 0))[status] = n
        return found

    def failures(self, kind: Kind) -> dict[str, int]:
        """Failed ids of a kind, by their last failure class."""
        rows = self.db.execute(
            "SELECT reason, count(*) FROM records WHERE kind=? AND status='failed' GROUP BY 1",
            (kind,),
        )
        return dict(rows.fetchall())

    def first_fetched(self, kind: Kind) -> float | None:
        """When the oldest stored document of a kind was fetched (Unix time), or None."""
        row = self.db.execute(
            "SELECT min(fetched_at) FROM records WHERE kind = ?", (kind,)
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def get(self, kind: Kind, id_: int) -> dict[str, Any] | None:
        """The stored document of an id, or None."""
        row = self.db.execute(
            "SELECT doc FROM records WHERE kind=? AND id=? AND doc IS NOT NULL", (kind, id_)
        ).fetchone()
        return None if row is None else dict(orjson.loads(self._unpack.decompress(row[0])))

    def documents(self, kind: Kind, batch: int = 500) -> Iterator[tuple[int, bytes]]:
        """Every ok document of a kind as (id, raw JSON), in id order, in bounded memory."""
        for id_, _, doc in self.documents_with_time(kind, batch):
            yield id_, doc

    def documents_with_time(
        self, kind: Kind, batch: int = 500
    ) -> Iterator[tuple[int, float | None, bytes]]:
        """Every ok document of a kind as (id, fetched_at, raw JSON), in id order."""
        after = -1
        while True:
            rows = self.db.execute(
                "SELECT id, fetched_at, doc FROM records WHERE kind=? AND status='ok' AND id > ? "
                "ORDER BY id LIMIT ?",
                (kind, after, batch),
            ).fetchall()
            if not rows:
                return
            for id_, fetched_at, doc in rows:
                yield id_, fetched_at, self._unpack.decompress(doc)
            after = rows[-1][0]

    def stamps(self, kind: Kind, batch: int = 100_000) -> Iterator[list[tuple[int, float]]]:
        """(id, fetched_at) of every ok document of a kind, in lists of up to `batch`: what
        changed since a point, for outputs that follow the store (a document is stored
        anew, and only then, with a new fetched_at)."""
        rows = self.db.execute(
            "SELECT id, fetched_at FROM records WHERE kind = ? AND status = 'ok'", (kind,)
        )
        while chunk := rows.fetchmany(batch):
            yield chunk

    def documents_of(
        self, kind: Kind, ids: Iterable[int], batch: int = 500
    ) -> Iterator[tuple[int, float | None, bytes]]:
        """The ok documents among `ids` as (id, fetched_at, raw JSON), `documents_with_time`'s
        rows; ids without one are skipped."""
        ids = iter(ids)
        while chunk := list(itertools.islice(ids, batch)):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT id, fetched_at, doc FROM records WHERE kind = ? AND status = 'ok' "
                f"AND id IN ({marks})",
                (kind, *chunk),
            ).fetchall()
            for id_, fetched_at, doc in rows:
                yield id_, fetched_at, self._unpack.decompress(doc)

    # --- small facts: watermarks, the last run ---

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
