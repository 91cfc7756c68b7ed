"""The network of a whole collection: its tables built from the store, then the graph."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

from tmdb_collector.crawl.store import Store
from tmdb_collector.export import tables
from tmdb_collector.export.scratch import scratch_dir
from tmdb_collector.network.build import NetworkSummary, build_network
from tmdb_collector.network.graph import Progress
from tmdb_collector.network.options import NetworkOptions


def build_from_store(
    store: Store,
    options: NetworkOptions,
    out_dir: Path,
    formats: str | Iterable[str] = ("parquet",),
    *,
    reading: contextlib.AbstractContextManager[tables.Progress | None] | None = None,
    progress: Progress | None = None,
) -> NetworkSummary:
    """Build the tables the network needs from the store's documents, in a scratch DuckDB
    database beside `out_dir` (removed afterwards, however it ends), then the network into
    `out_dir` (see `build_network`). `reading` is entered while documents are read, and
    yields what to tell how many were (a progress bar's advance)."""
    with scratch_dir(out_dir, "network") as scratch:
        con = tables.connect(scratch / "tables.duckdb")
        try:
            with reading or contextlib.nullcontext() as advance:
                tables.build(store, con, advance, only=options.tables)
            return build_network(con, options, out_dir, formats, progress)
        finally:
            con.close()
