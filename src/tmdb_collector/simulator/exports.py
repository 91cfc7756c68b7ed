"""The daily id exports (files.tmdb.org): one JSON line per movie or person, gzip-compressed."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

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

LINES_PER_CHUNK = 5000


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


def export_chunks(
    catalog: Catalog, kind: Kind, day: int, twice: Callable[[int], bool] | None = None
) -> Iterator[bytes]:
    """The export file of `day` for `kind`, gzip NDJSON, in pieces as it is generated; the
    lines of the indices `twice` picks are listed twice (TMDb's exports do that now and then)."""
    line = movie_export_line if kind == "movie" else person_export_line
    timeline = catalog.movies if kind == "movie" else catalog.people
    packer = gzip_compressobj(1, zlib.DEFLATED, 31)  # 31: a gzip container
    batch: list[bytes] = []
    for index in catalog.export_indices(timeline, day):
        batch.append(orjson.dumps(line(catalog, index, day)))
        if twice is not None and twice(index):
            batch.append(batch[-1])
        if len(batch) == LINES_PER_CHUNK:
            yield packer.compress(b"\n".join(batch) + b"\n")
            batch = []
    yield packer.compress(b"\n".join(batch) + b"\n" if batch else b"") + packer.flush()
