"""One writer per store (issue #14, item 1): a second writer is refused at once, before any
request; a writer killed with kill -9 leaves no lock behind; readers see one snapshot."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import duckdb

from conftest import FIRST_DAY
from test_crawl_e2e import (
    KEY,
    StartSim,
    assert_one_clear_line,
    child_env,
    cli,
    counts,
    crawl_cmd,
    crawler_counts,
    run,
    started,
)
from tmdb_collector.simulator.process import SimulatorProcess


def wait_until_fetching(sim: SimulatorProcess, data: Path, child: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while crawler_counts(sim).total() < 50 or not (data / "tmdb.sqlite").exists():
        assert child.poll() is None, "the first crawl ended early"
        assert time.monotonic() < deadline, "the first crawl never got going"
        time.sleep(0.05)


def startup_seconds(tmp_path: Path) -> float:
    """How long this machine takes to start the command line and exit, doing nothing."""
    began = time.monotonic()
    run(cli("--version"), tmp_path, child_env())
    return time.monotonic() - began


def test_a_second_writer_exits_2_at_once_without_a_request_and_kill_9_leaves_no_lock(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """While a crawl runs, a second crawl and a sync on its data directory each print one line
    naming the running command and its PID and exit 2, within a second of starting up, having
    sent nothing (their simulator counts no request). After kill -9 of the first, the same
    crawl runs to the end with no cleanup."""
    sim = start_sim("--movies", "1500", "--latency-ms", "5", api_key=KEY)
    other = start_sim("--movies", "1500", api_key=KEY)  # where the refused commands would go
    data = tmp_path / "data"
    env = child_env(TMDB_API_KEY=KEY)
    with started(crawl_cmd(sim, data, "--quiet", "--rate", "40"), tmp_path, env) as first:
        wait_until_fetching(sim, data, first.proc)
        baseline = startup_seconds(tmp_path)
        for cmd in (
            crawl_cmd(other, data, "--quiet"),
            cli(
                "sync",
                "--api-url",
                other.api_url,
                "--exports-url",
                other.exports_url,
                "--data-dir",
                str(data),
                "--until",
                FIRST_DAY,
            ),
        ):
            began = time.monotonic()
            result = run(cmd, tmp_path, env)
            took = time.monotonic() - began
            line = assert_one_clear_line(result, "crawl movies", f"pid {first.proc.pid}", "in use")
            assert str(data) in line
            assert took < baseline + 1.0, (took, baseline)
            assert crawler_counts(other).total() == 0
        assert first.proc.poll() is None  # the first never noticed
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait(timeout=10)
    assert (data / ".writer.lock").exists()  # the file stays; the lock went with the process
    result = run(crawl_cmd(sim, data, "--quiet"), tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert counts(data)["pending"] == 0


def test_an_export_during_a_crawl_reads_one_snapshot(start_sim: StartSim, tmp_path: Path) -> None:
    """An export taken while movies are being written agrees with itself: every movie its cast,
    crew and genre tables refer to is in its movies table, and it holds as many movies as the
    store had at some moment during the export."""
    sim = start_sim("--movies", "3000", "--latency-ms", "5", api_key=KEY)
    data = tmp_path / "data"
    env = child_env(TMDB_API_KEY=KEY)
    with started(crawl_cmd(sim, data, "--quiet", "--rate", "60"), tmp_path, env) as crawling:
        wait_until_fetching(sim, data, crawling.proc)
        for n in range(2):
            before = counts(data)["ok"]
            out = tmp_path / f"snapshot-{n}.duckdb"
            result = run(
                cli(
                    "export",
                    "--format",
                    "duckdb",
                    "--quiet",
                    "--data-dir",
                    str(data),
                    "--out",
                    str(out),
                ),
                tmp_path,
                env,
            )
            after = counts(data)["ok"]
            assert result.returncode == 0, result.stderr
            con = duckdb.connect(str(out), read_only=True)
            (movies,) = con.execute("SELECT count(*) FROM movies").fetchone() or (0,)
            for table in ('"cast"', "crew", "movie_genres"):
                (orphans,) = con.execute(
                    f"SELECT count(*) FROM {table} WHERE movie_id NOT IN (SELECT id FROM movies)"
                ).fetchone() or (0,)
                assert orphans == 0, table
            con.close()
            assert before <= movies <= after, (before, movies, after)
        assert crawling.proc.poll() is None, "the crawl ended before the exports: too fast"
