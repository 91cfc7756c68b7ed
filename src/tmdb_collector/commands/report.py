"""`tmdb-collector report`: one self-contained HTML page about the collection."""

from __future__ import annotations

from pathlib import Path

import click

from tmdb_collector import config, io_errors
from tmdb_collector.commands.network import _parse_years
from tmdb_collector.commands.options import data_dir_option, open_collection
from tmdb_collector.network import ROLES, NetworkOptions
from tmdb_collector.progress import counting
from tmdb_collector.report import DrawLimits, build_report, check_out, check_store
from tmdb_collector.vocab import State


@click.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The page to write.  [default: DATA_DIR/{config.OUTPUT_DIR}/{config.REPORT_FILE}]",
)
@click.option(
    "--min-shared",
    default=config.REPORT_MIN_SHARED,
    show_default=True,
    type=click.IntRange(1),
    metavar="N",
    help="Network: link two people only when they share at least N movies.",
)
@click.option(
    "--top-billed",
    type=click.IntRange(0),
    metavar="K",
    help=f"Network: only cast billed in the first K places; 0: all.  "
    f"[default: {config.REPORT_TOP_BILLED}; all with --roles crew]",
)
@click.option(
    "--min-votes", type=click.IntRange(0), metavar="N", help="Network: only movies with ≥ N votes."
)
@click.option(
    "--years",
    callback=_parse_years,
    metavar="FROM-TO",
    help="Network: only movies released in this range: 1990-2010, 1990- or -2010.",
)
@click.option(
    "--roles",
    type=click.Choice(ROLES),
    default="cast",
    show_default=True,
    help="Network: link actors (cast), crew members (crew) or anyone (both) on the same movie.",
)
@click.option(
    "--community/--no-community",
    default=True,
    show_default=True,
    help="Network: colour people by community (Leiden, seeded).",
)
@click.option(
    "--max-nodes",
    default=config.REPORT_MAX_NODES,
    show_default=True,
    type=click.IntRange(1),
    metavar="N",
    help="Draw at most N people (the heaviest: most shared movies in all).",
)
@click.option(
    "--max-edges",
    default=config.REPORT_MAX_EDGES,
    show_default=True,
    type=click.IntRange(1),
    metavar="N",
    help="Draw at most N links among them (the heaviest).",
)
@click.option("--quiet", is_flag=True, help="No progress display.")
@data_dir_option()
def report(
    out: Path | None,
    top_billed: int | None,
    years: tuple[int | None, int | None],
    max_nodes: int,
    max_edges: int,
    quiet: bool,
    data_dir: Path,
    **cut: object,
) -> None:
    """Write one HTML page about the collection (its runs, its catalog in charts, and an
    interactive actor network) that opens offline from disk."""
    out = out or data_dir / config.OUTPUT_DIR / config.REPORT_FILE
    check_out(out)
    if top_billed is None and cut["roles"] != "crew":
        top_billed = config.REPORT_TOP_BILLED
    options = NetworkOptions(
        top_billed=top_billed or None,
        year_from=years[0],
        year_to=years[1],
        **cut,  # type: ignore[arg-type]
    )
    store = open_collection(data_dir)
    check_store(store)
    total = sum(counts.get(State.OK, 0) for counts in store.counts().values())
    with io_errors.writing_to(out), counting("documents", total, quiet) as advance:
        summary = build_report(store, out, options, advance, DrawLimits(max_nodes, max_edges))
    click.echo(
        f"report: {summary.movies:,} movies; network of {summary.cut_nodes:,} people and "
        f"{summary.cut_edges:,} links, {summary.nodes:,} and {summary.edges:,} drawn; "
        f"{summary.size / 2**20:.1f} MB"
    )
    for note in summary.notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {summary.path}")
