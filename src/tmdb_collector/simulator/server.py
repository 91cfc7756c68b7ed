"""Run the simulator: bind, announce the address on one line, serve until told to stop."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable

from aiohttp import web

from tmdb_collector.simulator.app import Settings, Simulator

READY_PREFIX = "TMDb simulator ready:"
"""The first line `simulate` prints; `process.SimulatorProcess` waits for it."""


def run(settings: Settings, host: str, port: int, echo: Callable[[str], None] = print) -> None:
    """Serve until SIGINT or SIGTERM; `port` 0 picks a free one, announced in the ready line."""
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:  # uvloop is optional: plain asyncio is slower but correct
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_serve(Simulator(settings), host, port, echo))


async def _serve(sim: Simulator, host: str, port: int, echo: Callable[[str], None]) -> None:
    runner = web.AppRunner(sim.app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024, reuse_address=True)
    await site.start()
    bound_port = runner.addresses[0][1]
    base = f"http://{host}:{bound_port}"
    catalog = sim.catalog
    echo(
        f"{READY_PREFIX} {base} (API {base}/3, exports {base}/p/exports, stats {base}/__sim/stats;"
        f" {catalog.movies.base} movies, day {catalog.today.isoformat()})"
    )
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
