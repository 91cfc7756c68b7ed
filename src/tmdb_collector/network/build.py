"""`build_network`: from the tables in a DuckDB connection to the network's files."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tmdb_collector.errors import ConfigError, TmdbCollectorError
from tmdb_collector.network import community, files, graph
from tmdb_collector.network.graph import Progress
from tmdb_collector.network.options import NetworkOptions, check_formats


@dataclass(frozen=True)
class NetworkSummary:
    """What was built and written."""

    nodes: int
    edges: int
    credits: int  # distinct (movie, person) credits that passed the filters
    movies: int  # movies those credits come from
    communities: int | None  # None: not computed (see notes)
    modularity: float | None
    files: tuple[Path, ...]
    notes: tuple[str, ...] = ()  # things the user should know, one line each
    seconds: dict[str, float] = field(default_factory=dict)  # per step: graph, community, write


def build_network(
    con: duckdb.DuckDBPyConnection,
    options: NetworkOptions,
    out_dir: Path,
    formats: str | Iterable[str] = ("parquet",),
    progress: Progress | None = None,
) -> NetworkSummary:
    """Build the co-credit network from `movies`, `cast`, `crew` and `people` in `con` (as
    `export.tables.build` fills them) and write it into `out_dir` in each format.

    Bad formats or an unusable `out_dir` raise ConfigError before anything is computed or
    written. DuckDB works within `options.memory_limit` (spilling to disk beyond it; the
    connection's own limit is restored afterwards); its temporary tables are dropped at the end.
    """
    chosen = check_formats(formats)
    _check_out_dir(out_dir)
    seconds: dict[str, float] = {}
    with _spill_space(con, out_dir):
        try:
            with graph.setting(con, "memory_limit", options.memory_limit):
                with _timed(seconds, "graph"):
                    tables = graph.build(con, options, progress)
                with _timed(seconds, "community"):
                    if progress and options.community:
                        progress("communities")
                    found = community.detect(con, tables, options)
                with _timed(seconds, "write"):
                    written = files.write(con, tables, out_dir, chosen, progress)
        except (duckdb.OutOfMemoryException, duckdb.IOException) as exc:
            raise TmdbCollectorError(_resource_message(exc, options)) from None
        finally:
            graph.drop(con)
    notes = (found.note,) if found.note else ()
    return NetworkSummary(
        tables.nodes, tables.edges, tables.credits, tables.movies, found.count,
        found.modularity, tuple(written), notes, seconds,
    )  # fmt: skip


def _resource_message(exc: duckdb.Error, options: NetworkOptions) -> str:
    """One line for DuckDB running out of memory or disk, with what to change."""
    what = str(exc).splitlines()[0]
    if isinstance(exc, duckdb.OutOfMemoryException):
        return (
            f"the network needs more than DuckDB's memory limit of {options.memory_limit} "
            f"({what}); raise the limit, or cut the graph with --min-shared or --top-billed"
        )
    return f"DuckDB could not read or write its files while building the network: {what}"


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"the network's output must be a directory: {out_dir} is a file")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {out_dir}: {exc.strerror}") from None


@contextlib.contextmanager
def _timed(seconds: dict[str, float], step: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        seconds[step] = round(time.monotonic() - started, 2)


@contextlib.contextmanager
def _spill_space(con: duckdb.DuckDBPyConnection, out_dir: Path) -> Iterator[None]:
    """A place for DuckDB to spill beside the outputs, when the connection has none of its
    own (an in-memory database's default is `.tmp` in whatever the working directory is)."""
    if graph.current_setting(con, "temp_directory") not in ("", ".tmp"):
        yield
        return
    spill = Path(tempfile.mkdtemp(prefix=".network-spill-", dir=out_dir))
    try:
        con.execute(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
    except duckdb.Error:  # it has spilled already: it keeps its place
        shutil.rmtree(spill, ignore_errors=True)
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):
            con.execute("SET temp_directory = '.tmp'")
        shutil.rmtree(spill, ignore_errors=True)
