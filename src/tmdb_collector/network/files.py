"""The network's files: which each format writes, and how they reach their names whole.

| format  | files                                      |
|---------|--------------------------------------------|
| parquet | nodes.parquet, edges.parquet               |
| csv     | nodes.csv, edges.csv (movie_ids: "1;2;3")  |
| gexf    | network.gexf (GEXF 1.3, opens in Gephi)    |
| graphml | network.graphml                            |
| neo4j   | neo4j_nodes.csv, neo4j_relationships.csv   |

Neo4j: the two CSVs carry neo4j-admin's headers (`personId:ID(Person)`, `:LABEL`;
`:START_ID(Person)`, `:END_ID(Person)`, `weight:int`, `:TYPE`; arrays split on `;`, the
tool's default). With the files in Neo4j's import directory, into a database that does not
exist yet:

    bin/neo4j-admin database import full neo4j \\
        --nodes=import/neo4j_nodes.csv --relationships=import/neo4j_relationships.csv

Every file is written under a temporary name beside its final one and renamed only once all
the asked-for files are complete: an interrupted or failed run leaves the previous outputs (or
nothing) under the final names, never part of a file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from tmdb_collector.export.scratch import replacing
from tmdb_collector.network import xml
from tmdb_collector.network.graph import EDGES, NODES, GraphTables

Writer = Callable[[duckdb.DuckDBPyConnection, GraphTables, Path], None]

NODE_COLUMNS = "id, name, gender, popularity, known_for_department, movies, degree, community"


def write(
    con: duckdb.DuckDBPyConnection,
    tables: GraphTables,
    out_dir: Path,
    formats: Iterable[str],
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the graph in each format into `out_dir`; returns the files, once all are there."""
    tell = progress or (lambda step: None)
    written: list[Path] = []
    with contextlib.ExitStack() as renames:  # exits (renames) only after the last write
        for format_ in formats:
            tell(f"writing {format_}")
            for name, writer in WRITERS[format_]:
                writer(con, tables, renames.enter_context(replacing(out_dir / name)))
                written.append(out_dir / name)
    return written


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path, options: str) -> None:
    target = str(path).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{target}' ({options})")


def _edge_columns(tables: GraphTables, movie_ids: str = "movie_ids") -> str:
    columns = "source, target, weight, first_year, last_year"
    return columns + (f", {movie_ids} AS movie_ids" if tables.movie_ids else "")


PARQUET = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1"
"""zstd's fastest level: at 1.3 * 10^8 edges, 20% faster than its default and no bigger."""


def parquet_nodes(con: duckdb.DuckDBPyConnection, tables: GraphTables, path: Path) -> None:
    """nodes.parquet: one row per person in the graph."""
    query = f"SELECT {NODE_COLUMNS} FROM {NODES} ORDER BY id"
    _copy(con, query, path, PARQUET)


def parquet_edges(con: duckdb.DuckDBPyConnection, tables: GraphTables, path: Path) -> None:
    """edges.parquet: one row per linked pair, source < target."""
    query = f"SELECT {_edge_columns(tables)} FROM {EDGES}"
    _copy(con, query, path, PARQUET)


def csv_nodes(con: duckdb.DuckDBPyConnection, tables: GraphTables, path: Path) -> None:
    """nodes.csv, with a header."""
    _copy(con, f"SELECT {NODE_COLUMNS} FROM {NODES} ORDER BY id", path, "FORMAT csv, HEADER")


def csv_edges(con: duckdb.DuckDBPyConnection, tables: GraphTables, path: Path) -> None:
    """edges.csv, with a header; movie ids joined by ';'."""
    columns = _edge_columns(tables, "array_to_string(movie_ids, ';')")
    _copy(con, f"SELECT {columns} FROM {EDGES}", path, "FORMAT csv, HEADER")


def neo4j_nodes(con: duckdb.DuckDBPyConnection, tables: GraphTables, path: Path) -> None:
    """Person nodes with neo4j-admin's header; names on one line (the tool rejects
    multi-line fields unless told otherwise)."""
    query = (
        'SELECT id AS "personId:ID(Person)", '
        "regexp_replace(name, '[\\r\\n]+', ' ', 'g') AS name, "
        'gender AS "gender:int", popularity AS "popularity:double", '
        "known_for_department AS knownForDepartment, "
        'movies AS "movies:int", degree AS "degree:int", community AS "community:int", '
        f"'Person' AS \":LABEL\" FROM {NODES} ORDER BY id"
    )
    _copy(con, query, path, "FORMAT csv, HEADER")


def neo4j_relationships(con: duckdb.DuckDBPyConnection, tables: GraphTables, path: Path) -> None:
    """Relationships with neo4j-admin's header, typed APPEARED_WITH (cast) or WORKED_WITH."""
    ids = ", array_to_string(movie_ids, ';') AS \"movieIds:long[]\"" if tables.movie_ids else ""
    query = (
        'SELECT source AS ":START_ID(Person)", target AS ":END_ID(Person)", '
        'weight AS "weight:int", first_year AS "firstYear:int", last_year AS "lastYear:int"'
        f"{ids}, '{tables.relationship}' AS \":TYPE\" FROM {EDGES}"
    )
    _copy(con, query, path, "FORMAT csv, HEADER")


WRITERS: dict[str, tuple[tuple[str, Writer], ...]] = {
    "parquet": (("nodes.parquet", parquet_nodes), ("edges.parquet", parquet_edges)),
    "csv": (("nodes.csv", csv_nodes), ("edges.csv", csv_edges)),
    "gexf": (("network.gexf", xml.write_gexf),),
    "graphml": (("network.graphml", xml.write_graphml),),
    "neo4j": (
        ("neo4j_nodes.csv", neo4j_nodes),
        ("neo4j_relationships.csv", neo4j_relationships),
    ),
}
"""The files of each format, in the order they are written."""
