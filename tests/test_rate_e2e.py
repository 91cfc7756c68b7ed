"""`--rate auto` (the default) and `--rate N` against real rate-limited simulators (issue #13).

Seven crawls run side by side, each a child process (`python -m tmdb_collector crawl movies`)
against a simulator of its own on loopback, about eight seconds each: with no `--rate` against
limits of 40 and 50 requests/s, with and without Retry-After; `--rate 60` against 40 (a ceiling
above the limit); a limit lowered from 50 to 30 mid-run (`POST /__sim/limit`); and `--rate 25`
against no limit at all. What each did is read from the simulator's own counters (from
127.0.0.2, so that 127.0.0.1's are the crawler's alone) and from the crawler's `--json` summary
and store. The shares asserted are loose (the machine is shared): the figures the issue asks
for are bench/crawl_rate_limited.py's, over minutes.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import pytest

from conftest import FIRST_DAY
from tmdb_collector.crawl.store import Store
from tmdb_collector.simulator.process import SimulatorProcess

CRAWLER_IP, OBSERVER_IP = "127.0.0.1", "127.0.0.2"
SECONDS = 8  # each crawl holds about this many seconds of requests at its limit
DROP_AFTER = 200  # the lowered limit: accepted answers at 50/s before it falls to 30/s


@dataclass(frozen=True)
class Variant:
    limit: float  # the simulator's per-IP limit (0: none)
    simulator: tuple[str, ...] = ()
    crawler: tuple[str, ...] = ()
    lowered_to: float | None = None  # the limit set mid-run, after DROP_AFTER answers

    @property
    def movies(self) -> int:
        rate = self.lowered_to or self.limit or 25
        return DROP_AFTER + int(rate * SECONDS) if self.lowered_to else int(rate * SECONDS)


VARIANTS = {
    "auto-40": Variant(40),
    "auto-40-no-retry-after": Variant(40, ("--no-retry-after",)),
    "auto-50": Variant(50),
    "auto-50-no-retry-after": Variant(50, ("--no-retry-after",)),
    "rate-60-over-40": Variant(40, crawler=("--rate", "60")),
    "auto-lowered-50-to-30": Variant(50, lowered_to=30),
    "rate-25-no-limit": Variant(0, crawler=("--rate", "25")),
}


@dataclass
class Run:
    variant: Variant
    returncode: int = -1
    stdout: str = ""
    stderr: str = ""
    stats: dict[str, Any] = field(default_factory=dict)  # the crawler's, at the end
    at_drop: Counter[str] = field(default_factory=Counter)  # its counts when the limit fell
    data_dir: Path = Path()

    @property
    def counts(self) -> Counter[str]:
        return Counter(self.stats.get("by_status", {}))

    @property
    def summary(self) -> dict[str, Any]:
        events = [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]
        found = [e for e in events if e["event"] == "summary"]
        assert len(found) == 1, self.stdout
        return dict(found[0])

    def accepted_per_s(self, counts: Counter[str] | None = None) -> float:
        """API answers other than 429 per second of the crawl (the export download and the
        access check, made before the crawl's clock starts, left out)."""
        counts = self.counts if counts is None else counts
        return (counts.total() - 2 - counts["429"]) / self.summary["seconds"]

    def share_429(self) -> float:
        return self.counts["429"] / (self.counts.total() - 1)


def crawler_stats(sim: SimulatorProcess) -> dict[str, Any]:
    """The simulator's counters for the crawler (127.0.0.1), read from 127.0.0.2."""
    parts = urlsplit(sim.url)
    assert parts.hostname is not None and parts.port is not None
    conn = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=10, source_address=(OBSERVER_IP, 0)
    )
    try:
        conn.request("GET", "/__sim/stats")
        stats = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    return dict(stats["by_ip"].get(CRAWLER_IP, {}))


@contextlib.contextmanager
def crawling(sim: SimulatorProcess, data_dir: Path, extra: tuple[str, ...]) -> Iterator[Any]:
    """`crawl movies --json` against `sim` in the background, its output going to files; killed
    by its pid if still running when the block ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDB_")}
    env["TMDB_API_KEY"] = "rate-key"
    cmd = [sys.executable, "-m", "tmdb_collector", "crawl", "movies", "--json",
           "--api-url", sim.api_url, "--exports-url", sim.exports_url, "--date", FIRST_DAY,
           "--data-dir", str(data_dir), *extra]  # fmt: skip
    data_dir.mkdir()
    out: IO[str]
    with (
        (data_dir.parent / f"{data_dir.name}.out").open("w+") as out,
        (data_dir.parent / f"{data_dir.name}.err").open("w+") as err,
    ):
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        try:
            yield proc, out, err
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Every variant's crawl, run side by side (about 10 s in all)."""
    root = tmp_path_factory.mktemp("rate")
    found = {name: Run(variant, data_dir=root / name) for name, variant in VARIANTS.items()}
    with contextlib.ExitStack() as stack:
        sims = {
            name: SimulatorProcess(
                "--day",
                FIRST_DAY,
                "--movies",
                str(v.movies),
                "--rate-limit",
                str(v.limit),
                *v.simulator,
            )
            for name, v in VARIANTS.items()
        }
        for sim in sims.values():
            stack.callback(sim.stop)
        with ThreadPoolExecutor(len(sims)) as starting:  # each takes a second or two
            list(starting.map(SimulatorProcess.__enter__, sims.values()))
        children = {
            name: stack.enter_context(crawling(sims[name], found[name].data_dir, v.crawler))
            for name, v in VARIANTS.items()
        }
        deadline = time.monotonic() + 90
        lowering = {n for n, v in VARIANTS.items() if v.lowered_to}
        while any(proc.poll() is None for proc, _, _ in children.values()):
            assert time.monotonic() < deadline, "the crawls took over 90 s"
            for name in list(lowering):
                counts = Counter(crawler_stats(sims[name]).get("by_status", {}))
                if counts.total() - counts["429"] >= DROP_AFTER:
                    sims[name].set_limit(VARIANTS[name].lowered_to or 0)
                    found[name].at_drop = counts
                    lowering.discard(name)
            time.sleep(0.1)
        for name, (proc, out, err) in children.items():
            run = found[name]
            run.returncode = proc.wait(timeout=5)
            out.seek(0), err.seek(0)
            run.stdout, run.stderr = out.read(), err.read()
            run.stats = crawler_stats(sims[name])
        yield found


def stored(data_dir: Path) -> dict[str, int]:
    store = Store.open(data_dir)
    try:
        return dict(store.counts()["movie"])
    finally:
        store.close()


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_crawl_completes_with_every_id_ok_or_gone(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.returncode == 0, run.stderr
    facts = run.summary
    assert facts["ok"] + facts["gone"] == run.variant.movies
    assert stored(run.data_dir) == {"pending": 0, "ok": facts["ok"], "gone": facts["gone"],
                                    "failed": 0}  # fmt: skip


AUTO_FIXED_LIMIT = [n for n, v in VARIANTS.items() if n.startswith("auto") and not v.lowered_to]


@pytest.mark.parametrize("name", AUTO_FIXED_LIMIT)
def test_with_no_rate_given_the_crawl_settles_near_the_servers_limit(
    runs: dict[str, Run], name: str
) -> None:
    """Accepted at >= 80% of the limit over the whole crawl (its search at the start included:
    over 8 s on a busy machine, 84-91% was seen), with few 429s, and the summary names a rate
    found just under the limit."""
    run = runs[name]
    limit = run.variant.limit
    assert run.accepted_per_s() >= 0.8 * limit, (run.accepted_per_s(), run.summary)
    assert run.share_429() <= 0.02, run.counts
    assert 0.9 * limit <= run.summary["rate_found"] <= limit


def test_a_limit_lowered_mid_run_is_followed(runs: dict[str, Run]) -> None:
    """The limit falls from 50 to 30 while the crawl runs: it gets a handful of 429s, not a
    stream of them, keeps being accepted near the new limit, and reports a rate under it."""
    run = runs["auto-lowered-50-to-30"]
    assert run.at_drop, "the crawl ended before the limit was lowered"
    after = run.counts - run.at_drop
    assert after["429"] <= 10, after
    # An estimate from the 429s after the drop (30.4-30.7 seen): a little over costs a 429
    # now and then, which the count above bounds.
    assert 0.85 * 30 <= run.summary["rate_found"] <= 1.05 * 30
    assert run.accepted_per_s() >= 0.8 * 30


def test_a_fixed_rate_is_never_exceeded_whatever_the_server_allows(runs: dict[str, Run]) -> None:
    """`--rate 25` against a server with no limit: 25/s on average, and in no one second did
    the server see more than 25, give or take 10% for timers and loopback."""
    run = runs["rate-25-no-limit"]
    assert run.counts["429"] == 0
    sent = run.counts.total() - 2  # the export download and the access check left out
    assert (sent - 1) / run.summary["seconds"] <= 25  # n requests span n - 1 intervals
    assert run.stats["peak_per_s"] <= 25 * 1.1 + 1
    assert run.summary["rate_found"] == 25


def test_a_fixed_ceiling_above_the_limit_settles_under_the_limit(runs: dict[str, Run]) -> None:
    run = runs["rate-60-over-40"]
    assert 1 <= run.counts["429"] <= 0.02 * run.counts.total()
    assert 0.9 * 40 <= run.summary["rate_found"] <= 40
