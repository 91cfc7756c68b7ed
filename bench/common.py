"""What the benchmarks share: the simulator's export ids and a crawler child process."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
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


def simulated_store(
    data_dir: Path, movies: int, seed: int = 7, people: bool = True, only: str | None = None
) -> Path:
    """A store holding the simulator's first `movies` movies (with the crawler's default
    appends, or `only` these) and, with `people`, everyone in their credits, as a crawl would
    leave it; built once per (movies, seed, only) without HTTP, then reused. Returns the data
    directory."""
    from datetime import date

    from tmdb_collector import config
    from tmdb_collector.crawl.store import Outcome, Store
    from tmdb_collector.simulator.catalog import Catalog
    from tmdb_collector.simulator.credits import CreditIndex, movie_credits
    from tmdb_collector.simulator.movies import movie_json
    from tmdb_collector.simulator.people import person_doc

    done = data_dir / f".complete-{movies}-{seed}-{int(people)}"
    if only is not None:
        done = done.with_name(f"{done.name}-{only.replace(',', '+')}")
    if done.exists():
        return data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / config.STORE_FILE).unlink(missing_ok=True)
    catalog = Catalog(movies, seed, date(2026, 11, 2))
    index = CreditIndex(catalog)
    store = Store.open(data_dir)
    appends = tuple(config.MOVIE_APPENDS.split(","))
    if only is not None:
        appends = tuple(a for a in only.split(",") if a)
    credited: set[int] = set()
    batch: list[Outcome] = []
    for i in range(movies):
        if catalog.movies.is_ghost(i):
            continue
        body = movie_json(catalog, i, appends)
        batch.append(Outcome("movie", catalog.movies.ids.id_of(i), "ok", "ok", 200, body))
        if people:
            credits = movie_credits(catalog, i)
            credited.update(p for p, *_ in credits.cast)
            credited.update(p for p, *_ in credits.crew)
        if len(batch) >= 2000:
            store.record(batch)
            batch = []
    for p in sorted(credited):
        body = orjson.dumps(person_doc(index, p, ()))
        batch.append(Outcome("person", catalog.people.ids.id_of(p), "ok", "ok", 200, body))
        if len(batch) >= 2000:
            store.record(batch)
            batch = []
    store.record(batch)
    store.close()
    done.touch()
    return data_dir


def peak_rss_kb(child: subprocess.Popen[str], limit_s: float, poll_s: float = 0.05) -> int:
    """Wait for `child` (killed after `limit_s`), reading its RSS high-water mark (VmHWM)
    every `poll_s`; returns the last one read, in KiB. (Not ru_maxrss: Linux carries the
    parent's high-water mark into a vfork()+exec()ed child's.)"""
    peak, deadline = 0, time.monotonic() + limit_s
    while child.poll() is None:
        if time.monotonic() > deadline:
            child.kill()
            child.wait()
            raise SystemExit(f"{child.args!r} took over {limit_s:.0f} s: killed")
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
            peak = max(peak, int(status.split("VmHWM:")[1].split()[0]))
        except (OSError, IndexError, ValueError):
            pass  # exiting: the last reading stands
        time.sleep(poll_s)
    return peak
