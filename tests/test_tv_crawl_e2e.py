"""End-to-end tests of `crawl tv|collections|companies|networks|keywords` (issue #16), against
real simulator processes: the crawl is a child process, the store is read back, and what it
should hold is computed in-process from the simulator's seeded catalog (and its quirks)."""

from __future__ import annotations

import functools
import random
import shutil
import signal
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from conftest import FIRST_DAY
from test_crawl_e2e import (
    KEY,
    StartSim,
    child_env,
    cli,
    counts,
    crawl,
    crawl_cmd,
    crawler_counts,
    rows,
    run,
    started,
    summary,
)
from test_export_incremental import differences, parsed_and_dropped
from test_sync_e2e import events, meta, sync
from tmdb_collector import config
from tmdb_collector.client.protocol import Credentials
from tmdb_collector.crawl import jobs
from tmdb_collector.crawl.options import CrawlOptions
from tmdb_collector.crawl.store import Store
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.faults import FaultPlan
from tmdb_collector.simulator.routes import ENTITY_DOCS
from tmdb_collector.simulator.tv import missing_season, season_doc, season_numbers, tv_doc
from tmdb_collector.vocab import Kind

MOVIES = "300"  # 57 series, two of them over 30 seasons; 11 collections, 45 companies
DAY = date.fromisoformat(FIRST_DAY)
# What the README promises `crawl tv` asks for (besides the seasons):
TV_APPENDS = ("aggregate_credits", "keywords", "external_ids", "content_ratings")
FAULTS = "hostile,quirks"

Doc = dict[str, Any]


@functools.cache
def catalog(movies: int, day: int = 0) -> Catalog:
    cat = Catalog(movies, config.SIM_SEED, DAY)
    cat.advance(day)
    return cat


def expected_series(cat: Catalog, plan: FaultPlan | None, tv_id: int) -> Doc | None:
    """The series as the collector should store it: every season the series lists or counts,
    appended; those TMDb answers 404 for named in `_missing_seasons`. None: a 404 series."""
    index = cat.tv_index(tv_id)
    if index is None:
        return None
    bare = tv_doc(cat, index, TV_APPENDS, plan)
    wanted = set(season_numbers(cat, index)) | set(range(1, bare["number_of_seasons"] + 1))
    there = [n for n in sorted(wanted) if season_doc(cat, index, n) is not None]
    missing = [n for n in sorted(wanted) if n not in there or missing_season(plan, tv_id, n)]
    appends = (*TV_APPENDS, *(f"season/{n}" for n in there if n not in missing))
    doc: Doc = orjson.loads(orjson.dumps(tv_doc(cat, index, appends, plan)))
    return doc | ({"_missing_seasons": missing} if missing else {})


def assert_series_as_served(data: Path, cat: Catalog, plan: FaultPlan | None) -> dict[str, int]:
    """Every series id is ok with the simulator's document and all its seasons, or gone when
    the simulator has no such series; nothing pending or failed. Returns what was seen."""
    seen = {"series": 0, "seasons": 0, "missing": 0, "long": 0}
    for tv_id, row in rows(data, "tv").items():
        want = expected_series(cat, plan, tv_id)
        if want is None:
            assert (row.status, row.http_status) == ("gone", 404), tv_id
            continue
        assert row.status == "ok" and row.doc is not None, (tv_id, row)
        got = orjson.loads(row.doc)
        stored = sorted(int(k[7:]) for k in got if k.startswith("season/"))
        listed = [s["season_number"] for s in got["seasons"]]
        assert set(listed) - set(got.get("_missing_seasons", [])) <= set(stored), tv_id
        assert got == want, tv_id
        seen["series"] += 1
        seen["seasons"] += len(stored)
        seen["missing"] += len(got.get("_missing_seasons", []))
        seen["long"] += len(stored) > config.MAX_APPENDS - len(TV_APPENDS)
    return seen


def assert_entities_as_served(data: Path, kind: str, cat: Catalog) -> None:
    for id_, row in rows(data, kind).items():
        want = ENTITY_DOCS[kind](cat, id_)
        if want is None:
            assert (row.status, row.http_status) == ("gone", 404), (kind, id_)
        else:
            assert row.status == "ok" and row.doc is not None, (kind, id_, row)
            assert orjson.loads(row.doc) == orjson.loads(orjson.dumps(want)), (kind, id_)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A hostile-fault, quirky simulator, and a store crawled from it: tv, collections,
    companies, networks and keywords, each crawl's --json summary."""
    from tmdb_collector.simulator.process import SimulatorProcess

    with SimulatorProcess(
        "--movies", MOVIES, "--faults", FAULTS, "--slow-seconds", "1", "--day", FIRST_DAY,
        api_key=KEY,
    ) as sim:  # fmt: skip
        data = tmp_path_factory.mktemp("hostile") / "data"
        facts = {}
        for kind in ("tv", "collections", "companies", "networks", "keywords"):
            result = crawl(sim, data, "--json", "--date", FIRST_DAY, kind=kind, timeout=120)
            assert result.returncode == 0, result.stderr
            facts[kind] = summary(result.stdout)
        yield sim, data, facts


def test_a_hostile_crawl_of_every_kind_ends_complete(hostile: Any) -> None:
    _, data, facts = hostile
    cat = catalog(int(MOVIES))
    plan = FaultPlan.parse(FAULTS, config.SIM_SEED)
    seen = assert_series_as_served(data, cat, plan)
    assert seen["long"] >= 2  # series over the first request's 16 seasons were met ...
    assert seen["missing"] > 0  # ... and seasons answering 404, which did not stop them
    notes = facts["tv"]["notes"]
    assert notes["seasons missing (404)"] == seen["missing"]
    assert notes["series whose number_of_seasons disagrees with its seasons"] > 0
    for kind in ("collection", "company", "network"):
        assert_entities_as_served(data, kind, cat)
    for kind, plural in (("tv", "tv"), ("collection", "collections"), ("company", "companies"),
                         ("network", "networks")):  # fmt: skip
        assert counts(data, kind)["pending"] == counts(data, kind)["failed"] == 0
        assert facts[plural]["outcome"] == "done" and facts[plural]["failed"] == 0
    assert sum(f["retries"] for f in facts.values()) > 20  # the faults were met
    assert any(counts(data, kind)["gone"] for kind in ("company", "network"))
    keywords = rows(data, "keyword")  # stored from the export lines, no request
    assert keywords and {r.status for r in keywords.values()} == {"ok"}
    assert facts["keywords"]["requests"] == 0
    # about one request per series: 57 series, 2 long ones, a few 404 seasons
    series = len(rows(data, "tv"))
    assert facts["tv"]["requests"] - facts["tv"]["retries"] <= series + 2 * 2 + seen["missing"]
    checked = run(cli("verify", "--data-dir", str(data)), data.parent, child_env())
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_export_rows_agree_with_the_stored_documents(hostile: Any, tmp_path: Path) -> None:
    _, data, _ = hostile
    out = tmp_path / "tmdb.duckdb"
    export = run(
        cli("export", "--format", "duckdb", "--out", str(out), "--data-dir", str(data)),
        tmp_path, child_env(),
    )  # fmt: skip
    assert export.returncode == 0, export.stderr
    docs = [orjson.loads(r.doc) for r in rows(data, "tv").values() if r.status == "ok" and r.doc]
    seasons = [v for d in docs for k, v in d.items() if k.startswith("season/")]
    episodes = [e for s in seasons for e in s["episodes"]]
    credits = [d["aggregate_credits"] for d in docs]
    want = {
        "tv_series": len(docs),
        "tv_seasons": len(seasons),
        "tv_episodes": len(episodes),
        "episode_guest_stars": sum(len(e["guest_stars"]) for e in episodes),
        "episode_crew": sum(len(e["crew"]) for e in episodes),
        "tv_cast": sum(len(c["roles"]) for a in credits for c in a["cast"]),
        "tv_crew": sum(len(c["jobs"]) for a in credits for c in a["crew"]),
        "networks": counts(data, "network")["ok"],
        "collection_parts": sum(
            len(orjson.loads(r.doc)["parts"]) for r in rows(data, "collection").values() if r.doc
        ),
    }
    with duckdb.connect(str(out), read_only=True) as con:

        def one(sql: str) -> Any:
            return con.execute(sql).fetchone()[0]  # type: ignore[index]

        assert {t: one(f'SELECT count(*) FROM "{t}"') for t in want} == want
        missing = one("SELECT sum(len(missing_seasons)) FROM tv_series")
        assert missing == sum(len(d.get("_missing_seasons", [])) for d in docs) > 0
        crawled = one("SELECT count(*) FROM companies WHERE fetched_at IS NOT NULL")
        assert crawled == counts(data, "company")["ok"]
        tv_roles = one("SELECT count(*) FROM filmography WHERE media = 'tv'")
        assert tv_roles == want["tv_cast"] + want["tv_crew"]


def test_people_come_from_tv_credits_too(hostile: Any, tmp_path: Path) -> None:
    """`crawl people` plans everyone the stored series credit: aggregate cast and crew, and
    each episode's guest stars and crew (planned on a copy: no person is fetched)."""
    _, data, _ = hostile
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    store = Store.open(copy)
    try:
        options = CrawlOptions(copy, Credentials(api_key=KEY))
        plan = jobs.plan_people(store, options)
        planned = set(store.todo(Kind.PERSON, limit=10**6))
    finally:
        store.close()
    want: set[int] = set()
    for row in rows(data, "tv").values():
        doc = orjson.loads(row.doc) if row.doc else {}
        for part in ("cast", "crew"):
            want |= {p["id"] for p in doc.get("aggregate_credits", {}).get(part, [])}
        for key, season in doc.items():
            if key.startswith("season/"):
                for episode in season["episodes"]:
                    want |= {p["id"] for p in episode["guest_stars"] + episode["crew"]}
    assert want and planned == want and plan.added == len(want)


def test_kill_9_during_crawl_tv_then_rerun_converges(start_sim: StartSim, tmp_path: Path) -> None:
    """SIGKILL `crawl tv` twice partway, rerun: every series ends ok with its seasons as the
    simulator serves them (a series is written whole or not at all)."""
    sim = start_sim("--movies", "600", "--latency-ms", "5", api_key=KEY)  # 114 series
    data = tmp_path / "data"
    env = child_env(TMDB_API_KEY=KEY)
    cmd = crawl_cmd(sim, data, "--json", "--rate", "150", "--date", FIRST_DAY, kind="tv")
    rng, kills, progress = random.Random(16), 0, []
    for _ in range(2):
        with started(cmd, tmp_path, env) as child:
            target = (progress[-1] if progress else 0) + rng.randint(20, 40)
            while child.proc.poll() is None:
                if (data / config.STORE_FILE).exists() and counts(data, "tv")["ok"] >= target:
                    child.proc.kill()
                    kills += 1
                    break
            assert child.proc.wait(timeout=30) in (-signal.SIGKILL, 0), child.output()
        progress.append(counts(data, "tv")["ok"])
    assert kills == 2 and 0 < progress[0] < progress[1] < 114, progress
    final = run(cmd, tmp_path, env, timeout=120)
    assert final.returncode == 0, final.stderr
    seen = assert_series_as_served(data, catalog(600), None)
    assert seen["series"] == counts(data, "tv")["ok"] and seen["long"] >= 3
    assert crawler_counts(sim).total() < 2 * 114


@pytest.fixture(scope="module")
def tv_synced(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A simulator, and a store that crawled tv and networks on day 0, exported them to
    DuckDB (the kept tables follow), then synced 3 days on: (sim, data dir, day 0's series
    documents, day 0's export, the sync's day, the sync's result)."""
    from tmdb_collector.simulator.process import SimulatorProcess

    with SimulatorProcess("--movies", MOVIES, "--day", FIRST_DAY, api_key=KEY) as sim:
        root = tmp_path_factory.mktemp("tv-synced")
        synced, before = root / "synced", root / "before.duckdb"
        for kind in ("tv", "networks"):
            assert crawl(sim, synced, "--quiet", "--date", FIRST_DAY, kind=kind).returncode == 0
        assert "all" in export(synced, "duckdb", before)
        docs = {i: r.doc for i, r in rows(synced, "tv").items()}
        day = sim.advance(3)
        yield sim, synced, docs, before, day, sync(sim, synced, "--json", until=day)


def export(data: Path, fmt: str, out: Path, *extra: str) -> str:
    """Run `export`; its one line."""
    argv = cli("export", "--format", fmt, "--quiet", "--data-dir", str(data), "--out", str(out))
    done = run([*argv, *extra], data.parent, child_env())
    assert done.returncode == 0, done.stderr
    return str(done.stdout.strip())


def test_sync_with_tv_changes_equals_a_fresh_crawl(tv_synced: Any, tmp_path: Path) -> None:
    """Crawl tv and networks on day 0, move the clock 3 days, sync: the series equal a fresh
    crawl of the new day; networks (no change list) are reconciled with the export."""
    sim, synced, before, _, day, result = tv_synced
    fresh = tmp_path / "fresh"
    assert result.returncode == 0, result.stderr
    summaries = {s["kind"]: s for s in events(result.stdout, "summary")}
    assert set(summaries) == {"tv", "network"}
    assert 0 < summaries["tv"]["ids to fetch"] < 57  # a sync, not a crawl
    for kind in ("tv", "network"):
        assert meta(synced, f"sync_day:{kind}") == day
    for kind in ("tv", "networks"):
        assert crawl(sim, fresh, "--quiet", "--date", day, kind=kind).returncode == 0
    for kind in ("tv", "network"):
        got, want = rows(synced, kind), rows(fresh, kind)
        ok_want = {i: r.doc for i, r in want.items() if r.status == "ok"}
        assert {i: got[i].doc for i in ok_want if i in got} == ok_want, kind
        assert {i for i, r in got.items() if r.status == "ok"} == set(ok_want), kind
    after = {i: r.doc for i, r in rows(synced, "tv").items()}
    assert any(before.get(i) != doc for i, doc in after.items())  # changes were fetched
    assert_series_as_served(synced, catalog(int(MOVIES), 3), None)


def test_after_a_tv_sync_the_incremental_export_equals_full(tv_synced: Any, tmp_path: Path) -> None:
    """After the sync, the export parses only the series and networks it fetched anew (their
    seasons split off as in a full build) and gives, table for table, what `--full` gives;
    the TV tables did change since day 0's export."""
    _, synced, _, day0, _, result = tv_synced
    assert result.returncode == 0, result.stderr
    changed = sum(
        s["ok"] for s in events(result.stdout, "summary") if s["kind"] in ("tv", "network")
    )
    line = export(synced, "duckdb", tmp_path / "incremental.duckdb")
    parsed, _ = parsed_and_dropped(line)
    assert 0 < parsed <= changed
    full = tmp_path / "full.duckdb"
    assert "all" in export(synced, "duckdb", full, "--full")
    assert differences(tmp_path / "incremental.duckdb", full) == {}
    moved = differences(day0, full)
    assert {"tv_series", "tv_seasons", "tv_episodes", "episode_guest_stars"} <= moved.keys()


def test_network_links_people_through_tv_series(hostile: Any, tmp_path: Path) -> None:
    """`network --media tv`: two people are linked when both are in a series' aggregate cast,
    weighted by the series they share; a store without movies is refused for --media movie."""
    _, data, _ = hostile
    out = tmp_path / "net"
    args = ("--data-dir", str(data), "--out", str(out), "--quiet", "--no-community")
    made = run(cli("network", "--media", "tv", *args), tmp_path, child_env())
    assert made.returncode == 0, made.stderr
    shared: dict[tuple[int, int], int] = {}
    for row in rows(data, "tv").values():
        cast = sorted({p["id"] for p in orjson.loads(row.doc)["aggregate_credits"]["cast"]})
        for i, a in enumerate(cast):
            for b in cast[i + 1 :]:
                shared[a, b] = shared.get((a, b), 0) + 1
    with duckdb.connect() as con:
        edges = con.execute(
            f"SELECT source, target, weight FROM '{out / 'edges.parquet'}'"
        ).fetchall()
    assert shared and {(a, b): w for a, b, w in edges} == shared
    refused = run(cli("network", "--media", "movie,tv", *args), tmp_path, child_env())
    assert refused.returncode == 2 and "crawl movies" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_fleet_crawls_tv_with_its_seasons(start_sim: StartSim, tmp_path: Path) -> None:
    """`crawl tv --local-workers 2`: the series and all their seasons, fetched on Dask workers,
    are what the simulator serves."""
    sim = start_sim("--movies", MOVIES, api_key=KEY)
    data = tmp_path / "data"
    result = crawl(sim, data, "--json", "--date", FIRST_DAY, "--local-workers", "2", kind="tv",
                   timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    facts = summary(result.stdout)
    assert len(facts["workers"]) == 2 and facts["failed"] == 0
    seen = assert_series_as_served(data, catalog(int(MOVIES)), None)
    assert seen["series"] == facts["ok"] and seen["long"] >= 2
