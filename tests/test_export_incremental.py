"""Exports that follow the store (issue #13, item 4): after a sync, `export --format
duckdb|parquet` parses only the documents that changed, and gives what `--full` gives: every
table equal, `EXCEPT ALL` both ways empty."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from conftest import FIRST_DAY
from test_crawl_e2e import KEY, StartSim, child_env, cli, run
from test_sync_e2e import crawl_collection, sync
from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.export import kept, outputs, schema, tables

MOVIE = "movie_49026_tt1345836_append_credits_images_keywords.json"
BARE = "movie_47964_details.json"
PERSON = "person_4347_append_all.json"


def differences(a: Path, b: Path) -> dict[str, tuple[int, int]]:
    """Per table of the export, rows of `a` not in `b` and of `b` not in `a` (multisets),
    each a DuckDB export or a directory of Parquet tables; only the tables that differ."""
    con = duckdb.connect()
    sources = []
    for alias, source in (("a", a), ("b", b)):
        if source.is_dir():
            sources.append(f"read_parquet('{source}/{{t}}.parquet')")
        else:
            con.execute(f"ATTACH '{source}' AS {alias} (READ_ONLY)")
            sources.append(f'{alias}."{{t}}"')
    found = {}
    for table in schema.TABLES:
        left, right = (s.format(t=table.name) for s in sources)
        counts = tuple(
            con.execute(f"SELECT count(*) FROM (FROM {x} EXCEPT ALL FROM {y})").fetchall()[0][0]
            for x, y in ((left, right), (right, left))
        )
        if counts != (0, 0):
            found[table.name] = counts
    con.close()
    return found


def records(data_dir: Path) -> dict[tuple[str, int], tuple[str, float | None]]:
    store = Store.open(data_dir)
    try:
        rows = store.db.execute("SELECT kind, id, status, fetched_at FROM records").fetchall()
    finally:
        store.close()
    return {(kind, id_): (status, fetched) for kind, id_, status, fetched in rows}


def parsed_and_dropped(line: str) -> tuple[int, int]:
    match = re.search(r"\(([\d,]+) changed documents parsed, ([\d,]+) dropped\)", line)
    assert match, line
    return int(match[1].replace(",", "")), int(match[2].replace(",", ""))


def credits_of(path: Path) -> dict[int, set[tuple[Any, ...]]]:
    """Each person's credits (movie, cast or crew, role) in a DuckDB export."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("SELECT person_id, movie_id, credit, role FROM filmography").fetchall()
    finally:
        con.close()
    found: dict[int, set[tuple[Any, ...]]] = {}
    for person, *credit in rows:
        found.setdefault(person, set()).add(tuple(credit))
    return found


# --- after a real sync ---------------------------------------------------------------------------


def test_after_a_sync_the_incremental_exports_equal_full_rebuilds(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """Crawl, export, move the simulator's clock on and sync: the next exports parse exactly
    the documents the sync fetched anew and drop those it found gone, and give, table for
    table, what `--full` gives; movies gone drop out with their credits."""
    sim = start_sim("--movies", "250", api_key=KEY)
    data = tmp_path / "data"
    crawl_collection(sim, data, FIRST_DAY)

    def export(fmt: str, out: Path, *extra: str) -> str:
        argv = cli("export", "--format", fmt, "--quiet", "--data-dir", str(data))
        done = run([*argv, "--out", str(out), *extra], tmp_path, child_env())
        assert done.returncode == 0, done.stderr
        return str(done.stdout.strip())

    first = export("duckdb", tmp_path / "before.duckdb")
    before = records(data)
    ok_before = {k for k, (status, _) in before.items() if status == "ok"}
    assert f"(all {len(ok_before):,} documents parsed)" in first
    day = sim.advance(10)
    assert sync(sim, data, "--quiet", until=day).returncode == 0
    after = records(data)
    ok_after = {k for k, (status, _) in after.items() if status == "ok"}
    changed = {k for k in ok_after if before.get(k) != after[k]}
    gone = {id_ for kind, id_ in ok_before - ok_after if kind == "movie"}
    assert changed and gone, "the simulator's 10 days should change and delete some movies"

    line = export("parquet", tmp_path / "incremental")
    assert parsed_and_dropped(line) == (len(changed), len(ok_before - ok_after))
    line = export("duckdb", tmp_path / "incremental.duckdb")
    assert parsed_and_dropped(line) == (0, 0)  # the parquet export brought the tables up to date
    assert "all" in export("parquet", tmp_path / "full", "--full")
    assert "all" in export("duckdb", tmp_path / "full.duckdb", "--full")

    assert differences(tmp_path / "incremental", tmp_path / "full") == {}
    inc, full = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    assert differences(inc, full) == {}
    assert differences(inc, tmp_path / "full") == {}
    con = duckdb.connect(str(inc), read_only=True)
    movies = {row[0] for row in con.execute("SELECT id FROM movies").fetchall()}
    credited = {row[0] for row in con.execute("SELECT movie_id FROM filmography").fetchall()}
    hidden = con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '\\_%' "
                         "ESCAPE '\\'").fetchall()  # fmt: skip
    con.close()
    assert movies == {id_ for kind, id_ in ok_after if kind == "movie"}
    assert not gone & (movies | credited)
    assert hidden == []  # the kept tables' bookkeeping stays out of the export
    # People whose credits changed (a movie of theirs gone or new) have the new ones.
    old, new = credits_of(tmp_path / "before.duckdb"), credits_of(inc)
    moved = {p for p in old.keys() | new.keys() if old.get(p) != new.get(p)}
    assert moved
    assert {p: new.get(p) for p in moved} == {p: credits_of(full).get(p) for p in moved}


# --- edits a sync can make, written into a store -------------------------------------------------


@pytest.fixture
def store(tmp_path: Path, samples: Callable[[str], Any]) -> Store:
    """A store with two movies (full and bare) and a person, from the real samples."""
    store = Store.open(tmp_path / "data")
    store.record([
        Outcome("movie", 49026, "ok", "ok", 200, orjson.dumps(samples(MOVIE))),
        Outcome("movie", 47964, "ok", "ok", 200, orjson.dumps(samples(BARE))),
        Outcome("person", 4347, "ok", "ok", 200, orjson.dumps(samples(PERSON))),
    ])  # fmt: skip
    return store


def export(store: Store, out: Path, full: bool = False) -> outputs.Exported:
    request = outputs.ExportRequest.check("duckdb", store.path.parent, out, full=full)
    return outputs.export(store, request)


def edited(samples: Callable[[str], Any]) -> list[Outcome]:
    """A new version of the full movie (a cast member and a genre fewer, a job and a
    company's name changed), a new movie sharing its items, and the person updated."""
    movie = copy.deepcopy(samples(MOVIE))
    del movie["credits"]["cast"][0]
    movie["credits"]["crew"][0]["job"] = "Screenplay"
    movie["genres"] = movie["genres"][1:]
    movie["production_companies"][0]["name"] = "Syncopy Films"
    newer = copy.deepcopy(movie)
    newer["id"] = 155
    newer["belongs_to_collection"]["name"] = "The Dark Knight Trilogy"
    person = samples(PERSON) | {"biography": "Rewritten."}
    return [
        Outcome("movie", 49026, "ok", "ok", 200, orjson.dumps(movie)),
        Outcome("movie", 155, "ok", "ok", 200, orjson.dumps(newer)),
        Outcome("person", 4347, "ok", "ok", 200, orjson.dumps(person)),
    ]


def test_edits_gone_and_renamed_items_match_a_full_rebuild(
    store: Store, tmp_path: Path, samples: Callable[[str], Any]
) -> None:
    assert export(store, tmp_path / "first.duckdb").refresh == kept.Refresh(True, 3, 0)
    edits = edited(samples)
    store.record(edits)
    store.record(edits[1:2])  # fetched again later: its name for the collection is the newest
    assert store.mark_gone("movie", [47964], "not in the export") == 1
    done = export(store, tmp_path / "inc.duckdb")
    assert done.refresh == kept.Refresh(False, 3, 1)
    full = export(store, tmp_path / "full.duckdb", full=True)
    assert full.refresh == kept.Refresh(True, 3, 0)
    inc, rebuilt = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    assert differences(inc, rebuilt) == {}
    con = duckdb.connect(str(inc), read_only=True)

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return con.execute(sql).fetchall()

    # Items follow the newest document naming them; items only a gone movie named are gone.
    assert rows("SELECT name FROM companies WHERE id = 9996") == [("Syncopy Films",)]
    assert rows("SELECT id, name FROM collections") == [(263, "The Dark Knight Trilogy")]
    assert rows("SELECT count(*) FROM movies WHERE id = 47964") == [(0,)]
    assert rows("SELECT biography FROM people") == [("Rewritten.",)]
    cast = len(samples(MOVIE)["credits"]["cast"]) - 1
    assert rows('SELECT count(*) FROM "cast" WHERE movie_id = 49026') == [(cast,)]
    con.close()


def test_nothing_changed_parses_nothing_and_a_new_table_shape_rebuilds(
    store: Store, tmp_path: Path
) -> None:
    export(store, tmp_path / "first.duckdb")
    assert export(store, tmp_path / "again.duckdb").refresh == kept.Refresh(False, 0, 0)
    con = duckdb.connect(str(kept.path_of(store)))
    con.execute("UPDATE _about SET value = 'made by other code' WHERE key = 'fingerprint'")
    con.close()
    assert export(store, tmp_path / "after.duckdb").refresh == kept.Refresh(True, 3, 0)
    kept.path_of(store).write_bytes(b"not a database")
    assert export(store, tmp_path / "damaged.duckdb").refresh == kept.Refresh(True, 3, 0)
    first, damaged = tmp_path / "first.duckdb", tmp_path / "damaged.duckdb"
    assert differences(first, damaged) == {}


def test_an_update_that_fails_midway_leaves_the_tables_as_they_were(
    store: Store, tmp_path: Path, samples: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure after the old rows are deleted (a full disk, a kill) rolls the update back:
    the next export finds the same changes and gives what a rebuild gives."""
    export(store, tmp_path / "first.duckdb")
    store.record(edited(samples))
    store.mark_gone("movie", [47964], "not in the export")
    parse = tables.load

    def failing(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tables, "load", failing)
    with pytest.raises(Exception, match="no space left"):
        export(store, tmp_path / "failed.duckdb")
    assert not (tmp_path / "failed.duckdb").exists()
    monkeypatch.setattr(tables, "load", parse)
    assert export(store, tmp_path / "inc.duckdb").refresh == kept.Refresh(False, 3, 1)
    export(store, tmp_path / "full.duckdb", full=True)
    inc, full = tmp_path / "inc.duckdb", tmp_path / "full.duckdb"
    assert differences(inc, full) == {}


def test_a_filtered_export_leaves_the_kept_tables_whole(store: Store, tmp_path: Path) -> None:
    for fmt, out in (("duckdb", tmp_path / "one.duckdb"), ("parquet", tmp_path / "pq")):
        request = outputs.ExportRequest.check(fmt, store.path.parent, out, where="id = 49026")
        outputs.export(store, request)
    con = duckdb.connect(str(tmp_path / "one.duckdb"), read_only=True)
    assert con.execute("SELECT id FROM movies").fetchall() == [(49026,)]
    con.close()
    assert duckdb.sql(f"SELECT id FROM '{tmp_path}/pq/movies.parquet'").fetchall() == [(49026,)]
    whole = export(store, tmp_path / "all.duckdb")
    assert whole.refresh == kept.Refresh(False, 0, 0)
    con = duckdb.connect(str(tmp_path / "all.duckdb"), read_only=True)
    assert sorted(con.execute("SELECT id FROM movies").fetchall()) == [(47964,), (49026,)]
    con.close()
