"""`tmdb-collector network`: the co-appearance graph, rebuilt from the store."""

from __future__ import annotations

from pathlib import Path

import click

from tmdb_collector import config, io_errors
from tmdb_collector.commands.options import data_dir_option, open_collection
from tmdb_collector.errors import ConfigError
from tmdb_collector.network import FORMATS, ROLES, NetworkOptions, build_from_store, check_formats
from tmdb_collector.progress import counting
from tmdb_collector.vocab import Kind, State


def _parse_years(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    low, sep, high = value.partition("-")
    try:
        if not sep or not (low or high):
            raise ValueError
        return (int(low) if low else None), (int(high) if high else None)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a year range like 1990-2010, 1990- or -2010"
        ) from None


@click.command()
@click.option(
    "--format",
    "formats",
    default="parquet",
    show_default=True,
    metavar="LIST",
    help=f"Comma-separated, any of: {', '.join(FORMATS)} (neo4j: CSVs for "
    "`neo4j-admin database import full`).",
)
@click.option(
    "--min-shared",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Keep an edge only when the two people share at least N movies.",
)
@click.option(
    "--top-billed",
    type=click.IntRange(1),
    metavar="K",
    help="Only cast billed in the first K places (order < K).  [default: all]",
)
@click.option(
    "--min-votes",
    type=click.IntRange(0),
    metavar="N",
    help="Only movies with at least N votes on TMDb.",
)
@click.option(
    "--years",
    callback=_parse_years,
    metavar="FROM-TO",
    help="Only movies released in this range: 1990-2010, 1990- or -2010.",
)
@click.option(
    "--roles",
    type=click.Choice(ROLES),
    default="cast",
    show_default=True,
    help="Link actors who appeared together (cast), people who worked on a crew together "
    "(crew), or anyone credited on the same movie (both).",
)
@click.option(
    "--media",
    default="movie",
    show_default=True,
    metavar="LIST",
    callback=lambda ctx, param, value: tuple(
        dict.fromkeys(m.strip() for m in value.split(",") if m.strip())
    ),
    help="What people share: movie, tv (a series, all its seasons), or movie,tv.",
)
@click.option(
    "--movie-ids",
    is_flag=True,
    help="List each edge's shared movie ids (a TV series as its id negated).",
)
@click.option(
    "--community/--no-community",
    default=True,
    show_default=True,
    help="Detect communities (Leiden, seeded) and give each node its community id.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="The directory to write nodes and edges into.  [default: DATA_DIR/outputs/network]",
)
@click.option("--quiet", is_flag=True, help="No progress display.")
@data_dir_option()
def network(
    formats: str,
    years: tuple[int | None, int | None],
    out: Path | None,
    quiet: bool,
    data_dir: Path,
    **cuts: object,
) -> None:
    """Build the actor co-appearance network (people linked by the movies they share) from
    the stored movies' credits, and write it for Gephi, Neo4j, networkx or DuckDB."""
    chosen = check_formats(formats)
    options = NetworkOptions(year_from=years[0], year_to=years[1], **cuts)  # type: ignore[arg-type]
    out = out or data_dir / config.OUTPUT_DIR / config.NETWORK_DIR
    store = open_collection(data_dir)
    counts = store.counts()
    for kind in (Kind.MOVIE, Kind.TV):
        if kind.value in options.media and not counts.get(kind, {}).get(State.OK):
            raise ConfigError(
                f"no {kind.plural} in {data_dir} yet: run 'tmdb-collector crawl {kind.plural}' "
                "first"
            )
    read = (Kind.MOVIE, Kind.PERSON, *((Kind.TV,) if "tv" in options.media else ()))
    total = sum(counts.get(kind, {}).get(State.OK, 0) for kind in read)
    reading = counting("documents", total, quiet)
    step = None if quiet else (lambda name: click.echo(f"network: {name}", err=True))
    with io_errors.writing_to(out):
        summary = build_from_store(store, options, out, chosen, reading=reading, progress=step)
    communities = "not computed" if summary.communities is None else f"{summary.communities:,}"
    click.echo(
        f"network: {summary.nodes:,} people, {summary.edges:,} edges from {summary.movies:,} "
        f"{' and '.join(options.media).replace('movie', 'movies')}; communities: {communities}"
    )
    for note in summary.notes:
        click.echo(f"note: {note}")
    for path in summary.files:
        click.echo(f"wrote {path}")
