"""`tmdb-collector export`: tables, a DuckDB database or JSONL, rebuilt from the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from tmdb_collector import io_errors
from tmdb_collector.commands.options import data_dir_option, open_collection
from tmdb_collector.export import kept, outputs
from tmdb_collector.progress import counting


@click.command()
@click.option(
    "--format",
    "format_",
    required=True,
    metavar="|".join(outputs.FORMATS),
    help="parquet: a directory of normalized tables (with SCHEMA.md); duckdb: one database "
    "file with those tables, keys and views (box_office, directors, filmography, "
    "episodes); jsonl: one "
    "raw TMDb movie document per line, as the old tool wrote them; hnv: movies.json and "
    "actors.json for the Hollywood Network Visualizer (needs people crawled); tmdb5000: the "
    "CSVs of Kaggle's TMDB 5000 Movie Dataset (without a filter: the 5,000 most voted). "
    "Every export also writes a Frictionless datapackage.json.",
)
@click.option(
    "--preset",
    type=click.Choice(sorted(outputs.PRESETS)),
    help="A ready-made filter: box-office is the old tool's (budget > 1000, revenue >= "
    "10,000,000, genres, cast and crew all listed).",
)
@click.option(
    "--where",
    metavar="SQL",
    help="Keep only the movies matching this SQL condition over the movies table, e.g. "
    '"year >= 2000 AND vote_count > 100" (with --preset, both must hold).',
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Where to write: a directory for parquet, hnv and tmdb5000, a file for duckdb, a "
    ".jsonl, .jsonl.gz or .jsonl.zst file for jsonl.  [default: DATA_DIR/outputs/parquet, "
    "tmdb.duckdb, movies.jsonl, hnv, tmdb5000]",
)
@click.option(
    "--full",
    is_flag=True,
    help="parquet and duckdb: parse every stored document again. Without it, they are "
    "written from the tables kept beside the store (DATA_DIR/tables.duckdb), brought up to "
    "date by parsing only the documents fetched or dropped since the last such export.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@data_dir_option()
def export(
    format_: str,
    preset: str | None,
    where: str | None,
    out: Path | None,
    full: bool,
    quiet: bool,
    data_dir: Path,
) -> None:
    """Write the collection as Parquet tables, a DuckDB database, JSONL, the Visualizer's
    files or the TMDB 5000 CSVs (from the store; Parquet and DuckDB parse only what changed
    since the last such export; outputs appear whole or not at all)."""
    request = outputs.ExportRequest.check(format_, data_dir, out, preset, where, full)
    store = open_collection(data_dir)
    outputs.check_store(store, request)
    with (
        io_errors.writing_to(request.out),
        counting("documents", outputs.documents_to_read(store, request), quiet) as advance,
    ):
        done = outputs.export(store, request, advance, advance.expect, _waiting(quiet))
    click.echo(f"wrote {done.path}{_how(done.refresh)}")


def _waiting(quiet: bool) -> Callable[[str], None]:
    def say(who: str) -> None:
        if not quiet:
            click.echo(f"waiting for {who} to finish with the kept tables", err=True)

    return say


def _how(refresh: kept.Refresh | None) -> str:
    """What the kept tables took, for the line that says where the export went."""
    if refresh is None:
        return ""
    if refresh.full:
        return f" (all {refresh.parsed:,} documents parsed)"
    return f" ({refresh.parsed:,} changed documents parsed, {refresh.dropped:,} dropped)"
