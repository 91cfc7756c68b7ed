"""End-to-end tests of `sync` (issue #5), against real simulator processes and their day clock.

A collection is crawled (movies from the first day's export, then their people), the
simulator's clock is moved on, and `sync` is run as a child process. Its store is then
compared with a fresh crawl of the new day from the same simulator, into another data
directory: the same ids ok with byte-identical documents, the same ids gone. `--until` tells
each sync which day is "today": the simulator's days are not the wall clock's.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import FIRST_DAY
from test_crawl_e2e import (
    CHECK,
    FAST,
    IN_FLIGHT,
    KEY,
    Child,
    StartSim,
    assert_one_clear_line,
    child_env,
    cli,
    crawl,
    crawler_counts,
    delta,
    rows,
    run,
    same_records,
    sim_get,
    started,
)
from tmdb_collector.crawl.store import Store
from tmdb_collector.simulator.process import SimulatorProcess

MOVIES = "250"  # ~1,000 people in their credits: a collection crawled in a few seconds


def sync_cmd(sim: SimulatorProcess, data_dir: Path, *args: str, until: str | None) -> list[str]:
    cmd = cli("sync", "--api-url", sim.api_url, "--exports-url", sim.exports_url)
    cmd += ["--data-dir", str(data_dir), *args, *([] if "--rate" in args else FAST)]
    return cmd + (["--until", until] if until else [])


def sync(sim: SimulatorProcess, data_dir: Path, *args: str, until: str | None) -> Any:
    """Run `sync` to its end, with the simulators' key in the environment."""
    cmd = sync_cmd(sim, data_dir, *args, until=until)
    return run(cmd, data_dir.parent, child_env(TMDB_API_KEY=KEY), timeout=90)


def crawl_collection(sim: SimulatorProcess, data_dir: Path, day: str) -> None:
    """Crawl movies from `day`'s export, then the people of their credits."""
    movies = crawl(sim, data_dir, "--quiet", day=day)
    assert movies.returncode == 0, movies.stderr
    people = crawl(sim, data_dir, "--quiet", kind="people")
    assert people.returncode == 0, people.stderr


def events(stdout: str, name: str) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [e for e in found if e["event"] == name]


def meta(data_dir: Path, key: str) -> str | None:
    store = Store.open(data_dir)
    try:
        return store.get_meta(key)
    finally:
        store.close()


def credited(data_dir: Path) -> set[int]:
    """The people named in the credits of the store's ok movies."""
    found: set[int] = set()
    for row in rows(data_dir, "movie").values():
        if row.status == "ok" and row.doc:
            credits = orjson.loads(row.doc)["credits"]
            found.update(p["id"] for part in ("cast", "crew") for p in credits[part])
    return found


def assert_same_as_fresh(sim: SimulatorProcess, synced: Path, fresh: Path) -> None:
    """The synced store holds what a fresh crawl of the same day holds: every id it has ok,
    with byte-identical documents, and the same ids gone; nothing pending or failed. People a
    fresh crawl would not take (no stored movie credits them any more) may stay, and their
    documents are the ones TMDb serves today."""
    for kind in ("movie", "person"):
        got, want = rows(synced, kind), rows(fresh, kind)
        assert Counter(r.status for r in got.values()).keys() <= {"ok", "gone"}, kind
        ok_got = {i: r.doc for i, r in got.items() if r.status == "ok"}
        ok_want = {i: r.doc for i, r in want.items() if r.status == "ok"}
        assert {i: ok_got.get(i) for i in ok_want} == ok_want, kind
        both = got.keys() & want.keys()
        assert {i for i in both if got[i].status == "gone"} == {
            i for i in both if want[i].status == "gone"
        }, kind
        extra = set(ok_got) - set(ok_want)
        if kind == "movie":
            assert not extra
            continue
        assert not extra & credited(synced)
        for person in sorted(extra)[:20]:
            served = sim_get(sim, f"/3/person/{person}?api_key={KEY}")
            assert orjson.loads(served) == orjson.loads(ok_got[person] or b"null"), person


# --- 1. it converges ---------------------------------------------------------------------------


def test_sync_after_one_day_then_five_equals_a_fresh_crawl(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """Crawl on day 0; move the clock 1 day and sync; move it 5 more and sync again. After
    each sync the store equals a fresh crawl of that day, the watermark of both kinds is that
    day, and the sync cost one request per id to fetch plus its change-list pages."""
    sim = start_sim("--movies", MOVIES, api_key=KEY)
    synced = tmp_path / "synced"
    crawl_collection(sim, synced, FIRST_DAY)
    outside = 0
    for days in (1, 5):
        day = sim.advance(days)
        before, people_before = crawler_counts(sim), set(rows(synced, "person"))
        result = sync(sim, synced, "--json", until=day)
        assert result.returncode == 0, result.stderr
        made = delta(crawler_counts(sim), before).total()
        summaries = events(result.stdout, "summary")
        assert [s["kind"] for s in summaries] == ["movie", "person"]
        fetched = [s["ids to fetch"] for s in summaries]
        # One request per id (no faults): the movies listed; the people listed and those
        # first credited by the synced movies, which a crawl of people would take too.
        assert [s["requests"] for s in summaries] == [s["total"] for s in summaries]
        assert summaries[0]["total"] == fetched[0] and summaries[1]["total"] >= fetched[1]
        pages = sum(s["change-list requests"] for s in summaries)
        assert made == CHECK + pages + sum(s["requests"] for s in summaries)
        assert 0 < fetched[0] < 0.25 * int(MOVIES)  # a sync, not a crawl
        # Scope: a person enters the collection only when a synced movie credits them.
        assert set(rows(synced, "person")) - people_before <= credited(synced)
        outside += sum(s.get("changed ids outside the collection", 0) for s in summaries)
        for kind in ("movie", "person"):
            assert meta(synced, f"sync_day:{kind}") == day
        fresh = tmp_path / f"fresh-{day}"
        crawl_collection(sim, fresh, day)
        assert_same_as_fresh(sim, synced, fresh)
    assert "422" not in crawler_counts(sim)  # no change window over 14 days was sent
    assert outside > 0  # changed people no stored movie credits were listed, and left alone


def test_a_twenty_day_gap_reconciles_with_the_export_and_converges(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """20 days without a sync: the newest export is diffed against the store (ids it lists
    that the store lacks are fetched, ids it dropped are marked gone), the gap's change lists
    are read one day per request, and the store ends equal to a fresh crawl holding every id
    of that export."""
    sim = start_sim("--movies", MOVIES, api_key=KEY)
    synced, fresh = tmp_path / "synced", tmp_path / "fresh"
    crawl_collection(sim, synced, FIRST_DAY)
    stored_before = set(rows(synced, "movie"))
    day = sim.advance(20)
    result = sync(sim, synced, "--json", until=day)
    assert result.returncode == 0, result.stderr
    movie_facts = events(result.stdout, "summary")[0]
    crawl_collection(sim, fresh, day)
    export_ids = set(rows(fresh, "movie"))
    name = f"movie_ids_{date.fromisoformat(day):%m_%d_%Y}.json.gz"
    new = len(export_ids - stored_before)
    assert movie_facts["reconciled with"].startswith(f"{name}: {new} new, ")
    assert movie_facts["days read"] == f"{FIRST_DAY}..{day}"
    assert_same_as_fresh(sim, synced, fresh)
    assert export_ids <= set(rows(synced, "movie"))
    assert meta(synced, "sync_day:movie") == meta(synced, "sync_day:person") == day
    counts = crawler_counts(sim)
    assert "422" not in counts and "400" not in counts
    assert_status_shows_the_sync(synced, day, name)


def assert_status_shows_the_sync(data_dir: Path, day: str, export: str) -> None:
    """`status` (text and JSON) shows each kind's watermark, its last sync, the reconcile."""
    tmp_dir = data_dir.parent
    result = run(cli("status", "--data-dir", str(data_dir)), tmp_dir, child_env())
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "synced through" in line]
    assert len(lines) == 2 and all(f"synced through {day}; last sync" in x for x in lines), lines
    assert f"reconciled with {export}: " in result.stdout
    as_json = run(
        cli("status", "--json", "--data-dir", str(data_dir)), data_dir.parent, child_env()
    )
    facts = json.loads(as_json.stdout)
    for kind in ("movie", "person"):
        assert facts["kinds"][kind]["watermark"] == day
        assert facts["kinds"][kind]["last_sync"]["days"][-1] == day


# --- 2. crashes and Ctrl-C ---------------------------------------------------------------------


def wait_for_requests(sim: SimulatorProcess, child: Child, more: int) -> None:
    """Until the simulator has answered `more` further requests from the crawler's address."""
    start, deadline = crawler_counts(sim).total(), time.monotonic() + 30
    while crawler_counts(sim).total() < start + more:
        assert child.proc.poll() is None and time.monotonic() < deadline, child.output()
        time.sleep(0.02)


def test_kill_9_and_ctrl_c_partway_then_rerun_converge(start_sim: StartSim, tmp_path: Path) -> None:
    """A copy of a collection synced without a break, and another interrupted by SIGINT (exit
    130, one line) and then SIGKILLed at seeded random points, each time re-run: both end
    with the same records and the same watermarks."""
    args = ("--movies", "500", "--latency-ms", "5")
    sim, clean_sim = start_sim(*args, api_key=KEY), start_sim(*args, api_key=KEY)
    base, clean, crashed = tmp_path / "base", tmp_path / "clean", tmp_path / "crashed"
    crawl_collection(sim, base, FIRST_DAY)
    crawled = crawler_counts(sim).total()
    day = sim.advance(6)
    assert clean_sim.advance(6) == day
    shutil.copytree(base, clean)
    shutil.copytree(base, crashed)
    rate = 60  # ~250 ids and pages: a few seconds, time for the kills
    slow = ("--json", "--rate", str(rate))
    env = child_env(TMDB_API_KEY=KEY)
    cmd = sync_cmd(sim, crashed, *slow, until=day)
    with started(sync_cmd(clean_sim, clean, *slow, until=day), tmp_path, env) as clean_run:
        with started(cmd, tmp_path, env) as child:
            wait_for_requests(sim, child, 10)
            child.proc.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
            assert child.proc.wait(timeout=20) == 130, child.output()
            stderr = child.output()[1]
        assert "Traceback" not in stderr and "interrupted" in stderr.strip().splitlines()[-1]
        assert meta(crashed, "sync_day:movie") != day  # stopped before the movies were done
        rng = random.Random(5)
        for _ in range(3):
            with started(cmd, tmp_path, env) as child:
                wait_for_requests(sim, child, rng.randint(5, 40))
                child.proc.kill()  # SIGKILL: no cleanup of any kind
                assert child.proc.wait(timeout=10) == -signal.SIGKILL
        final = run(cmd, tmp_path, env, timeout=90)
        assert final.returncode == 0, final.stderr
        assert clean_run.proc.wait(timeout=60) == 0, clean_run.output()
        pages = sum(e["change-list requests"] for e in events(clean_run.output()[0], "summary"))
    for kind in ("movie", "person"):
        assert same_records(rows(crashed, kind)) == same_records(rows(clean, kind)), kind
        assert meta(crashed, f"sync_day:{kind}") == meta(clean, f"sync_day:{kind}") == day
    # Each of the 4 stops cost at most the answers not yet written (a batch is written at least
    # every half second, README) and the requests in flight, plus a rerun's access check and
    # change lists: what was fetched before a stop was not fetched again.
    made, needed = crawler_counts(sim).total() - crawled, crawler_counts(clean_sim).total()
    lost = rate * 0.5 + IN_FLIGHT
    assert made <= needed + 4 * (lost + CHECK + pages), (made, needed)
    reused = [
        e.get("ids already fetched by an earlier run", 0) for e in events(final.stdout, "summary")
    ]
    assert sum(reused) > 0  # the rerun knew what the stopped runs had fetched


# --- 3. a change list that cannot be read -------------------------------------------------------


def test_an_unreadable_change_list_holds_the_watermark_and_a_rerun_completes(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """Every request answers 503: the sync retries, then stops with exit 1 and one line naming
    the day, fetching nothing and leaving the watermark where it was; against a healthy server
    the same command completes."""
    args = ("--movies", MOVIES)
    healthy, broken = start_sim(*args, api_key=KEY), start_sim(*args, "--faults", "http_503=1")
    data = tmp_path / "data"
    crawl_collection(healthy, data, FIRST_DAY)
    day = healthy.advance(2)
    assert broken.advance(2) == day
    result = sync(broken, data, "--json", "--only", "movies", until=day)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"the movie change list of {FIRST_DAY} could not be read (http_503" in line
    assert events(result.stdout, "synced")[0]["watermark"] == FIRST_DAY
    assert meta(data, "sync_day:movie") == FIRST_DAY
    assert Counter(r.status for r in rows(data, "movie").values())["pending"] == 0
    assert sync(healthy, data, "--quiet", until=day).returncode == 0
    assert meta(data, "sync_day:movie") == day


# --- 4. bad input --------------------------------------------------------------------------------


def store_snapshot(data_dir: Path) -> tuple[list[Any], list[Any], list[str]]:
    """Every record and meta row of a store, and the files of its directory."""
    store = Store.open(data_dir)
    try:
        records = store.db.execute("SELECT * FROM records ORDER BY kind, id").fetchall()
        facts = store.db.execute("SELECT * FROM meta ORDER BY key").fetchall()
    finally:
        store.close()
    return records, facts, sorted(p.name for p in data_dir.iterdir())


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimulatorProcess, Path]:
    """A simulator and a collection crawled from it, for tests that must leave it as it is."""
    with SimulatorProcess("--movies", "300", "--day", FIRST_DAY, api_key=KEY) as sim:
        data = tmp_path_factory.mktemp("crawled") / "data"
        crawl_collection(sim, data, FIRST_DAY)
        yield sim, data


@pytest.mark.parametrize(
    ("setup", "args", "needles"),
    [
        ("watermark tomorrow", (), ("synced through", "after today", "clock")),
        ("watermark after --until", ("--until", FIRST_DAY), ("after today (2026-11-02",)),
        ("no collection", (), ("no collection in", "crawl movies")),
        ("empty store", (), ("no movies to sync", "crawl movies")),
        ("no people", ("--only", "people"), ("no people to sync", "crawl people")),
        ("until tomorrow", ("--until", "tomorrow"), ("--until", "is after today")),
        ("append, both kinds", ("--append", "credits"), ("--append applies to one kind",)),
        ("bad day", ("--until", "2026-02-30"), ("not a date",)),
    ],
)
def test_bad_input_is_one_line_exit_2_and_leaves_the_store(
    crawled: tuple[SimulatorProcess, Path],
    tmp_path: Path,
    setup: str,
    args: tuple[str, ...],
    needles: tuple[str, ...],
) -> None:
    """Each refusal is one line and exit 2, made before any request (not even the access
    check), and the store's records, meta and files are as they were."""
    sim, source = crawled
    data = tmp_path / "data"
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    if setup == "empty store":
        Store.open(data).close()
    elif setup == "no people":
        crawl(sim, data, "--quiet", "--limit", "5", day=FIRST_DAY)
    elif setup != "no collection":
        shutil.copytree(source, data)
        store = Store.open(data)
        store.set_meta(
            "sync_day:movie", tomorrow if setup == "watermark tomorrow" else "2026-11-03"
        )
        store.close()
    args = tuple(tomorrow if a == "tomorrow" else a for a in args)
    before = store_snapshot(data) if data.exists() else None
    calls = crawler_counts(sim)
    assert_one_clear_line(sync(sim, data, "--quiet", *args, until=None), *needles)
    assert (store_snapshot(data) if data.exists() else None) == before
    assert delta(crawler_counts(sim), calls).total() == 0  # not even the access check
