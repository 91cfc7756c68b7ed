"""Run the simulator: bind, announce the address on one line, serve until told to stop.

With `workers` above 1 the listening socket is bound here and shared by that many forked
processes (the kernel hands each new connection to one of them); see `shared.py`.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp import web

from tmdb_collector.simulator.app import Settings, Simulator
from tmdb_collector.simulator.shared import PUBLISH_SECONDS, SharedState

READY_PREFIX = "TMDb simulator ready:"
"""The first line `simulate` prints; `process.SimulatorProcess` waits for it."""


def run(
    settings: Settings,
    host: str,
    port: int,
    workers: int = 1,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve until SIGINT or SIGTERM; `port` 0 picks a free one, announced in the ready line."""
    sock = socket.create_server((host, port), backlog=1024)
    announce = _ready_line(settings, host, sock.getsockname()[1])
    if workers == 1:
        _serve_in_loop(Simulator(settings), sock, lambda: echo(announce))
        return
    shared = SharedState(workers, settings.days_elapsed)
    ctx = multiprocessing.get_context("fork")
    children = [
        ctx.Process(target=_worker, args=(settings, sock, shared, number), daemon=True)
        for number in range(workers)
    ]
    for child in children:
        child.start()
    echo(announce)
    sys.stdout.flush()
    _wait_for_stop(lambda: all(child.is_alive() for child in children))
    for child in children:
        child.terminate()
    for child in children:
        child.join(10)


def _ready_line(settings: Settings, host: str, port: int) -> str:
    base = f"http://{host}:{port}"
    today = settings.start_day() + timedelta(days=settings.days_elapsed)
    return (
        f"{READY_PREFIX} {base} (API {base}/3, exports {base}/p/exports, stats {base}/__sim/stats;"
        f" {settings.movies} movies, day {today.isoformat()})"
    )


def _worker(settings: Settings, sock: socket.socket, shared: SharedState, number: int) -> None:
    shared.me = number
    _serve_in_loop(Simulator(settings, shared), sock, lambda: None)


def _serve_in_loop(sim: Simulator, sock: socket.socket, ready: Callable[[], None]) -> None:
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # uvloop is optional: plain asyncio is slower but correct
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_serve(sim, sock, ready))


async def _serve(sim: Simulator, sock: socket.socket, ready: Callable[[], None]) -> None:
    runner = web.ServerRunner(sim.server(), handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    ready()
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    publisher = asyncio.create_task(_publish_stats(sim)) if sim.shared else None
    try:
        await stop.wait()
    finally:
        if publisher:
            publisher.cancel()
        await runner.cleanup()


async def _publish_stats(sim: Simulator) -> None:
    assert sim.shared is not None
    published = -1
    while True:
        await asyncio.sleep(PUBLISH_SECONDS)
        if sim.stats.changes != published:
            published = sim.stats.changes
            sim.shared.publish(sim.stats.snapshot())


def _wait_for_stop(healthy: Callable[[], bool]) -> None:
    """Block until SIGINT or SIGTERM, or until `healthy()` turns false."""
    stopping: list[Any] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    while not stopping and healthy():
        time.sleep(0.1)
