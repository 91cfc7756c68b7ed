"""Small catalogs as the DuckDB tables the network reads (the export's own schema), for the
network's tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from tmdb_collector.export import schema

Movie = tuple[int, int | None, int]
"""id, year (None: no release date), vote_count"""
Cast = tuple[int, int, int | None, str]
"""movie_id, person_id, order, name"""
Crew = tuple[int, int, str, str]
"""movie_id, person_id, job, name"""
Person = tuple[int, str | None, int | None]
"""id, name, gender"""


def catalog(
    movies: Sequence[Movie],
    cast: Sequence[Cast],
    crew: Sequence[Crew] = (),
    people: Sequence[Person] = (),
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with `movies`, `cast`, `crew` and `people` holding these rows."""
    con = duckdb.connect()
    for table in schema.TABLES:
        if table.name in ("movies", "cast", "crew", "people"):
            con.execute(table.create_sql())
    _insert(con, "movies", {
        "id": [m[0] for m in movies],
        "release_date": [date(m[1], 6, 1) if m[1] else None for m in movies],
        "year": [m[1] for m in movies],
        "vote_count": [m[2] for m in movies],
    })  # fmt: skip
    _insert(con, "cast", {
        "movie_id": [c[0] for c in cast], "person_id": [c[1] for c in cast],
        "order": [c[2] for c in cast], "name": [c[3] for c in cast],
        "gender": [c[1] % 3 for c in cast], "known_for_department": ["Acting" for _ in cast],
        "popularity": [c[1] / 10 for c in cast],
    })  # fmt: skip
    _insert(con, "crew", {
        "movie_id": [c[0] for c in crew], "person_id": [c[1] for c in crew],
        "job": [c[2] for c in crew], "name": [c[3] for c in crew],
        "known_for_department": ["Crew" for _ in crew],
    })  # fmt: skip
    _insert(con, "people", {
        "id": [p[0] for p in people], "name": [p[1] for p in people],
        "gender": [p[2] for p in people],
    })  # fmt: skip
    return con


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, list[Any]]) -> None:
    if not next(iter(columns.values())):
        return
    rows = pa.table({name: pa.array(values) for name, values in columns.items()})
    names = ", ".join(f'"{name}"' for name in columns)
    con.register("rows", rows)
    con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM rows')
    con.unregister("rows")


def simulated(movies: int, seed: int) -> duckdb.DuckDBPyConnection:
    """The simulator's first-day catalog of `movies` movies as the tables the network reads:
    each movie that answers, with its year and cast (names left empty), as a crawl and then
    the export would leave them, built in-process (no HTTP, no store)."""
    from tmdb_collector.simulator.catalog import Catalog
    from tmdb_collector.simulator.credits import movie_credits
    from tmdb_collector.simulator.movies import movie_base

    sim = Catalog(movies, seed, date(2026, 11, 2))
    rows: list[Movie] = []
    cast: list[Cast] = []
    for index in range(movies):
        if not sim.movies.alive(index, 0):
            continue
        movie_id = sim.movies.ids.id_of(index)
        released = movie_base(sim, index).doc["release_date"]
        rows.append((movie_id, int(released[:4]) if released else None, 0))
        for person, order, _ in movie_credits(sim, index).cast:
            cast.append((movie_id, sim.people.ids.id_of(person), order, ""))
    return catalog(rows, cast)
