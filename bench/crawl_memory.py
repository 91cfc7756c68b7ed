"""Peak memory (RSS) of `crawl movies` over a million ids, and whether it stays flat.

A simulator with a 1,000,000-movie catalog (`--movies 1000000 --workers 2`, no faults, no
limit); its export written to an ids file (one id a line); then `tmdb-collector crawl movies
--ids-file F --data-dir D --api-url ... --rate 100000 --quiet` in a child process
(TMDB_API_KEY=x). While it runs, every --every seconds: its VmRSS and VmHWM (/proc/PID/status)
and how many documents it has fetched (the simulator's request counter). The peak is the
process's VmHWM (the kernel's high-water mark of its RSS), read every 0.05 s until it exits.
(Not ru_maxrss from wait4: Linux carries the launching process's high-water mark into a
vfork()+exec()ed child's, so that figure would be this script's RSS whenever it is larger.)

Fetching a million documents takes ~15 minutes here, so by default the crawl is interrupted
(SIGINT: it saves and reports) --seconds after its first request; planning the million ids is
complete by then, so the figures show planning plus the first ~100,000 documents. `--all`
fetches everything (still bounded, by --all-seconds). The store grows ~5 KB a document (about
5 GB for the million) in a temporary directory, or in --work-dir (kept).

    .venv/bin/python bench/crawl_memory.py [--movies 1000000] [--seconds 120] [--all]

Prints RSS after planning and after 10k, 20k, 50k, 100k, ... documents, the growth between
the first and the last of those, and the peak RSS in MB (target: under 400 MB, flat).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import orjson

from common import crawl_command, crawler_env
from tmdb_collector.ids import export_name
from tmdb_collector.simulator.process import SimulatorProcess

TARGET_MB = 400
PREFLIGHT = 1  # the crawler's access check (GET /3/configuration), made before it plans
POLL_S = 0.05  # VmHWM read this often: the peak misses at most the last 50 ms before exit
MILESTONES = (10_000, 20_000, 50_000, 100_000, 200_000, 300_000, 500_000, 750_000, 1_000_000)


def write_ids_file(sim: SimulatorProcess, path: Path, most: int | None) -> int:
    """The ids of the simulator's newest movie export (the first `most`), one a line, in
    export order; how many. Streamed: this process stays small (see `report`)."""
    url = f"{sim.exports_url}/{export_name('movie', sim.today())}"
    written = 0
    with (
        urllib.request.urlopen(url, timeout=300) as answer,
        gzip.GzipFile(fileobj=answer) as lines,
        path.open("w") as out,
    ):
        for line in lines:
            if most is not None and written >= most:
                break
            out.write(f"{orjson.loads(line)['id']}\n")
            written += 1
    return written


def memory_kb(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of a process in KiB, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    try:
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (KeyError, ValueError, IndexError):
        return None  # a zombie has no Vm lines


class Requests:
    """Documents the simulator has served since this was made: its request count, less our
    own readings and the crawler's access check."""

    def __init__(self, sim: SimulatorProcess) -> None:
        self.sim = sim
        self.base = int(sim.stats()["requests"])
        self.readings = 1  # each reading is counted after it is answered

    def read(self) -> int:
        total = int(self.sim.stats()["requests"]) - self.base - self.readings
        self.readings += 1
        return max(0, total - PREFLIGHT)


@dataclass
class Sample:
    seconds: float  # since the crawler started
    fetched: int
    rss_kb: int
    hwm_kb: int


def mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=1_000_000, help="simulator catalog size")
    parser.add_argument("--ids", type=int, help="ids in the ids file [default: the whole export]")
    parser.add_argument("--seconds", type=float, default=120.0, help="crawl time after planning")
    parser.add_argument("--all", action="store_true", help="fetch every id (slow: ~15 min)")
    parser.add_argument("--all-seconds", type=float, default=3 * 3600.0, help="bound of --all")
    parser.add_argument("--plan-seconds", type=float, default=600.0, help="most time to plan")
    parser.add_argument("--every", type=float, default=0.5, help="sampling step, seconds")
    parser.add_argument("--work-dir", type=Path, help="keep the ids file and the store here")
    args = parser.parse_args()
    crawl_seconds = args.all_seconds if args.all else args.seconds

    with contextlib.ExitStack() as stack:
        if args.work_dir is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-memory-")))
        else:
            work = args.work_dir
            work.mkdir(parents=True, exist_ok=True)
        sim = stack.enter_context(SimulatorProcess("--movies", str(args.movies), "--workers", "2"))
        ids_file = work / "ids.txt"
        ids = write_ids_file(sim, ids_file, args.ids)
        print(f"{ids:,} ids written to the ids file; crawling", flush=True)
        time.sleep(0.5)  # let the export's own count land before counting starts
        samples, peak_kb, code, planned_at = crawl(sim, work, ids_file, crawl_seconds, args)
        store_mb = sum(f.stat().st_size for f in (work / "data").glob("*")) / 2**20
    report(samples, planned_at, peak_kb, code, ids, store_mb)


def crawl(
    sim: SimulatorProcess,
    work: Path,
    ids_file: Path,
    crawl_seconds: float,
    args: argparse.Namespace,
) -> tuple[list[Sample], int, int, float | None]:
    """Run the crawler, sampling it; (samples, peak RSS in KiB, exit code, when the first
    request was seen)."""
    cmd = crawl_command(sim, ids_file, str(work / "data"), "--rate", "100000", "--quiet")
    requests = Requests(sim)
    samples: list[Sample] = []
    planned_at: float | None = None
    peak_kb = 0
    with (work / "crawler.err").open("w+") as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=err, env=crawler_env(), cwd=work
        )
        try:
            deadline = started + args.plan_seconds
            next_sample = started
            interrupted_at: float | None = None
            while proc.poll() is None:
                now = time.monotonic()
                memory = memory_kb(proc.pid)
                if memory is not None:
                    peak_kb = max(peak_kb, memory[1])
                    if now >= next_sample:
                        next_sample = now + args.every
                        fetched = requests.read()
                        samples.append(Sample(now - started, fetched, *memory))
                        if planned_at is None and fetched > 0:
                            planned_at = now - started
                            deadline = now + crawl_seconds
                if interrupted_at is None and now >= deadline:
                    proc.send_signal(signal.SIGINT)  # saves, reports, exits
                    interrupted_at = now
                elif interrupted_at is not None and now > interrupted_at + 60:
                    proc.kill()
                time.sleep(POLL_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        errors = err.read()
    if proc.returncode not in (0, 1, 130):
        sys.exit(f"crawler exited {proc.returncode}:\n{errors[-2000:]}")
    return samples, peak_kb, proc.returncode, planned_at


def report(
    samples: list[Sample],
    planned_at: float | None,
    peak_kb: int,
    code: int,
    ids: int,
    store_mb: float,
) -> None:
    if planned_at is None or not samples:
        sys.exit("the crawler made no request: planning did not finish in --plan-seconds")
    planning = [s for s in samples if s.seconds < planned_at]
    crawling = [s for s in samples if s.seconds >= planned_at]
    last = samples[-1]
    crawl_s = last.seconds - planned_at
    print(
        f"crawler exited {code} after {last.seconds:.0f} s: planned {ids:,} ids in "
        f"~{planned_at:.1f} s, then fetched {last.fetched:,} documents in "
        f"{crawl_s:.0f} s ({last.fetched / max(1e-9, crawl_s):,.0f} docs/s); store "
        f"{store_mb:,.0f} MB on disk"
    )
    print(f"{'point':>22}  {'t (s)':>7}  {'fetched':>9}  {'RSS':>8}  {'peak so far':>11}")
    points: list[tuple[str, Sample]] = []
    if planning:
        points.append(("while planning (last)", planning[-1]))
    points.append(("planned (1st request)", crawling[0]))
    marks = [m for m in MILESTONES if m <= last.fetched]
    for mark in marks:
        first = next(s for s in crawling if s.fetched >= mark)
        points.append((f"{mark:,} fetched", first))
    points.append(("last sample", last))
    for label, s in points:
        print(
            f"{label:>22}  {s.seconds:7.1f}  {s.fetched:9,}  {mb(s.rss_kb):>8}  {mb(s.hwm_kb):>11}"
        )
    if marks:
        first = next(s for s in crawling if s.fetched >= marks[0])
        growth = (last.rss_kb - first.rss_kb) / 1024
        per = growth / max(1, last.fetched - first.fetched) * 100_000
        print(
            f"RSS from {marks[0]:,} to {last.fetched:,} fetched: {growth:+,.1f} MB "
            f"({per:+,.1f} MB per 100,000 documents)"
        )
    verdict = "met" if peak_kb / 1024 < TARGET_MB else "NOT met"
    print(f"peak RSS of the crawler: {mb(peak_kb)} (VmHWM); target < {TARGET_MB} MB: {verdict}")


if __name__ == "__main__":
    main()
