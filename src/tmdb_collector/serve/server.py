"""Start `serve`: open the store, bind the port, build the index, then answer until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tmdb_collector.errors import ConfigError
from tmdb_collector.export.scratch import scratch_dir
from tmdb_collector.serve.app import ServeApi
from tmdb_collector.serve.documents import StoredDocuments
from tmdb_collector.serve.index import SearchIndex
from tmdb_collector.vocab import Kind

READY_PREFIX = "tmdb-collector serve ready:"
"""The line `serve` prints once it answers; tests and scripts wait for it."""


@dataclass(frozen=True)
class Served:
    """What a ready server holds."""

    docs: StoredDocuments
    index: SearchIndex
    movies: int
    people: int


def open_store(data_dir: Path) -> tuple[StoredDocuments, dict[Kind, int]]:
    """The store, read-only, with its counts; a one-line ConfigError when it is missing or
    holds no document."""
    docs = StoredDocuments.open(data_dir)
    counts = docs.counts()
    if not any(counts.values()):
        docs.close()
        raise ConfigError(
            f"the store in {data_dir} holds no documents yet: run 'tmdb-collector crawl movies' "
            "first"
        )
    return docs, counts


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; a one-line ConfigError when the address is taken or wrong."""
    try:
        return socket.create_server((host, port), backlog=1024)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"cannot listen on {host}:{port}: the port is in use") from None
        reason = exc.strerror or str(exc)
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from None


@contextlib.contextmanager
def index_dir(data_dir: Path) -> Iterator[Path]:
    """Where the index file goes: a scratch directory in the data directory (removed after;
    a killed run's is removed by the next), or the system's temporary directory when the
    data directory is read-only."""
    with contextlib.ExitStack() as stack:
        try:
            scratch = stack.enter_context(scratch_dir(data_dir / "serve-index", "serve"))
        except OSError:
            scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tmdb-serve-")))
        yield scratch


async def serve(
    api: ServeApi, sock: socket.socket, ready: Callable[[], None], stop: asyncio.Event | None = None
) -> None:
    """Answer on `sock` until `stop` is set (by default: until SIGINT or SIGTERM)."""
    runner = web.ServerRunner(api.server(), handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    ready()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        api.close()
