"""The Parquet and DuckDB exports, written from the kept tables (`kept`): every file under a
temporary name, renamed when the export's `renames` close."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

from tmdb_collector import io_errors
from tmdb_collector.export import kept, schema
from tmdb_collector.export.scratch import replacing

__all__ = ["write"]

Files = dict[str, Path]
"""An export's files: each one's name in the output -> where it is until renamed."""


def write(
    con: duckdb.DuckDBPyConnection,
    format: str,
    out: Path,
    condition: str | None,
    scratch: Path,
    renames: contextlib.ExitStack,
    views: dict[str, str],
) -> Files:
    """Write the kept tables of `con` (only the movies `condition` keeps, and their rows) as
    `format` (parquet or duckdb) to `out`; returns the files written."""
    if format == "parquet":
        return _parquet(con, out, condition, renames)
    path = kept.file_of(con)
    con.execute("CHECKPOINT")  # everything in the file itself, none in its log
    copy = scratch / "tables.duckdb"
    try:
        shutil.copyfile(path, copy)
    except OSError as exc:  # named for the output: the file it names may be the source
        raise io_errors.explain(out, exc) from None
    _finish_duckdb(copy, condition, views)
    renames.enter_context(_moving(copy, out))
    return {out.name: copy}


def _parquet(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    condition: str | None,
    renames: contextlib.ExitStack,
) -> Files:
    out.mkdir(parents=True, exist_ok=True)
    if condition:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _kept AS SELECT id FROM movies WHERE {condition}"
        )
    files: Files = {}
    for table in schema.TABLES:
        where = ""
        if condition and (table.name in schema.MOVIE_KEYED or table.name == "movies"):
            key = schema.MOVIE_KEYED.get(table.name, "id")
            where = f" WHERE {key} IN (SELECT id FROM _kept)"
        # Sorted by key; cast and crew (tens of millions of rows, no key) are not, which
        # spares the biggest sorts.
        order = " ORDER BY " + ", ".join(f'"{k}"' for k in table.key) if table.key else ""
        name = f"{table.name}.parquet"
        tmp = files[name] = renames.enter_context(replacing(out / name))
        con.execute(
            f"COPY (SELECT * FROM \"{table.name}\"{where}{order}) TO '{tmp}' "
            "(FORMAT parquet, COMPRESSION zstd)"
        )
    tmp = files["SCHEMA.md"] = renames.enter_context(replacing(out / "SCHEMA.md"))
    tmp.write_text(schema.document(), encoding="utf-8")
    return files


def _finish_duckdb(path: Path, condition: str | None, views: dict[str, str]) -> None:
    """Turn a copy of the kept tables into the export: without the bookkeeping, only the
    movies kept, with views and column comments, so that it explains itself in any client."""
    con = duckdb.connect(str(path))
    try:
        for name in kept.HIDDEN:
            con.execute(f'DROP TABLE "{name}"')
        if condition:
            _keep_only(con, condition)
        for name, sql in views.items():
            con.execute(f"CREATE VIEW {name} AS {sql}")
        for table in schema.TABLES:
            con.execute(f"COMMENT ON TABLE \"{table.name}\" IS '{_quote(table.about)}'")
            for c in table.columns:
                about = _quote(c.about)
                con.execute(f'COMMENT ON COLUMN "{table.name}"."{c.name}" IS \'{about}\'')
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _keep_only(con: duckdb.DuckDBPyConnection, condition: str) -> None:
    """Drop the movies the condition rejects, with their rows in every movie-keyed table."""
    con.execute(f"CREATE TEMP TABLE kept AS SELECT id FROM movies WHERE {condition}")
    for name, key in schema.MOVIE_KEYED.items():
        con.execute(f'DELETE FROM "{name}" WHERE {key} NOT IN (SELECT id FROM kept)')
    con.execute("DELETE FROM movies WHERE id NOT IN (SELECT id FROM kept)")
    con.execute("DROP TABLE kept")


def _quote(text: str) -> str:
    return text.replace("'", "''")


@contextlib.contextmanager
def _moving(source: Path, final: Path) -> Iterator[None]:
    """Move `source` onto `final` when the block succeeds (like `replacing`, for a file
    made elsewhere)."""
    yield
    os.replace(source, final)
