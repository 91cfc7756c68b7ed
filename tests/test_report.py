"""`report` (issue #12): the page of a collection crawled from a real simulator, checked
against DuckDB and the raw documents, and opened in a real headless Chromium that may fetch
nothing but the file itself."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from tmdb_collector.crawl.store import Store
from tmdb_collector.export.outputs import PRESETS
from tmdb_collector.report import catalog, page
from tmdb_collector.simulator.process import SimulatorProcess

KEY = "report-key-7d1e"
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("TMDB_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-unsafe-swiftshader",  # WebGL in software: the machines have no GPU
]  # fmt: skip


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDB_")}
    env["TMDB_API_KEY"] = KEY
    return subprocess.run(
        [sys.executable, "-m", "tmdb_collector", *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def crawl(data_dir: Path, people: bool) -> Path:
    """Crawl 400 of a real simulator's movies (and, with `people`, their people)."""
    with SimulatorProcess("--movies", "500", "--seed", "12", "--day", "2026-11-02") as sim:
        common = ("--api-url", sim.api_url, "--exports-url", sim.exports_url,
                  "--data-dir", str(data_dir), "--rate", "1000", "--quiet")  # fmt: skip
        movies = cli("crawl", "movies", "--date", "2026-11-02", "--limit", "400", *common)
        assert movies.returncode == 0, movies.stderr
        if people:
            crawled = cli("crawl", "people", *common)
            assert crawled.returncode == 0, crawled.stderr
    return data_dir


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crawl(tmp_path_factory.mktemp("collection"), people=True)


@dataclass(frozen=True)
class Report:
    path: Path
    data: dict[str, Any]
    stdout: str


def make_report(data_dir: Path, out: Path, *options: str) -> Report:
    result = cli("report", "--data-dir", str(data_dir), "--out", str(out), "--quiet", *options)
    assert result.returncode == 0, result.stderr
    return Report(out, embedded_data(out.read_text(encoding="utf-8")), result.stdout)


@pytest.fixture(scope="module")
def report(collection: Path) -> Report:
    """The report with one shared movie enough for a link (the small simulated catalog has few
    pairs sharing two), so the drawn graph has a few hundred people."""
    return make_report(collection, collection / "report.html", "--min-shared", "1")


def embedded_data(html: str) -> dict[str, Any]:
    """The page's data, read as a browser would: the JSON script element's text."""

    class Finder(HTMLParser):
        found: str | None = None
        inside = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.inside = tag == "script" and ("id", page.DATA_ID) in attrs

        def handle_data(self, data: str) -> None:
            if self.inside:
                self.found = data
                self.inside = False

    finder = Finder()
    finder.feed(html)
    assert finder.found is not None, "no embedded data in the page"
    parsed: dict[str, Any] = orjson.loads(finder.found)
    return parsed


def rows(columns: dict[str, list[Any]]) -> list[tuple[Any, ...]]:
    return list(zip(*columns.values(), strict=True))


# --- the numbers on the page against DuckDB and the store ----------------------------------------


@pytest.fixture(scope="module")
def exported(collection: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The collection's DuckDB export, as `export --format duckdb` writes it."""
    out = collection / "tmdb.duckdb"
    result = cli("export", "--format", "duckdb", "--data-dir", str(collection), "--out", str(out))
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(out), read_only=True)
    yield con
    con.close()


def test_collection_numbers_equal_the_store(collection: Path, report: Report) -> None:
    db = sqlite3.connect(collection / "tmdb.sqlite")
    expected: dict[str, dict[str, int]] = {}
    for kind, status, count in db.execute(
        "SELECT kind, status, count(*) FROM records GROUP BY 1, 2"
    ):
        expected.setdefault(kind, {"pending": 0, "ok": 0, "gone": 0, "failed": 0})[status] = count
    db.close()
    kinds = report.data["collection"]["kinds"]
    assert {kind: info["states"] for kind, info in kinds.items()} == expected
    assert kinds["movie"]["export_day"] == "2026-11-02"
    runs = report.data["collection"]["runs"]
    assert [run["kind"] for run in runs] == ["movie", "person"]  # one crawl each, in time order
    assert all(run["requests"] >= run["ok"] > 0 and run["rate"] > 0 for run in runs)


def test_catalog_numbers_equal_duckdb(report: Report, exported: duckdb.DuckDBPyConnection) -> None:
    facts = report.data["catalog"]
    per_year = exported.execute(
        "SELECT year, count(*) FROM movies WHERE year IS NOT NULL GROUP BY year ORDER BY year"
    ).fetchall()
    assert rows(facts["per_year"]) == per_year
    count = exported.execute("SELECT count(*) FROM movies").fetchone()
    assert count is not None and facts["counts"]["movies"] == count[0] > 300
    # The most credited people, from the export's filmography view (cast and crew credits).
    top = exported.execute(
        "SELECT person_id, count(DISTINCT movie_id) AS n FROM filmography GROUP BY person_id "
        "ORDER BY n DESC, person_id LIMIT 25"
    ).fetchall()
    top_by_movies = facts["top_by_movies"]
    assert list(zip(top_by_movies["id"], top_by_movies["movies"], strict=True)) == top
    names = dict(exported.execute("SELECT id, name FROM people").fetchall())
    assert facts["top_by_movies"]["name"] == [names[id_] for id_, _ in top]
    box_office = exported.execute("SELECT count(*) FROM movies WHERE budget > 1000 "
                                  "AND revenue >= 10000000").fetchone()  # fmt: skip
    assert box_office is not None and facts["counts"]["box_office"] == box_office[0]
    genres = exported.execute(
        "SELECT m.year // 10 * 10, g.name, count(*) FROM movie_genres l JOIN genres g "
        "ON g.id = l.genre_id JOIN movies m ON m.id = l.movie_id WHERE m.year IS NOT NULL "
        "GROUP BY ALL ORDER BY 1, 2"
    ).fetchall()
    assert rows(facts["genres_by_decade"]) == genres


def test_the_network_is_the_network_commands_cut(
    collection: Path, report: Report, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    result = cli("network", "--top-billed", "10", "--data-dir", str(collection),
                 "--out", str(tmp_path), "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    nodes = pq.read_table(tmp_path / "nodes.parquet").to_pylist()
    edges = pq.read_table(tmp_path / "edges.parquet").to_pylist()
    network = report.data["network"]
    assert network["total"]["nodes"] == len(nodes) > 100
    assert network["total"]["edges"] == len(edges)
    # Nothing capped at this size: every person and link is drawn, with the same communities.
    assert sorted(network["nodes"]["id"]) == sorted(n["id"] for n in nodes)
    community = {n["id"]: n["community"] for n in nodes}
    assert all(
        community[i] == c
        for i, c in zip(*(network["nodes"][k] for k in ("id", "community")), strict=True)
    )
    ids = network["nodes"]["id"]
    drawn = {(ids[s], ids[t]): w for s, t, w in rows(network["edges"])}
    assert drawn == {(e["source"], e["target"]): e["weight"] for e in edges}
    top = sorted(nodes, key=lambda n: (-n["degree"], n["id"]))[:25]
    assert network["top_by_costars"]["id"] == [n["id"] for n in top]


def test_a_cap_draws_the_heaviest_and_says_so(
    collection: Path, report: Report, tmp_path: Path
) -> None:
    capped = make_report(collection, tmp_path / "capped.html", "--min-shared", "1",
                         "--max-nodes", "40", "--max-edges", "60")  # fmt: skip
    network = capped.data["network"]
    drawn = f"{len(network['nodes']['id'])} and {len(network['edges']['s'])} drawn"
    assert drawn in capped.stdout
    # From the uncapped report's links (all of the cut's): the 40 people with the most shared
    # movies in all, then the 60 heaviest links among them.
    full = report.data["network"]
    ids = full["nodes"]["id"]
    links = [(ids[s], ids[t], w) for s, t, w in rows(full["edges"])]
    strength: Counter[int] = Counter()
    for a, b, w in links:
        strength[a] += w
        strength[b] += w
    heaviest = set(sorted(strength, key=lambda p: (-strength[p], p))[:40])
    among = sorted((w, a, b) for a, b, w in links if a in heaviest and b in heaviest)
    expected = sorted(among, key=lambda e: (-e[0], e[1], e[2]))[:60]
    got = network["nodes"]["id"]
    assert sorted((w, got[s], got[t]) for s, t, w in rows(network["edges"])) == sorted(expected)
    assert network["total"]["nodes"] == len(ids) > 40


def test_the_runs_are_every_run_once_in_time_order_with_the_sync(tmp_path: Path) -> None:
    from tmdb_collector.crawl.sync import last_sync_key, watermark_key
    from tmdb_collector.report.collection import collection_facts

    store = Store.open(tmp_path)
    store.add("movie", [1, 2, 3])
    runs = [("movie", 1_700_000_000.25, 400, 10.0, 3), ("movie", 1_700_090_000.5, 90, 3.0, 0),
            ("person", 1_700_000_100.0, 0, 0.0, 0)]  # fmt: skip
    for kind, finished, requests, seconds, throttled in runs:
        run = {"kind": kind, "finished": finished, "requests": requests, "seconds": seconds,
               "throttled": throttled, "ok": requests, "gone": 0, "failed": 0, "retries": 0,
               "outcome": "done"}  # fmt: skip
        facts = orjson.dumps(run).decode()
        store.set_meta(f"run:{kind}:{finished:.3f}", facts)
        store.set_meta(f"last_run:{kind}", facts)  # the last of each kind is both
    store.set_meta(watermark_key("movie"), "2026-11-20")
    store.set_meta(last_sync_key("movie"), orjson.dumps({
        "finished": 1_700_090_000.0, "outcome": "done", "through": "2026-11-20",
        "days": ["2026-11-19", "2026-11-20"], "requests": 4, "fetched": 90, "new": 2,
    }).decode())  # fmt: skip
    facts = collection_facts(store)
    store.close()
    got = [(r["kind"], r["finished"], r["requests"], r["rate"], r["throttled"])
           for r in facts["runs"]]  # fmt: skip
    assert got == [("movie", "2023-11-14T22:13:20Z", 400, 40.0, 3),
                   ("person", "2023-11-14T22:15:00Z", 0, None, 0),
                   ("movie", "2023-11-15T23:13:20Z", 90, 30.0, 0)]  # fmt: skip
    movie = facts["kinds"]["movie"]
    assert movie["watermark"] == "2026-11-20" and movie["states"]["pending"] == 3
    assert movie["last_sync"]["days"] == 2 and movie["last_sync"]["fetched"] == 90


def test_box_office_zone_is_the_presets_money_condition() -> None:
    assert catalog.BOX_OFFICE_MONEY in PRESETS["box-office"]


def test_embedded_json_cannot_end_its_script_element() -> None:
    value = {"title": "</script><script>alert(1)</script><!-- x"}
    text = page.json_for_html(value)
    assert "<" not in text
    assert orjson.loads(text) == value


def test_every_page_asset_is_package_data() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = settings["tool"]["setuptools"]["package-data"]["tmdb_collector.report"]
    folder = ROOT / "src" / "tmdb_collector" / "report"
    assets = [p for p in folder.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert assets, "no page assets"
    for asset in assets:
        relative = asset.relative_to(folder)
        assert any(relative.match(pattern) for pattern in patterns), f"{relative} not shipped"
    for _, _, file in page.LIBRARIES:
        assert (folder / "vendor" / file).is_file()
        assert (folder / "vendor" / file.replace(".min.js", ".LICENSE")).is_file()


# --- bad input -------------------------------------------------------------------------------


def test_a_never_crawled_directory_is_one_line(tmp_path: Path) -> None:
    result = cli("report", "--data-dir", str(tmp_path / "nothing"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no collection in" in result.stderr


def test_an_empty_store_is_one_line(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    result = cli("report", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no movies in" in lines[0], result.stderr
    assert not (tmp_path / "outputs" / "report.html").exists()


@pytest.mark.parametrize(("name", "message"), [("dir", "is a directory"),
                                                ("report.txt", "must end in .html")])  # fmt: skip
def test_a_bad_out_is_one_line(collection: Path, tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "dir").mkdir()
    result = cli("report", "--data-dir", str(collection), "--out", str(tmp_path / name))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


# --- in a real browser -----------------------------------------------------------------------


@dataclass
class Opened:
    """A page opened from disk: what it logged, and the requests it tried (all refused)."""

    page: Any
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium (the system's) driven by Playwright, with a fresh profile; skipped
    when either is missing, except in CI (CI=true), where that is a failure."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "Playwright is not installed (pip install -e '.[dev]')"
    if missing is None and not CHROMIUM.exists():
        missing = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run in CI: {missing}")
        pytest.skip(missing)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 1400, "height": 1000},
        )  # fmt: skip
        yield context
        context.close()


def open_report(browser: Any, path: Path) -> Opened:
    """Open the page from disk with every request but the file's own refused (and counted),
    and wait until its charts and graph are drawn."""
    url = path.resolve().as_uri()
    opened = Opened(browser.new_page())

    def route(request_route: Any) -> None:
        if request_route.request.url == url:
            request_route.continue_()
        else:
            opened.refused.append(request_route.request.url)
            request_route.abort()

    opened.page.route("**/*", route)
    opened.page.on("console", lambda m: m.type == "error" and opened.errors.append(m.text))
    opened.page.on("pageerror", lambda exc: opened.errors.append(str(exc)))
    opened.page.goto(url)
    opened.page.wait_for_function("document.body.dataset.ready === 'true'", timeout=60_000)
    return opened


def test_the_page_draws_everything_offline(browser: Any, report: Report, tmp_path: Path) -> None:
    opened = open_report(browser, report.path)
    page_ = opened.page
    assert opened.errors == [] and opened.refused == []
    network = report.data["network"]
    nodes, edges = len(network["nodes"]["id"]), len(network["edges"]["s"])
    graph = page_.evaluate("[reportGraph.graph.order, reportGraph.graph.size]")
    assert graph == [nodes, edges]
    assert page_.evaluate("reportGraph.rendered()") == {"nodes": nodes, "edges": edges}
    assert page_.locator("#graph canvas").count() >= 2  # sigma's WebGL layers and labels
    # Every chart was drawn (as SVG), and the rendered text shows the store's numbers.
    for chart in ("runs", "years", "money", "genres", "top-movies", "top-costars"):
        assert page_.locator(f"#chart-{chart} svg").count() >= 1, chart
    kinds = report.data["collection"]["kinds"]
    cells = page_.locator("#kinds tbody tr").first.locator("td").all_inner_texts()
    movie = kinds["movie"]["states"]
    assert cells[:6] == ["movie", f"{kinds['movie']['ids']:,}", *(f"{movie[s]:,}" for s in
                         ("pending", "ok", "gone", "failed"))]  # fmt: skip
    summary = page_.locator("#catalog-summary").inner_text()
    assert summary.startswith(f"{report.data['catalog']['counts']['movies']:,} movies")
    sizes = page_.locator("#communities tbody tr td:nth-child(2)").all_inner_texts()
    assert sizes == [f"{s:,}" for s in network["communities"]["size"]]
    page_.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 50_000
    page_.close()


def test_search_selects_a_person_and_lists_their_movies(
    browser: Any, collection: Path, report: Report
) -> None:
    network = report.data["network"]
    names = Counter(network["nodes"]["name"])
    # The most connected person whose name is unique among the drawn ones.
    index = max((i for i, name in enumerate(network["nodes"]["name"]) if names[name] == 1),
                key=lambda i: (network["nodes"]["degree"][i], -i))  # fmt: skip
    name, person = network["nodes"]["name"][index], network["nodes"]["id"][index]
    opened = open_report(browser, report.path)
    page_ = opened.page
    page_.fill("#search", name)
    page_.press("#search", "Enter")
    assert page_.evaluate("reportGraph.selected()") == str(index)
    assert page_.locator("#person h3").inner_text() == name
    listed = page_.locator("#person-movies li").all_inner_texts()
    # Their movies, as the raw documents say: billed in the first 10 places (the cut).
    store = Store.open(collection)
    expected = set()
    for _, raw in store.documents("movie"):
        doc = orjson.loads(raw)
        if any(c["id"] == person and c["order"] < 10 for c in doc["credits"]["cast"]):
            year = doc["release_date"][:4]
            expected.add(doc["title"] + (f" ({year})" if year else ""))
    store.close()
    assert set(listed) == expected and len(listed) == len(expected) > 0
    collaborators = page_.locator("#person-collaborators li").count()
    assert collaborators == min(15, network["nodes"]["degree"][index])
    assert opened.errors == [] and opened.refused == []
    page_.close()


def test_movies_without_people_still_give_a_full_report(
    browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data_dir = crawl(tmp_path_factory.mktemp("movies-only"), people=False)
    made = make_report(data_dir, data_dir / "report.html", "--min-shared", "1")
    assert made.data["catalog"]["counts"]["people"] == 0
    assert made.data["catalog"]["top_by_movies"]["name"][0]  # names from the credits
    assert len(made.data["network"]["nodes"]["id"]) > 100
    opened = open_report(browser, made.path)
    assert opened.errors == [] and opened.refused == []
    assert re.search(r"\(0 crawled\)", opened.page.locator("#catalog-summary").inner_text())
    drawn = opened.page.evaluate("reportGraph.rendered()")
    assert drawn["nodes"] == len(made.data["network"]["nodes"]["id"])
    opened.page.close()


def test_a_cut_without_links_still_gives_the_page(
    browser: Any, collection: Path, tmp_path: Path
) -> None:
    made = make_report(collection, tmp_path / "empty-cut.html", "--years", "1800-1801")
    assert made.data["network"]["total"]["nodes"] == 0
    opened = open_report(browser, made.path)
    assert opened.errors == [] and opened.refused == []
    assert opened.page.evaluate("reportGraph.rendered()") == {"nodes": 0, "edges": 0}
    assert "It holds 0 people" in opened.page.locator("#network-summary").inner_text()
    assert opened.page.locator("#chart-years svg").count() == 1  # the catalog is all there
    opened.page.close()


def test_hovering_names_a_person_and_clicking_opens_their_panel(
    browser: Any, report: Report
) -> None:
    network = report.data["network"]
    opened = open_report(browser, report.path)
    page_ = opened.page
    page_.locator("#graph").scroll_into_view_if_needed()
    # The best connected people first; a smaller one may be drawn over someone's centre, so
    # the first whose centre names them under the pointer is the one clicked.
    by_degree = sorted(
        range(len(network["nodes"]["id"])), key=lambda i: -network["nodes"]["degree"][i]
    )
    hovered = None
    for index in by_degree[:20]:
        at = page_.evaluate(f"reportGraph.onScreen('{index}')")
        page_.mouse.move(at["x"], at["y"])
        page_.wait_for_function("reportGraph.hovered() !== null", timeout=5_000)
        if page_.evaluate("reportGraph.hovered()") == str(index):
            hovered = index
            break
    assert hovered is not None, "no person named under the pointer at their own centre"
    page_.mouse.click(at["x"], at["y"])
    page_.wait_for_function(f"reportGraph.selected() === '{hovered}'", timeout=5_000)
    assert page_.locator("#person h3").inner_text() == network["nodes"]["name"][hovered]
    assert page_.locator("#person-movies li").count() == len(network["nodes"]["films"][hovered])
    assert opened.errors == [] and opened.refused == []
    page_.close()
