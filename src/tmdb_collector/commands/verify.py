"""`tmdb-collector verify`: check a store end to end; `--repair` marks damage for a crawl."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from tmdb_collector import config
from tmdb_collector.commands.options import data_dir_option
from tmdb_collector.crawl import lock
from tmdb_collector.crawl import verify as checks
from tmdb_collector.errors import ConfigError


@click.command()
@data_dir_option()
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for scripts.")
@click.option(
    "--repair",
    is_flag=True,
    help="Mark ids whose document is damaged or missing pending, so the next crawl fetches "
    "them again (takes the writer lock).",
)
def verify(data_dir: Path, as_json: bool, repair: bool) -> int:
    """Check the store: SQLite's integrity check, every document against its hash, states
    against documents, runs and watermarks. Exit 1 when something is wrong."""
    path = data_dir / config.STORE_FILE
    if not path.is_file():
        raise ConfigError(f"no collection in {data_dir}: run 'tmdb-collector crawl movies' first")
    if repair:
        with lock.writing(data_dir, "verify --repair"):
            verdict = checks.verify(path)
            if verdict.readable:
                checks.repair(path, verdict)
    else:
        verdict = checks.verify(path)
    click.echo(
        orjson.dumps(verdict.as_dict(), option=orjson.OPT_INDENT_2).decode()
        if as_json
        else verdict.render()
    )
    return 0 if verdict.ok else 1
