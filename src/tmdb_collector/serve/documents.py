"""The store as `serve` reads it: read-only, raw documents by id, and which appends each holds.

A stored document is the body TMDb sent for `/movie/{id}?append_to_response=...`: its appends
are top-level keys beside the base fields. A request whose appends are the stored ones gets
the stored bytes as they are (decompressed, nothing parsed); one asking for fewer gets the
document without the others; one asking for an append that was not stored gets TMDb's 404
(code 34), as `/movie/{id}/{append}` would on a copy that lacks it. Names TMDb does not know
as appends are ignored, as TMDb ignores them.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import zstandard

from tmdb_collector import config
from tmdb_collector.errors import ConfigError
from tmdb_collector.vocab import Kind

KINDS: tuple[Kind, ...] = (Kind.MOVIE, Kind.PERSON)
"""The kinds served (TV and the rest are stored, exported and synced, not yet served)."""

APPENDS: dict[Kind, tuple[str, ...]] = {
    Kind.MOVIE: (
        "account_states", "alternative_titles", "changes", "credits", "external_ids", "images",
        "keywords", "lists", "recommendations", "release_dates", "reviews", "similar",
        "translations", "videos", "watch/providers",
    ),
    Kind.PERSON: (
        "changes", "combined_credits", "external_ids", "images", "latest", "movie_credits",
        "tagged_images", "translations", "tv_credits",
    ),
}  # fmt: skip
"""TMDb's append_to_response items for each kind (its API reference); the bit of each in a
mask is its position here."""

UNKNOWN = 0xFFFF
"""A mask not known yet: the document is read to find it."""


def mask_of(kind: Kind, keys: Iterable[str]) -> int:
    """The appends among a document's top-level keys, as a bit mask."""
    names = APPENDS[kind]
    return sum(1 << names.index(k) for k in set(keys) if k in names)


def names_of(kind: Kind, mask: int) -> frozenset[str]:
    return frozenset(name for bit, name in enumerate(APPENDS[kind]) if mask >> bit & 1)


def requested(kind: Kind, append_to_response: str) -> frozenset[str]:
    """The known appends a request asks for (unknown names are ignored, as TMDb does)."""
    return frozenset(item for item in append_to_response.split(",") if item in APPENDS[kind])


class Masks:
    """The append mask of every stored document of a kind, by id: two bytes an id (ids run
    to a few million), UNKNOWN until set. Ids beyond `limit` are never remembered."""

    def __init__(self, limit: int = 50_000_000) -> None:
        self.limit = limit
        self.by_id = array("H")

    def get(self, id_: int) -> int:
        return self.by_id[id_] if 0 <= id_ < len(self.by_id) else UNKNOWN

    def set(self, id_: int, mask: int) -> None:
        if not 0 <= id_ < self.limit:
            return
        if id_ >= len(self.by_id):  # grow by doubling: ids mostly arrive in order
            size = max(id_ + 1, 2 * len(self.by_id))
            self.by_id.frombytes(b"\xff\xff" * (size - len(self.by_id)))
        self.by_id[id_] = mask


class Answer:
    """A document answer: the body to send, or a TMDb error code."""

    __slots__ = ("body", "error")

    def __init__(self, body: bytes | None = None, error: int | None = None) -> None:
        self.body = body
        self.error = error


class StoredDocuments:
    """The store's SQLite file, opened read-only: a sync or crawl may write it meanwhile."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise ConfigError(
                f"no collection in {path.parent}: run 'tmdb-collector crawl movies' first"
            )
        try:
            self.db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
            self.db.execute("SELECT count(*) FROM records WHERE kind = 'movie' AND id = -1")
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot read the store {path}: {exc}") from None
        self._unpack = zstandard.ZstdDecompressor()
        self.masks: dict[Kind, Masks] = {kind: Masks() for kind in KINDS}

    @classmethod
    def open(cls, data_dir: Path) -> StoredDocuments:
        return cls(data_dir / config.STORE_FILE)

    def close(self) -> None:
        self.db.close()

    def counts(self) -> dict[Kind, int]:
        """Stored (ok) documents of each kind."""
        return {
            kind: int(
                self.db.execute(
                    "SELECT count(*) FROM records WHERE kind = ? AND status = 'ok'", (kind,)
                ).fetchone()[0]
            )
            for kind in KINDS
        }

    def raw(self, kind: Kind, id_: int) -> bytes | None:
        """The stored JSON of an id (status ok), as TMDb sent it; None when there is none."""
        row = self.db.execute(
            "SELECT doc FROM records WHERE kind = ? AND id = ? AND status = 'ok'", (kind, id_)
        ).fetchone()
        return None if row is None else self._unpack.decompress(row[0])

    def chunks(self, kind: Kind, size: int = 2_000) -> Iterator[list[tuple[int, bytes]]]:
        """Every stored document of a kind as (id, raw JSON), in id order, `size` at a time."""
        after = -1
        while rows := self.db.execute(
            "SELECT id, doc FROM records WHERE kind = ? AND status = 'ok' AND id > ? "
            "ORDER BY id LIMIT ?",
            (kind, after, size),
        ).fetchall():
            yield [(id_, self._unpack.decompress(doc)) for id_, doc in rows]
            after = rows[-1][0]

    def answer(self, kind: Kind, id_: int, wanted: frozenset[str]) -> Answer:
        """The document of `id_` with the `wanted` appends: the stored bytes when they hold
        exactly those (the common case costs a lookup and a decompression), else the
        document without the others; code 34 when the id or an append is not stored."""
        raw = self.raw(kind, id_)
        if raw is None:
            return Answer(error=34)
        masks = self.masks[kind]
        mask = masks.get(id_)
        if mask != UNKNOWN:
            stored = names_of(kind, mask)
            if wanted == stored:
                return Answer(raw)
            if not wanted <= stored:
                return Answer(error=34)
        doc: dict[str, Any] = orjson.loads(raw)
        stored = frozenset(k for k in doc if k in APPENDS[kind])
        masks.set(id_, mask_of(kind, stored))
        if not wanted <= stored:
            return Answer(error=34)
        if wanted == stored:
            return Answer(raw)
        return Answer(
            orjson.dumps({k: v for k, v in doc.items() if k in wanted or k not in stored})
        )

    def part(self, kind: Kind, id_: int, item: str) -> Answer:
        """`/{kind}/{id}/{item}`: a stored append as its own resource, {"id": ..., ...}."""
        if item not in APPENDS[kind]:
            return Answer(error=34)
        raw = self.raw(kind, id_)
        if raw is None:
            return Answer(error=34)
        value = orjson.loads(raw).get(item)
        if not isinstance(value, dict):
            return Answer(error=34)
        return Answer(orjson.dumps({"id": id_, **{k: v for k, v in value.items() if k != "id"}}))
