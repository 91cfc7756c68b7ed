"""The daily id exports (files.tmdb.org): one JSON line per id, gzip-compressed, for each of
TMDb's seven kinds (`EXPORT_KINDS`)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Literal

import orjson

try:  # ISA-L's gzip is 3-4x faster than zlib's, and compression is a large share of a request
    from isal.isal_zlib import compressobj as gzip_compressobj
except ImportError:
    from zlib import compressobj as gzip_compressobj  # type: ignore[assignment]

from tmdb_collector.simulator.attributes import (
    SALT_MOVIE_V,
    SALT_PERSON_V,
    Doc,
    movie_is_video,
    movie_title,
    person_name,
    popularity,
)
from tmdb_collector.simulator.catalog import Catalog, Kind
from tmdb_collector.simulator.entities import (
    KEYWORD_FIRST_ID,
    company,
    company_count,
    keyword_count,
    keyword_name,
    network,
    network_count,
)
from tmdb_collector.simulator.movie_collections import collection_ids, collection_name
from tmdb_collector.simulator.tv import tv_name, tv_popularity

LINES_PER_CHUNK = 5000
ExportKind = Literal[
    "movie", "person", "tv_series", "collection", "tv_network", "keyword", "production_company"
]
EXPORT_KINDS: tuple[ExportKind, ...] = (
    "movie",
    "person",
    "tv_series",
    "collection",
    "tv_network",
    "keyword",
    "production_company",
)
"""The export files TMDb publishes each day, by the name their files start with."""
TIMELINE_KINDS: dict[str, Kind] = {"movie": "movie", "person": "person", "tv_series": "tv"}


def movie_export_line(catalog: Catalog, index: int, day: int) -> Doc:
    """One line of the movie_ids export of `day` (fields exactly as TMDb's)."""
    seed = catalog.seed
    return {
        "adult": False,
        "id": catalog.movies.ids.id_of(index),
        "original_title": movie_title(seed, index),
        "popularity": popularity(seed, SALT_MOVIE_V, index, catalog.movies.version(index, day)),
        "video": movie_is_video(seed, index),
    }


def person_export_line(catalog: Catalog, index: int, day: int) -> Doc:
    """One line of the person_ids export of `day`."""
    seed = catalog.seed
    return {
        "adult": False,
        "id": catalog.people.ids.id_of(index),
        "name": person_name(seed, index),
        "popularity": popularity(seed, SALT_PERSON_V, index, catalog.people.version(index, day)),
    }


def tv_export_line(catalog: Catalog, index: int, day: int) -> Doc:
    """One line of the tv_series_ids export of `day` (no `adult`, as TMDb's)."""
    return {
        "id": catalog.tv.ids.id_of(index),
        "original_name": tv_name(catalog.seed, index),
        "popularity": tv_popularity(catalog, index, day),
    }


def export_lines(catalog: Catalog, kind: ExportKind, day: int) -> Iterator[tuple[int, Doc]]:
    """(key, line) of each line of the export of `day`: the key is the entry's index for
    movies, people and series, its id for the others."""
    seed = catalog.seed
    if kind in TIMELINE_KINDS:
        line = {"movie": movie_export_line, "person": person_export_line}.get(kind, tv_export_line)
        timeline = catalog.timeline(TIMELINE_KINDS[kind])
        for index in catalog.export_indices(timeline, day):
            yield index, line(catalog, index, day)
    elif kind == "collection":
        for cid in collection_ids(catalog, day):
            yield cid, {"id": cid, "name": collection_name(seed, cid)}
    elif kind == "keyword":
        for kid in range(KEYWORD_FIRST_ID, KEYWORD_FIRST_ID + keyword_count(catalog)):
            yield kid, {"id": kid, "name": keyword_name(seed, kid)}
    else:
        company_or_network = company if kind == "production_company" else network
        count = company_count if kind == "production_company" else network_count
        for cid in range(1, count(catalog) + 1):
            yield cid, {"id": cid, "name": company_or_network(seed, cid)["name"]}


def export_chunks(
    catalog: Catalog, kind: ExportKind, day: int, twice: Callable[[int], bool] | None = None
) -> Iterator[bytes]:
    """The export file of `day` for `kind`, gzip NDJSON, in pieces as it is generated; the
    lines whose keys `twice` picks are listed twice (TMDb's exports do that now and then)."""
    packer = gzip_compressobj(1, zlib.DEFLATED, 31)  # 31: a gzip container
    batch: list[bytes] = []
    for index, line in export_lines(catalog, kind, day):
        batch.append(orjson.dumps(line))
        if twice is not None and twice(index):
            batch.append(batch[-1])
        if len(batch) == LINES_PER_CHUNK:
            yield packer.compress(b"\n".join(batch) + b"\n")
            batch = []
    yield packer.compress(b"\n".join(batch) + b"\n" if batch else b"") + packer.flush()
