"""The co-credit graph as DuckDB tables: credits after the filters, edges, nodes.

Everything here runs inside DuckDB, which streams, uses every core and spills to disk past its
memory limit: at 1 M movies the cast alone gives ~10^8 pairs before aggregation. The tables are
temporary (they vanish with the connection) and named by `GraphTables`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import duckdb

from tmdb_collector import config
from tmdb_collector.network.options import NetworkOptions

Progress = Callable[[str], None]
"""Told, in a few words, which step starts."""

CREDITS = "temp.main.network_credits"
EDGES = "temp.main.network_edges"
NODES = "temp.main.network_nodes"
DEGREES = "temp.main.network_degrees"

WORK_OF = {"movie": ("", "movie_id"), "tv": ("tv_", "-series_id")}
"""Per medium: the prefix of its credit tables, and its work id there (a series' negated)."""


@dataclass(frozen=True)
class GraphTables:
    """Where the built graph is, and what it holds.

    `EDGES`: source < target (person ids), weight (shared movies), first_year, last_year, and
    movie_ids (sorted) when asked for. `NODES`: id, name, gender, popularity,
    known_for_department, movies, degree, community (NULL until detected), and idx (0..n-1 in
    id order, for igraph).
    """

    credits: int  # distinct (movie, person) credits after the filters
    movies: int  # movies with at least one of those credits
    pairs: int  # co-credit pairs before aggregation
    passes: int  # aggregation passes the pairs were split into
    edges: int  # kept edges
    nodes: int  # people with at least one kept edge
    movie_ids: bool  # whether EDGES has movie_ids
    relationship: str  # what an edge means: APPEARED_WITH (cast) or WORKED_WITH


def build(
    con: duckdb.DuckDBPyConnection,
    options: NetworkOptions,
    progress: Progress | None = None,
    pairs_per_pass: int = config.NETWORK_PAIRS_PER_PASS,
) -> GraphTables:
    """Fill the temporary tables CREDITS, EDGES and NODES from `movies`, `cast`, `crew` and
    `people` in `con`."""
    tell = progress or (lambda step: None)
    tell("credits")
    con.execute(f"CREATE OR REPLACE TEMP TABLE network_credits AS {credits_sql(options)}")
    credits, movies, pairs = _credit_counts(con)
    passes = max(1, math.ceil(pairs / pairs_per_pass))
    con.execute(f"CREATE OR REPLACE TEMP TABLE network_edges ({_edge_columns(options)})")
    for part in range(passes):
        tell(f"edges {part + 1}/{passes}")
        con.execute(f"INSERT INTO {EDGES} {edges_sql(options, part, passes)}")
    tell("nodes")
    # Degrees count ~2 x 10^8 edge ends into a few million people: with ids below 2^24 (TMDb's
    # are below 10^7) DuckDB counts into an array instead of a hash table, twice as fast. Only
    # there: an array of the nodes' bigger aggregates (arg_max of a struct) would not fit.
    with setting(con, "perfect_ht_threshold", "24"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE network_degrees AS {DEGREES_SQL}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE network_nodes AS {nodes_sql(options)}")
    con.execute(f"DROP TABLE {DEGREES}")
    edges, nodes = _graph_counts(con)
    relationship = "APPEARED_WITH" if options.roles == "cast" else "WORKED_WITH"
    return GraphTables(
        credits, movies, pairs, passes, edges, nodes, options.movie_ids, relationship
    )


def drop(con: duckdb.DuckDBPyConnection) -> None:
    """Remove the graph's tables."""
    for table in (CREDITS, EDGES, DEGREES, NODES):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def credits_sql(options: NetworkOptions) -> str:
    """One row per (work, person) credited in the chosen roles on a work (a movie, or a series
    as its negated id) that passes the filters, with the work's year. A person with several
    crew jobs on a work, or in both cast and crew, is one row: they share that work once with
    each colleague."""
    parts = []
    for prefix, work in (WORK_OF[medium] for medium in options.media):
        cast = f'SELECT {work} AS movie_id, person_id FROM "{prefix}cast"'
        if options.top_billed is not None:  # NULL order: unknown billing, so not top-billed
            cast += f' WHERE "order" < {options.top_billed}'
        crew = f"SELECT {work} AS movie_id, person_id FROM {prefix}crew"
        parts.append(
            {"cast": cast, "crew": crew, "both": f"{cast} UNION ALL {crew}"}[options.roles]
        )
    where = " AND ".join(_movie_conditions(options)) or "true"
    return (
        f"SELECT DISTINCT c.movie_id, c.person_id, m.year FROM ({' UNION ALL '.join(parts)}) c "
        f"JOIN ({works_sql(options)}) m ON m.id = c.movie_id WHERE {where}"
    )


def works_sql(options: NetworkOptions) -> str:
    """The works people share, as (id, year, vote_count, release_date): movies, and series
    under their negated ids (their first air date as the release)."""
    works = []
    if "movie" in options.media:
        works.append("SELECT id, year, vote_count, release_date FROM movies")
    if "tv" in options.media:
        works.append(
            "SELECT -id AS id, year(first_air_date) AS year, vote_count, "
            "first_air_date AS release_date FROM tv_series"
        )
    return " UNION ALL ".join(works)


def _movie_conditions(options: NetworkOptions) -> list[str]:
    # The options are checked integers (NetworkOptions), so formatting them in is safe.
    conditions = []
    if options.min_votes is not None:
        conditions.append(f"m.vote_count >= {options.min_votes}")
    if options.year_from is not None:
        conditions.append(f"m.year >= {options.year_from}")
    if options.year_to is not None:
        conditions.append(f"m.year <= {options.year_to}")
    return conditions


def _credit_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    row = con.execute(
        "SELECT coalesce(sum(n), 0), count(*), coalesce(sum(n * (n - 1) // 2), 0) "
        f"FROM (SELECT count(*) AS n FROM {CREDITS} GROUP BY movie_id)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def _edge_columns(options: NetworkOptions) -> str:
    columns = "source BIGINT, target BIGINT, weight INTEGER, first_year INTEGER, last_year INTEGER"
    return columns + (", movie_ids BIGINT[]" if options.movie_ids else "")


def edges_sql(options: NetworkOptions, part: int = 0, passes: int = 1) -> str:
    """The edges whose smaller person id falls in pass `part` of `passes`: each pair once as
    (smaller id, larger id), never a person with themselves, weighted by shared movies."""
    ids = ", list(a.movie_id ORDER BY a.movie_id)" if options.movie_ids else ""
    # Passes split the pairs by the smaller id's hash, so every pair lands in exactly one.
    split = f"hash(a.person_id) % {passes} = {part}" if passes > 1 else "true"
    return (
        "SELECT a.person_id, b.person_id, count(*), min(a.year), max(a.year)"
        f"{ids} FROM {CREDITS} a JOIN {CREDITS} b "
        "ON a.movie_id = b.movie_id AND a.person_id < b.person_id "
        f"WHERE {split} GROUP BY a.person_id, b.person_id "
        f"HAVING count(*) >= {options.min_shared}"
    )


DEGREES_SQL = (
    f"SELECT id, count(*)::INTEGER AS degree FROM (SELECT source AS id FROM {EDGES} "
    f"UNION ALL SELECT target FROM {EDGES}) GROUP BY id"
)


def nodes_sql(options: NetworkOptions) -> str:
    """The nodes: people with a kept edge, their details from `people` when crawled, else
    from their most recent credit in the chosen roles (only those tables are read)."""
    tables = [
        (WORK_OF[medium][1], f"{WORK_OF[medium][0]}{t}")
        for medium in options.media
        for t in options.credit_tables
    ]
    credited = " UNION ALL ".join(
        f"SELECT {work} AS movie_id, person_id, name, gender, known_for_department, popularity "
        f'FROM "{table}"'
        for work, table in tables
    )
    return _NODES_SQL.replace("{credited}", credited).replace("{works}", works_sql(options))


_NODES_SQL = f"""
WITH degrees AS (SELECT * FROM {DEGREES}),
counted AS (
    SELECT person_id AS id, count(*)::INTEGER AS movies FROM {CREDITS}
    WHERE person_id IN (SELECT id FROM degrees) GROUP BY person_id),
credited AS ({{credited}}),
latest AS (
    -- A person's most recent credit (then highest movie id): their fields as last credited,
    -- for people who were not crawled.
    SELECT r.person_id AS id, arg_max(
        {{'name': r.name, 'gender': r.gender, 'department': r.known_for_department,
          'popularity': r.popularity}},
        (coalesce(m.release_date, DATE '0001-01-01'), r.movie_id)) AS row
    FROM credited r JOIN ({{works}}) m ON m.id = r.movie_id
    WHERE r.person_id IN (SELECT id FROM degrees) GROUP BY r.person_id)
SELECT d.id,
    coalesce(p.name, l.row.name) AS name,
    coalesce(p.gender, l.row.gender) AS gender,
    coalesce(p.popularity, l.row.popularity) AS popularity,
    coalesce(p.known_for_department, l.row.department) AS known_for_department,
    c.movies, d.degree, NULL::INTEGER AS community,
    (row_number() OVER (ORDER BY d.id) - 1)::INTEGER AS idx
FROM degrees d JOIN counted c USING (id)
LEFT JOIN people p ON p.id = d.id LEFT JOIN latest l ON l.id = d.id
"""


def _graph_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    row = con.execute(f"SELECT (SELECT count(*) FROM {EDGES}), count(*) FROM {NODES}").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@contextlib.contextmanager
def setting(con: duckdb.DuckDBPyConnection, name: str, value: str) -> Iterator[None]:
    """DuckDB's setting `name` set to `value` within the block, then back to what it was."""
    before = current_setting(con, name)
    con.execute(f"SET {name} = '{value}'")
    try:
        yield
    finally:
        con.execute(f"SET {name} = '{before}'")


def current_setting(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """A DuckDB setting's current value, as text."""
    row = con.execute("SELECT current_setting(?)", [name]).fetchone()
    assert row is not None
    return str(row[0])
