"""Collections: `/collection/{id}` and the collection export, from the franchises movies form.

A collection exists from the day its first movie is born, and is listed in the export while
any of its movies is; it answers 404 when none of its movies is served (deleted or ghosts).
Its `parts` are the movies it holds that are served today, with today's popularity and votes.
"""

from __future__ import annotations

from collections.abc import Iterator

from tmdb_collector.simulator.attributes import Doc
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.franchises import GROUPS_PER_WINDOW, WINDOW, window_franchises
from tmdb_collector.simulator.movies import collection, movie_base, movie_doc

FIRST_COLLECTION_ID = 10
"""Collection ids count franchise windows from here (see `franchises._window`)."""
PART_KEYS = (
    "adult",
    "backdrop_path",
    "id",
    "title",
    "original_title",
    "overview",
    "poster_path",
    "media_type",
    "original_language",
    "genre_ids",
    "popularity",
    "release_date",
    "softcore",
    "video",
    "vote_average",
    "vote_count",
)
"""A part's fields, in the order of TMDb's 2026 answers."""


def collection_name(seed: int, cid: int) -> str:
    """The collection's name, as movies' `belongs_to_collection` give it."""
    return str(collection(seed, cid)["name"])


def collection_members(seed: int, cid: int) -> list[int]:
    """The movie indices of a collection, first movie first (empty: no such collection)."""
    window = (cid - FIRST_COLLECTION_ID) // GROUPS_PER_WINDOW
    if window < 0:
        return []
    found = window_franchises(seed, window)
    return sorted(m for m, franchise in found.items() if franchise.id == cid)


def collection_ids(catalog: Catalog, day: int) -> Iterator[int]:
    """Ids of the collections the export of `day` lists, ascending."""
    movies = catalog.movies
    windows = -(-movies.total(day) // WINDOW)
    for window in range(windows):
        groups: dict[int, bool] = {}
        for m, franchise in sorted(window_franchises(catalog.seed, window).items()):
            listed = groups.get(franchise.id, False)
            groups[franchise.id] = listed or movies.in_export(m, day)
        yield from sorted(cid for cid, listed in groups.items() if listed)


def collection_doc(catalog: Catalog, cid: int) -> Doc | None:
    """`/collection/{id}`, or None (404) when none of its movies is served today."""
    movies = [
        m for m in collection_members(catalog.seed, cid) if catalog.movies.alive(m, catalog.day)
    ]
    if not movies:
        return None
    summary = collection(catalog.seed, cid)
    first = movie_base(catalog, movies[0]).doc
    parts = []
    for m in movies:
        doc = movie_doc(catalog, m, ())
        row = {**doc, "media_type": "movie", "genre_ids": movie_base(catalog, m).genre_ids}
        parts.append({key: row[key] for key in PART_KEYS})
    return {
        "id": cid,
        "name": summary["name"],
        "original_language": first["original_language"],
        "original_name": summary["name"],
        "overview": f"The {summary['name']}." if cid % 4 else "",
        "poster_path": summary["poster_path"],
        "backdrop_path": summary["backdrop_path"],
        "parts": parts,
    }
