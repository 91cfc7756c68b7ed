"""What a sync has listed, kept in the store's file so that a crash or a failure loses nothing.

Table `sync_changes` holds, per kind and day, the ids of that day's change list that belong to
the collection, with the day they were listed on. An id is requeued (made pending) *before* its
row is written, so a row means "requeued since the list was read": if it is ok or gone now, it
was fetched after the change, and a rerun need not fetch it again. Rows go once the watermark
has passed their day.

Rows of a day that was still in progress when it was listed (the day of the sync itself) are
dropped on a later day: that day's list may have grown since, and an id listed then may have
changed again after it was fetched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from tmdb_collector.crawl.store import STATES, Store
from tmdb_collector.vocab import Kind, State

SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_changes (
    kind TEXT NOT NULL,
    day TEXT NOT NULL,          -- the change list's day (YYYY-MM-DD)
    id INTEGER NOT NULL,
    listed_on TEXT NOT NULL,    -- the day of the sync that read it
    PRIMARY KEY (kind, day, id)
) WITHOUT ROWID;
"""

CHUNK = 500  # ids per `IN (...)` query: under SQLite's limit of host parameters


@dataclass
class Listing:
    """What the change lists read so far hold for one kind: distinct ids by what became of
    them (a set each, so a day read twice, or an id on two days, counts once)."""

    to_fetch: set[int] = field(default_factory=set)  # requeued: fetched by this sync
    already: set[int] = field(default_factory=set)  # fetched since listed by an unfinished sync
    new: set[int] = field(default_factory=set)  # of to_fetch: ids the store did not hold
    out_of_scope: set[int] = field(default_factory=set)  # not in the collection: not fetched


class ChangeLog:
    """The `sync_changes` table of a store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db = store.db
        self.db.executescript(SCHEMA)

    def tidy(self, kind: Kind, watermark: date, today: date) -> None:
        """Forget rows the watermark has passed, and rows of days that were still in progress
        when listed on an earlier day than `today`."""
        with self.store.transaction():
            self.db.execute(
                "DELETE FROM sync_changes WHERE kind = ? AND (day < ? OR "
                "(day >= listed_on AND listed_on < ?))",
                (kind, watermark.isoformat(), today.isoformat()),
            )

    def note(
        self, kind: Kind, day: date, ids: set[int], today: date, whole_export: bool, into: Listing
    ) -> None:
        """Requeue the ids of `day`'s list that belong to the collection (all of them when the
        crawl took the whole export, else those the store holds), then list them."""
        known = self.known(kind, ids)
        wanted = ids if whole_export else known
        into.out_of_scope |= ids - wanted
        listed = self._listed(kind, day) & wanted
        fresh = sorted(wanted - listed)
        into.already |= self.known(kind, listed, (State.OK, State.GONE))
        into.to_fetch |= set(fresh)
        into.new |= set(fresh) - known
        self.store.requeue(kind, fresh)  # first: a row must mean "requeued since listed"
        with self.store.transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO sync_changes (kind, day, id, listed_on) VALUES (?,?,?,?)",
                ((kind, day.isoformat(), i, today.isoformat()) for i in fresh),
            )

    def settled(self, kind: Kind, day: date) -> bool:
        """True when every id listed for `day` is ok or gone."""
        row = self.db.execute(
            "SELECT 1 FROM sync_changes c JOIN records r ON r.kind = c.kind AND r.id = c.id "
            "WHERE c.kind = ? AND c.day = ? AND r.status NOT IN ('ok', 'gone') LIMIT 1",
            (kind, day.isoformat()),
        ).fetchone()
        return row is None

    def listed_ok(self, kind: Kind) -> list[int]:
        """Ids listed (on any day not yet passed) that are ok now."""
        rows = self.db.execute(
            "SELECT DISTINCT c.id FROM sync_changes c JOIN records r "
            "ON r.kind = c.kind AND r.id = c.id WHERE c.kind = ? AND r.status = 'ok' ORDER BY 1",
            (kind,),
        )
        return [row[0] for row in rows]

    def forget(self, kind: Kind, ids: Iterable[int]) -> None:
        """Drop the rows of these ids, so that the next list naming them requeues them."""
        with self.store.transaction():
            self.db.executemany(
                "DELETE FROM sync_changes WHERE kind = ? AND id = ?", ((kind, i) for i in ids)
            )

    def known(self, kind: Kind, ids: Iterable[int], states: tuple[State, ...] = STATES) -> set[int]:
        """Those of `ids` the store holds in one of `states`."""
        found: set[int] = set()
        in_states = f"status IN ({','.join('?' * len(states))})"
        for chunk in _chunks(sorted(ids)):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT id FROM records WHERE kind = ? AND {in_states} AND id IN ({marks})",
                (kind, *states, *chunk),
            )
            found.update(row[0] for row in rows)
        return found

    def _listed(self, kind: Kind, day: date) -> set[int]:
        rows = self.db.execute(
            "SELECT id FROM sync_changes WHERE kind = ? AND day = ?", (kind, day.isoformat())
        )
        return {row[0] for row in rows}


def diff_export(store: Store, kind: Kind, listed: Iterable[int]) -> tuple[list[int], list[int]]:
    """(ids the export lists that the store lacks, stored ids that are ok or failed and that
    the export no longer lists). The export is streamed into a temporary table, so memory holds
    only the two answers."""
    db = store.db
    db.execute("CREATE TEMP TABLE IF NOT EXISTS export_ids (id INTEGER PRIMARY KEY)")
    try:
        for chunk in _chunks(listed, 10_000):
            with store.transaction():
                db.executemany("INSERT OR IGNORE INTO export_ids VALUES (?)", ((i,) for i in chunk))
        new = db.execute(
            "SELECT e.id FROM export_ids e WHERE NOT EXISTS "
            "(SELECT 1 FROM records r WHERE r.kind = ? AND r.id = e.id) ORDER BY 1",
            (kind,),
        ).fetchall()
        vanished = db.execute(
            "SELECT r.id FROM records r WHERE r.kind = ? AND r.status IN ('ok', 'failed') AND "
            "NOT EXISTS (SELECT 1 FROM export_ids e WHERE e.id = r.id) ORDER BY 1",
            (kind,),
        ).fetchall()
    finally:
        db.execute("DROP TABLE IF EXISTS temp.export_ids")
    return [row[0] for row in new], [row[0] for row in vanished]


def _chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    chunk: list[int] = []
    for id_ in ids:
        chunk.append(id_)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
