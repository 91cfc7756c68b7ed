"""The people a stored document names: what `crawl people` takes from credits, and what a
sync adds after movies or series changed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from tmdb_collector.client.seasons import stored_seasons
from tmdb_collector.crawl.store import Store
from tmdb_collector.vocab import Kind

CREDITED_KINDS = (Kind.MOVIE, Kind.TV)
"""The kinds whose documents credit people: movies (credits) and series (aggregate credits,
and each episode's guest stars and crew)."""


def credited_people(
    store: Store, cast_only: bool = False, ids: Iterable[int] | None = None, kind: Kind = Kind.MOVIE
) -> Iterator[int]:
    """Person ids in the cast (and crew) of every stored movie and series, or of `kind`'s
    `ids` only; streamed, so repeats are the store's to drop."""
    if ids is None:
        for each in CREDITED_KINDS:
            for _, body in store.documents(each):
                yield from people_in(each, orjson.loads(body), cast_only)
        return
    for id_ in ids:
        yield from people_in(kind, store.get(kind, id_) or {}, cast_only)


def people_in(kind: Kind, doc: dict[str, Any], cast_only: bool = False) -> Iterator[int]:
    """The person ids one document credits: a movie's cast and crew; a series' aggregate
    cast and crew, and its episodes' guest stars (and crew)."""
    parts = ("cast",) if cast_only else ("cast", "crew")
    credits = doc.get("aggregate_credits" if kind is Kind.TV else "credits") or {}
    for part in parts:
        yield from _ids(credits.get(part))
    if kind is not Kind.TV:
        return
    for season in stored_seasons(doc).values():
        for episode in season.get("episodes") or ():
            if isinstance(episode, dict):
                yield from _ids(episode.get("guest_stars"))
                if not cast_only:
                    yield from _ids(episode.get("crew"))


def _ids(rows: object) -> Iterator[int]:
    if isinstance(rows, list):
        yield from (row["id"] for row in rows if isinstance(row, dict) and "id" in row)
