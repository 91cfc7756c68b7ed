"""Wall time and peak memory of `export` (and `network`) over a large collection.

The collection is the simulator's catalog written straight into a store (`simulated_store`
in common.py: movies with the crawler's default appends, and every person in their credits),
built once per size in --work-dir and reused. Each command then runs as a child process,
`tmdb-collector export --format F --data-dir D --out ... --quiet`, its peak RSS read as the
kernel's high-water mark (VmHWM in /proc/PID/status) every 0.05 s until it exits.

    .venv/bin/python bench/outputs_scale.py [--movies 1000000] [--work-dir DIR]
        [--only parquet,duckdb,jsonl,network,gexf]

Prints one row per command: seconds, peak RSS, output size; targets: under 5 minutes and
under 2 GB each for 1,000,000 movies. Building the 1M store first takes ~25 minutes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import crawler_env, peak_rss_kb, simulated_store

TARGET_S, TARGET_MB = 300, 2048
COMMANDS = {
    "parquet": ("export", "--format", "parquet", "--out", "{out}/parquet"),
    "duckdb": ("export", "--format", "duckdb", "--out", "{out}/tmdb.duckdb"),
    "jsonl": ("export", "--format", "jsonl", "--preset", "box-office",
              "--out", "{out}/box-office.jsonl.zst"),
    "network": ("network", "--format", "parquet", "--out", "{out}/network"),
    "gexf": ("network", "--format", "gexf", "--top-billed", "10", "--min-shared", "2",
             "--out", "{out}/network"),
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--movies", type=int, default=1_000_000)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--only", default=",".join(COMMANDS))
    args = parser.parse_args()
    data_dir = args.work_dir / f"tmdb-bench-store-{args.movies}"
    started = time.monotonic()
    simulated_store(data_dir, args.movies)
    seconds = time.monotonic() - started
    print(f"store of {args.movies:,} movies ready in {seconds:.0f} s: {data_dir}")
    out = Path(tempfile.mkdtemp(prefix="tmdb-bench-outputs-", dir=args.work_dir))
    try:
        print(f"{'command':<10} {'seconds':>8} {'peak RSS':>10} {'output':>10}  verdict")
        for name in args.only.split(","):
            seconds, peak_kb = run(COMMANDS[name], data_dir, out)
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
            ok = seconds < TARGET_S and peak_kb / 1024 < TARGET_MB
            print(f"{name:<10} {seconds:>8.1f} {peak_kb / 1024:>7.0f} MB {size / 2**20:>7.0f} MB"
                  f"  {'within' if ok else 'OVER'} {TARGET_S} s / {TARGET_MB} MB")  # fmt: skip
            shutil.rmtree(out)
            out.mkdir()
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run(command: tuple[str, ...], data_dir: Path, out: Path) -> tuple[float, int]:
    """Run one command to its end (bounded: 30 minutes); its wall seconds and peak RSS."""
    argv = [sys.executable, "-m", "tmdb_collector", *(a.format(out=out) for a in command),
            "--data-dir", str(data_dir), "--quiet"]  # fmt: skip
    started = time.monotonic()
    child = subprocess.Popen(argv, env=crawler_env(), stderr=subprocess.PIPE, text=True)
    peak = peak_rss_kb(child, limit_s=1800)
    seconds = time.monotonic() - started
    if child.returncode != 0:
        errors = child.stderr.read() if child.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}): {errors}")
    return seconds, peak


if __name__ == "__main__":
    main()
