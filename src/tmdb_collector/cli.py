"""The command line: thin commands over the library."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click
import orjson

from tmdb_collector import __version__, io_errors
from tmdb_collector.commands.crawl import crawl
from tmdb_collector.commands.demo import demo
from tmdb_collector.commands.export import export
from tmdb_collector.commands.network import network
from tmdb_collector.commands.options import data_dir_option, open_collection
from tmdb_collector.commands.report import report
from tmdb_collector.commands.serve import serve
from tmdb_collector.commands.simulate import simulate
from tmdb_collector.commands.sync import sync
from tmdb_collector.commands.verify import verify
from tmdb_collector.errors import TmdbCollectorError


@click.group()
@click.version_option(__version__, prog_name="tmdb-collector")
def cli() -> None:
    """Collect the full TMDb dataset, keep it current, and turn it into tables and a network.

    This product uses the TMDB API but is not endorsed or certified by TMDB.
    """


cli.add_command(simulate)
cli.add_command(crawl)
cli.add_command(export)
cli.add_command(network)
cli.add_command(report)
cli.add_command(sync)
cli.add_command(demo)
cli.add_command(serve)
cli.add_command(verify)


@cli.command()
@data_dir_option()
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for scripts.")
def status(data_dir: Path, as_json: bool) -> None:
    """Show what the store holds: ids per kind and state, failures by cause, the last runs."""
    from tmdb_collector.crawl.status import describe, render

    facts = describe(open_collection(data_dir))
    click.echo(
        orjson.dumps(facts, option=orjson.OPT_INDENT_2).decode() if as_json else render(facts)
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: every failure a user can cause ends in one line and an exit code."""
    try:
        code = cli.main(args=argv, prog_name="tmdb-collector", standalone_mode=False)
    except click.UsageError as exc:
        click.echo(f"tmdb-collector: {exc.format_message()}", err=True)
        sys.exit(2)
    except TmdbCollectorError as exc:
        click.echo(f"tmdb-collector: {exc}", err=True)
        sys.exit(exc.exit_code)
    except sqlite3.DatabaseError as exc:
        if io_errors.is_bug(exc):
            raise
        # A read of the store outside a snapshot (the writers and the snapshot name the file).
        error = io_errors.explain("the store in --data-dir", exc, doing="read")
        click.echo(f"tmdb-collector: {error}", err=True)
        sys.exit(error.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("tmdb-collector: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
