"""A Ctrl-C at any moment of a crawl's life (issue #14, item 2), from Python still loading the
command line to the last batch: never a traceback, at most one line of its own (besides the
summary, once the crawl has started), and the same command then completes the store."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from test_crawl_e2e import (
    KEY,
    StartSim,
    assert_store_matches_catalog,
    child_env,
    cli,
    crawl_cmd,
    export_ids,
    run,
)
from tmdb_collector import config

MOVIES = 600


@pytest.mark.parametrize("after", [0.15, 0.3, 0.6, 1.0, 2.0, 3.5])
def test_ctrl_c_at_any_moment_prints_no_traceback(
    start_sim: StartSim, tmp_path: Path, after: float
) -> None:
    """SIGINT `after` seconds from the start: during start-up (the command line's ~0.5 s of
    imports), the access check, the export download and planning, the crawl itself, or after
    its end. (The interpreter's own first few milliseconds, before any code of ours runs, are
    Python's: a signal there is not ours to word.)"""
    sim = start_sim("--movies", str(MOVIES), "--latency-ms", "20", api_key=KEY)
    data = tmp_path / "data"
    cmd = crawl_cmd(sim, data, "--quiet", "--rate", "150")
    env = child_env(TMDB_API_KEY=KEY)
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert "Traceback" not in stdout + stderr, stderr
    # 130 when interrupted; 0 when the crawl had ended already; killed by the signal itself
    # only in the first milliseconds, before Python installs its handler (nothing printed).
    assert proc.returncode in (130, 0, -signal.SIGINT), (proc.returncode, stderr)
    said = [line for line in stderr.splitlines() if line.startswith("tmdb-collector:")]
    assert len(said) <= 1, stderr  # besides the crawl's summary table, once it has one
    if proc.returncode == 130:
        assert "interrupted" in said[0]

    result = run(cmd, tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert_store_matches_catalog(data, MOVIES, config.SIM_SEED, export_ids(MOVIES))
    verified = run(cli("verify", "--data-dir", str(data)), tmp_path, env)
    assert verified.returncode == 0, verified.stdout
