"""End-to-end tests of `crawl movies`, `crawl people`, `status` and `demo` (issue #3).

The crawler runs as a real child process (`python -m tmdb_collector ...`) against real
simulator processes on loopback; nothing is mocked. The credential is passed the way a user
passes it (the environment or a `.env` file), after removing every TMDB_* variable inherited
from the developer's shell. What the crawl did is checked three ways: the child's exit code and
output, the store it left (read with `Store`), and the simulator's request counters, read from
127.0.0.2 so that the counters of 127.0.0.1 are the crawler's alone. The documents a store
should hold are computed in-process from the simulator's seeded catalog.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import duckdb
import networkx as nx
import orjson
import pyarrow.parquet as pq
import pytest
import zstandard

from conftest import FIRST_DAY
from tmdb_collector import config
from tmdb_collector.crawl.store import Store
from tmdb_collector.ids import export_name, newest_export_day
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.credits import CreditIndex
from tmdb_collector.simulator.movies import movie_json
from tmdb_collector.simulator.people import person_doc
from tmdb_collector.simulator.process import SimulatorProcess

StartSim = Callable[..., SimulatorProcess]

KEY = "e2e-key-7d41"  # the key of the simulators these tests start
SHARED_KEY = "test-key"  # the session `sim` fixture's key, catalog and seed
SHARED_MOVIES, SHARED_SEED = 2000, 7
DAY = date.fromisoformat(FIRST_DAY)
# What the README promises (and the tests check against, rather than the code's own values):
MOVIE_APPENDS = ("credits", "keywords", "external_ids")  # "/movie/{id}?append_to_response=..."
BATCH = 200  # "Results are committed in batches of 200": a crash loses at most that batch
IN_FLIGHT = 20  # "--concurrency requests in flight (default and maximum 20)"
CRAWLER_IP, OBSERVER_IP = "127.0.0.1", "127.0.0.2"
EXPORT_FILE = export_name("movie", DAY)
CHECK = 1  # requests each crawl makes before it plans: its access check, GET /3/configuration
FAST = ("--rate", "1000")  # crawls of simulators without a rate limit need not find one


# --- running the command line --------------------------------------------------------------------


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment without any TMDB_* variable (the developer's key, data dir or
    rate must not leak in), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDB_")}
    env.update(extra)
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tmdb_collector", *args]


def crawl_cmd(
    sim: SimulatorProcess,
    data_dir: Path,
    *args: str,
    kind: str = "movies",
    day: str | None = FIRST_DAY,
    api_url: str | None = None,
    exports_url: str | None = None,
) -> list[str]:
    """`crawl KIND` against `sim` into `data_dir`; movie crawls take the simulator's export
    day unless `day` is None (then the crawler picks the newest by the wall clock)."""
    cmd = cli(
        "crawl",
        kind,
        "--api-url",
        api_url or sim.api_url,
        "--exports-url",
        exports_url or sim.exports_url,
        "--data-dir",
        str(data_dir),
    )
    if kind == "movies" and day is not None:
        cmd += ["--date", day]
    return cmd + list(args) + ([] if "--rate" in args else list(FAST))


def run(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def crawl(
    sim: SimulatorProcess,
    data_dir: Path,
    *args: str,
    key: str = KEY,
    timeout: float = 60,
    cwd: Path | None = None,
    **options: Any,
) -> subprocess.CompletedProcess[str]:
    """Run a crawl to its end with `key` as TMDB_API_KEY (in the data dir's parent, unless
    `cwd` is given)."""
    env = child_env(TMDB_API_KEY=key)
    return run(crawl_cmd(sim, data_dir, *args, **options), cwd or data_dir.parent, env, timeout)


def summary(stdout: str) -> dict[str, Any]:
    """The one `--json` summary line of a crawl."""
    events = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    found = [e for e in events if e["event"] == "summary"]
    assert len(found) == 1, stdout
    return dict(found[0])


def assert_one_clear_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Exit code 2, stderr one line starting 'tmdb-collector:' with each needle, no traceback."""
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tmdb-collector: "), lines[0]
    for needle in needles:
        assert needle in lines[0]
    assert result.returncode == 2, result.stderr
    return lines[0]


@dataclass
class Child:
    """A child process whose output goes to files (a pipe nobody reads could stall it)."""

    proc: subprocess.Popen[str]
    out: IO[str]
    err: IO[str]

    def output(self) -> tuple[str, str]:
        """stdout and stderr so far."""
        texts = []
        for f in (self.out, self.err):
            f.flush()
            f.seek(0)
            texts.append(f.read())
        return texts[0], texts[1]


@contextlib.contextmanager
def started(cmd: list[str], cwd: Path, env: dict[str, str]) -> Iterator[Child]:
    """`cmd` running in the background; killed by its pid if still running when the block
    ends."""
    stamp = time.monotonic_ns()
    with (cwd / f"out-{stamp}.txt").open("w+") as out, (cwd / f"err-{stamp}.txt").open("w+") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        try:
            yield Child(proc, out, err)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


# --- the simulator's counters, seen from another loopback address --------------------------------


def sim_get(sim: SimulatorProcess, path: str) -> bytes:
    """GET a simulator path from 127.0.0.2, so it is not counted as the crawler's."""
    parts = urlsplit(sim.url)
    assert parts.hostname is not None and parts.port is not None
    conn = http.client.HTTPConnection(
        parts.hostname, parts.port, timeout=10, source_address=(OBSERVER_IP, 0)
    )
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        body = answer.read()
        assert answer.status == 200, (path, answer.status)
        return body
    finally:
        conn.close()


def crawler_counts(sim: SimulatorProcess) -> Counter[str]:
    """Requests the crawler (127.0.0.1) has made, by HTTP status or fault kind; the export
    download counts as one '200'."""
    stats = json.loads(sim_get(sim, "/__sim/stats"))
    return Counter(stats["by_ip"].get(CRAWLER_IP, {}).get("by_status", {}))


def delta(after: Counter[str], before: Counter[str]) -> Counter[str]:
    return Counter({k: after[k] - before[k] for k in after if after[k] != before[k]})


# --- what the simulator serves, computed in-process ----------------------------------------------


@functools.cache
def catalog(movies: int, seed: int = config.SIM_SEED) -> Catalog:
    return Catalog(movies, seed, DAY)


@functools.cache
def credit_index(movies: int, seed: int = config.SIM_SEED) -> CreditIndex:
    return CreditIndex(catalog(movies, seed))


def export_ids(movies: int, seed: int = config.SIM_SEED) -> list[int]:
    """The movie ids of the first day's export, in the export's order."""
    cat = catalog(movies, seed)
    return [cat.movies.ids.id_of(i) for i in cat.export_indices(cat.movies, 0)]


def expected_movie(movies: int, seed: int, movie_id: int) -> dict[str, Any] | None:
    """The document the simulator serves for a movie id (default appends), None for a 404."""
    cat = catalog(movies, seed)
    index = cat.movies.ids.index_of(movie_id)
    if index is None or not cat.movies.alive(index, 0):
        return None
    return dict(orjson.loads(movie_json(cat, index, MOVIE_APPENDS)))


def expected_person(movies: int, seed: int, person_id: int) -> dict[str, Any]:
    index = catalog(movies, seed).people.ids.index_of(person_id)
    assert index is not None, person_id
    doc = person_doc(credit_index(movies, seed), index, ())
    return dict(orjson.loads(orjson.dumps(doc)))


# --- what a store holds --------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    status: str
    reason: str | None
    http_status: int | None
    content_hash: str | None
    attempts: int
    doc: bytes | None  # the raw JSON, decompressed


def rows(data_dir: Path, kind: str = "movie") -> dict[int, Row]:
    """Every record of a kind in the store of `data_dir`."""
    assert (data_dir / config.STORE_FILE).is_file()
    store = Store.open(data_dir)
    unpack = zstandard.ZstdDecompressor()
    try:
        found = store.db.execute(
            "SELECT id, status, reason, http_status, content_hash, attempts, doc FROM records "
            "WHERE kind = ? ORDER BY id",
            (kind,),
        ).fetchall()
    finally:
        store.close()
    return {
        id_: Row(status, reason, http, digest, attempts, unpack.decompress(doc) if doc else None)
        for id_, status, reason, http, digest, attempts, doc in found
    }


def counts(data_dir: Path, kind: str = "movie") -> dict[str, int]:
    store = Store.open(data_dir)
    try:
        return store.counts().get(kind, dict.fromkeys(("pending", "ok", "gone", "failed"), 0))
    finally:
        store.close()


def same_records(found: dict[int, Row]) -> dict[int, tuple[Any, ...]]:
    """What two stores of the same crawl must agree on (attempts may differ after a crash)."""
    return {i: (r.status, r.reason, r.http_status, r.content_hash, r.doc) for i, r in found.items()}


def assert_store_matches_catalog(data_dir: Path, movies: int, seed: int, wanted: list[int]) -> None:
    """Exactly the `wanted` ids are stored: live ones `ok` with the simulator's document,
    deleted ones `gone`; no other id, none missing."""
    found = rows(data_dir)
    assert sorted(found) == sorted(set(wanted))
    for id_ in wanted:
        row, doc = found[id_], expected_movie(movies, seed, id_)
        if doc is None:
            assert (row.status, row.http_status, row.doc) == ("gone", 404, None), id_
        else:
            assert row.status == "ok", (id_, row)
            assert row.doc is not None and orjson.loads(row.doc) == doc, id_


# --- 1. completeness under faults ----------------------------------------------------------------


def test_hostile_faults_lose_nothing(start_sim: StartSim, tmp_path: Path) -> None:
    """A quarter of the requests fail (5xx with JSON or HTML, resets, truncated and invalid
    bodies, slow answers), and the crawl still ends with every live id ok with the right
    document, every deleted id gone, exactly the export's ids, and exit code 0."""
    movies = 1000
    sim = start_sim(
        "--movies", str(movies), "--faults", "hostile", "--slow-seconds", "2", api_key=KEY
    )
    data = tmp_path / "data"
    result = crawl(sim, data, "--json", timeout=120)
    assert result.returncode == 0, result.stderr
    facts = summary(result.stdout)
    assert (facts["outcome"], facts["failed"], facts["failed ids in the store"]) == ("done", 0, 0)
    met = crawler_counts(sim)
    assert set(met) >= {
        "http_500",
        "http_502",
        "http_503",
        "http_504",
        "reset",
        "truncated",
        "invalid_json",
        "slow",
    }, met  # every fault kind was met along the way ...
    assert facts["retries"] > movies // 10
    # ... and nothing was lost.
    assert_store_matches_catalog(data, movies, config.SIM_SEED, export_ids(movies))
    assert counts(data) == {"pending": 0, "ok": facts["ok"], "gone": facts["gone"], "failed": 0}


def test_ids_that_keep_failing_exit_1_show_their_causes_and_a_rerun_fetches_exactly_them(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """A server that answers almost every request with a 503 or a reset: the ids whose retries
    all fail (in the run's pass and its end-of-run pass) end `failed`, the crawl exits 1, and
    `status` shows them by cause. Run again against a healthy server (the same catalog), the
    crawl fetches those ids and nothing else, and ends with exit 0."""
    movies, limit = 300, 8
    # Faults hit every API path, the access check's /configuration too; a fault there is no
    # refusal, so the crawl starts. Which requests fail depends on the seed, not on timing.
    flaky = start_sim("--movies", str(movies), "--faults", "http_503=0.5,reset=0.45", api_key=KEY)
    data = tmp_path / "data"
    first = crawl(flaky, data, "--limit", str(limit), "--json")
    assert first.returncode == 1, first.stderr
    facts = summary(first.stdout)
    stored = rows(data)
    failed = {i for i, row in stored.items() if row.status == "failed"}
    assert 0 < len(failed) < limit
    assert (facts["outcome"], facts["failed"], facts["failed ids in the store"]) == (
        "done", len(failed), len(failed),
    )  # fmt: skip
    causes = Counter(stored[i].reason for i in failed)
    assert set(causes) <= {"http_503", "reset"} and causes.total() == len(failed)
    assert all(stored[i].http_status == (503 if stored[i].reason == "http_503" else None)
               for i in failed)  # fmt: skip

    env = child_env()
    as_json = run(cli("status", "--json", "--data-dir", str(data)), tmp_path, env)
    assert as_json.returncode == 0, as_json.stderr
    movie = json.loads(as_json.stdout)["kinds"]["movie"]
    assert movie["states"]["failed"] == len(failed)
    assert movie["failed_by_cause"] == dict(causes)
    assert (movie["last_run"]["outcome"], movie["last_run"]["failed"]) == ("done", len(failed))
    text = run(cli("status", "--data-dir", str(data)), tmp_path, env).stdout
    shown = ", ".join(f"{cause} {n}" for cause, n in sorted(causes.items()))
    assert f"failed by cause: {shown}" in text

    healthy = start_sim("--movies", str(movies), api_key=KEY)
    again = crawl(healthy, data, "--limit", str(limit), "--json")
    assert again.returncode == 0, again.stderr
    assert summary(again.stdout)["total"] == len(failed)
    made = crawler_counts(healthy)
    assert made.total() == CHECK + len(failed) and set(made) <= {"200", "404"}, made  # no export
    assert_store_matches_catalog(data, movies, config.SIM_SEED, export_ids(movies)[:limit])
    after = rows(data)
    assert {i: after[i] for i in stored if i not in failed} == {
        i: row for i, row in stored.items() if i not in failed
    }  # the ids already fetched were not fetched again


# --- 2. crash safety -----------------------------------------------------------------------------


def wait_for_stored(data_dir: Path, target: int, proc: subprocess.Popen[str]) -> None:
    """Until the store holds `target` ids ok or gone (or the crawl ends; at most 60 s)."""
    deadline, path = time.monotonic() + 60, data_dir / config.STORE_FILE
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(sqlite3.Error):  # not created yet, or busy: look again
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1)
            try:
                (done,) = db.execute(
                    "SELECT count(*) FROM records WHERE kind = 'movie' AND status IN ('ok', 'gone')"
                ).fetchone()
            finally:
                db.close()
            if done >= target:
                return
        time.sleep(0.02)


def test_kill_9_at_random_points_then_rerun_gives_the_clean_store(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """SIGKILL the crawl three times at seeded random moments, re-running the same command
    each time, then let it finish: the store equals an uninterrupted crawl's (same ids,
    states, documents), and each crash cost at most one batch (+ the requests in flight)."""
    movies, args = 1500, ("--movies", "1500", "--latency-ms", "5")
    crashed_sim, clean_sim = start_sim(*args, api_key=KEY), start_sim(*args, api_key=KEY)
    crashed, clean = tmp_path / "crashed", tmp_path / "clean"
    flags = ("--json", "--rate", "250")
    env = child_env(TMDB_API_KEY=KEY)
    rng = random.Random(20261102)
    progress, kills = [], 0
    with started(crawl_cmd(clean_sim, clean, *flags), tmp_path, env) as clean_run:
        for _ in range(3):
            with started(crawl_cmd(crashed_sim, crashed, *flags), tmp_path, env) as child:
                # Kill once the store holds a seeded random share more than before: the kills
                # land at different points however long the crawler takes to start.
                target = (progress[-1] if progress else 0) + rng.randint(100, 300)
                wait_for_stored(crashed, target, child.proc)
                if child.proc.poll() is None:
                    child.proc.kill()  # SIGKILL: no cleanup of any kind
                    kills += 1
                assert child.proc.wait(timeout=10) == -signal.SIGKILL, child.output()
            if (crashed / config.STORE_FILE).exists():
                done = counts(crashed)
                progress.append(done["ok"] + done["gone"])
        final = run(crawl_cmd(crashed_sim, crashed, *flags), tmp_path, env)
        assert final.returncode == 0, final.stderr
        assert clean_run.proc.wait(timeout=60) == 0, clean_run.output()
    assert kills == 3
    # The kills landed at different points of the crawl, not all before it or after it.
    assert progress == sorted(progress)
    assert sum(0 < p < movies for p in progress) >= 2, progress
    assert same_records(rows(crashed)) == same_records(rows(clean))
    assert counts(crashed) == counts(clean)
    assert counts(crashed)["ok"] + counts(crashed)["gone"] == movies
    # Requests: the clean crawl made one per id (+ the export and its access check); the
    # crashed ones lost at most a batch and the requests in flight per kill (+ at most one
    # export download and one access check per run).
    assert crawler_counts(clean_sim).total() == movies + 1 + CHECK
    lost_per_kill = BATCH + IN_FLIGHT
    per_run = 1 + CHECK  # an export download and an access check at most
    made = crawler_counts(crashed_sim).total()
    assert made <= movies + kills * lost_per_kill + (kills + 1) * per_run


# --- 3. bad input --------------------------------------------------------------------------------


def file_bytes(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("credential", [config.API_KEY_ENV, config.TOKEN_ENV])
def test_a_wrong_key_stops_at_once_and_leaves_the_store_as_it_was(
    sim: SimulatorProcess, tmp_path: Path, credential: str
) -> None:
    """A refused key or token: exit 2 with one line saying so, after the run's first request
    (README: "TMDb's 401 stops the run at its first request, before the store is touched"),
    and the store is not touched (no export planned, no id marked, no run recorded)."""
    data = tmp_path / "data"
    first = crawl(sim, data, "--limit", "40", "--quiet", key=SHARED_KEY)
    assert first.returncode == 0, first.stderr
    assert len(rows(data)) == 40
    before_files, before = file_bytes(data), crawler_counts(sim)
    env = child_env(**{credential: "not-the-key"})
    for data_dir in (data, tmp_path / "fresh"):  # an existing collection, and a new one
        result = run(crawl_cmd(sim, data_dir, "--json"), tmp_path, env)
        line = assert_one_clear_line(result, "refused the credentials", credential)
        assert "not-the-key" not in line
        assert result.stdout == ""
    made = delta(crawler_counts(sim), before)
    assert made == Counter({"401": 2}), made  # one request per run: its first
    assert file_bytes(data) == before_files
    assert not (tmp_path / "fresh").exists()


@pytest.mark.parametrize("which", ["api", "exports"])
def test_an_unreachable_server_is_a_clear_error(
    sim: SimulatorProcess, tmp_path: Path, which: str
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    urls = {"api_url": f"{dead}/3"} if which == "api" else {"exports_url": f"{dead}/p/exports"}
    started_at = time.monotonic()
    result = crawl(sim, tmp_path / "data", "--quiet", key=SHARED_KEY, timeout=30, **urls)
    assert time.monotonic() - started_at < 20
    if which == "api":
        assert_one_clear_line(result, f"cannot reach the TMDb API at 127.0.0.1:{port}")
        assert not (tmp_path / "data").exists()  # stopped before touching the store
    else:
        assert_one_clear_line(result, f"cannot reach 127.0.0.1:{port}", "--exports-url")


def test_an_api_url_without_a_scheme_is_a_clear_error(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    """A user typing `--api-url api.themoviedb.org/3` should be told at once, like a bad
    --exports-url is, not watch a crawl retry every id."""
    no_scheme = sim.api_url.removeprefix("http://")
    data = tmp_path / "data"
    result = crawl(
        sim, data, "--quiet", "--limit", "2", key=SHARED_KEY, timeout=5, api_url=no_scheme
    )
    assert_one_clear_line(result, "--api-url")


def test_malformed_export_lines_are_counted_and_skipped(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    """A damaged line in the export is skipped and counted in the summary; the ids on the
    good lines are all crawled."""
    wanted = export_ids(SHARED_MOVIES, SHARED_SEED)[:30]
    good = [orjson.dumps({"adult": False, "id": i, "original_title": "T"}) for i in wanted]
    bad = [b'{"adult": false, "id": ', b"<html>", b'{"id": "12"}', b'{"id": -4}']
    lines = good[:10] + bad[:2] + good[10:20] + bad[2:] + good[20:]
    data = tmp_path / "data"
    (data / "exports").mkdir(parents=True)
    # An export already downloaded is reused: this one stands in for a damaged download.
    (data / "exports" / EXPORT_FILE).write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    before = crawler_counts(sim)
    result = crawl(sim, data, "--json", key=SHARED_KEY)
    assert result.returncode == 0, result.stderr
    facts = summary(result.stdout)
    assert (facts["ids read"], facts["malformed lines skipped"]) == (34, 4)
    assert facts["new ids"] == 30
    assert_store_matches_catalog(data, SHARED_MOVIES, SHARED_SEED, wanted)
    assert delta(crawler_counts(sim), before).total() == CHECK + 30  # no download


def test_a_missing_export_falls_back_a_day_then_errors_clearly(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """Without --date the crawler takes the newest export by the clock; when that file is not
    published yet it uses the day before's, and when neither exists it says so in one line."""
    newest = newest_export_day(datetime.now(UTC))
    yesterday, older = newest - timedelta(days=1), newest - timedelta(days=2)
    late = start_sim("--movies", "300", "--day", yesterday.isoformat(), api_key=KEY)
    data = tmp_path / "late"
    result = crawl(late, data, "--json", day=None)
    if newest_export_day(datetime.now(UTC)) != newest:
        pytest.skip("08:00 UTC passed during the test: the newest export day changed")
    assert result.returncode == 0, result.stderr
    assert summary(result.stdout)["source"] == export_name("movie", yesterday)
    assert counts(data)["ok"] + counts(data)["gone"] == 300
    store = Store.open(data)
    try:
        assert store.get_meta("export_day:movie") == yesterday.isoformat()
    finally:
        store.close()

    stale = start_sim("--movies", "300", "--day", older.isoformat(), api_key=KEY)
    result = crawl(stale, tmp_path / "stale", "--json", day=None)
    assert_one_clear_line(
        result, export_name("movie", newest), export_name("movie", yesterday), "--date"
    )
    assert crawler_counts(stale) == Counter({"200": CHECK, "404": 2})  # 2 files tried


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("data dir under a file", "cannot use the data directory"),
        ("data dir is a file", "is a file"),
        ("store path is a directory", "cannot use the data directory"),
        ("exports path is a file", "cannot create"),
    ],
)
def test_an_unusable_data_directory_is_a_clear_error(
    sim: SimulatorProcess, tmp_path: Path, layout: str, message: str
) -> None:
    # Tests may run as root, for whom permissions do not stop writes: files in the way do.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory\n")
    data = {"data dir under a file": blocker / "data", "data dir is a file": blocker}.get(
        layout, tmp_path / "data"
    )
    if layout == "store path is a directory":
        (data / config.STORE_FILE).mkdir(parents=True)
    if layout == "exports path is a file":
        data.mkdir()
        (data / "exports").write_text("")
    before = crawler_counts(sim)
    result = crawl(sim, data, "--quiet", key=SHARED_KEY, cwd=tmp_path)
    assert_one_clear_line(result, message)
    assert delta(crawler_counts(sim), before).total() <= CHECK  # no export, no document


def test_append_over_twenty_items_exits_2_before_any_request(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    before = crawler_counts(sim)
    items = ",".join(f"item{i}" for i in range(21))
    result = crawl(sim, tmp_path / "data", "--append", items, "--quiet", key=SHARED_KEY)
    assert_one_clear_line(result, "--append lists 21 items", "at most 20")
    assert delta(crawler_counts(sim), before).total() == 0  # not even the export
    assert not (tmp_path / "data").exists()


# --- 4. secrets ----------------------------------------------------------------------------------

CANARY = "canary-5c1e8b0e-key"
WRONG_CANARY = "canary-0b7d2a93-wrong"


def test_the_key_never_appears_in_output_logs_or_files(start_sim: StartSim, tmp_path: Path) -> None:
    """Crawls with a canary key (environment, token, .env file), a wrong canary key, and an
    unreachable API; then every byte they printed or wrote (store documents decompressed) is
    searched for either canary."""
    sim = start_sim("--movies", "300", "--faults", "flaky", "--slow-seconds", "1", api_key=CANARY)
    data, from_dotenv = tmp_path / "data", tmp_path / "dotenv"
    from_dotenv.mkdir()
    (from_dotenv / ".env").write_text(f"# the key\nexport {config.API_KEY_ENV}='{CANARY}'\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/3"
    outputs: list[str] = []

    def go(cmd: list[str], cwd: Path, env: dict[str, str], code: int) -> None:
        result = run(cmd, cwd, env)
        outputs.extend((result.stdout, result.stderr))
        assert result.returncode == code, result.stderr

    as_key, as_token = child_env(TMDB_API_KEY=CANARY), child_env(TMDB_ACCESS_TOKEN=CANARY)
    go(crawl_cmd(sim, data, "--json", "--limit", "150"), tmp_path, as_key, 0)
    go(crawl_cmd(sim, data, "--quiet"), tmp_path, as_token, 0)
    go(crawl_cmd(sim, data, "--json", "--limit", "60", kind="people"), tmp_path, as_key, 0)
    # Only the .env file knows the key here; the progress bar is on.
    go(crawl_cmd(sim, from_dotenv / "data"), from_dotenv, child_env(), 0)
    assert counts(from_dotenv / "data")["ok"] > 250  # the .env key was read and accepted
    wrong = child_env(TMDB_API_KEY=WRONG_CANARY)
    go(crawl_cmd(sim, data, "--json", "--refresh"), tmp_path, wrong, 2)
    go(crawl_cmd(sim, data, "--json", "--refresh", api_url=dead), tmp_path, as_key, 2)
    go(cli("status", "--data-dir", str(data)), tmp_path, as_key, 0)
    go(cli("status", "--json", "--data-dir", str(data)), tmp_path, as_key, 0)

    secrets = (CANARY.encode(), WRONG_CANARY.encode())
    for text in outputs:
        assert not any(s in text.encode() for s in secrets), text
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != ".env"]
    assert any(p.name == config.STORE_FILE for p in files)
    docs = 0
    for path in files:
        raw = path.read_bytes()
        assert not any(s in raw for s in secrets), path
        if path.name == config.STORE_FILE:
            with contextlib.closing(sqlite3.connect(path)) as db:
                for (blob,) in db.execute("SELECT doc FROM records WHERE doc IS NOT NULL"):
                    body = zstandard.ZstdDecompressor().decompress(blob)
                    assert not any(s in body for s in secrets), path
                    docs += 1
                for (value,) in db.execute("SELECT value FROM meta"):
                    assert not any(s in value.encode() for s in secrets)
    assert docs > 500  # movies and people of both stores were searched


# --- Ctrl-C, re-runs, --refresh, --limit, --ids-file ---------------------------------------------


def test_ctrl_c_saves_what_was_fetched_and_the_same_command_resumes(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """SIGINT mid-crawl: exit 130 and one line saying how to resume, every answer received so
    far saved; the same command then completes the store, fetching nothing twice but the
    requests that were in flight."""
    movies = 1500
    sim = start_sim("--movies", str(movies), "--latency-ms", "5", api_key=KEY)
    data = tmp_path / "data"
    cmd = crawl_cmd(sim, data, "--json", "--rate", "300")
    env = child_env(TMDB_API_KEY=KEY)
    with started(cmd, tmp_path, env) as child:
        deadline = time.monotonic() + 20
        while crawler_counts(sim).total() < 300 and time.monotonic() < deadline:
            assert child.proc.poll() is None, child.output()
            time.sleep(0.05)
        child.proc.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
        assert child.proc.wait(timeout=20) == 130, child.output()
        stdout, stderr = child.output()
    assert "Traceback" not in stderr
    (line,) = stderr.strip().splitlines()
    assert "interrupted" in line and "resume" in line
    facts = summary(stdout)
    assert facts["outcome"] == "interrupted"
    saved = counts(data)
    assert 0 < saved["ok"] + saved["gone"] < movies
    assert saved["ok"] + saved["gone"] == facts["done"]  # everything fetched was written

    result = run(cmd, tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert summary(result.stdout)["total"] == movies - facts["done"]
    assert_store_matches_catalog(data, movies, config.SIM_SEED, export_ids(movies))
    # Ctrl-C lost nothing already fetched: only the requests in flight were made twice.
    made = crawler_counts(sim).total() - 1 - 2 * CHECK  # less the export and two checks
    assert made <= movies + IN_FLIGHT


def test_limit_rerun_and_refresh(sim: SimulatorProcess, tmp_path: Path) -> None:
    """--limit N crawls the export's first N ids; running it again fetches nothing at all;
    --refresh fetches every stored id once more."""
    data = tmp_path / "data"
    first = export_ids(SHARED_MOVIES, SHARED_SEED)[:80]
    before = crawler_counts(sim)
    result = crawl(sim, data, "--limit", "80", "--json", key=SHARED_KEY)
    assert result.returncode == 0, result.stderr
    assert summary(result.stdout)["total"] == 80
    assert_store_matches_catalog(data, SHARED_MOVIES, SHARED_SEED, first)
    assert delta(crawler_counts(sim), before).total() == CHECK + 1 + 80  # export, ids
    snapshot = rows(data)

    before = crawler_counts(sim)
    again = crawl(sim, data, "--limit", "80", "--json", key=SHARED_KEY)
    assert again.returncode == 0, again.stderr
    assert (summary(again.stdout)["requests"], summary(again.stdout)["new ids"]) == (0, 0)
    assert delta(crawler_counts(sim), before) == Counter({"200": CHECK})
    assert rows(data) == snapshot

    before = crawler_counts(sim)
    refresh = crawl(sim, data, "--limit", "80", "--refresh", "--json", key=SHARED_KEY)
    assert refresh.returncode == 0, refresh.stderr
    assert delta(crawler_counts(sim), before).total() == CHECK + 80
    refreshed = rows(data)
    assert same_records(refreshed) == same_records(snapshot)
    assert {r.attempts for r in refreshed.values()} == {2}


def test_ids_file_takes_plain_ids_and_export_lines(sim: SimulatorProcess, tmp_path: Path) -> None:
    some = export_ids(SHARED_MOVIES, SHARED_SEED)[100:112]
    lines = [
        str(some[0]),
        f"  {some[1]}  ",
        json.dumps({"adult": False, "id": some[2], "original_title": "A", "popularity": 2.5}),
        "",
        json.dumps({"adult": True, "id": some[3], "original_title": "B"}),  # adult: skipped
        "not an id",
        *(str(i) for i in some[4:8]),
        *(json.dumps({"id": i, "video": False}) for i in some[8:]),
        str(some[0]),  # a repeat is one id
    ]
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(lines) + "\n")
    data = tmp_path / "data"
    before = crawler_counts(sim)
    result = crawl(sim, data, "--ids-file", str(ids_file), "--json", key=SHARED_KEY, day=None)
    assert result.returncode == 0, result.stderr
    facts = summary(result.stdout)
    assert facts["ids read"] == len(lines)
    assert (facts["malformed lines skipped"], facts["adult lines skipped"]) == (1, 1)
    wanted = [i for i in some if i != some[3]]
    assert facts["new ids"] == len(wanted)
    assert_store_matches_catalog(data, SHARED_MOVIES, SHARED_SEED, wanted)
    assert delta(crawler_counts(sim), before).total() == CHECK + len(wanted)  # no export


# --- crawl people --------------------------------------------------------------------------------


def test_people_are_the_distinct_cast_and_crew_of_the_stored_movies(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    result = crawl(sim, data, "--limit", "25", "--quiet", key=SHARED_KEY)
    assert result.returncode == 0, result.stderr
    cast: set[int] = set()
    crew: set[int] = set()
    for row in rows(data).values():
        if row.doc is not None:
            credits = orjson.loads(row.doc)["credits"]
            cast.update(c["id"] for c in credits["cast"])
            crew.update(c["id"] for c in credits["crew"])
    assert cast and crew - cast

    before = crawler_counts(sim)
    result = crawl(sim, data, "--cast-only", "--json", kind="people", key=SHARED_KEY)
    assert result.returncode == 0, result.stderr
    assert summary(result.stdout)["new ids"] == len(cast)
    people = rows(data, "person")
    assert set(people) == cast
    assert delta(crawler_counts(sim), before) == Counter({"200": CHECK + len(cast)})

    before = crawler_counts(sim)
    result = crawl(sim, data, "--json", kind="people", key=SHARED_KEY)
    assert result.returncode == 0, result.stderr
    people = rows(data, "person")
    assert set(people) == cast | crew
    assert delta(crawler_counts(sim), before) == Counter({"200": CHECK + len(crew - cast)})
    for id_, row in people.items():
        assert row.status == "ok" and row.doc is not None
        assert orjson.loads(row.doc) == expected_person(SHARED_MOVIES, SHARED_SEED, id_), id_


# --- status and demo -----------------------------------------------------------------------------


def test_status_reports_the_counts_and_the_last_run(sim: SimulatorProcess, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = crawl(sim, data, "--limit", "50", "--json", key=SHARED_KEY)
    assert result.returncode == 0, result.stderr
    facts = summary(result.stdout)
    have = counts(data)
    env = child_env()

    text = run(cli("status", "--data-dir", str(data)), tmp_path, env)
    assert text.returncode == 0, text.stderr
    assert (
        f"movies: 50 ids (pending 0, ok {have['ok']}, gone {have['gone']}, failed 0)" in text.stdout
    )
    assert f"from the export of {FIRST_DAY}" in text.stdout
    assert f"done, {facts['requests']} requests" in text.stdout

    as_json = run(cli("status", "--json", "--data-dir", str(data)), tmp_path, env)
    assert as_json.returncode == 0, as_json.stderr
    movie = json.loads(as_json.stdout)["kinds"]["movie"]
    assert (movie["ids"], movie["states"], movie["export_day"]) == (50, have, FIRST_DAY)
    last = movie["last_run"]
    assert last["outcome"] == "done"
    assert (last["ok"], last["gone"], last["requests"]) == (
        facts["ok"],
        facts["gone"],
        facts["requests"],
    )


@pytest.mark.parametrize("exists", [True, False])
def test_status_without_a_collection_exits_2(tmp_path: Path, exists: bool) -> None:
    data = tmp_path / "data"
    if exists:
        data.mkdir()
    result = run(cli("status", "--data-dir", str(data)), tmp_path, child_env())
    assert_one_clear_line(result, "no collection in", "crawl movies")
    if exists:
        assert list(data.iterdir()) == []  # nothing created
    else:
        assert not data.exists()


def test_demo_crawls_movies_and_their_people(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = run(
        cli("demo", "--movies", "300", "--data-dir", str(data)), tmp_path, child_env(), 120
    )
    assert result.returncode == 0, result.stderr
    movies, people = counts(data), counts(data, "person")
    assert movies["ok"] > 250 and movies["ok"] + movies["gone"] == 300
    assert (movies["pending"], movies["failed"]) == (0, 0)
    credited: set[int] = set()
    for row in rows(data).values():
        if row.doc is not None:
            credits = orjson.loads(row.doc)["credits"]
            credited.update(c["id"] for c in credits["cast"] + credits["crew"])
    assert people == {"pending": 0, "ok": len(credited), "gone": 0, "failed": 0}
    outputs = data / config.OUTPUT_DIR
    assert pq.read_metadata(outputs / "parquet" / "movies.parquet").num_rows == movies["ok"]
    con = duckdb.connect(str(outputs / "tmdb.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM people").fetchone() == (len(credited),)
    assert nx.read_gexf(outputs / "network" / "network.gexf").number_of_edges() > 0
    assert "network.gexf" in result.stdout
