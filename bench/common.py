"""What the benchmarks share: the simulator's export ids and a crawler child process."""

from __future__ import annotations

import gzip
import os
import sys
import urllib.request
from pathlib import Path

import orjson

from tmdb_collector.ids import export_name
from tmdb_collector.simulator.process import SimulatorProcess


def export_ids(sim: SimulatorProcess) -> list[int]:
    """Every id of the simulator's newest movie export, in export order."""
    url = f"{sim.exports_url}/{export_name('movie', sim.today())}"
    with urllib.request.urlopen(url, timeout=120) as answer:
        lines = gzip.decompress(answer.read()).splitlines()
    return [orjson.loads(line)["id"] for line in lines]


def crawler_env() -> dict[str, str]:
    """This environment without any TMDB_* setting (a stray TMDB_RATE would skew a run), with
    a made-up key: the simulator accepts any."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDB_")}
    env["TMDB_API_KEY"] = "x"
    return env


def crawl_command(
    sim: SimulatorProcess, ids_file: Path, data_dir: str | Path, *extra: str
) -> list[str]:
    """`tmdb-collector crawl movies` over an ids file, against the simulator."""
    return [
        sys.executable, "-m", "tmdb_collector", "crawl", "movies",
        "--ids-file", str(ids_file), "--data-dir", str(data_dir), "--api-url", sim.api_url,
        *extra,
    ]  # fmt: skip
