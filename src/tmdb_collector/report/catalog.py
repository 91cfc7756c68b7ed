"""The report's second part, the catalog: movies per year, money, genres by decade, and the
people credited most, as DuckDB queries over the export tables (`export.tables.build`).

Every list is columnar (one array per field), which keeps the page's embedded JSON small.
"""

from __future__ import annotations

from typing import Any

import duckdb

from tmdb_collector import config

TABLES = {"movies", "people", "cast", "crew", "genres", "movie_genres"}
"""The export tables the catalog reads."""

BOX_OFFICE_MONEY = "budget > 1000 AND revenue >= 10000000"
"""The money half of the old tool's filter (`--preset box-office`): the zone the scatter marks
(a test holds the two together)."""


def catalog_facts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts, movies per year, the money scatter, genres by decade, the most credited people."""
    return {
        "counts": _counts(con),
        "per_year": columns(con, PER_YEAR_SQL),
        "money": money(con),
        "genres_by_decade": columns(con, GENRES_SQL),
        "top_by_movies": columns(con, TOP_BY_MOVIES_SQL, [config.REPORT_TOP_PEOPLE]),
    }


def columns(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any] | None = None
) -> dict[str, list[Any]]:
    """A query's result as {column: [values]}."""
    result = con.execute(sql, parameters or [])
    names = [d[0] for d in result.description or ()]
    rows = result.fetchall()
    return {name: [row[i] for row in rows] for i, name in enumerate(names)}


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = con.execute(COUNTS_SQL).fetchone()
    assert row is not None
    return {name: int(value) for name, value in zip(COUNT_NAMES, row, strict=True)}


COUNT_NAMES = ("movies", "dated", "people", "credited", "cast", "crew", "money", "box_office")
COUNTS_SQL = f"""
SELECT (SELECT count(*) FROM movies), (SELECT count(year) FROM movies),
    (SELECT count(*) FROM people),
    (SELECT count(*) FROM (SELECT person_id FROM "cast" UNION SELECT person_id FROM crew)),
    (SELECT count(*) FROM "cast"), (SELECT count(*) FROM crew),
    (SELECT count(*) FROM movies WHERE budget > 0 AND revenue > 0),
    (SELECT count(*) FROM movies WHERE {BOX_OFFICE_MONEY})
"""

PER_YEAR_SQL = (
    "SELECT year, count(*)::INTEGER AS movies FROM movies WHERE year IS NOT NULL "
    "GROUP BY year ORDER BY year"
)


def money(
    con: duckdb.DuckDBPyConnection, limit: int = config.REPORT_MONEY_POINTS
) -> dict[str, Any]:
    """Movies with both a budget and a revenue: at most `limit`, a fixed sample (by a hash of
    the id) beyond, so the same store always draws the same points."""
    return columns(
        con,
        "SELECT id, title, year, budget, revenue FROM movies WHERE budget > 0 AND revenue > 0 "
        "ORDER BY hash(id), id LIMIT ?",
        [limit],
    )


GENRES_SQL = """
SELECT (m.year // 10 * 10)::INTEGER AS decade, g.name AS genre, count(*)::INTEGER AS movies
FROM movie_genres l JOIN genres g ON g.id = l.genre_id JOIN movies m ON m.id = l.movie_id
WHERE m.year IS NOT NULL GROUP BY ALL ORDER BY decade, genre
"""

TOP_BY_MOVIES_SQL = """
WITH credited AS (
    SELECT person_id, movie_id, name, known_for_department FROM "cast"
    UNION ALL SELECT person_id, movie_id, name, known_for_department FROM crew),
top AS (
    SELECT person_id AS id, count(DISTINCT movie_id)::INTEGER AS movies,
        any_value(name) AS name, any_value(known_for_department) AS department
    FROM credited GROUP BY person_id ORDER BY movies DESC, id LIMIT ?)
SELECT t.id, coalesce(p.name, t.name) AS name,
    coalesce(p.known_for_department, t.department) AS department, t.movies
FROM top t LEFT JOIN people p USING (id) ORDER BY t.movies DESC, t.id
"""
"""The people with the most distinct movies, counting cast and crew credits alike; their
name and department from `people` when crawled, else from a credit."""
