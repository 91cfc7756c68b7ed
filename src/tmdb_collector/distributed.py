"""Crawling with a fleet of machines on Dask; the only module that imports Dask.

TMDb limits each client IP, so the fleet runs one Dask worker process per egress IP, and each
worker process has one HTTP client and one governor of its own (`Egress`, set up by a worker
plugin and kept from chunk to chunk): every IP spends its own budget, fully and no more.

The driver (the `crawl` command's process, through `runner(fleet)` handed to `jobs.run`)
reads the pending ids from the store page by page,
submits them as chunks of ids, at most FLEET_CHUNKS_PER_WORKER per worker thread at a time
(memory stays flat over millions of ids), and hands each chunk's outcomes, as it arrives, to
the store's writer thread, which commits it whole, in one transaction (upserts: a replay adds
nothing), while the driver goes on receiving. Dask reruns the chunk of a worker that dies on
another worker; a driver that dies loses only the chunks in flight or not yet committed, which
are still pending in the store, so the same command resumes. Failed ids get one more pass.

Credentials reach the workers inside the plugin, in memory: never in a task's arguments (Dask
logs those when a task fails), a task's key (the dashboard shows those), or a file; and they
leave the scheduler's memory when the run ends (the plugin is unregistered).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from tmdb_collector import config
from tmdb_collector.crawl.fleet import Chunk, Fleet, check_bind, chunk_size, record_chunk
from tmdb_collector.crawl.jobs import Runner
from tmdb_collector.crawl.options import CrawlOptions, connect
from tmdb_collector.crawl.scheduler import Fetcher, Tally, passes
from tmdb_collector.crawl.store import Store
from tmdb_collector.crawl.writer import Writer
from tmdb_collector.errors import ConfigError, TmdbCollectorError
from tmdb_collector.vocab import Kind, State

try:
    import dask.config
    from distributed import Client, Future, LocalCluster, SSHCluster, WorkerPlugin, get_worker
    from distributed.worker import Worker
except ImportError:  # an optional extra: say how to get it, in one line
    raise ConfigError(
        "a fleet (--cluster, --ssh, --local-workers, --bind with several addresses) needs "
        "Dask: pip install 'tmdb-collector[fleet]'"
    ) from None

PLUGIN = "tmdb-collector-egress"
T = TypeVar("T")


@dataclass(frozen=True)
class WorkerSettings:
    """What every worker needs to fetch: what, and the options (from where, as whom, how
    fast: a worker's share). Its repr shows no credential (Credentials' repr hides them)."""

    kind: Kind
    options: CrawlOptions
    binds: tuple[str, ...] = ()  # local worker i sends from binds[i]
    local: bool = False  # the workers are this process's children (--local-workers)


# --- on each worker -------------------------------------------------------------------------


class Egress:
    """One worker process's way out to TMDb: an event loop in a thread of its own, with one
    HTTP client and one governor, kept from chunk to chunk so the pace learnt carries over."""

    def __init__(self, settings: WorkerSettings, bind: str | None, label: str) -> None:
        self.label = label
        self.exits = contextlib.AsyncExitStack()  # the client's session, closed by `close`
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tmdb-egress")
        self.thread.daemon = True
        self.thread.start()
        self.fetcher = self._call(self._open(settings, bind))

    async def _open(self, settings: WorkerSettings, bind: str | None) -> Fetcher:
        options = dataclasses.replace(settings.options, local_addr=bind)
        sender = await self.exits.enter_async_context(connect(options))
        return Fetcher(settings.kind, sender, options.appends)

    def fetch(self, ids: list[int]) -> Chunk:
        """Every id of a chunk to its final outcome (with retries), through this governor."""
        started, tally = time.monotonic(), Tally(self.fetcher.kind)
        outcomes = self._call(self.fetcher.fetch_all(ids, tally))
        return Chunk(self.label, outcomes, tally, time.monotonic() - started)

    def close(self) -> None:
        self._call(self.exits.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        if not self.thread.is_alive():
            self.loop.close()

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result()


class EgressPlugin(WorkerPlugin):
    """Gives every worker of the cluster, present or joining later, its Egress."""

    name = PLUGIN

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.egress: Egress | None = None

    def __repr__(self) -> str:
        return f"EgressPlugin({self.settings.kind})"

    def setup(self, worker: Worker) -> None:
        if self.settings.local and threading.current_thread() is threading.main_thread():
            # Ctrl-C in a terminal reaches the whole process group: the driver drains and
            # closes its local workers itself, so that the chunks in flight are saved.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        bind = self._source_address(worker)
        label = bind or str(worker.address).split("://")[-1]
        self.egress = Egress(self.settings, bind, label)

    def teardown(self, worker: Worker) -> None:
        if self.egress is not None:
            self.egress.close()

    def _source_address(self, worker: Worker) -> str | None:
        """Local worker i sends from the driver's binds[i]; any other worker from its own
        $TMDB_BIND when set, else from its machine's default address."""
        binds, name = self.settings.binds, worker.name
        if binds and isinstance(name, int) and 0 <= name < len(binds):
            return binds[name]
        own = os.environ.get(config.BIND_ENV, "").strip()
        return check_bind(own, f"${config.BIND_ENV} of worker {worker.address}") if own else None


def stop_fetching(dask_worker: Worker) -> None:
    """Run on every worker when the driver is interrupted: chunks finish the ids they have
    started and return early, so what was fetched reaches the store."""
    plugin = dask_worker.plugins.get(PLUGIN)
    if isinstance(plugin, EgressPlugin) and plugin.egress is not None:
        plugin.egress.fetcher.stopping = True


def fetch_chunk(ids: list[int]) -> Chunk:
    """The task a worker runs: a chunk of ids fetched through its Egress."""
    plugin = get_worker().plugins[PLUGIN]
    assert isinstance(plugin, EgressPlugin) and plugin.egress is not None
    return plugin.egress.fetch(ids)


# --- on the driver --------------------------------------------------------------------------


def runner(fleet: Fleet) -> Runner:
    """The runner that crawls on `fleet`, for `jobs.run`."""

    async def on_fleet(store: Store, tally: Tally, options: CrawlOptions) -> None:
        await crawl(store, tally, worker_settings(tally.kind, options, fleet), fleet)

    return on_fleet


async def crawl(store: Store, tally: Tally, settings: WorkerSettings, fleet: Fleet) -> None:
    """Every pending (then failed) id of the tally's kind fetched by the fleet and recorded in
    the store as chunks come back; the tally counts what happened, per worker too."""
    todo, rate = passes(store, tally), settings.options.rate_setting.ceiling
    async with cluster_client(fleet) as client:
        await start_workers(client, settings)
        try:  # chunks are committed as they come, each whole, by the store's writer thread
            with Writer(store.path, config.FLEET_WRITER_BACKLOG, 0.0, commit_at=1) as writer:
                for states in todo:
                    writer.flush()  # the failed pass reads the store: this run's failures too
                    await Pass(client, store, writer, tally, states, rate, fleet.chunk_size).run()
        finally:
            with contextlib.suppress(Exception):  # the cluster may be gone already
                await client.unregister_worker_plugin(PLUGIN)  # credentials leave it


def worker_settings(kind: Kind, options: CrawlOptions, fleet: Fleet) -> WorkerSettings:
    """The settings of one worker: workers sharing this machine's address share its rate."""
    share = fleet.shares_one_address()
    shared = dataclasses.replace(
        options,
        rate=options.rate_setting.shared(share),
        concurrency=max(1, options.concurrency // share),
        local_addr=None,  # each worker's own: set where it runs (`EgressPlugin`)
    )
    return WorkerSettings(kind, shared, binds=fleet.binds, local=bool(fleet.local_workers))


@dataclass
class Pass:
    """One pass over the ids in `states`: chunks submitted in a bounded window, recorded as
    they come back."""

    client: Client
    store: Store
    writer: Writer
    tally: Tally
    states: tuple[State, ...]
    rate: float
    fixed_size: int | None = None
    in_flight: dict[asyncio.Future[Chunk], Future[Chunk]] = field(default_factory=dict)
    left: int = 0  # ids of the pass not yet submitted
    after: int = -1  # the last id submitted: the store is read from there on
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:8])  # keys unique per pass

    async def run(self) -> None:
        counts = self.store.counts().get(self.tally.kind, {})
        self.left = sum(counts.get(state, 0) for state in self.states)
        try:
            while self.fill():
                done, _ = await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
                for arrived in done:
                    self.in_flight.pop(arrived).release()
                    self.record(chunk_of(arrived))
                await self.writer.room()  # the disk is behind: take no more chunks meanwhile
        except asyncio.CancelledError:  # Ctrl-C: save what the workers have fetched
            await self.drain()
            raise
        finally:
            for waiting in self.in_flight:
                waiting.cancel()
            with contextlib.suppress(Exception):
                await self.client.cancel(list(self.in_flight.values()))

    def fill(self) -> bool:
        """Submit chunks until the window is full or no id is left; whether any is out."""
        threads = worker_threads(self.client)
        while len(self.in_flight) < config.FLEET_CHUNKS_PER_WORKER * threads:
            size = chunk_size(self.rate, threads, self.left, self.fixed_size)
            ids = self.store.todo(self.tally.kind, self.states, self.after, limit=size)
            if not ids:
                break
            self.after, self.left = ids[-1], self.left - len(ids)
            # The key is what the dashboard shows: what and which ids, nothing secret.
            key = f"tmdb-{self.tally.kind}-{self.states[0]}-{ids[0]}-{ids[-1]}-{self.token}"
            future = self.client.submit(fetch_chunk, ids, key=key)
            self.in_flight[asyncio.ensure_future(future)] = future
        return bool(self.in_flight)

    async def drain(self) -> None:
        """Ask the workers to stop taking ids, and record the chunks that come back within
        FLEET_DRAIN_S (their ids not started stay pending). Only the cluster's errors are
        passed over: the store's are raised, as anywhere else."""
        done: set[asyncio.Future[Chunk]] = set()
        with contextlib.suppress(Exception):  # the cluster may be gone: nothing comes back
            await self.client.run(stop_fetching)
            done, _ = await asyncio.wait(self.in_flight, timeout=config.FLEET_DRAIN_S)
        for arrived in done:
            self.in_flight.pop(arrived).release()
            try:
                chunk = arrived.result()
            except Exception:  # the cluster failed this chunk: its ids stay pending
                continue
            self.record(chunk)

    def record(self, chunk: Chunk) -> None:
        record_chunk(chunk, self.writer, self.tally)


def chunk_of(arrived: asyncio.Future[Chunk]) -> Chunk:
    """The chunk a task returned; a task's own error (refused credentials: exit 2) as it is,
    anything else from the cluster as one line."""
    try:
        return arrived.result()
    except TmdbCollectorError:
        raise
    except Exception as exc:
        raise TmdbCollectorError(
            f"the Dask cluster failed a chunk ({type(exc).__name__}: {exc}); what was fetched "
            "is saved, run the same command to resume"
        ) from None


def worker_threads(client: Client) -> int:
    """Threads of the cluster's workers (from the client's cached view; at least 1)."""
    info = client.scheduler_info()
    return max(1, int(info.get("total_threads") or info.get("n_workers") or 1))


@contextlib.asynccontextmanager
async def cluster_client(fleet: Fleet) -> AsyncIterator[Client]:
    """A client of the fleet's cluster, started here (--local-workers, --ssh) or reached
    (--cluster), with at least one worker; every failure to get one is a one-line error."""
    # Dask's own notes (a cluster that did not start, a worker restarted) would garble the
    # progress display and the one-line errors: its errors only.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    async with contextlib.AsyncExitStack() as stack:
        try:
            if fleet.cluster:
                address: Any = fleet.cluster
            else:
                address = await stack.enter_async_context(start_cluster(fleet))
                if fleet.ssh_hosts:
                    stack.enter_context(draining_ssh_output(address))
            client = await stack.enter_async_context(
                Client(address, asynchronous=True, timeout=fleet.timeout)
            )
        except TmdbCollectorError:
            raise
        except Exception as exc:  # Dask's and asyncssh's errors have no common base
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"cannot start or reach {fleet.describe()}: {reason}") from None
        if fleet.cluster:
            await wait_for_a_worker(client, fleet)
        yield client


def start_cluster(fleet: Fleet) -> Any:
    """A Dask cluster of this machine's processes, or of the ssh hosts' (each host one
    worker; the first also the scheduler), one thread per worker: one egress, one governor."""
    if fleet.ssh_hosts:
        hosts = [fleet.ssh_hosts[0], *fleet.ssh_hosts]
        # asyncssh reads ~/.ssh/config (keys, ports, users, known hosts) unless told another.
        config_file = {"config": [str(fleet.ssh_config)]} if fleet.ssh_config else {}
        # A stop sent over ssh reaches no process of a root login (no privilege separation), nor
        # any if the driver is killed: the scheduler stops when idle, a worker left alone.
        idle = dask.config.get("distributed.scheduler.idle-timeout") or config.FLEET_SSH_IDLE_S
        alone = config.FLEET_SSH_ALONE_S
        return SSHCluster(
            [h.host for h in hosts],
            connect_options=[h.connect_options() | config_file for h in hosts],
            worker_options={"nthreads": 1, "n_workers": 1, "death_timeout": alone},
            scheduler_options={"port": config.FLEET_SCHEDULER_PORT, "idle_timeout": idle},
            remote_python=fleet.remote_python,
            asynchronous=True,
        )
    return LocalCluster(
        n_workers=fleet.local_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",  # the credentials cross only loopback
        dashboard_address="127.0.0.1:0",  # None means :8787, which two fleets would share
        silence_logs=logging.CRITICAL,  # progress is ours; Dask's own notes would garble it
        asynchronous=True,
    )


@contextlib.contextmanager
def draining_ssh_output(cluster: Any) -> Iterator[None]:
    """While the block runs, read what the processes started over ssh print (to Dask's logger,
    dropped): SSHCluster stops once they have started, and unread, a few MB of log lines
    block a remote process at its next line (days into a crawl)."""
    procs = [getattr(p, "proc", None) for p in (cluster.scheduler, *cluster.workers.values())]
    streams = [s for proc in procs if proc is not None for s in (proc.stdout, proc.stderr)]
    readers = asyncio.gather(*(read_to_end(stream) for stream in streams))
    try:
        yield
    finally:
        readers.cancel()


async def read_to_end(stream: Any) -> None:
    with contextlib.suppress(Exception):  # a cut connection: nothing more to read
        while line := await stream.readline():  # until the remote process exits
            logging.getLogger("distributed.deploy.ssh").debug("%s", str(line).rstrip())


async def wait_for_a_worker(client: Client, fleet: Fleet) -> None:
    try:
        # An asynchronous client's methods return awaitables, whatever their annotations say.
        await cast(Awaitable[None], client.wait_for_workers(1, timeout=fleet.timeout))
    except (TimeoutError, OSError):
        raise ConfigError(
            f"no Dask worker joined {fleet.cluster} within {fleet.timeout:g} s: start one on "
            f"each machine with 'dask worker {fleet.cluster} --nworkers 1 --nthreads 1'"
        ) from None


async def start_workers(client: Client, settings: WorkerSettings) -> None:
    """Give every worker its Egress; a worker that cannot set one up is a one-line error."""
    try:
        await client.register_plugin(EgressPlugin(settings))
    except TmdbCollectorError:
        raise
    except Exception as exc:
        raise ConfigError(
            f"a Dask worker could not set up tmdb-collector ({type(exc).__name__}: {exc}); "
            "every worker needs the same tmdb-collector[fleet] installed"
        ) from None
