"""How a fleet's accepted throughput scales with its egress IPs: 1, 2 and 3 Dask workers.

Each run starts a fresh simulator that limits every client IP to --limit requests/s, and a
`tmdb-collector crawl movies --ids-file F --rate R --json` of --ids-per-worker ids per worker,
with R above the limit (each worker's governor has to find its IP's limit). Two setups:

- loopback: `--local-workers N --bind 127.0.0.2,...` (a LocalCluster; every worker sends from
  its own loopback address);
- netns (root, `ip netns`; skipped otherwise): N network namespaces on a bridge the script
  creates (10.231.0.0/24; the host is .1, namespace i is .(i+2)), a `dask scheduler` on the
  host, one `dask worker --nthreads 1` inside each namespace, and the crawl with `--cluster`:
  each worker is a machine of its own, with its own network stack and IP. The script removes
  the namespaces and the bridge when it ends.

Counted by the simulator (`/__sim/stats`, read every 0.2 s from an address no worker uses):
accepted = answers other than 429 to the workers' IPs, over the time from the first accepted
answer seen to the last. Scaling = accepted req/s of N workers / of 1 worker in the same round.
Runs are interleaved (1 2 3 1 2 3 ...), each bounded by --seconds; medians over --rounds.

    .venv/bin/python bench/fleet_scaling.py [--limit 20] [--ids-per-worker 400] [--rounds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from distributed import Client

from common import crawl_command, crawler_env, export_ids
from tmdb_collector.simulator.process import SimulatorProcess

LOOPBACK = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
BRIDGE, HOST_IP, NETNS = "tmdbbench0", "10.231.0.1", "tmdbbench"
BIN = Path(sys.executable).parent


def accepted(statuses: dict[str, int]) -> int:
    return sum(n for status, n in statuses.items() if status != "429")


def sample(sim: SimulatorProcess) -> tuple[float, dict[str, dict[str, int]]]:
    stats = sim.stats()["by_ip"]
    return time.monotonic(), {ip: dict(c["by_status"]) for ip, c in stats.items()}


def accepted_rate(samples: list[tuple[float, dict[str, dict[str, int]]]], ips: list[str]) -> float:
    """Accepted answers/s to `ips`, from the first accepted answer seen to the last."""
    series = [(t, sum(accepted(s.get(ip, {})) for ip in ips)) for t, s in samples]
    first = next(i for i, (_, n) in enumerate(series) if n > 0)
    last = next(i for i, (_, n) in enumerate(series) if n == series[-1][1])
    (t0, n0), (t1, n1) = series[first], series[last]
    return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0


def run_crawl(
    sim: SimulatorProcess, cmd: list[str], ips: list[str], work: Path, seconds: float
) -> dict[str, Any]:
    """Run one crawl to its end (or --seconds), sampling the simulator; its figures."""
    samples = [sample(sim)]
    with (work / "out").open("w+") as out, (work / "err").open("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=crawler_env(), cwd=work)
        deadline = time.monotonic() + seconds
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
                samples.append(sample(sim))
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=60)
        samples.append(sample(sim))
        out.seek(0)
        events = [orjson.loads(line) for line in out if line.startswith("{")]
        summary = next((e for e in events if e.get("event") == "summary"), None)
        if summary is None:
            err.seek(0)
            sys.exit(f"crawler exited {proc.returncode} without a summary:\n{err.read()[-2000:]}")
    final = samples[-1][1]
    return {
        "rate": accepted_rate(samples, ips),
        "per_ip": {ip: accepted(final.get(ip, {})) for ip in ips},
        "throttled": sum(final.get(ip, {}).get("429", 0) for ip in ips),
        "summary": summary,
    }


def loopback_run(workers: int, args: argparse.Namespace) -> dict[str, Any]:
    ips = list(LOOPBACK[:workers])
    server = ("--movies", str(args.movies), "--rate-limit", f"{args.limit:g}")
    with SimulatorProcess(*server) as sim, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ids = export_ids(sim)[: workers * args.ids_per_worker]
        (work / "ids.txt").write_text("".join(f"{i}\n" for i in ids))
        cmd = crawl_command(
            sim, work / "ids.txt", work / "data", "--json", "--rate", f"{args.rate:g}",
            "--local-workers", str(workers), "--bind", ",".join(ips),
        )  # fmt: skip
        return run_crawl(sim, cmd, ips, work, args.seconds)


# --- network namespaces: one "machine" each ------------------------------------------------------


def sh(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True)


def netns_available() -> bool:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    probe = f"{NETNS}probe"
    try:
        sh("ip", "netns", "add", probe)
        sh("ip", "netns", "del", probe)
        return True
    except subprocess.CalledProcessError:
        return False


@contextlib.contextmanager
def namespaces(count: int) -> Iterator[list[str]]:
    """`count` namespaces on a bridge, host 10.231.0.1; their IPs. Removed at the end."""
    made: list[str] = []
    try:
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{HOST_IP}/24", "dev", BRIDGE)
        sh("ip", "link", "set", BRIDGE, "up")
        for i in range(count):
            ns, ip = f"{NETNS}{i}", f"10.231.0.{i + 2}"
            host_end, ns_end = f"{NETNS}h{i}", f"{NETNS}n{i}"
            sh("ip", "netns", "add", ns)
            made.append(ns)
            sh("ip", "link", "add", host_end, "type", "veth", "peer", "name", ns_end)
            sh("ip", "link", "set", ns_end, "netns", ns)
            sh("ip", "link", "set", host_end, "master", BRIDGE)
            sh("ip", "link", "set", host_end, "up")
            for step in (("addr", "add", f"{ip}/24", "dev", ns_end), ("link", "set", ns_end, "up"),
                         ("link", "set", "lo", "up")):  # fmt: skip
                sh("ip", "netns", "exec", ns, "ip", *step)
        yield [f"10.231.0.{i + 2}" for i in range(count)]
    finally:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
        subprocess.run(["ip", "link", "del", BRIDGE], check=False, capture_output=True)


@contextlib.contextmanager
def dask_fleet(workers: int, work: Path) -> Iterator[str]:
    """A `dask scheduler` on the host and `dask worker`s in the namespaces; its address."""
    with socket.socket() as probe:
        probe.bind((HOST_IP, 0))
        port = probe.getsockname()[1]
    address = f"tcp://{HOST_IP}:{port}"
    log = (work / "dask.log").open("w")
    scheduler = [str(BIN / "dask"), "scheduler", "--host", HOST_IP, "--port", str(port)]
    worker = [str(BIN / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1"]
    procs = [subprocess.Popen([*scheduler, "--no-dashboard"], stdout=log, stderr=log)]
    try:
        for i in range(workers):
            inside = ["ip", "netns", "exec", f"{NETNS}{i}", *worker, "--no-dashboard"]
            procs.append(subprocess.Popen(inside, stdout=log, stderr=log))
        # A fleet's workers run as services, there before a crawl: wait for all of them.
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGINT)  # dask's own clean shutdown
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def netns_run(workers: int, args: argparse.Namespace, ips: list[str]) -> dict[str, Any]:
    server = ("--host", HOST_IP, "--movies", str(args.movies), "--rate-limit", f"{args.limit:g}")
    with SimulatorProcess(*server) as sim, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ids = export_ids(sim)[: workers * args.ids_per_worker]
        (work / "ids.txt").write_text("".join(f"{i}\n" for i in ids))
        with dask_fleet(workers, work) as address:
            cmd = crawl_command(
                sim, work / "ids.txt", work / "data", "--json", "--rate", f"{args.rate:g}",
                "--cluster", address, "--cluster-timeout", "60",
            )  # fmt: skip
            return run_crawl(sim, cmd, ips[:workers], work, args.seconds)


# --- report --------------------------------------------------------------------------------------


def report(setup: str, results: dict[int, list[dict[str, Any]]], limit: float) -> None:
    print(f"{setup}:")
    base = results[1]
    for workers, runs in results.items():
        rates = [r["rate"] for r in runs]
        ratios = [r["rate"] / b["rate"] for r, b in zip(runs, base, strict=True)]
        per_ip = " ".join(f"{r['rate'] / workers / limit:.1%}" for r in runs)
        print(
            f"  {workers} worker(s): accepted {', '.join(f'{x:.2f}' for x in rates)} req/s "
            f"(median {statistics.median(rates):.2f}); x{statistics.median(ratios):.2f} of one "
            f"worker (rounds: {', '.join(f'{x:.2f}' for x in ratios)}); per IP {per_ip} of the "
            f"limit; 429s {', '.join(str(r['throttled']) for r in runs)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=20.0, help="the simulator's req/s per IP")
    parser.add_argument("--rate", type=float, default=26.0, help="each worker's ceiling")
    parser.add_argument("--ids-per-worker", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=120.0, help="most seconds per crawl")
    parser.add_argument("--movies", type=int, default=5000, help="simulator catalog size")
    parser.add_argument("--setup", choices=("both", "loopback", "netns"), default="both")
    args = parser.parse_args()
    if 3 * args.ids_per_worker > args.movies:
        parser.error("--movies must be at least 3 x --ids-per-worker")
    setups = ["loopback", "netns"] if args.setup == "both" else [args.setup]
    if "netns" in setups and not netns_available():
        print("netns: skipped (needs root and `ip netns`)")
        setups.remove("netns")
    for setup in setups:
        results: dict[int, list[dict[str, Any]]] = {1: [], 2: [], 3: []}
        with contextlib.ExitStack() as stack:
            ips = stack.enter_context(namespaces(3)) if setup == "netns" else list(LOOPBACK)
            for _ in range(args.rounds):
                for workers in results:  # interleaved: 1 2 3 1 2 3 ...
                    if setup == "netns":
                        results[workers].append(netns_run(workers, args, ips))
                    else:
                        results[workers].append(loopback_run(workers, args))
        report(f"{setup} (limit {args.limit:g} req/s per IP, --rate {args.rate:g})", results,
               args.limit)  # fmt: skip


if __name__ == "__main__":
    main()
