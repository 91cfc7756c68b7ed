"""The report at scale: `report`'s wall time and peak memory over a large collection, and the
page with a 10,000-person, 50,000-link network in headless Chromium.

1. `tmdb-collector report --data-dir D --out ... --quiet` over the simulator's catalog written
   into a store (`simulated_store` in common.py, built once per size in --work-dir and
   reused), as a child process whose peak RSS is the kernel's high-water mark (VmHWM), read
   every 0.05 s. Once with the default cut (top-billed 10, at least 2 shared movies), once
   with `--min-shared 1` (a far bigger cut, capped to 10,000 people and 50,000 links drawn).
2. The page: the second report's data with its network replaced by a graph of exactly
   --nodes people and --edges links (preferential attachment, seeded; laid out by the
   report's own igraph layout, names and movies taken from the real collection), rendered by
   the report's own code. Opened from disk in the system's headless Chromium (Playwright,
   every request but the file's own refused), --rounds times in fresh pages: the time from
   navigation to the first frame drawn after sigma.js is built (`reportGraph.firstFrame`),
   the time until every chart and the graph are drawn, and the HTML's size.

    .venv/bin/python bench/report_scale.py [--movies 100000] [--work-dir DIR]
        [--nodes 10000] [--edges 50000] [--rounds 3] [--only report,page]

Targets (issue #12): the report within 2 minutes and 2 GB at 1,000,000 movies; the page under
15 MB, its first frame within 3 s. Building a 1,000,000-movie store first takes ~25 minutes.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from common import crawler_env, peak_rss_kb, simulated_store

TARGET_S, TARGET_MB, PAGE_TARGET_MB = 120, 2048, 15
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-unsafe-swiftshader",
]  # fmt: skip
RUNS = {"default": (), "min-shared-1": ("--min-shared", "1")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--movies", type=int, default=100_000)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--edges", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="report,page")
    args = parser.parse_args()
    data_dir = args.work_dir / f"tmdb-bench-store-{args.movies}"
    started = time.monotonic()
    simulated_store(data_dir, args.movies)
    print(
        f"store of {args.movies:,} movies ready in {time.monotonic() - started:.0f} s: {data_dir}"
    )
    out = Path(tempfile.mkdtemp(prefix="tmdb-bench-report-", dir=args.work_dir))
    print(f"{'report':<14} {'seconds':>8} {'peak RSS':>10} {'page':>8}  drawn / cut")
    for name, flags in RUNS.items():
        if "report" in args.only or name == "min-shared-1":
            report_run(name, flags, data_dir, out / f"{name}.html")
    if "page" in args.only:
        page_run(out / "min-shared-1.html", out / "page.html", args)
    print(f"pages in {out}")


def report_run(name: str, flags: tuple[str, ...], data_dir: Path, page: Path) -> None:
    argv = [sys.executable, "-m", "tmdb_collector", "report", "--data-dir", str(data_dir),
            "--out", str(page), "--quiet", *flags]  # fmt: skip
    started = time.monotonic()
    child = subprocess.Popen(argv, env=crawler_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    peak = peak_rss_kb(child, limit_s=1800)
    seconds = time.monotonic() - started
    stdout, stderr = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"report {' '.join(flags)} failed ({child.returncode}): {stderr}")
    found = re.search(
        r"network of ([\d,]+) people and ([\d,]+) links, ([\d,]+) and ([\d,]+)", stdout
    )
    drawn = f"{found[3]} / {found[1]} people, {found[4]} / {found[2]} links" if found else stdout
    ok = seconds < TARGET_S and peak / 1024 < TARGET_MB
    size = page.stat().st_size / 2**20
    print(f"{name:<14} {seconds:>8.1f} {peak / 1024:>7.0f} MB {size:>5.1f} MB  {drawn}  "
          f"{'within' if ok else 'OVER'} {TARGET_S} s / {TARGET_MB} MB")  # fmt: skip


def page_run(source: Path, page: Path, args: argparse.Namespace) -> None:
    """Write a page whose network has exactly --nodes and --edges, and time it in Chromium."""
    from tmdb_collector.report import page as report_page

    data = embedded(source.read_text(encoding="utf-8"))
    data["network"] = synthetic_network(data["network"], args.nodes, args.edges)
    page.write_text(report_page.render(data), encoding="utf-8")
    size = page.stat().st_size / 2**20
    frames, ready = open_in_chromium(page, args.rounds)
    verdict = "within" if size < PAGE_TARGET_MB else "OVER"
    print(
        f"page: {args.nodes:,} people, {args.edges:,} links, {size:.1f} MB ({verdict} "
        f"{PAGE_TARGET_MB} MB); first frame {fmt(frames)} ms, all drawn {fmt(ready)} ms"
    )


def fmt(values: list[float]) -> str:
    rounds = ", ".join(f"{v:,.0f}" for v in values)
    return f"median {statistics.median(values):,.0f} ({rounds})"


def embedded(html: str) -> dict[str, Any]:
    from tmdb_collector.report.page import DATA_ID

    found = re.search(f'<script type="application/json" id="{DATA_ID}">(.*?)</script>', html, re.S)
    assert found, "no data in the page"
    parsed: dict[str, Any] = orjson.loads(found[1])
    return parsed


def synthetic_network(real: dict[str, Any], nodes: int, edges: int) -> dict[str, Any]:
    """A network of exactly `nodes` people and `edges` links (preferential attachment, then
    random links until the count is met), with the real people's names and movies reused."""
    from tmdb_collector.report.cut import layout

    rng = random.Random(7)
    per_node = max(1, edges // nodes)
    pairs: set[tuple[int, int]] = set()
    ends: list[int] = [0]
    for i in range(1, nodes):
        for _ in range(min(per_node, i)):
            j = rng.choice(ends)
            if j != i:
                pairs.add((min(i, j), max(i, j)))
                ends += [i, j]
        ends.append(i)
    while len(pairs) > edges:
        pairs.pop()
    while len(pairs) < edges:
        a, b = rng.randrange(nodes), rng.randrange(nodes)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    links = sorted(pairs)
    weights = [1 + int(rng.paretovariate(2.5)) for _ in links]
    degree = [0] * nodes
    for a, b in links:
        degree[a] += 1
        degree[b] += 1
    source = real["nodes"]
    take = [rng.randrange(len(source["id"])) for _ in range(nodes)]
    network = dict(real)
    network["nodes"] = {
        "id": list(range(1, nodes + 1)),
        "name": [source["name"][k] for k in take],
        "department": [source["department"][k] for k in take],
        "movies": [source["movies"][k] for k in take],
        "degree": degree,
        "community": [min(i * 37 % 1000, 999) // 50 for i in range(nodes)],
        "films": [source["films"][k] for k in take],
    }
    network["edges"] = {"s": [a for a, _ in links], "t": [b for _, b in links], "w": weights}
    xs, ys = layout(nodes, network["edges"], seed=1)
    network["nodes"]["x"], network["nodes"]["y"] = xs, ys
    network["total"] = {**real["total"], "nodes": nodes, "edges": edges}
    return network


def open_in_chromium(page: Path, rounds: int) -> tuple[list[float], list[float]]:
    """Per round, in a fresh page: ms from navigation to the graph's first frame, and to
    everything drawn."""
    from playwright.sync_api import sync_playwright

    url = page.resolve().as_uri()
    frames, ready = [], []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1400, "height": 1000},
        )  # fmt: skip
        refused: list[str] = []

        def route(request_route: Any) -> None:
            if request_route.request.url == url:
                request_route.continue_()
            else:
                refused.append(request_route.request.url)
                request_route.abort()

        context.route("**/*", route)
        for _ in range(rounds):
            tab = context.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            tab.goto(url, timeout=120_000)
            frames.append(tab.evaluate("reportGraph.firstFrame"))
            tab.wait_for_function("document.body.dataset.ready === 'true'", timeout=120_000)
            ready.append(tab.evaluate("performance.now()"))
            if errors or refused:
                raise SystemExit(f"the page failed: {errors or refused}")
            tab.close()
        context.close()
    return frames, ready


if __name__ == "__main__":
    main()
