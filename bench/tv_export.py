"""Export time and peak RSS of a store of simulated TV series with all their seasons and
episodes (`--series`, default 200,000: TMDb's export size), to Parquet and DuckDB.

The store is built without HTTP from the simulator's catalog, each series as `crawl tv` stores
it (default appends, every season appended), and reused between runs (`--work-dir`). Each
export runs as a child process (`tmdb-collector export --format F --quiet`, bounded: 1 hour),
its peak RSS read from /proc. Building 200,000 series takes a long while (hours on a shared
machine): try `--series 2000` first.

    .venv/bin/python bench/tv_export.py [--series 200000] [--work-dir /tmp]
        [--formats parquet,duckdb]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import orjson

from common import crawler_env, peak_rss_kb
from tmdb_collector import config
from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.tv import season_numbers, tv_doc
from tmdb_collector.vocab import Kind, State

SEED = 7
TV_PER_MOVIE = 0.19  # the simulator's series per movie
BATCH = 500


def tv_store(data_dir: Path, series: int) -> tuple[Path, int]:
    """A store of the catalog's first `series` live series with every season (built once);
    the data directory and the series stored."""
    done = data_dir / f".complete-tv-{series}-{SEED}"
    store_file = data_dir / config.STORE_FILE
    if done.exists():
        return data_dir, int(done.read_text())
    data_dir.mkdir(parents=True, exist_ok=True)
    store_file.unlink(missing_ok=True)
    catalog = Catalog(int(series / TV_PER_MOVIE) + 1, SEED, date(2026, 11, 2))
    appends = tuple(config.TV_APPENDS.split(","))
    store, batch, stored = Store.open(data_dir), [], 0
    try:
        for index in range(series):
            tv_id = catalog.tv.ids.id_of(index)
            if catalog.tv_index(tv_id) is None:
                continue
            wanted = (*appends, *(f"season/{n}" for n in season_numbers(catalog, index)))
            body = orjson.dumps(tv_doc(catalog, index, wanted))
            batch.append(Outcome(Kind.TV, tv_id, State.OK, "ok", 200, body))
            if len(batch) >= BATCH:
                store.record(batch)
                stored, batch = stored + len(batch), []
        store.record(batch)
        stored += len(batch)
    finally:
        store.close()
    done.write_text(str(stored))
    return data_dir, stored


def export(data_dir: Path, out: Path, fmt: str) -> tuple[float, int]:
    """One export to its end: wall seconds and peak RSS (KiB)."""
    argv = [sys.executable, "-m", "tmdb_collector", "export", "--format", fmt, "--out", str(out),
            "--data-dir", str(data_dir), "--quiet"]  # fmt: skip
    started = time.monotonic()
    child = subprocess.Popen(argv, env=crawler_env(), stderr=subprocess.PIPE, text=True)
    peak = peak_rss_kb(child, limit_s=3600)
    if child.returncode != 0:
        errors = child.stderr.read() if child.stderr else ""
        sys.exit(f"export {fmt} failed ({child.returncode}): {errors}")
    return time.monotonic() - started, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=200_000)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--formats", default="parquet,duckdb")
    args = parser.parse_args()
    started = time.monotonic()
    data_dir, stored = tv_store(args.work_dir / f"tmdb-bench-tv-{args.series}", args.series)
    size = (data_dir / config.STORE_FILE).stat().st_size
    print(f"store: {stored:,} series, {size / 2**20:,.0f} MB, ready in "
          f"{time.monotonic() - started:,.0f} s: {data_dir}")  # fmt: skip
    out_root = Path(tempfile.mkdtemp(prefix="tmdb-bench-tv-out-", dir=args.work_dir))
    try:
        print(f"{'format':<8} {'seconds':>8} {'peak RSS':>10} {'output':>10} {'series/s':>9}")
        for fmt in args.formats.split(","):
            out = out_root / ("tables" if fmt == "parquet" else "tv.duckdb")
            seconds, peak = export(data_dir, out, fmt)
            written = sum(p.stat().st_size for p in out_root.rglob("*") if p.is_file())
            print(f"{fmt:<8} {seconds:>8.1f} {peak / 1024:>7.0f} MB {written / 2**20:>7.0f} MB "
                  f"{stored / seconds:>9,.0f}")  # fmt: skip
            shutil.rmtree(out_root)
            out_root.mkdir()
    finally:
        shutil.rmtree(out_root, ignore_errors=True)


if __name__ == "__main__":
    main()
