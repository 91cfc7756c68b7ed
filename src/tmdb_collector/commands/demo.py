"""`tmdb-collector demo`: the whole job against the built-in simulator."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from tmdb_collector import config
from tmdb_collector.commands.options import data_dir_option
from tmdb_collector.progress import Reporter


@click.command()
@click.option(
    "--movies",
    default=config.DEMO_MOVIES,
    show_default=True,
    type=click.IntRange(100, 2_000_000),
    help="Movies in the simulated catalog.",
)
@data_dir_option(
    "Where the demo's collection goes (emptied first, if it is a demo's)",
    default=config.DEMO_DIR,
    envvar=None,  # never a real collection's $TMDB_DATA_DIR
)
@click.option("--json", "json_lines", is_flag=True, help="Progress as JSON lines on stdout.")
def demo(movies: int, data_dir: Path, json_lines: bool) -> int:
    """Run the whole job end to end against the built-in simulator: no key or network needed."""
    from tmdb_collector import demo as demos  # the simulator's code: only for the demo

    with demos.simulator(data_dir, movies, click.echo) as (sim, key):
        try:
            store = asyncio.run(
                demos.crawl(sim, key, data_dir, Reporter("json" if json_lines else "bar"))
            )
        except KeyboardInterrupt:
            return 130  # the summary said where it stopped
    return demos.write_outputs(store, data_dir, click.echo)
