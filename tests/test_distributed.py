"""End-to-end tests of crawling with a fleet on Dask (issue #6).

Real parts only: the crawler runs as a child process (`python -m tmdb_collector crawl ...`)
that starts a real Dask LocalCluster of worker processes; the workers send their requests from
their own loopback addresses (127.0.0.2, .3, .4: Linux routes all of 127/8 to loopback) to a
real simulator process that limits each client IP on its own. What happened is checked from the
store, the crawler's output and the simulator's per-IP counters (read from 127.0.0.1, which no
worker uses). Worker and driver processes are found from the crawler's PID and killed by PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import psutil
import pytest
import zstandard
from distributed import Client, LocalCluster, SchedulerPlugin

from test_crawl_e2e import (
    CHECK,
    KEY,
    MOVIE_APPENDS,
    SHARED_KEY,
    Child,
    StartSim,
    assert_one_clear_line,
    assert_store_matches_catalog,
    child_env,
    cli,
    counts,
    crawl,
    crawl_cmd,
    crawler_counts,
    export_ids,
    rows,
    run,
    same_records,
    started,
    summary,
)
from tmdb_collector import config, distributed
from tmdb_collector.client.protocol import Credentials
from tmdb_collector.crawl import jobs
from tmdb_collector.crawl.fleet import Fleet
from tmdb_collector.crawl.scheduler import Tally
from tmdb_collector.crawl.store import Store
from tmdb_collector.distributed import PLUGIN, EgressPlugin, WorkerSettings
from tmdb_collector.errors import CredentialsError
from tmdb_collector.progress import Reporter
from tmdb_collector.simulator.process import SimulatorProcess

FLEET_IPS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
ONE_IP = "127.0.0.5"


def ids_file(path: Path, ids: list[int]) -> Path:
    path.write_text("".join(f"{i}\n" for i in ids))
    return path


def by_ip(sim: SimulatorProcess) -> dict[str, dict[str, int]]:
    """The simulator's answers to each client IP, by status (read from 127.0.0.1)."""
    return {ip: dict(c["by_status"]) for ip, c in sim.stats()["by_ip"].items()}


def accepted(statuses: dict[str, int]) -> int:
    return sum(n for status, n in statuses.items() if status != "429")


def workers_of(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    """The Dask worker processes a crawl started (its children that run a spawned worker)."""
    found = []
    for child in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
    return found


def wait_for_progress(data: Path, child: Child, at_least: int, seconds: float = 90) -> int:
    """Ids done in the store once at least `at_least` are (bounded in time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert child.proc.poll() is None, child.output()
        if (data / config.STORE_FILE).exists():
            done = counts(data)
            if done["ok"] + done["gone"] >= at_least:
                return done["ok"] + done["gone"]
        time.sleep(0.1)
    raise AssertionError(f"no progress in {seconds} s: {child.output()}")


# --- 1. one budget per IP: three addresses, three times the throughput ---------------------------

LIMIT = 15  # the simulator's requests/s per client IP: small, so the CPU is not what limits
RATE = "20"  # each worker's ceiling: above the limit, so the per-IP limit is what binds
PER_IP = 300  # ids per address


def accepted_rate(
    samples: list[tuple[float, dict[str, dict[str, int]]]], ips: tuple[str, ...]
) -> float:
    """Accepted answers/s to `ips` together, from their first accepted answer seen to their
    last (the simulator's counters, sampled)."""
    series = [(t, sum(accepted(stats.get(ip, {})) for ip in ips)) for t, stats in samples]
    first = next(i for i, (_, n) in enumerate(series) if n > 0)
    last = next(i for i, (_, n) in enumerate(series) if n == series[-1][1])
    (t0, n0), (t1, n1) = series[first], series[last]
    return (n1 - n0) / (t1 - t0)


def test_three_workers_on_three_addresses_fetch_three_times_as_fast_as_one(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """A simulator limiting each client IP to 15 requests/s; at the same time, a fleet of 3
    local workers (127.0.0.2, .3, .4) crawls 900 ids and a fleet of 1 (127.0.0.5) crawls 300.
    The three addresses are accepted at least 2.7x the one's rate (each IP its own budget),
    each met the limit (429s) on its own; the store is complete and equal to a single-process
    crawl's; the summary and `status` show each worker's requests and 429s as the simulator
    counted them."""
    movies = 1500
    sim = start_sim("--movies", str(movies), "--rate-limit", str(LIMIT), api_key=KEY)
    wanted = export_ids(movies)[: 3 * PER_IP]
    fleet_ids = ids_file(tmp_path / "fleet.txt", wanted)
    one_ids = ids_file(tmp_path / "one.txt", wanted[-PER_IP:])
    env = child_env(TMDB_API_KEY=KEY)
    fleet_cmd = crawl_cmd(
        sim, tmp_path / "fleet", "--ids-file", str(fleet_ids), "--json", "--rate", RATE,
        "--local-workers", "3", "--bind", ",".join(FLEET_IPS), day=None,
    )  # fmt: skip
    one_cmd = crawl_cmd(
        sim, tmp_path / "one", "--ids-file", str(one_ids), "--json", "--rate", RATE,
        "--local-workers", "1", "--bind", ONE_IP, day=None,
    )  # fmt: skip
    samples: list[tuple[float, dict[str, dict[str, int]]]] = []
    with started(fleet_cmd, tmp_path, env) as fleet, started(one_cmd, tmp_path, env) as one:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and None in (fleet.proc.poll(), one.proc.poll()):
            samples.append((time.monotonic(), by_ip(sim)))
            time.sleep(0.2)
        assert fleet.proc.wait(timeout=30) == 0, fleet.output()
        assert one.proc.wait(timeout=30) == 0, one.output()
        samples.append((time.monotonic(), by_ip(sim)))
        fleet_out, one_out = fleet.output()[0], one.output()[0]

    # Loose on purpose (a shared machine's speed drifts): the measured scaling of 1, 2 and 3
    # workers is bench/fleet_scaling.py's figure, in BENCHMARKS.md.
    ratio = accepted_rate(samples, FLEET_IPS) / accepted_rate(samples, (ONE_IP,))
    assert ratio >= 2.7, ratio
    final = samples[-1][1]
    assert all(final[ip].get("429", 0) > 0 for ip in (*FLEET_IPS, ONE_IP)), final
    # Complete, and the same documents as one process crawling alone (another simulator of
    # the same catalog, without a limit).
    assert_store_matches_catalog(tmp_path / "fleet", movies, config.SIM_SEED, wanted)
    alone_sim = start_sim("--movies", str(movies), api_key=KEY)
    result = crawl(alone_sim, tmp_path / "alone", "--ids-file", str(fleet_ids), "--json", day=None)
    assert result.returncode == 0, result.stderr
    assert same_records(rows(tmp_path / "fleet")) == same_records(rows(tmp_path / "alone"))
    # Per worker: the requests and 429s the simulator counted for its address.
    facts = summary(fleet_out)
    assert set(facts["workers"]) == set(FLEET_IPS)
    assert summary(one_out)["workers"][ONE_IP]["requests"] == sum(final[ONE_IP].values())
    status = run(cli("status", "--data-dir", str(tmp_path / "fleet")), tmp_path, env).stdout
    for ip in FLEET_IPS:
        mine, seen = facts["workers"][ip], final[ip]
        assert (mine["requests"], mine["throttled"]) == (sum(seen.values()), seen["429"])
        assert f"worker {ip}: {mine['requests']:,} requests" in status
        assert f"{mine['throttled']:,} 429s" in status


# --- 2. workers and drivers that die ------------------------------------------------------------


def sending_from(proc: subprocess.Popen[str], ip: str) -> psutil.Process:
    """The worker process of a crawl that holds connections from `ip` (its --bind address)."""
    for worker in workers_of(proc):
        with contextlib.suppress(psutil.NoSuchProcess):
            if any(c.laddr and c.laddr.ip == ip for c in worker.net_connections("tcp")):
                return worker
    raise AssertionError(f"no worker sends from {ip}")


def fetching(sim: SimulatorProcess, ip: str, seconds: float = 30) -> None:
    """Return once `ip` is seen fetching: its answers went up over the last 0.1 s."""
    deadline, before = time.monotonic() + seconds, -1
    while time.monotonic() < deadline:
        now = sum(by_ip(sim).get(ip, {}).values())
        if before >= 0 and now > before:
            return
        before = now
        time.sleep(0.1)
    raise AssertionError(f"{ip} fetched nothing for {seconds} s")


def test_a_worker_killed_mid_run_loses_nothing(start_sim: StartSim, tmp_path: Path) -> None:
    """SIGKILL one of 3 workers while it is fetching a chunk: Dask gives that chunk to another
    worker, and the crawl still ends with exit 0 and every id stored."""
    movies = 1200
    sim = start_sim("--movies", str(movies), "--latency-ms", "5", api_key=KEY)
    data = tmp_path / "data"
    cmd = crawl_cmd(
        sim, data, "--bind", ",".join(FLEET_IPS), "--rate", "100", "--chunk-size", "40", "--json"
    )
    victim_ip = FLEET_IPS[1]
    with started(cmd, tmp_path, child_env(TMDB_API_KEY=KEY)) as child:
        at_kill = wait_for_progress(data, child, 200)
        victim = sending_from(child.proc, victim_ip)
        fetching(sim, victim_ip)
        victim.kill()
        victim.wait(timeout=10)
        assert child.proc.wait(timeout=90) == 0, child.output()
    assert at_kill < movies  # the kill landed mid-run
    assert_store_matches_catalog(data, movies, config.SIM_SEED, export_ids(movies))
    # The requests of the chunk the worker died in were made again, by another worker (or by
    # the one its nanny started in its place, from the same address).
    answers = by_ip(sim)
    assert sum(sum(answers[ip].values()) for ip in FLEET_IPS) > movies


def test_a_killed_driver_resumes_with_the_same_command(start_sim: StartSim, tmp_path: Path) -> None:
    """SIGKILL the crawl command mid-run: its workers go away on their own, and the same
    command then completes the store."""
    movies = 1200
    sim = start_sim("--movies", str(movies), "--latency-ms", "5", api_key=KEY)
    data, env = tmp_path / "data", child_env(TMDB_API_KEY=KEY)
    cmd = crawl_cmd(
        sim, data, "--local-workers", "2", "--rate", "200", "--chunk-size", "40", "--json"
    )
    with started(cmd, tmp_path, env) as child:
        at_kill = wait_for_progress(data, child, 150)
        workers = workers_of(child.proc)
        assert len(workers) == 2
        child.proc.kill()
        assert child.proc.wait(timeout=10) == -signal.SIGKILL
    _, alive = psutil.wait_procs(workers, timeout=30)
    for orphan in alive:  # fail below, but leave nothing running
        orphan.kill()
    assert not alive, "workers outlived their driver"
    assert 0 < at_kill < movies
    result = run(cmd, tmp_path, env, timeout=90)
    assert result.returncode == 0, result.stderr
    assert_store_matches_catalog(data, movies, config.SIM_SEED, export_ids(movies))


def test_ctrl_c_saves_every_answer_the_workers_received(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """SIGINT to the crawl's whole process group (what Ctrl-C in a terminal does): the
    workers finish the requests they started and send their chunks back, the driver saves
    them and exits 130 with one line on how to resume; every answer the simulator gave the
    workers is in the store. The same command then completes it."""
    movies = 1200
    sim = start_sim("--movies", str(movies), "--latency-ms", "5", api_key=KEY)
    data, env = tmp_path / "data", child_env(TMDB_API_KEY=KEY)
    ips = FLEET_IPS[:2]
    cmd = crawl_cmd(sim, data, "--bind", ",".join(ips), "--rate", "80", "--json")
    with (tmp_path / "out.txt").open("w+") as out, (tmp_path / "err.txt").open("w+") as err:
        proc = subprocess.Popen(
            cmd, cwd=tmp_path, env=env, stdout=out, stderr=err, text=True, start_new_session=True
        )
        try:
            wait_for_progress(data, Child(proc, out, err), 100)
            os.killpg(proc.pid, signal.SIGINT)
            assert proc.wait(timeout=60) == 130, Child(proc, out, err).output()
        finally:
            if proc.poll() is None:
                proc.kill()
        stderr = Child(proc, out, err).output()[1]
    assert stderr.strip().splitlines()[-1].startswith("tmdb-collector: interrupted;")
    assert "Traceback" not in stderr
    answered = sum(accepted(by_ip(sim)[ip]) for ip in ips)
    saved = counts(data)
    assert 100 <= saved["ok"] + saved["gone"] == answered < movies
    result = run(cmd, tmp_path, env, timeout=90)
    assert result.returncode == 0, result.stderr
    assert_store_matches_catalog(data, movies, config.SIM_SEED, export_ids(movies))


# --- 3. bad input: one line, exit 2 --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--cluster", "http://127.0.0.1:8786"), "--cluster wants a Dask scheduler's address"),
        (("--ssh", "missing-hosts.txt"), "cannot read the hosts file"),
        (("--ssh", "comments-only.txt"), "lists no host"),
        (("--bind", "192.0.2.1"), "192.0.2.1: not an address of this machine"),
        (("--bind", "127.0.0.2,127.0.0.3", "--local-workers", "3"), "2 addresses for 3"),
        (("--bind", "127.0.0.2", "--cluster", "tcp://127.0.0.1:8786"), "--bind sets"),
        (("--cluster", "tcp://127.0.0.1:8786", "--local-workers", "2"), "three ways to run"),
    ],
)
def test_bad_fleet_options_exit_2_before_any_request(
    sim: SimulatorProcess, tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    (tmp_path / "comments-only.txt").write_text("# the old ips.txt, emptied\n\n")
    before = sum(by_ip(sim).get("127.0.0.1", {}).values())
    result = crawl(sim, tmp_path / "data", *args, "--quiet", key=SHARED_KEY, cwd=tmp_path)
    assert_one_clear_line(result, needle)
    assert not (tmp_path / "data").exists()
    # The stats reading itself is the one request since.
    assert sum(by_ip(sim)["127.0.0.1"].values()) == before + 1


@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("TMDB_CLUSTER", "http://127.0.0.1:8786", "--cluster wants a Dask scheduler's address"),
        ("TMDB_SSH_HOSTS", "missing-hosts.txt", "cannot read the hosts file"),
        ("TMDB_SSH_CONFIG", "ssh_config", "--ssh-config is for the machines of --ssh"),
        ("TMDB_BIND", "192.0.2.1", "192.0.2.1: not an address of this machine"),
        ("TMDB_LOCAL_WORKERS", "0", "--local-workers"),
        ("TMDB_CHUNK_SIZE", "0", "--chunk-size"),
        ("TMDB_CLUSTER_TIMEOUT", "0.1", "--cluster-timeout"),
    ],
)
def test_fleet_options_are_read_from_the_environment_and_checked_alike(
    sim: SimulatorProcess, tmp_path: Path, variable: str, value: str, needle: str
) -> None:
    """Each fleet option's variable (README) is read and checked as the option is: a bad value
    is one line and exit 2, before any request."""
    before = sum(by_ip(sim).get("127.0.0.1", {}).values())
    env = child_env(TMDB_API_KEY=SHARED_KEY, **{variable: value})
    result = run(crawl_cmd(sim, tmp_path / "data", "--quiet"), tmp_path, env)
    assert_one_clear_line(result, needle)
    assert not (tmp_path / "data").exists()
    assert sum(by_ip(sim)["127.0.0.1"].values()) == before + 1  # the stats reading alone


def test_a_fleet_from_the_environment_shows_each_worker_as_it_runs(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """TMDB_LOCAL_WORKERS=2 and TMDB_CHUNK_SIZE=10, no fleet option: two local workers crawl
    in chunks of at most 10 ids; the progress display has a line per worker (its address, its
    req/s and its 429s) and the summary one per worker, whose requests add up to the
    crawl's."""
    movies, limit = 300, 200
    sim = start_sim("--movies", str(movies), api_key=KEY)
    data = tmp_path / "data"
    env = child_env(TMDB_API_KEY=KEY, TMDB_LOCAL_WORKERS="2", TMDB_CHUNK_SIZE="10", COLUMNS="160")
    result = run(crawl_cmd(sim, data, "--limit", str(limit), "--rate", "200"), tmp_path, env, 90)
    assert result.returncode == 0, result.stderr
    assert_store_matches_catalog(data, movies, config.SIM_SEED, export_ids(movies)[:limit])
    shown = re.findall(
        r"^ +(127\.0\.0\.1:\d+) .* ([\d.,]+) req/s · 429s (\d+)", result.stderr, re.M
    )
    assert len({name for name, _, _ in shown}) == 2, result.stderr
    assert all(float(rate.replace(",", "")) > 0 for _, rate, _ in shown)
    lines = re.findall(
        r"worker (127\.0\.0\.1:\d+) +│ ([\d,]+) requests, [\d.,]+ req/s while fetching, "
        r"([\d,]+) 429s, ([\d,]+) chunks",
        result.stderr,
    )
    assert {name for name, *_ in lines} == {name for name, _, _ in shown}
    assert sum(int(n.replace(",", "")) for _, n, _, _ in lines) == limit  # no fault, no retry
    assert sum(int(c.replace(",", "")) for *_, c in lines) >= limit // 10
    assert crawler_counts(sim).total() == CHECK + 1 + limit  # the export, then each id once


def test_an_unreachable_scheduler_or_ssh_host_is_one_clear_line(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))  # a port nobody listens on
        port = probe.getsockname()[1]
        result = crawl(
            sim, tmp_path / "data", "--cluster", f"tcp://127.0.0.1:{port}",
            "--cluster-timeout", "1", "--quiet", "--limit", "5", key=SHARED_KEY,
        )  # fmt: skip
    assert_one_clear_line(result, f"cannot start or reach Dask scheduler tcp://127.0.0.1:{port}")
    hosts = ids_file(tmp_path / "hosts.txt", [])
    hosts.write_text("127.0.0.1\n")  # no ssh server listens on this machine's port 22
    result = crawl(
        sim, tmp_path / "data", "--ssh", str(hosts), "--quiet", "--limit", "5", key=SHARED_KEY
    )
    assert_one_clear_line(result, "cannot start or reach 1 machine over ssh")
    assert counts(tmp_path / "data")["pending"] == 5  # planned, and resumable


def test_without_dask_a_fleet_is_a_one_line_install_hint(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    shadow = tmp_path / "no-dask"
    shadow.mkdir()
    (shadow / "distributed.py").write_text("raise ImportError('no Dask here')\n")
    env = child_env(TMDB_API_KEY=SHARED_KEY, PYTHONPATH=str(shadow))
    result = run(crawl_cmd(sim, tmp_path / "data", "--local-workers", "2"), tmp_path, env)
    assert_one_clear_line(result, "needs Dask: pip install 'tmdb-collector[fleet]'")
    assert not (tmp_path / "data").exists()
    plain = run(crawl_cmd(sim, tmp_path / "data", "--limit", "5", "--quiet"), tmp_path, env)
    assert plain.returncode == 0, plain.stderr  # a crawl without a fleet needs no Dask


# --- 4. credentials ------------------------------------------------------------------------------

CANARY = "canary-3f9a41d2-fleet-key"
WRONG_CANARY = "canary-77e0c5b1-fleet-wrong"


class KeyRecorder(SchedulerPlugin):
    """Remembers every task key the scheduler sees (what its dashboard would show)."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        self.keys.append(str(key))


def keys_and_logs(client: Client) -> str:
    keys = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.plugins["keys"].keys)
    logs = [client.get_scheduler_logs(n=10_000), client.get_worker_logs(n=10_000)]
    return repr(keys) + repr(logs)


@pytest.fixture
def dask_cluster() -> Iterator[tuple[str, Client]]:
    """A LocalCluster of 2 worker processes, and a client of it that watches task keys."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        ) as cluster,
        Client(cluster) as client,
    ):
        client.register_plugin(KeyRecorder(), name="keys")
        yield cluster.scheduler_address, client


def test_a_running_scheduler_gets_the_key_in_memory_only(
    start_sim: StartSim, tmp_path: Path, dask_cluster: tuple[str, Client]
) -> None:
    """A fleet crawl on a running scheduler (--cluster), through the library: complete, and
    the key is nowhere in the scheduler's task keys, its logs or the workers' logs. Then a key
    TMDb refuses (no access check first, so the workers meet the 401): the run stops with
    CredentialsError, whose message does not carry the key either."""
    address, client = dask_cluster
    movies = 400
    sim = start_sim("--movies", str(movies), "--faults", "flaky", api_key=CANARY)
    store = Store.open(tmp_path)
    wanted = export_ids(movies)
    store.add("movie", wanted)
    options = jobs.CrawlOptions(
        tmp_path, Credentials(api_key=CANARY), sim.api_url, rate=500, appends=MOVIE_APPENDS
    )
    fleet = Fleet(cluster=address, chunk_size=25)
    tally, on_fleet = Tally("movie"), distributed.runner(fleet)
    asyncio.run(jobs.run(store, tally, options, on_fleet, follow=Reporter("quiet").follow))
    outcome = orjson.loads(store.get_meta("last_run:movie") or "{}")["outcome"]
    assert (outcome, tally.done) == ("done", movies)
    assert tally.retries > 0  # the flaky faults were met, and retried on the workers
    assert_store_matches_catalog(tmp_path, movies, config.SIM_SEED, wanted)
    assert len(tally.workers) == 2

    refused = jobs.CrawlOptions(tmp_path, Credentials(api_key=WRONG_CANARY), sim.api_url)
    with pytest.raises(CredentialsError) as caught:
        asyncio.run(jobs.run(store, Tally("movie"), refused, on_fleet, refresh=True))
    assert "TMDb refused the credentials" in str(caught.value)
    seen = keys_and_logs(client) + str(caught.value)
    assert "tmdb-movie-pending-" in seen  # the keys and logs were really read
    assert CANARY not in seen and WRONG_CANARY not in seen
    # The plugin that carried the key has left the scheduler.
    plugins = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.worker_plugins))
    assert PLUGIN not in plugins


def test_what_goes_to_dask_shows_no_credential() -> None:
    options = jobs.CrawlOptions(
        Path("data"), Credentials(token=CANARY), "http://127.0.0.1:9/3", rate=35, concurrency=20
    )
    settings = WorkerSettings("movie", options)
    for thing in (settings, EgressPlugin(settings), Credentials(api_key=CANARY)):
        assert CANARY not in repr(thing) and CANARY not in str(thing)


def test_the_key_never_appears_in_a_fleet_crawls_output_or_files(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """Fleet crawls (3 local workers, faults, a progress bar and JSON) with a canary key, and
    one with a wrong canary key; every byte printed, and every file left under the test's
    directory (the store, decompressed, and Dask's scratch space: TMPDIR points there), is
    searched for either."""
    sim = start_sim("--movies", "300", "--faults", "flaky", api_key=CANARY)
    data, scratch = tmp_path / "data", tmp_path / "tmp"
    scratch.mkdir()
    env = child_env(TMDB_API_KEY=CANARY, TMPDIR=str(scratch))
    outputs = []
    for args, code, key_env in (
        (("--local-workers", "3", "--chunk-size", "20", "--json"), 0, env),
        (("--local-workers", "2", "--refresh"), 0, env),
        (("--local-workers", "2", "--json"), 2, {**env, "TMDB_API_KEY": WRONG_CANARY}),
    ):
        result = run(crawl_cmd(sim, data, *args), tmp_path, key_env, timeout=90)
        outputs += [result.stdout, result.stderr]
        assert result.returncode == code, result.stderr
    outputs.append(run(cli("status", "--json", "--data-dir", str(data)), tmp_path, env).stdout)
    secrets = (CANARY.encode(), WRONG_CANARY.encode())
    assert not any(s in text.encode() for text in outputs for s in secrets)
    docs = 0
    for path in (p for p in tmp_path.rglob("*") if p.is_file()):
        assert not any(s in path.read_bytes() for s in secrets), path
        if path.name == config.STORE_FILE:
            with contextlib.closing(sqlite3.connect(path)) as db:
                for (blob,) in db.execute("SELECT doc FROM records WHERE doc IS NOT NULL"):
                    body = zstandard.ZstdDecompressor().decompress(blob)
                    assert not any(s in body for s in secrets)
                    docs += 1
    assert docs > 250


def test_the_fleet_options_have_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tmdb_collector", "crawl", "people", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in ("--cluster", "--ssh", "--local-workers", "--bind", "--chunk-size"):
        assert option in result.stdout
