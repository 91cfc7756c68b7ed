"""`build_report`: from the store to one self-contained HTML page."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tmdb_collector import __version__
from tmdb_collector.crawl.store import Store
from tmdb_collector.errors import ConfigError
from tmdb_collector.export import tables
from tmdb_collector.export.scratch import replacing, scratch_dir
from tmdb_collector.export.tables import Progress
from tmdb_collector.network import NetworkOptions
from tmdb_collector.report import catalog, page
from tmdb_collector.report.collection import collection_facts
from tmdb_collector.report.cut import DrawLimits, network_facts
from tmdb_collector.vocab import Kind, State


@dataclass(frozen=True)
class ReportSummary:
    """What the page shows, and where it went."""

    path: Path
    size: int  # bytes
    movies: int
    nodes: int  # drawn
    edges: int  # drawn
    cut_nodes: int
    cut_edges: int
    communities: int | None
    notes: tuple[str, ...]
    seconds: dict[str, float]  # per step: tables, catalog, network, page


def check_out(out: Path) -> None:
    """A ConfigError unless `out` can be the page's file."""
    if out.is_dir():
        raise ConfigError(f"--out must be a file: {out} is a directory")
    if out.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"--out must end in .html: {out}")


def check_store(store: Store) -> None:
    """A ConfigError unless the store holds movies (else the page would show nothing)."""
    if not store.counts().get(Kind.MOVIE, {}).get(State.OK):
        raise ConfigError(
            f"no movies in {store.path.parent} yet: run 'tmdb-collector crawl movies' first"
        )


def build_report(
    store: Store,
    out: Path,
    options: NetworkOptions,
    progress: Progress | None = None,
    limits: DrawLimits | None = None,
) -> ReportSummary:
    """Write the report of `store` to `out` (whole or not at all) and say what it holds.

    A store without movies raises ConfigError (there would be nothing to show)."""
    check_out(out)
    check_store(store)
    seconds: dict[str, float] = {}
    clock = time.monotonic()

    def lap(step: str) -> None:
        nonlocal clock
        seconds[step] = round(time.monotonic() - clock, 2)
        clock = time.monotonic()

    with scratch_dir(out, "report") as scratch:
        con = tables.connect(scratch / "tables.duckdb")
        try:
            tables.build(store, con, progress, only=catalog.TABLES | options.tables)
            lap("tables")
            data: dict[str, Any] = {"catalog": catalog.catalog_facts(con)}
            lap("catalog")
            data["network"] = network_facts(con, options, limits)
            lap("network")
        finally:
            con.close()
    data["collection"] = collection_facts(store)
    data["generated"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    data["version"] = __version__
    html = page.render(data)
    with replacing(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    lap("page")
    network = data["network"]
    return ReportSummary(
        out, len(html.encode()), data["catalog"]["counts"]["movies"],
        len(network["nodes"]["id"]), len(network["edges"]["s"]),
        network["total"]["nodes"], network["total"]["edges"], network["total"]["communities"],
        tuple(network["notes"]), seconds,
    )  # fmt: skip
