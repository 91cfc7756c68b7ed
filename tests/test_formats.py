"""Issue #15, the formats users already read: the Hollywood Network Visualizer's movies.json
and actors.json, Kaggle's TMDB 5000 CSVs, and the datapackage.json every export writes.

A collection crawled from a real simulator is exported by the real command; the files are then
read the way their users read them (line by line as the Visualizer's loader does, pandas and
json.loads as the Kaggle notebooks do, frictionless) and compared with the raw documents."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import frictionless
import orjson
import pandas as pd
import pyarrow.parquet as pq
import pytest
import zstandard

from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.export import tmdb5000
from tmdb_collector.simulator.process import SimulatorProcess

KEY = "formats-key-7d1e"
DATA = Path(__file__).parent / "data" / "tmdb"
ATTRIBUTION = "This product uses the TMDB API but is not endorsed or certified by TMDB"


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDB_")}
    env["TMDB_API_KEY"] = KEY
    return subprocess.run(
        [sys.executable, "-m", "tmdb_collector", *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def sample(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """500 movies of a real simulator and the people in their credits: the first 200 people
    crawled without appends, the rest with movie_credits; then five cast members marked gone
    (as a 404 leaves them), so actors.json meets all three cases."""
    data_dir = tmp_path_factory.mktemp("formats")
    with SimulatorProcess("--movies", "600", "--seed", "11", "--day", "2026-11-02") as sim:
        common = ("--api-url", sim.api_url, "--exports-url", sim.exports_url,
                  "--data-dir", str(data_dir), "--rate", "1000", "--quiet")  # fmt: skip
        steps = (("movies", "--date", "2026-11-02", "--limit", "500"),
                 ("people", "--limit", "200"), ("people", "--append", "movie_credits"))  # fmt: skip
        for args in steps:
            result = cli("crawl", *args, *common)
            assert result.returncode == 0, result.stderr
    store = Store.open(data_dir)
    try:
        movies = dict(store.documents("movie"))
        cast = sorted({c["id"] for d in map(orjson.loads, movies.values())
                       for c in d["credits"]["cast"]})  # fmt: skip
        assert store.mark_gone("person", cast[10:15], "test") == 5
    finally:
        store.close()
    return data_dir


def documents(data_dir: Path, kind: str) -> dict[int, dict[str, Any]]:
    store = Store.open(data_dir)
    try:
        return {id_: orjson.loads(doc) for id_, doc in store.documents(kind)}
    finally:
        store.close()


def old_filter(doc: dict[str, Any]) -> bool:
    credits = doc.get("credits") or {}
    return (doc["budget"] > 1000 and doc["revenue"] >= 10_000_000 and bool(doc["genres"])
            and bool(credits.get("cast")) and bool(credits.get("crew")))  # fmt: skip


def export(data_dir: Path, out: Path, *args: str) -> None:
    result = cli("export", *args, "--data-dir", str(data_dir), "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr


# --- the Visualizer's files -----------------------------------------------------------------------


def visualizer_lines(path: Path) -> list[dict[str, Any]]:
    """Read a file as tmdb-to-neo4j does: bytes in an ASCII charset, line by line, each line
    one JSON object (a blank line would fail its parser)."""
    data = path.read_bytes()
    text = data.decode("ascii")  # raises on any non-ASCII byte
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    assert all(line.strip() for line in lines), "a blank line breaks the Visualizer's loader"
    return [json.loads(line) for line in lines]


def check_cast(items: Any) -> None:
    assert isinstance(items, list)
    for item in items:
        assert isinstance(item["id"], int)
        assert isinstance(item["order"], int)
        assert isinstance(item["character"], str)


def check_movie(m: dict[str, Any]) -> None:
    """The rules of the Visualizer's Movie case class (spray-json: a non-Option field must be
    present and non-null; an Option field, when present, must have its type)."""
    for key, kind in (("id", int), ("title", str), ("overview", str), ("budget", int),
                      ("revenue", int), ("genres", list), ("credits", dict)):  # fmt: skip
        assert isinstance(m.get(key), kind), (key, m.get(key))
    for genre in m["genres"]:
        assert isinstance(genre["id"], int) and isinstance(genre["name"], str)
    check_cast(m["credits"]["cast"])
    for key in ("backdrop_path", "poster_path", "release_date", "tagline"):
        assert m.get(key) is None or isinstance(m[key], str), key
    assert m.get("runtime") is None or isinstance(m["runtime"], int)
    for country in m.get("production_countries") or []:
        assert isinstance(country["iso_3166_1"], str) and isinstance(country["name"], str)


def check_actor(a: dict[str, Any]) -> None:
    """The rules of the Visualizer's Actor case class."""
    for key, kind in (("id", int), ("name", str), ("gender", int), ("movie_credits", dict)):
        assert isinstance(a.get(key), kind), (key, a.get(key))
    check_cast(a["movie_credits"]["cast"])
    for key in ("biography", "birthday", "deathday", "place_of_birth", "profile_path"):
        assert a.get(key) is None or isinstance(a[key], str), key


def visualizer_pairs(movies: list[dict[str, Any]], actors: list[dict[str, Any]]) -> Counter[Any]:
    """Co-appearances as the Visualizer counts them: for each movie, every two different cast
    members who are both in actors.json; the weight is the number of such movies."""
    known = {a["id"] for a in actors}
    pairs: Counter[tuple[int, int]] = Counter()
    for movie in movies:
        cast = {c["id"] for c in movie["credits"]["cast"] if c["id"] in known}
        pairs.update((a, b) for a in cast for b in cast if a < b)
    return pairs


def test_hnv_files_meet_the_visualizers_rules_and_hold_the_store(
    collection: Path, tmp_path: Path
) -> None:
    out = tmp_path / "hnv"
    export(collection, out, "--format", "hnv")
    movies, actors = visualizer_lines(out / "movies.json"), visualizer_lines(out / "actors.json")
    for m in movies:
        check_movie(m)
    for a in actors:
        check_actor(a)
    stored = documents(collection, "movie")
    people = documents(collection, "person")
    assert [m["id"] for m in movies] == sorted(stored)
    assert len({a["id"] for a in actors}) == len(actors)
    cast_ids = {c["id"] for d in stored.values() for c in d["credits"]["cast"]}
    assert {a["id"] for a in actors} == cast_ids  # everyone in a cast, nobody else
    for m in movies:
        doc = stored[m["id"]]
        assert m["credits"]["cast"] == [
            {"id": c["id"], "order": c["order"], "character": c["character"]}
            for c in doc["credits"]["cast"]
        ]
        assert m["genres"] == [{"id": g["id"], "name": g["name"]} for g in doc["genres"]]
        assert (m["title"], m["budget"], m["revenue"]) == (doc["title"], doc["budget"],
                                                           doc["revenue"])  # fmt: skip
    # Actors: the stored person document's details; the gone ones, their credits' name.
    gone = cast_ids - set(people)
    assert len(gone) == 5
    credited = {c["id"]: c for d in stored.values() for c in d["credits"]["cast"]}
    for a in actors:
        doc = people.get(a["id"])
        if doc is None:
            assert (a["name"], a["gender"]) == (credited[a["id"]]["name"],
                                                credited[a["id"]]["gender"])  # fmt: skip
            assert "biography" not in a
        else:
            assert (a["name"], a["gender"]) == (doc["name"], doc["gender"])
            assert a.get("biography") == doc["biography"]
            assert a.get("birthday") == doc["birthday"]


def test_hnv_movie_credits_agree_with_the_stored_movies_either_way(
    collection: Path, tmp_path: Path
) -> None:
    out = tmp_path / "hnv"
    export(collection, out, "--format", "hnv")
    actors = {a["id"]: a for a in visualizer_lines(out / "actors.json")}
    stored = documents(collection, "movie")
    people = documents(collection, "person")
    assembled: dict[int, set[tuple[int, int, str]]] = {}
    for doc in stored.values():
        for c in doc["credits"]["cast"]:
            assembled.setdefault(c["id"], set()).add((doc["id"], c["order"], c["character"]))
    with_append = [p for p in people.values() if "movie_credits" in p and p["id"] in actors]
    without = [p for p in people.values() if "movie_credits" not in p and p["id"] in actors]
    assert with_append and without, "the collection should hold both kinds of person"
    elsewhere_seen = 0
    for pid, actor in actors.items():
        listed = {(c["id"], c["order"], c["character"]) for c in actor["movie_credits"]["cast"]}
        assert {x for x in listed if x[0] in stored} == assembled[pid]
        doc = people.get(pid) or {}
        if "movie_credits" in doc:
            from_doc = {(c["id"], c["order"], c["character"]) for c in doc["movie_credits"]["cast"]}
            # The person's document and the stored movies tell the same story...
            assert {x for x in from_doc if x[0] in stored} == assembled[pid]
            # ...and it adds the movies the store does not hold.
            assert {x for x in listed if x[0] not in stored} == {
                x for x in from_doc if x[0] not in stored
            }
            elsewhere_seen += len(listed) - len(assembled[pid])
        else:
            assert listed == assembled[pid]
    assert elsewhere_seen > 0, "some credits should be in movies the store does not hold"


def test_hnv_pairs_equal_the_network_edges(collection: Path, tmp_path: Path) -> None:
    export(collection, tmp_path / "hnv", "--format", "hnv")
    result = cli("network", "--format", "csv", "--data-dir", str(collection),
                 "--out", str(tmp_path / "net"), "--quiet")  # fmt: skip
    assert result.returncode == 0, result.stderr
    movies = visualizer_lines(tmp_path / "hnv" / "movies.json")
    actors = visualizer_lines(tmp_path / "hnv" / "actors.json")
    with (tmp_path / "net" / "edges.csv").open() as edges:
        network = {(int(e["source"]), int(e["target"])): int(e["weight"])
                   for e in csv.DictReader(edges)}  # fmt: skip
    pairs = visualizer_pairs(movies, actors)
    assert len(pairs) > 1000
    assert dict(pairs) == network


@pytest.mark.parametrize("filter_", [("--preset", "box-office"),
                                     ("--where", "year >= 2000 AND vote_count > 0")])  # fmt: skip
def test_hnv_follows_a_filter(collection: Path, tmp_path: Path, filter_: tuple[str, str]) -> None:
    out = tmp_path / "hnv"
    export(collection, out, "--format", "hnv", *filter_)
    stored = documents(collection, "movie")
    if filter_[0] == "--preset":
        kept = {i for i, d in stored.items() if old_filter(d)}
    else:
        kept = {
            i for i, d in stored.items()
            if d["release_date"] and int(d["release_date"][:4]) >= 2000 and d["vote_count"]
        }  # fmt: skip
    movies = visualizer_lines(out / "movies.json")
    actors = visualizer_lines(out / "actors.json")
    assert {m["id"] for m in movies} == kept and 0 < len(kept) < len(stored)
    assert {a["id"] for a in actors} == {
        c["id"] for i in kept for c in stored[i]["credits"]["cast"]
    }
    package = json.loads((out / "datapackage.json").read_text())
    assert package["tmdbCollector"]["filter"]


def test_hnv_lines_escape_non_ascii_from_real_documents(tmp_path: Path) -> None:
    movie = sample("movie_49026_tt1345836_append_credits_images_keywords.json")
    person = sample("person_4347_append_all.json")
    store = Store.open(tmp_path / "store")
    store.record([Outcome("movie", 49026, "ok", "ok", 200, orjson.dumps(movie)),
                  Outcome("person", 4347, "ok", "ok", 200, orjson.dumps(person))])  # fmt: skip
    store.close()
    export(tmp_path / "store", tmp_path / "hnv", "--format", "hnv")
    movies = visualizer_lines(tmp_path / "hnv" / "movies.json")  # ASCII, else it raises
    actors = {a["id"]: a for a in visualizer_lines(tmp_path / "hnv" / "actors.json")}
    assert len(actors) == len({c["id"] for c in movie["credits"]["cast"]})
    names = {c["name"] for c in movie["credits"]["cast"]}
    assert any(not n.isascii() for n in names), "the sample should hold a non-ASCII name"
    assert {a["name"] for a in actors.values()} == names  # escaped, and read back the same
    assert movies[0]["overview"] == movie["overview"]
    # Sinatra is in no cast here: the people of the movie are all assembled from its credits.
    assert 4347 not in actors


# --- the TMDB 5000 CSVs ---------------------------------------------------------------------------

KAGGLE_MOVIES = (
    "budget,genres,homepage,id,keywords,original_language,original_title,overview,popularity,"
    "production_companies,production_countries,release_date,revenue,runtime,spoken_languages,"
    "status,tagline,title,vote_average,vote_count"
)
KAGGLE_CREDITS = "movie_id,title,cast,crew"
LIST_COLUMNS = ("genres", "keywords", "production_companies", "production_countries",
                "spoken_languages")  # fmt: skip


def test_tmdb5000_reads_in_pandas_as_the_store_holds_it(collection: Path, tmp_path: Path) -> None:
    out = tmp_path / "t5"
    export(collection, out, "--format", "tmdb5000")
    for name, header in (("tmdb_5000_movies.csv", KAGGLE_MOVIES),
                         ("tmdb_5000_credits.csv", KAGGLE_CREDITS)):  # fmt: skip
        assert (out / name).read_text(encoding="utf-8").split("\n", 1)[0] == header
    movies = pd.read_csv(out / "tmdb_5000_movies.csv")
    credits = pd.read_csv(out / "tmdb_5000_credits.csv")
    stored = documents(collection, "movie")
    ranked = sorted(stored, key=lambda i: (-stored[i]["vote_count"], i))  # the most voted first
    assert list(movies["id"]) == ranked == list(credits["movie_id"])
    for row, credit in zip(movies.to_dict("records"), credits.to_dict("records"), strict=True):
        doc = stored[row["id"]]
        cells = {c: json.loads(row[c]) for c in LIST_COLUMNS}
        assert cells["genres"] == [{"id": g["id"], "name": g["name"]} for g in doc["genres"]]
        assert cells["keywords"] == doc["keywords"]["keywords"]
        assert [(c["id"], c["name"]) for c in cells["production_companies"]] == [
            (c["id"], c["name"]) for c in doc["production_companies"]
        ]
        assert [c["iso_639_1"] for c in cells["spoken_languages"]] == [
            s["iso_639_1"] for s in doc["spoken_languages"]
        ]
        assert (row["budget"], row["revenue"], row["vote_count"], row["title"]) == (
            doc["budget"], doc["revenue"], doc["vote_count"], doc["title"])  # fmt: skip
        cast, crew = json.loads(credit["cast"]), json.loads(credit["crew"])
        assert cast == [{k: c[k] for k in tmdb5000.CAST_KEYS} for c in doc["credits"]["cast"]]
        assert crew == [{k: c[k] for k in tmdb5000.CREW_KEYS} for c in doc["credits"]["crew"]]
        assert all(list(c) == list(tmdb5000.CAST_KEYS) for c in cast)
        assert all(list(c) == list(tmdb5000.CREW_KEYS) for c in crew)


def test_tmdb5000_cells_are_encoded_as_kaggles(tmp_path: Path) -> None:
    """The Kaggle files' cells are Python json.dumps output: ", " and ": " separators,
    non-ASCII escaped, companies as {"name", "id"}; runtime a float."""
    movie = sample("movie_49026_tt1345836_append_credits_images_keywords.json")
    row = dict(zip(KAGGLE_MOVIES.split(","), tmdb5000.movie_row(movie), strict=True))
    assert row["genres"].startswith('[{"id": ') and '"}, {"id": ' in row["genres"]
    assert row["production_companies"].startswith('[{"name": ')
    assert row["runtime"] == float(movie["runtime"])
    crew = tmdb5000.credit_row(movie)[3]
    assert crew.isascii() and "\\u" in crew  # a non-ASCII crew name, escaped
    assert json.loads(crew)[0] == {k: movie["credits"]["crew"][0][k] for k in tmdb5000.CREW_KEYS}
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(tmdb5000.movie_row(movie))
    read = pd.read_csv(io.StringIO(KAGGLE_MOVIES + "\n" + buffer.getvalue()))
    assert json.loads(read["keywords"][0]) == movie["keywords"]["keywords"]


def test_tmdb5000_follows_a_filter(collection: Path, tmp_path: Path) -> None:
    out = tmp_path / "t5"
    export(collection, out, "--format", "tmdb5000", "--where", "budget > 0")
    stored = documents(collection, "movie")
    movies = pd.read_csv(out / "tmdb_5000_movies.csv")
    assert set(movies["id"]) == {i for i, d in stored.items() if d["budget"] > 0}


# --- datapackage.json -----------------------------------------------------------------------------


def lines_in(path: Path) -> int:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.name.endswith(".zst"):
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data.count(b"\n")


def rows_in(path: Path) -> int:
    if path.suffix == ".parquet":
        return int(pq.read_metadata(path).num_rows)
    if path.suffix == ".csv":
        return len(pd.read_csv(path))
    return lines_in(path)


# frictionless leaves a gzip file it validated open (its ResourceWarning surfaces at collection)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize(
    ("format_", "out_name"),
    [("parquet", "pq"), ("duckdb", "tmdb.duckdb"), ("jsonl", "movies.jsonl"),
     ("jsonl", "movies.jsonl.gz"), ("jsonl", "movies.jsonl.zst"), ("hnv", "hnv"),
     ("tmdb5000", "t5")],
)  # fmt: skip
def test_datapackage_validates_and_matches_the_files(
    collection: Path, tmp_path: Path, format_: str, out_name: str
) -> None:
    out = tmp_path / out_name
    export(collection, out, "--format", format_, "--where", "vote_count >= 0")
    descriptor = (
        out / "datapackage.json" if out.is_dir() else tmp_path / f"{out_name}.datapackage.json"
    )
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    package = json.loads(descriptor.read_text())
    assert ATTRIBUTION in package["attribution"] and "non-commercial" in package["terms"]
    assert package["created"].startswith("20") and package["tmdbCollector"]["filter"]
    files = sorted(p.name for p in (out.iterdir() if out.is_dir() else [out]))
    assert sorted(r["path"] for r in package["resources"]) == sorted(
        f for f in files if f != "datapackage.json"
    )
    for resource in package["resources"]:
        path = descriptor.parent / resource["path"]
        assert resource["bytes"] == path.stat().st_size
        assert resource["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        if path.suffix == ".md":
            continue
        if format_ == "duckdb":
            import duckdb

            con = duckdb.connect(str(path), read_only=True)
            for table in resource["tables"]:
                count = con.execute(f'SELECT count(*) FROM "{table["name"]}"').fetchone()
                assert count == (table["numRows"],)
                assert table["schema"]["fields"]
            con.close()
            continue
        assert resource.get("rows", resource.get("numRows")) == rows_in(path)
        fields = resource["schema"]["fields"]
        assert fields and all(f["description"] for f in fields)


def test_parquet_package_takes_its_descriptions_from_the_schema(
    collection: Path, tmp_path: Path
) -> None:
    from tmdb_collector.export import schema

    export(collection, tmp_path / "pq", "--format", "parquet")
    package = json.loads((tmp_path / "pq" / "datapackage.json").read_text())
    movies = next(r for r in package["resources"] if r["path"] == "movies.parquet")
    assert [(f["name"], f["description"]) for f in movies["schema"]["fields"]] == [
        (c.name, c.about) for c in schema.MOVIES.columns
    ]
    assert movies["schema"]["primaryKey"] == ["id"]


# --- bad input ------------------------------------------------------------------------------------


def test_hnv_without_people_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    movie = sample("movie_47964_details.json")
    store = Store.open(tmp_path / "store")
    store.record([Outcome("movie", 47964, "ok", "ok", 200, orjson.dumps(movie))])
    store.close()
    out = tmp_path / "out" / "hnv"
    result = cli("export", "--format", "hnv", "--data-dir", str(tmp_path / "store"),
                 "--out", str(out))  # fmt: skip
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "crawl people" in lines[0] and "Traceback" not in result.stderr
    assert not out.exists() and not (tmp_path / "out").exists()


def test_format_outputs_must_be_directories(collection: Path, tmp_path: Path) -> None:
    afile = tmp_path / "movies.json"
    afile.write_text("previous")
    result = cli("export", "--format", "hnv", "--data-dir", str(collection), "--out", str(afile))
    assert result.returncode == 2 and "must be a directory" in result.stderr
    assert afile.read_text() == "previous"


def test_an_interrupted_hnv_export_keeps_the_previous_files(
    collection: Path, tmp_path: Path
) -> None:
    out = tmp_path / "hnv"
    export(collection, out, "--format", "hnv")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDB_")}
    child = subprocess.Popen(
        [sys.executable, "-m", "tmdb_collector", "export", "--format", "hnv", "--quiet",
         "--data-dir", str(collection), "--out", str(out)],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not any(p.name.startswith(".tmdb-export-") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and child.poll() is None, "the export never started"
        time.sleep(0.01)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hnv"]
