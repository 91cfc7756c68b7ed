"""`export` (issue #4): tables from the real samples, and Parquet, DuckDB and JSONL exports of a
collection crawled from a real simulator, checked against the raw documents in the store."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow.parquet as pq
import pytest
import zstandard

from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.export import schema, tables
from tmdb_collector.export.scratch import replacing
from tmdb_collector.simulator.process import SimulatorProcess

KEY = "export-key-51c0"


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDB_")}
    env["TMDB_API_KEY"] = KEY
    return subprocess.run(
        [sys.executable, "-m", "tmdb_collector", *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding 500 movies and their people, crawled from a real simulator."""
    data_dir = tmp_path_factory.mktemp("collection")
    with SimulatorProcess("--movies", "600", "--seed", "11", "--day", "2026-11-02") as sim:
        common = ("--api-url", sim.api_url, "--exports-url", sim.exports_url,
                  "--data-dir", str(data_dir), "--rate", "1000", "--quiet")  # fmt: skip
        movies = cli("crawl", "movies", "--date", "2026-11-02", "--limit", "500", *common)
        assert movies.returncode == 0, movies.stderr
        people = cli("crawl", "people", *common)
        assert people.returncode == 0, people.stderr
    return data_dir


def raw_movies(data_dir: Path) -> dict[int, dict[str, Any]]:
    store = Store.open(data_dir)
    try:
        return {id_: orjson.loads(doc) for id_, doc in store.documents("movie")}
    finally:
        store.close()


def old_filter(doc: dict[str, Any]) -> bool:
    """The old tool's box-office filter, written out as it was specified."""
    credits = doc.get("credits") or {}
    return (
        doc["budget"] > 1000
        and doc["revenue"] >= 10_000_000
        and bool(doc["genres"])
        and bool(credits.get("cast"))
        and bool(credits.get("crew"))
    )


def jsonl_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.name.endswith(".zst"):
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data.splitlines()


def frozen_with_scratch(child: subprocess.Popen[str], directory: Path, kind: str) -> None:
    """Return with `child` stopped (SIGSTOP) while its scratch directory (`.tmdb-KIND-*`) exists
    in `directory`: it runs in slices of a few milliseconds and is frozen while the test looks,
    so a quick run cannot make and remove its scratch space between two looks, nor finish
    between the look and what the test does next."""
    deadline = time.monotonic() + 60
    while True:
        os.kill(child.pid, signal.SIGSTOP)
        _, status = os.waitpid(child.pid, os.WUNTRACED)  # returns once it is stopped (or gone)
        assert os.WIFSTOPPED(status), f"the run ended before its scratch space was seen: {status}"
        if any(p.name.startswith(f".tmdb-{kind}-") for p in directory.iterdir()):
            return
        assert time.monotonic() < deadline, "no scratch space in 60 s"
        os.kill(child.pid, signal.SIGCONT)
        time.sleep(0.003)


# --- the real samples ----------------------------------------------------------------------------


def test_real_samples_land_in_the_tables(tmp_path: Path, samples: Callable[[str], Any]) -> None:
    movie = samples("movie_49026_tt1345836_append_credits_images_keywords.json")
    person = samples("person_4347_append_all.json")
    bare = samples("movie_47964_details.json")  # no appends: no credits at all
    store = Store.open(tmp_path)
    store.record([
        Outcome("movie", 49026, "ok", "ok", 200, orjson.dumps(movie)),
        Outcome("movie", 47964, "ok", "ok", 200, orjson.dumps(bare)),
        Outcome("person", 4347, "ok", "ok", 200, orjson.dumps(person)),
    ])  # fmt: skip
    con = tables.connect()
    tables.build(store, con)

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return con.execute(sql).fetchall()

    assert rows('SELECT count(*) FROM "cast" WHERE movie_id = 49026') == [(167,)]
    assert rows("SELECT count(*) FROM crew WHERE movie_id = 49026") == [(560,)]
    assert rows('SELECT count(*) FROM "cast" WHERE movie_id = 47964') == [(0,)]
    # A person with several jobs on the movie keeps one row per job, as TMDb lists them.
    jobs = Counter(row["id"] for row in movie["credits"]["crew"])
    nolan = max(jobs, key=lambda k: jobs[k])
    assert jobs[nolan] > 1
    assert rows(f"SELECT count(*) FROM crew WHERE movie_id = 49026 AND person_id = {nolan}") == [
        (jobs[nolan],)
    ]
    first = movie["credits"]["cast"][0]
    assert rows('SELECT person_id, character, "order", credit_id FROM "cast" WHERE "order" = 0 '
                "AND movie_id = 49026") == [
        (first["id"], first["character"], 0, first["credit_id"])
    ]  # fmt: skip
    assert rows("SELECT title, budget, revenue, CAST(release_date AS VARCHAR), year, imdb_id "
                "FROM movies WHERE id = 49026") == [
        (movie["title"], movie["budget"], movie["revenue"], movie["release_date"],
         int(movie["release_date"][:4]), movie["imdb_id"])
    ]  # fmt: skip
    assert rows("SELECT count(*) FROM movie_genres WHERE movie_id = 49026") == [
        (len(movie["genres"]),)
    ]
    assert rows("SELECT count(*) FROM movie_keywords WHERE movie_id = 49026") == [
        (len(movie["keywords"]["keywords"]),)
    ]
    assert {name for (name,) in rows("SELECT name FROM collections")} == {
        doc["belongs_to_collection"]["name"] for doc in (movie, bare)
    }
    got = con.execute(
        "SELECT id, name, gender, CAST(birthday AS VARCHAR), CAST(deathday AS VARCHAR), "
        "place_of_birth, known_for_department, popularity, imdb_id, also_known_as, biography "
        "FROM people"
    ).fetchall()
    assert got == [
        (4347, person["name"], person["gender"], person["birthday"], person["deathday"],
         person["place_of_birth"], person["known_for_department"], person["popularity"],
         person["imdb_id"], person["also_known_as"], person["biography"])
    ]  # fmt: skip
    types = dict(rows("SELECT column_name, data_type FROM duckdb_columns() "
                      "WHERE table_name = 'movies'"))  # fmt: skip
    money = (types["release_date"], types["budget"], types["revenue"])
    assert money == ("DATE", "BIGINT", "BIGINT")


def test_the_schema_document_lists_every_table_and_column() -> None:
    text = schema.document()
    for table in schema.TABLES:
        assert f"## {table.name}\n" in text
        for column in table.columns:
            assert f"| {column.name} |" in text or f"| **{column.name}** |" in text


# --- exports of a crawled collection -------------------------------------------------------------


def test_parquet_tables_agree_with_the_raw_documents(collection: Path, tmp_path: Path) -> None:
    out = tmp_path / "pq"
    result = cli("export", "--format", "parquet", "--data-dir", str(collection),
                 "--out", str(out), "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    docs = raw_movies(collection)

    def count(table: str) -> int:
        return int(pq.read_metadata(out / f"{table}.parquet").num_rows)

    assert count("movies") == len(docs) > 400
    assert count("cast") == sum(len(d["credits"]["cast"]) for d in docs.values())
    assert count("crew") == sum(len(d["credits"]["crew"]) for d in docs.values())
    assert count("movie_genres") == sum(len({g["id"] for g in d["genres"]}) for d in docs.values())
    assert count("movie_keywords") == sum(len(d["keywords"]["keywords"]) for d in docs.values())
    assert count("external_ids") == len(docs)
    credited = {r["id"] for d in docs.values() for r in d["credits"]["cast"] + d["credits"]["crew"]}
    assert count("people") == len(credited)
    assert count("genres") == len({g["id"] for d in docs.values() for g in d["genres"]})
    assert (out / "SCHEMA.md").read_text().startswith("# Tables")
    cast = pq.read_table(out / "cast.parquet").to_pylist()
    assert {r["movie_id"] for r in cast} <= set(docs)
    some = next(d for d in docs.values() if d["credits"]["cast"])
    expected = [(r["id"], r["order"]) for r in some["credits"]["cast"]]
    billed = sorted((r["order"], r["person_id"]) for r in cast if r["movie_id"] == some["id"])
    assert [(person, order) for order, person in billed] == expected


def test_duckdb_file_opens_and_its_views_answer(collection: Path, tmp_path: Path) -> None:
    out = tmp_path / "tmdb.duckdb"
    result = cli("export", "--format", "duckdb", "--data-dir", str(collection),
                 "--out", str(out), "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    docs = raw_movies(collection)
    con = duckdb.connect(str(out), read_only=True)
    box_office = {row[0] for row in con.execute("SELECT id FROM box_office").fetchall()}
    assert box_office == {i for i, d in docs.items() if old_filter(d)}
    assert box_office, "the catalog should hold some box-office movies"
    directors = con.execute("SELECT count(*) FROM directors").fetchone()
    assert directors == (
        sum(1 for d in docs.values() for r in d["credits"]["crew"] if r["job"] == "Director"),
    )
    assert con.execute("SELECT count(*) FROM filmography").fetchone() == (
        sum(len(d["credits"]["cast"]) + len(d["credits"]["crew"]) for d in docs.values()),
    )
    keys = con.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    assert {"movies", "people", "genres", "movie_genres"} <= {k[0] for k in keys}
    # A comment on every column (README), the meaning SCHEMA.md gives it.
    columns = con.execute(
        "SELECT c.table_name, c.column_name, c.comment FROM duckdb_columns() c "
        "JOIN duckdb_tables() t USING (database_name, schema_name, table_name)"
    ).fetchall()
    tables = {table for table, _, _ in columns}
    assert {"movies", "people", "cast", "crew", "genres", "movie_genres", "keywords"} <= tables
    assert [(t, c) for t, c, comment in columns if not comment] == []
    described = schema.document()
    assert [(t, c) for t, c, comment in columns if comment not in described] == []


def test_jsonl_box_office_keeps_exactly_the_old_filters_movies(
    collection: Path, tmp_path: Path
) -> None:
    docs = raw_movies(collection)
    store = Store.open(collection)
    raw = dict(store.documents("movie"))
    store.close()
    for name in ("bo.jsonl", "bo.jsonl.gz", "bo.jsonl.zst"):
        out = tmp_path / name
        result = cli("export", "--format", "jsonl", "--preset", "box-office", "--data-dir",
                     str(collection), "--out", str(out))  # fmt: skip
        assert result.returncode == 0, result.stderr
        lines = jsonl_lines(out)
        kept = [orjson.loads(line)["id"] for line in lines]
        assert sorted(kept) == sorted(i for i, d in docs.items() if old_filter(d))
        assert all(line == raw[i] for line, i in zip(lines, kept, strict=True))  # raw, as sent


def released_since(doc: dict[str, Any], year: int) -> bool:
    return bool(doc["release_date"]) and int(doc["release_date"][:4]) >= year


def test_jsonl_where_combines_with_the_preset(collection: Path, tmp_path: Path) -> None:
    docs = raw_movies(collection)
    out = tmp_path / "recent.jsonl"
    result = cli("export", "--format", "jsonl", "--where", "year >= 2000 AND vote_count > 0",
                 "--data-dir", str(collection), "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    kept = {orjson.loads(line)["id"] for line in jsonl_lines(out)}
    assert kept == {
        i for i, d in docs.items() if released_since(d, 2000) and d["vote_count"] > 0
    }  # fmt: skip
    assert 0 < len(kept) < len(docs)
    # With --preset, a movie is kept when both hold (README).
    out = tmp_path / "box-office-since-1950.jsonl"
    where = "year >= 1950 AND vote_count > 0"
    result = cli("export", "--format", "jsonl", "--preset", "box-office", "--where", where,
                 "--data-dir", str(collection), "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    kept = {orjson.loads(line)["id"] for line in jsonl_lines(out)}
    box_office = {i for i, d in docs.items() if old_filter(d)}
    matching = {i for i, d in docs.items() if released_since(d, 1950) and d["vote_count"] > 0}
    assert kept == box_office & matching
    assert kept and kept != box_office and kept != matching  # each filter took some out


def test_parquet_where_filters_every_movie_table(collection: Path, tmp_path: Path) -> None:
    docs = raw_movies(collection)
    out = tmp_path / "pq"
    result = cli("export", "--format", "parquet", "--where", "budget > 0", "--data-dir",
                 str(collection), "--out", str(out), "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    kept = {i for i, d in docs.items() if d["budget"] > 0}
    assert set(pq.read_table(out / "movies.parquet").column("id").to_pylist()) == kept
    assert set(pq.read_table(out / "cast.parquet").column("movie_id").to_pylist()) <= kept
    assert pq.read_metadata(out / "crew.parquet").num_rows == sum(
        len(docs[i]["credits"]["crew"]) for i in kept
    )


def test_duckdb_where_keeps_only_those_movies_and_their_rows(
    collection: Path, tmp_path: Path
) -> None:
    docs = raw_movies(collection)
    out = tmp_path / "budgeted.duckdb"
    result = cli("export", "--format", "duckdb", "--where", "budget > 0", "--data-dir",
                 str(collection), "--out", str(out), "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    kept = {i for i, d in docs.items() if d["budget"] > 0}
    assert 0 < len(kept) < len(docs)
    con = duckdb.connect(str(out), read_only=True)

    def ids(sql: str) -> set[int]:
        return {row[0] for row in con.execute(sql).fetchall()}

    assert ids("SELECT id FROM movies") == kept
    assert ids('SELECT DISTINCT movie_id FROM "cast"') <= kept
    assert con.execute("SELECT count(*) FROM crew").fetchone() == (
        sum(len(docs[i]["credits"]["crew"]) for i in kept),
    )
    assert ids("SELECT movie_id FROM movie_genres") <= kept
    assert ids("SELECT id FROM box_office") == {i for i in kept if old_filter(docs[i])}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--format", "jsonl", "--where", "budgt > 3"), "budgt"),
        (("--format", "jsonl", "--where", "1=1; DROP TABLE movies"), "--where"),
        (("--format", "jsonl", "--where", "year >"), "--where"),
        (("--format", "xml"), "unknown format 'xml'"),
        (("--format", "jsonl", "--preset", "arthouse"), "arthouse"),
        (("--format", "jsonl", "--out", "{dir}/movies.txt"), ".jsonl"),
        (("--format", "duckdb", "--out", "{dir}"), "must be a file"),
        (("--format", "jsonl", "--full"), "--full applies to parquet and duckdb"),
    ],
)
def test_bad_input_is_one_line_and_touches_no_output(
    collection: Path, tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    out = tmp_path / "old.jsonl"
    out.write_bytes(b"previous export\n")
    args = tuple(a.replace("{dir}", str(tmp_path)) for a in args)
    if "--out" not in args:
        args += ("--out", str(out))
    result = cli("export", *args, "--data-dir", str(collection))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tmdb-collector: "), result.stderr
    assert needle in lines[0] and "Traceback" not in result.stderr
    assert out.read_bytes() == b"previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.jsonl"]


def test_export_without_a_collection_is_one_line(tmp_path: Path) -> None:
    result = cli("export", "--format", "parquet", "--data-dir", str(tmp_path / "none"))
    assert result.returncode == 2
    assert "no collection" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "none").exists()


def test_interrupted_export_keeps_the_previous_output(collection: Path, tmp_path: Path) -> None:
    out = tmp_path / "movies.jsonl"
    out.write_bytes(b"previous export\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDB_")}
    child = subprocess.Popen(
        [sys.executable, "-m", "tmdb_collector", "export", "--format", "jsonl", "--quiet",
         "--data-dir", str(collection), "--out", str(out)],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    frozen_with_scratch(child, tmp_path, "export")
    child.send_signal(signal.SIGINT)  # delivered as it resumes, mid-export
    os.kill(child.pid, signal.SIGCONT)
    _, stderr = child.communicate(timeout=30)
    assert child.returncode == 130, stderr
    assert out.read_bytes() == b"previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["movies.jsonl"]


@pytest.mark.parametrize(("command", "kind"), [(("export", "--format", "parquet"), "export"),
                                               (("network",), "network")])  # fmt: skip
def test_the_next_run_removes_what_a_killed_one_left(
    collection: Path, tmp_path: Path, command: tuple[str, ...], kind: str
) -> None:
    out = tmp_path / "out"
    argv = [*command, "--data-dir", str(collection), "--out", str(out), "--quiet"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDB_")}
    child = subprocess.Popen([sys.executable, "-m", "tmdb_collector", *argv], env=env)
    frozen_with_scratch(child, tmp_path, kind)
    child.kill()  # kill -9, mid-run: no chance to clean up
    assert child.wait(timeout=30) == -signal.SIGKILL
    assert any(p.name.startswith(f".tmdb-{kind}-") for p in tmp_path.iterdir())
    out.mkdir(exist_ok=True)
    (out / f".edges.parquet.tmdb-{child.pid}.partial").write_bytes(b"half a file")
    running = tmp_path / f".tmdb-{kind}-{os.getpid()}-x"  # another run's, still going
    running.mkdir()
    theirs = tmp_path / f".notes.{child.pid}.partial"  # not ours, whatever its name says
    theirs.write_text("keep me")
    result = cli(*argv)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [theirs.name, running.name, "out"]
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    # Nor is anything left of the kept tables the killed export was writing.
    assert not [p.name for p in collection.iterdir() if ".tmdb-" in p.name]


def test_a_failed_write_leaves_no_file_under_the_final_name(tmp_path: Path) -> None:
    final = tmp_path / "edges.csv"
    final.write_text("old")
    with pytest.raises(OSError), replacing(final) as tmp:
        tmp.write_text("half a fi")
        raise OSError("disk full")
    assert final.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["edges.csv"]


# --- the network command on the crawled collection -----------------------------------------------


def cast_pairs(docs: dict[int, dict[str, Any]], top: int | None = None) -> Counter[tuple[int, int]]:
    """Shared movies per pair of actors, counted the obvious way from the raw documents."""
    pairs: Counter[tuple[int, int]] = Counter()
    for doc in docs.values():
        people = {c["id"] for c in doc["credits"]["cast"] if top is None or c["order"] < top}
        pairs.update((a, b) for a in people for b in people if a < b)
    return pairs


def test_network_command_counts_what_the_documents_say(collection: Path, tmp_path: Path) -> None:
    import networkx as nx

    out = tmp_path / "net"
    result = cli("network", "--format", "parquet,gexf,graphml,neo4j", "--top-billed", "10",
                 "--data-dir", str(collection), "--out", str(out), "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    expected = cast_pairs(raw_movies(collection), top=10)
    edges = pq.read_table(out / "edges.parquet").to_pylist()
    assert {(e["source"], e["target"]): e["weight"] for e in edges} == dict(expected)
    nodes = pq.read_table(out / "nodes.parquet").to_pylist()
    assert {n["id"] for n in nodes} == {p for pair in expected for p in pair}
    assert all(n["community"] is not None and n["name"] for n in nodes)
    for reader, name in ((nx.read_gexf, "network.gexf"), (nx.read_graphml, "network.graphml")):
        g = reader(out / name)
        assert (g.number_of_nodes(), g.number_of_edges()) == (len(nodes), len(edges))
    header = (out / "neo4j_relationships.csv").read_text().splitlines()[0]
    assert header.startswith(":START_ID(Person),:END_ID(Person)")


def test_network_years_keeps_the_movies_released_in_that_range(
    collection: Path, tmp_path: Path
) -> None:
    docs = raw_movies(collection)
    for years, low, high in (("1950-1979", 1950, 1979), ("2000-", 2000, 9999)):
        out = tmp_path / years
        result = cli("network", "--years", years, "--data-dir", str(collection),
                     "--out", str(out), "--quiet")  # fmt: skip
        assert result.returncode == 0, result.stderr
        inside = {
            i: d for i, d in docs.items()
            if d["release_date"] and low <= int(d["release_date"][:4]) <= high
        }  # fmt: skip
        assert 0 < len(inside) < len(docs)
        expected = cast_pairs(inside)
        assert expected
        edges = pq.read_table(out / "edges.parquet").to_pylist()
        assert {(e["source"], e["target"]): e["weight"] for e in edges} == dict(expected)
        assert all(low <= e["first_year"] <= e["last_year"] <= high for e in edges)


def test_network_bad_format_is_one_line_and_touches_no_output(
    collection: Path, tmp_path: Path
) -> None:
    out = tmp_path / "net"
    out.mkdir()
    (out / "edges.csv").write_text("previous")
    result = cli("network", "--format", "csv,dot", "--data-dir", str(collection),
                 "--out", str(out))  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown network format 'dot'" in lines[0], result.stderr
    assert [p.name for p in out.iterdir()] == ["edges.csv"]
    assert (out / "edges.csv").read_text() == "previous"
