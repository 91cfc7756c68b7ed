"""`export`: the store as Parquet tables, a DuckDB database, or JSONL in the old tool's format.

Each export is rebuilt from the store: the tables are built in a scratch DuckDB database
beside the output, and every file reaches its final name by a rename, so an interrupted
export leaves the previous output (or nothing) under that name, never half a file.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import duckdb
import orjson
import zstandard

from tmdb_collector import config
from tmdb_collector.crawl.store import Store
from tmdb_collector.errors import ConfigError
from tmdb_collector.export import schema, tables
from tmdb_collector.export.tables import Progress
from tmdb_collector.vocab import Kind, State

FORMATS = ("jsonl", "parquet", "duckdb")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst")
DEFAULT_NAMES = {"jsonl": "movies.jsonl", "parquet": "parquet", "duckdb": "tmdb.duckdb"}

PRESETS = {
    # The old tool's filter: money on both sides, and genres, cast and crew all listed.
    "box-office": (
        "budget > 1000 AND revenue >= 10000000"
        " AND EXISTS (SELECT 1 FROM movie_genres g WHERE g.movie_id = movies.id)"
        ' AND EXISTS (SELECT 1 FROM "cast" c WHERE c.movie_id = movies.id)'
        " AND EXISTS (SELECT 1 FROM crew w WHERE w.movie_id = movies.id)"
    ),
}

VIEWS = {
    "box_office": f"SELECT * FROM movies WHERE {PRESETS['box-office']}",
    "directors": (
        "SELECT w.movie_id, m.title, m.year, w.person_id, w.name FROM crew w "
        "JOIN movies m ON m.id = w.movie_id WHERE w.job = 'Director'"
    ),
    "filmography": (
        "SELECT c.person_id, c.name, c.movie_id, m.title, m.year, 'cast' AS credit, "
        'c.character AS role FROM "cast" c JOIN movies m ON m.id = c.movie_id '
        "UNION ALL SELECT w.person_id, w.name, w.movie_id, m.title, m.year, 'crew', w.job "
        "FROM crew w JOIN movies m ON m.id = w.movie_id"
    ),
}
"""Views of the DuckDB export, for the questions users ask first."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export, where to, and which movies."""

    format: str
    out: Path
    condition: str | None = None  # a SQL condition over `movies`; None keeps every movie

    @classmethod
    def check(
        cls,
        format: str,
        data_dir: Path,
        out: Path | None = None,
        preset: str | None = None,
        where: str | None = None,
    ) -> ExportRequest:
        """A request whose format, output path and filter are known to be usable: anything
        wrong raises ConfigError before a file is touched."""
        if format not in FORMATS:
            raise ConfigError(f"unknown format {format!r}: choose one of {', '.join(FORMATS)}")
        out = out or data_dir / config.OUTPUT_DIR / DEFAULT_NAMES[format]
        if format == "jsonl" and not out.name.endswith(JSONL_SUFFIXES):
            raise ConfigError(f"--out for jsonl must end in {', '.join(JSONL_SUFFIXES)}: {out}")
        if out.exists() and out.is_dir() != (format == "parquet"):
            kind = "a directory" if format == "parquet" else "a file"
            raise ConfigError(f"--out for {format} must be {kind}: {out} is not")
        if preset is not None and preset not in PRESETS:
            raise ConfigError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
        parts = [f"({PRESETS[preset]})"] if preset else []
        if where is not None:
            check_condition(where)
            parts.append(f"({where})")
        return cls(format, out, " AND ".join(parts) or None)


def check_condition(where: str) -> None:
    """Raise a one-line ConfigError unless `where` is one valid SQL condition over movies
    (checked against empty tables: instant, whatever the store's size)."""
    query = f"SELECT id FROM movies WHERE ({where})"
    try:
        if len(duckdb.extract_statements(query)) != 1:
            raise ConfigError(f"--where must be one SQL condition, not several statements: {where}")
        con = duckdb.connect()
        for table in schema.TABLES:
            con.execute(table.create_sql())
        con.execute(query + " LIMIT 0")
    except duckdb.Error as exc:
        raise ConfigError(f"bad --where: {' '.join(str(exc).split())}") from None


def export(store: Store, request: ExportRequest, progress: Progress | None = None) -> Path:
    """Write the export; returns where it went."""
    with scratch_dir(request.out, "export") as scratch:
        if request.format == "jsonl":
            keep = _kept_ids(store, request.condition, scratch, progress)
            _write_jsonl(store, request.out, keep, progress)
            return request.out
        con = tables.connect(scratch / "tables.duckdb")
        tables.build(store, con, progress)
        if request.condition:
            _keep_only(con, request.condition)
        if request.format == "parquet":
            _write_parquet(con, request.out)
            con.close()
        else:
            _finish_duckdb(con)
            con.close()
            os.replace(scratch / "tables.duckdb", request.out)
    return request.out


def documents_to_read(store: Store, request: ExportRequest) -> int:
    """How many documents the export reads, for a progress bar."""
    counts = store.counts()
    movies, people = (counts.get(kind, {}).get(State.OK, 0) for kind in (Kind.MOVIE, Kind.PERSON))
    if request.format != "jsonl":
        return movies + people
    if request.condition is None:
        return movies
    reads = duckdb.get_table_names(f"SELECT id FROM movies WHERE {request.condition}")
    return 2 * movies + (people if "people" in reads else 0)


def _kept_ids(
    store: Store, condition: str | None, scratch: Path, progress: Progress | None
) -> set[int] | None:
    """The ids of the movies `condition` keeps (None: all), building only the tables it
    reads."""
    if condition is None:
        return None
    query = f"SELECT id FROM movies WHERE {condition}"
    con = tables.connect(scratch / "tables.duckdb")
    try:
        tables.build(store, con, progress, only=duckdb.get_table_names(query))
        return {row[0] for row in con.execute(query).fetchall()}
    finally:
        con.close()


def _keep_only(con: duckdb.DuckDBPyConnection, condition: str) -> None:
    """Drop the movies the condition rejects, with their rows in every movie-keyed table."""
    con.execute(f"CREATE TEMP TABLE kept AS SELECT id FROM movies WHERE {condition}")
    for name, key in schema.MOVIE_KEYED.items():
        con.execute(f'DELETE FROM "{name}" WHERE {key} NOT IN (SELECT id FROM kept)')
    con.execute("DELETE FROM movies WHERE id NOT IN (SELECT id FROM kept)")
    con.execute("DROP TABLE kept")


def _write_parquet(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for table in schema.TABLES:
        # Sorted by key; cast and crew (tens of millions of rows, no key) keep the order they
        # were loaded in, roughly by movie, which spares the biggest sorts.
        order = " ORDER BY " + ", ".join(f'"{k}"' for k in table.key) if table.key else ""
        with replacing(out / f"{table.name}.parquet") as tmp:
            con.execute(
                f"COPY (SELECT * FROM \"{table.name}\"{order}) TO '{tmp}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
    with replacing(out / "SCHEMA.md") as tmp:
        tmp.write_text(schema.document(), encoding="utf-8")


def _finish_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    """Views and column comments, so the file explains itself in any DuckDB client."""
    for name, sql in VIEWS.items():
        con.execute(f"CREATE VIEW {name} AS {sql}")
    for table in schema.TABLES:
        con.execute(f"COMMENT ON TABLE \"{table.name}\" IS '{_quote(table.about)}'")
        for c in table.columns:
            con.execute(f'COMMENT ON COLUMN "{table.name}"."{c.name}" IS \'{_quote(c.about)}\'')
    con.execute("CHECKPOINT")


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _write_jsonl(
    store: Store, out: Path, keep: set[int] | None, progress: Progress | None = None
) -> None:
    """One raw TMDb document per line (with its appends), as the old tool wrote them."""
    with store.snapshot(), replacing(out) as tmp, _open_compressed(tmp, out.name) as sink:
        for n, (id_, doc) in enumerate(store.documents(Kind.MOVIE), 1):
            if progress and n % 1000 == 0:
                progress(1000)
            if keep is not None and id_ not in keep:
                continue
            if b"\n" in doc:  # a pretty-printed body would break the one-line-per-movie format
                doc = orjson.dumps(orjson.loads(doc))
            sink.write(doc + b"\n")


@contextlib.contextmanager
def _open_compressed(path: Path, name: str) -> Iterator[IO[bytes]]:
    """`path` opened for writing, compressed as `name`'s suffix says (.gz, .zst or none)."""
    if name.endswith(".gz"):
        stream: Any = gzip.open(path, "wb", compresslevel=6)  # noqa: SIM115
    elif name.endswith(".zst"):
        stream = zstandard.ZstdCompressor(level=3).stream_writer(open(path, "wb"))  # noqa: SIM115
    else:
        stream = open(path, "wb")  # noqa: SIM115
    with stream:
        yield stream


@contextlib.contextmanager
def scratch_dir(out: Path, kind: str) -> Iterator[Path]:
    """A scratch directory beside `out` (which need not exist yet), removed afterwards.

    A run killed outright (kill -9, a crash, power loss) cannot clean up after itself, and its
    scratch database can take gigabytes: so first, what such runs left beside and in `out`,
    scratch directories and partial files named for a process that is gone, is removed.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    for directory in (out.parent, out):
        remove_leftovers(directory)
    scratch = Path(tempfile.mkdtemp(prefix=f".tmdb-{kind}-{os.getpid()}-", dir=out.parent))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


_LEFTOVER = re.compile(r"\.tmdb-[a-z]+-(\d+)-.+|\..+\.tmdb-(\d+)\.partial")
"""`scratch_dir`'s and `replacing`'s names: the number is the process that made them."""


def remove_leftovers(directory: Path) -> None:
    """Remove the scratch directories and partial files in `directory` whose process is gone."""
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        match = _LEFTOVER.fullmatch(path.name)
        if match is None or _alive(int(match.group(1) or match.group(2))):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextlib.contextmanager
def replacing(final: Path) -> Iterator[Path]:
    """A temporary path beside `final`, renamed onto it only if the block succeeds."""
    tmp = final.with_name(f".{final.name}.tmdb-{os.getpid()}.partial")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
