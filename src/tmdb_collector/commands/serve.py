"""`tmdb-collector serve`: a read-only TMDb v3 API over the store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import click

from tmdb_collector import config
from tmdb_collector.commands.options import data_dir_option
from tmdb_collector.progress import counting
from tmdb_collector.serve import server
from tmdb_collector.serve.app import ServeApi
from tmdb_collector.serve.index import SearchIndex
from tmdb_collector.vocab import Kind


@click.command()
@click.option("--host", default=config.SERVE_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=config.SERVE_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free one, printed when ready).",
)
@click.option(
    "--api-key",
    envvar=config.SERVE_API_KEY_ENV,
    metavar="KEY",
    help="Ask clients for this key, as TMDb does: api_key=KEY or 'Authorization: Bearer KEY' "
    f"(${config.SERVE_API_KEY_ENV}).  [default: no key]",
)
@click.option("--quiet", is_flag=True, help="No progress bar while the index is built.")
@data_dir_option()
def serve(host: str, port: int, api_key: str | None, quiet: bool, data_dir: Path) -> None:
    """Answer TMDb v3 requests from the store, read-only: movies and people (with their
    stored appends), search, discover and configuration."""
    docs, counts = server.open_store(data_dir)
    sock = server.bind(host, port)
    with server.index_dir(data_dir) as scratch:
        started = time.monotonic()
        with counting("indexing", sum(counts.values()), quiet) as advance:
            index = SearchIndex.build(docs, scratch / "index.duckdb", advance)
        api = ServeApi(docs, index, api_key)
        address = sock.getsockname()
        line = (
            f"{server.READY_PREFIX} http://{address[0]}:{address[1]}/3 ({counts[Kind.MOVIE]:,} "
            f"movies, {counts[Kind.PERSON]:,} people; indexed in {time.monotonic() - started:.1f} s"
            f"{'; key required' if api_key else ''})"
        )
        try:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                runner.run(server.serve(api, sock, lambda: click.echo(line)))
        finally:
            index.close()
            docs.close()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # uvloop is optional: plain asyncio is slower but correct
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
