"""`export`: the store as Parquet tables, a DuckDB database, or JSONL in the old tool's format.

Each export is rebuilt from the store: the tables are built in a scratch DuckDB database
beside the output, and every file reaches its final name by a rename, so an interrupted
export leaves the previous output (or nothing) under that name, never half a file.
"""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import duckdb
import orjson
import zstandard

from tmdb_collector import config
from tmdb_collector.crawl.store import Store
from tmdb_collector.errors import ConfigError
from tmdb_collector.export import datapackage, hnv, kept, package, schema, tables, tabular, tmdb5000
from tmdb_collector.export.scratch import replacing, scratch_dir
from tmdb_collector.export.tables import Progress
from tmdb_collector.vocab import Kind, State

FORMATS = ("jsonl", "parquet", "duckdb", "hnv", "tmdb5000")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst")
DEFAULT_NAMES = {
    "jsonl": "movies.jsonl",
    "parquet": "parquet",
    "duckdb": "tmdb.duckdb",
    "hnv": "hnv",
    "tmdb5000": "tmdb5000",
}
DIRECTORIES = datapackage.DIRECTORY_FORMATS
"""Formats written as a directory of files; the others are one file."""
KEPT_FORMATS = ("parquet", "duckdb")
"""Formats written from the kept tables (`kept`): after a sync, only what changed is parsed."""
FILE_SETS = {"hnv": hnv, "tmdb5000": tmdb5000}
"""Formats of a few files in a directory, each module with its FILES and write()."""

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
        "c.character AS role, 'movie' AS media, NULL::BIGINT AS series_id "
        'FROM "cast" c JOIN movies m ON m.id = c.movie_id '
        "UNION ALL SELECT w.person_id, w.name, w.movie_id, m.title, m.year, 'crew', w.job, "
        "'movie', NULL FROM crew w JOIN movies m ON m.id = w.movie_id "
        # TV: one row per role or job of the aggregate credits (every season)
        "UNION ALL SELECT c.person_id, c.name, NULL, s.name, year(s.first_air_date), 'cast', "
        "c.character, 'tv', c.series_id FROM tv_cast c JOIN tv_series s ON s.id = c.series_id "
        "UNION ALL SELECT w.person_id, w.name, NULL, s.name, year(s.first_air_date), 'crew', "
        "w.job, 'tv', w.series_id FROM tv_crew w JOIN tv_series s ON s.id = w.series_id"
    ),
    "episodes": (
        "SELECT s.id AS series_id, s.name AS series, e.season_number, e.episode_number, "
        "e.id AS episode_id, e.name, e.air_date, e.runtime FROM tv_episodes e "
        "JOIN tv_series s ON s.id = e.series_id"
    ),
}
"""Views of the DuckDB export, for the questions users ask first."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export, where to, and which movies."""

    format: str
    out: Path
    condition: str | None = None  # a SQL condition over `movies`; None keeps every movie
    full: bool = False  # parquet and duckdb: parse every document again, not just the changed

    @classmethod
    def check(
        cls,
        format: str,
        data_dir: Path,
        out: Path | None = None,
        preset: str | None = None,
        where: str | None = None,
        full: bool = False,
    ) -> ExportRequest:
        """A request whose format, output path and filter are known to be usable: anything
        wrong raises ConfigError before a file is touched."""
        if format not in FORMATS:
            raise ConfigError(f"unknown format {format!r}: choose one of {', '.join(FORMATS)}")
        out = out or data_dir / config.OUTPUT_DIR / DEFAULT_NAMES[format]
        if format == "jsonl" and not out.name.endswith(JSONL_SUFFIXES):
            raise ConfigError(f"--out for jsonl must end in {', '.join(JSONL_SUFFIXES)}: {out}")
        if out.exists() and out.is_dir() != (format in DIRECTORIES):
            kind = "a directory" if format in DIRECTORIES else "a file"
            raise ConfigError(f"--out for {format} must be {kind}: {out} is not")
        if preset is not None and preset not in PRESETS:
            raise ConfigError(f"unknown preset {preset!r}: choose one of {', '.join(PRESETS)}")
        parts = [f"({PRESETS[preset]})"] if preset else []
        if where is not None:
            check_condition(where)
            parts.append(f"({where})")
        if full and format not in KEPT_FORMATS:
            raise ConfigError(f"--full applies to {' and '.join(KEPT_FORMATS)}, not {format}")
        return cls(format, out, " AND ".join(parts) or None, full)


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


def check_store(store: Store, request: ExportRequest) -> None:
    """Raise a one-line ConfigError when the store cannot give this export (before anything
    is written): the Visualizer's files need people."""
    if request.format == "hnv":
        hnv.check_people(store)


@dataclass(frozen=True)
class Exported:
    """Where an export went, and what bringing the kept tables up to date took (for the
    formats written from them)."""

    path: Path
    refresh: kept.Refresh | None = None


def export(
    store: Store,
    request: ExportRequest,
    progress: Progress | None = None,
    expect: Callable[[int], None] | None = None,
    busy: Callable[[str], None] | None = None,
) -> Exported:
    """Write the export and its datapackage.json; returns where it went.

    Every file, the descriptor included, is written under a temporary name and they are all
    renamed at the end, once each is complete: the descriptor's hashes are those of the
    files it sits beside, and an interrupted export leaves the previous files in place.
    """
    check_store(store, request)
    refresh = None
    with scratch_dir(request.out, "export") as scratch, contextlib.ExitStack() as renames:
        # Entered first, so renamed last (an ExitStack unwinds in reverse).
        package_tmp = renames.enter_context(
            replacing(datapackage.package_path(request.format, request.out))
        )
        if request.format in KEPT_FORMATS:
            with kept.current(store, progress, request.full, expect, busy) as (con, refresh):
                files = tabular.write(con, request.format, request.out, request.condition,
                                      scratch, renames, VIEWS)  # fmt: skip
            rows: dict[str, int] = {}
        else:
            files, rows = _write(store, request, scratch, progress, renames)
        resources = package.resources(request.format, files, rows, VIEWS)
        descriptor = datapackage.describe(
            request.format, request.out, resources, request.condition,
            package.selection(request.format, request.condition),
        )  # fmt: skip
        datapackage.write(package_tmp, descriptor)
    return Exported(request.out, refresh)


Files = tabular.Files


def _write(
    store: Store,
    request: ExportRequest,
    scratch: Path,
    progress: Progress | None,
    renames: contextlib.ExitStack,
) -> tuple[Files, dict[str, int]]:
    """Write the export's files, each renamed when `renames` closes; returns them and the
    rows of those whose writer counted them."""
    out = request.out
    if request.format in FILE_SETS:
        module: Any = FILE_SETS[request.format]
        out.mkdir(parents=True, exist_ok=True)
        files = {name: renames.enter_context(replacing(out / name)) for name in module.FILES}
        with store.snapshot():  # movies and people as of one moment, though a crawl goes on
            rows: dict[str, int] = module.write(store, files, request.condition, scratch, progress)
        return files, rows
    if request.format == "jsonl":
        keep = _kept_ids(store, request.condition, scratch, progress)
        tmp = renames.enter_context(replacing(out))
        _write_jsonl(store, tmp, out.name, keep, progress)
        return {out.name: tmp}, {}
    raise ValueError(f"not a format of its own: {request.format}")


def documents_to_read(store: Store, request: ExportRequest) -> int:
    """How many documents the export reads, for a progress bar."""
    counts = store.counts()
    movies, people = (counts.get(kind, {}).get(State.OK, 0) for kind in (Kind.MOVIE, Kind.PERSON))
    every = sum(counts.get(kind, {}).get(State.OK, 0) for kind in Kind)
    if request.format == "hnv":
        return hnv.documents_to_read(movies, people)
    if request.format == "tmdb5000":
        return tmdb5000.documents_to_read(movies, request.condition)
    if request.format != "jsonl":
        return every
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


def _write_jsonl(
    store: Store, path: Path, name: str, keep: set[int] | None, progress: Progress | None = None
) -> None:
    """One raw TMDb document per line (with its appends), as the old tool wrote them, into
    `path`, compressed as `name` says."""
    with store.snapshot(), _open_compressed(path, name) as sink:
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
