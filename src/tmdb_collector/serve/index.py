"""The index `serve` answers search and discover from: a DuckDB file of the stored movies' and
people's list fields, built once at start.

Building reads every stored document once, a chunk at a time, and DuckDB parses each chunk
(on every core); the index lives in a file and DuckDB spills beyond its memory limit, so the
memory it takes stays bounded whatever the store's size. The same pass records which appends
each document holds (`documents.Masks`), so a document request never needs to parse one.
Queries run on their own DuckDB cursor, one per thread, off the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from tmdb_collector import config
from tmdb_collector.serve.documents import APPENDS, KINDS, StoredDocuments
from tmdb_collector.vocab import Kind

MOVIE_STRUCTURE = orjson.dumps(
    {
        "adult": "BOOLEAN", "backdrop_path": "VARCHAR", "genres": [{"id": "BIGINT"}],
        "title": "VARCHAR", "original_language": "VARCHAR", "original_title": "VARCHAR",
        "overview": "VARCHAR", "popularity": "DOUBLE", "poster_path": "VARCHAR",
        "release_date": "VARCHAR", "softcore": "BOOLEAN", "video": "BOOLEAN",
        "vote_average": "DOUBLE", "vote_count": "BIGINT", "revenue": "BIGINT",
    }
).decode()  # fmt: skip
PERSON_STRUCTURE = orjson.dumps(
    {
        "adult": "BOOLEAN", "gender": "BIGINT", "known_for_department": "VARCHAR",
        "name": "VARCHAR", "popularity": "DOUBLE", "profile_path": "VARCHAR",
        "also_known_as": ["VARCHAR"],
    }
).decode()  # fmt: skip

MOVIE_RESULT = (
    "adult", "backdrop_path", "genre_ids", "id", "title", "original_language", "original_title",
    "overview", "popularity", "poster_path", "release_date", "softcore", "video", "vote_average",
    "vote_count",
)  # fmt: skip
"""A movie in a result list: TMDb's keys, in TMDb's order (softcore only when stored)."""
PERSON_RESULT = (
    "adult", "gender", "id", "known_for_department", "name", "original_name", "popularity",
    "profile_path",
)  # fmt: skip

TABLES = {
    "movie": (
        "CREATE TABLE movies (id BIGINT, adult BOOLEAN, backdrop_path VARCHAR, "
        "genre_ids BIGINT[], title VARCHAR, original_language VARCHAR, original_title VARCHAR, "
        "overview VARCHAR, popularity DOUBLE, poster_path VARCHAR, release_date VARCHAR, "
        "softcore BOOLEAN, video BOOLEAN, vote_average DOUBLE, vote_count BIGINT, "
        "revenue BIGINT, release_day DATE, words VARCHAR, appends INTEGER)"
    ),
    "person": (
        "CREATE TABLE people (id BIGINT, adult BOOLEAN, gender BIGINT, "
        "known_for_department VARCHAR, name VARCHAR, original_name VARCHAR, popularity DOUBLE, "
        "profile_path VARCHAR, words VARCHAR, appends INTEGER)"
    ),
}


def _mask_sql(kind: Kind) -> str:
    """The appends a document holds, as a bit mask (`documents.mask_of`), from `k`: whether
    each of APPENDS[kind] is a top-level key, in order."""
    return " + ".join(
        f"(CASE WHEN k[{bit + 1}] THEN {1 << bit} ELSE 0 END)" for bit in range(len(APPENDS[kind]))
    )


def _paths(kind: Kind) -> str:
    return "[" + ", ".join(f"'$.\"{name}\"'" for name in APPENDS[kind]) + "]"


LOADS = {
    Kind.MOVIE: (
        "INSERT INTO movies SELECT id, d.adult, d.backdrop_path, "
        "[g.id FOR g IN d.genres], d.title, d.original_language, d.original_title, "
        "d.overview, d.popularity, d.poster_path, d.release_date, d.softcore, d.video, "
        "d.vote_average, d.vote_count, d.revenue, TRY_CAST(NULLIF(d.release_date, '') AS DATE), "
        "lower(coalesce(d.title, '') || chr(10) || coalesce(d.original_title, '')), "
        f"{_mask_sql(Kind.MOVIE)} FROM (SELECT id, json_transform(doc, '{MOVIE_STRUCTURE}') AS d, "
        f"json_exists(doc, {_paths(Kind.MOVIE)}) AS k FROM chunk)"
    ),
    Kind.PERSON: (
        "INSERT INTO people SELECT id, d.adult, d.gender, d.known_for_department, d.name, "
        "d.name, d.popularity, d.profile_path, "
        "lower(coalesce(d.name, '') || chr(10) || array_to_string(d.also_known_as, chr(10))), "
        f"{_mask_sql(Kind.PERSON)} FROM (SELECT id, "
        f"json_transform(doc, '{PERSON_STRUCTURE}') AS d, "
        f"json_exists(doc, {_paths(Kind.PERSON)}) AS k FROM chunk)"
    ),
}

SORTS = {
    "popularity": "popularity",
    "vote_count": "vote_count",
    "vote_average": "vote_average",
    "revenue": "revenue",
    "primary_release_date": "release_day",
    "release_date": "release_day",
    "title": "title",
    "original_title": "original_title",
}
"""discover's sort_by fields (each .asc or .desc) and the index column each sorts on."""


@dataclass(frozen=True)
class Page:
    """One page of results, TMDb's paging shape."""

    page: int
    results: list[dict[str, Any]]
    total_results: int

    def body(self) -> dict[str, Any]:
        size = config.SERVE_PAGE_SIZE
        # TMDb answers an empty search with total_pages 1 (as clients record it; unverified).
        pages = max(1, -(-self.total_results // size))
        return {
            "page": self.page,
            "results": self.results,
            "total_pages": pages,
            "total_results": self.total_results,
        }


@dataclass(frozen=True)
class Discover:
    """What /discover/movie was asked."""

    sort_column: str = "popularity"
    descending: bool = True
    genres_all: tuple[int, ...] = ()
    genres_any: tuple[int, ...] = ()
    year: int | None = None
    include_adult: bool = False
    include_video: bool = False


class SearchIndex:
    """Search and discover over the stored documents' list fields."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = _connect(path)
        self._local = threading.local()

    @classmethod
    def build(
        cls, docs: StoredDocuments, path: Path, progress: Callable[[int], None] | None = None
    ) -> SearchIndex:
        """Index every stored movie and person (and fill `docs.masks`)."""
        index = cls(path)
        for kind in KINDS:
            index._load(docs, kind, progress)
        index.con.execute("CHECKPOINT")
        return index

    def _load(
        self, docs: StoredDocuments, kind: Kind, progress: Callable[[int], None] | None
    ) -> None:
        con = self.con
        con.execute(TABLES[kind])
        for rows in docs.chunks(kind):
            chunk = pa.table(
                {
                    "id": pa.array([r[0] for r in rows], pa.int64()),
                    # Stored documents parsed when fetched: valid UTF-8, no check needed.
                    "doc": pa.array([r[1] for r in rows], pa.binary()).view(pa.string()),
                }
            )
            con.register("chunk", chunk)
            try:
                con.execute(LOADS[kind])
            finally:
                con.unregister("chunk")
            if progress:
                progress(len(rows))
        table = "movies" if kind == "movie" else "people"
        masks = docs.masks[kind]
        cursor = con.execute(f"SELECT id, appends FROM {table} ORDER BY id")
        while batch := cursor.fetchmany(100_000):
            for id_, mask in batch:
                masks.set(id_, mask)

    def close(self) -> None:
        self.con.close()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self.con.cursor()
        return cursor

    # --- queries (each runs on the calling thread's cursor) --------------------------------

    def search_movies(
        self, query: str, page: int, include_adult: bool = False, year: int | None = None
    ) -> Page:
        """Movies whose title or original title holds every word of `query` (any case), the
        exact title first, then the most popular."""
        words = query.lower().split()
        if not words:
            return Page(page, [], 0)
        where = [" AND ".join("contains(words, ?)" for _ in words)]
        params: list[Any] = list(words)
        if not include_adult:
            where.append("adult IS NOT true")
        if year is not None:
            where.append("year(release_day) = ?")
            params.append(year)
        order = "(lower(title) = ?) DESC, popularity DESC NULLS LAST, id"
        return self._page("movies", MOVIE_RESULT, where, params, order, [query.lower()], page)

    def search_people(self, query: str, page: int, include_adult: bool = False) -> Page:
        """People whose name (or another name of theirs) holds every word of `query`."""
        words = query.lower().split()
        if not words:
            return Page(page, [], 0)
        where = [" AND ".join("contains(words, ?)" for _ in words)]
        if not include_adult:
            where.append("adult IS NOT true")
        order = "(lower(name) = ?) DESC, popularity DESC NULLS LAST, id"
        found = self._page(
            "people", PERSON_RESULT, where, list(words), order, [query.lower()], page
        )
        for person in found.results:
            person["known_for"] = []  # not indexed: it needs every stored credit
        return found

    def discover_movies(self, ask: Discover, page: int) -> Page:
        where: list[str] = []
        params: list[Any] = []
        if not ask.include_adult:
            where.append("adult IS NOT true")
        if not ask.include_video:
            where.append("video IS NOT true")
        if ask.genres_all:
            where.append("list_has_all(genre_ids, ?)")
            params.append(list(ask.genres_all))
        if ask.genres_any:
            where.append("list_has_any(genre_ids, ?)")
            params.append(list(ask.genres_any))
        if ask.year is not None:
            where.append("year(release_day) = ?")
            params.append(ask.year)
        direction = "DESC" if ask.descending else "ASC"
        order = f"{ask.sort_column} {direction} NULLS LAST, id"
        return self._page("movies", MOVIE_RESULT, where, params, order, [], page)

    def _page(
        self,
        table: str,
        columns: tuple[str, ...],
        where: list[str],
        params: list[Any],
        order: str,
        order_params: list[Any],
        page: int,
    ) -> Page:
        cursor = self._cursor()
        condition = " AND ".join(where) or "true"
        count = cursor.execute(f"SELECT count(*) FROM {table} WHERE {condition}", params)
        total = int((count.fetchone() or (0,))[0])
        size = config.SERVE_PAGE_SIZE
        rows = cursor.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE {condition} "
            f"ORDER BY {order} LIMIT {size} OFFSET {(page - 1) * size}",
            [*params, *order_params],
        ).fetchall()
        results = [dict(zip(columns, row, strict=True)) for row in rows]
        if "softcore" in columns:
            for item in results:
                if item["softcore"] is None:
                    del item["softcore"]
        return Page(page, results, total)


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute(f"SET memory_limit = '{config.SERVE_INDEX_MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{path.parent / '.duckdb-spill'}'")
    return con
