"""Issue #15, `serve`: a real TMDb client from PyPI (tmdbsimple), pointed at a real `serve`
process over a crawled store, gets the stored documents, searches and discover pages; TMDb's
errors and paging shapes match the real samples; bad input is one line and exit code 2."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson
import pytest
import requests
import tmdbsimple as tmdb

from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.serve.app import BadRequest, discover_params, page_number
from tmdb_collector.serve.documents import UNKNOWN, Masks, mask_of, names_of, requested
from tmdb_collector.serve.process import ServeProcess
from tmdb_collector.simulator.process import SimulatorProcess

KEY = "serve-key-3f9a0c"
DATA = Path(__file__).parent / "data" / "tmdb"
SERVE_DATA = Path(__file__).parent / "data" / "serve"
MOVIE_APPENDS = ("credits", "keywords", "external_ids")  # what the crawl stored
SUMMARY = ("adult", "backdrop_path", "id", "title", "original_language", "original_title",
           "overview", "popularity", "poster_path", "release_date", "video", "vote_average",
           "vote_count")  # fmt: skip


def cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDB_")}
    env["TMDB_API_KEY"] = "crawl-key"
    return subprocess.run(
        [sys.executable, "-m", "tmdb_collector", *args],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def sample(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 movies of a real simulator; their people, the first 300 without appends and the
    rest with movie_credits."""
    data_dir = tmp_path_factory.mktemp("serve")
    with SimulatorProcess("--movies", "500", "--seed", "5", "--day", "2026-11-02") as sim:
        common = ("--api-url", sim.api_url, "--exports-url", sim.exports_url,
                  "--data-dir", str(data_dir), "--rate", "1000", "--quiet")  # fmt: skip
        steps = (("movies", "--date", "2026-11-02", "--limit", "400"),
                 ("people", "--limit", "300"), ("people", "--append", "movie_credits"))  # fmt: skip
        for args in steps:
            result = cli("crawl", *args, *common)
            assert result.returncode == 0, result.stderr
    return data_dir


@pytest.fixture(scope="module")
def server(collection: Path) -> Iterator[ServeProcess]:
    with ServeProcess(collection, api_key=KEY) as process:
        yield process


class LoopbackOnly(requests.adapters.HTTPAdapter):
    """Refuses any request that would leave this machine (tmdbsimple's default is TMDb)."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        assert urlparse(request.url).hostname == "127.0.0.1", request.url
        return super().send(request, **kwargs)


@pytest.fixture
def client(server: ServeProcess) -> Iterator[Any]:
    """tmdbsimple with its base URI set to the server: `client(tmdb.Movies, 550)`."""
    session = requests.Session()
    for scheme in ("http://", "https://"):
        session.mount(scheme, LoopbackOnly())
    saved = (tmdb.API_KEY, tmdb.REQUESTS_SESSION, tmdb.USE_BEARER_AUTH)
    tmdb.API_KEY, tmdb.REQUESTS_SESSION, tmdb.USE_BEARER_AUTH = KEY, session, False

    def make(cls: type, *args: Any) -> Any:
        obj = cls(*args)
        obj.base_uri = server.url
        return obj

    yield make
    tmdb.API_KEY, tmdb.REQUESTS_SESSION, tmdb.USE_BEARER_AUTH = saved
    session.close()


def stored(data_dir: Path, kind: str) -> dict[int, bytes]:
    store = Store.open(data_dir)
    try:
        return dict(store.documents(kind))
    finally:
        store.close()


def without(doc: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in keys}


# --- the pure parts -------------------------------------------------------------------------------


def test_appends_masks_and_parameters() -> None:
    assert requested("movie", "credits,images,nonsense,,credits") == {"credits", "images"}
    assert requested("person", "credits,movie_credits") == {"movie_credits"}
    mask = mask_of("movie", ["id", "title", "credits", "watch/providers"])
    assert names_of("movie", mask) == {"credits", "watch/providers"}
    masks = Masks(limit=1000)
    assert masks.get(5) == UNKNOWN
    masks.set(700, mask)
    masks.set(5000, 1)  # beyond the limit: not remembered
    assert (masks.get(700), masks.get(699), masks.get(5000)) == (mask, UNKNOWN, UNKNOWN)
    assert page_number(None) == 1 and page_number("500") == 500
    for bad in ("0", "501", "-1", "2.5", ""):
        with pytest.raises(BadRequest) as error:
            page_number(bad)
        assert error.value.code == 22
    ask = discover_params({"sort_by": "revenue.asc", "with_genres": "28|12"})
    assert (ask.sort_column, ask.descending, ask.genres_any, ask.genres_all) == (
        "revenue", False, (28, 12), ())  # fmt: skip
    assert discover_params({"with_genres": "28,12"}).genres_all == (28, 12)
    for bad_params in ({"sort_by": "budget.desc"}, {"sort_by": "popularity"},
                       {"with_genres": "action"}, {"primary_release_year": "19x9"}):  # fmt: skip
        with pytest.raises(BadRequest) as error:
            discover_params(bad_params)
        assert error.value.code == 5


# --- documents ------------------------------------------------------------------------------------


def test_tmdbsimple_gets_the_stored_movies_and_people(collection: Path, client: Any) -> None:
    movies = stored(collection, "movie")
    people = stored(collection, "person")
    for movie_id in list(movies)[:40]:
        doc = orjson.loads(movies[movie_id])
        movie = client(tmdb.Movies, movie_id)
        assert movie.info(append_to_response=",".join(MOVIE_APPENDS)) == doc
        assert movie.info() == without(doc, MOVIE_APPENDS)  # as TMDb: no appends asked, none
        assert movie.info(append_to_response="credits") == without(
            doc, ("keywords", "external_ids")
        )
        assert movie.credits() == {"id": movie_id, **doc["credits"]}
        assert movie.title == doc["title"]  # tmdbsimple sets the fields as attributes
    with_credits = [i for i, raw in people.items() if b'"movie_credits":' in raw]
    plain = [i for i in people if i not in set(with_credits)]
    assert with_credits and plain
    for person_id in with_credits[:20] + plain[:20]:
        doc = orjson.loads(people[person_id])
        person = client(tmdb.People, person_id)
        assert (
            person.info(append_to_response="movie_credits" if "movie_credits" in doc else "") == doc
        )
        assert person.info() == without(doc, ("movie_credits",))


def test_stored_bytes_are_sent_as_they_are(collection: Path, server: ServeProcess) -> None:
    movies = stored(collection, "movie")
    for movie_id in list(movies)[:20]:
        answer = requests.get(
            f"{server.url}/movie/{movie_id}",
            params={"append_to_response": ",".join(reversed(MOVIE_APPENDS))},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=10,
        )
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("application/json")
        assert answer.content == movies[movie_id]


def test_missing_ids_and_appends_get_tmdbs_404(client: Any, server: ServeProcess) -> None:
    expected = sample("error_404_status34_movie_999999999.json")
    known = _first_movie(server)
    asks = (
        lambda: client(tmdb.Movies, 999999999).info(),
        lambda: client(tmdb.Movies, 999999999).credits(),
        lambda: client(tmdb.People, 999999999).info(),
        lambda: client(tmdb.Movies, known).images(),  # an append the crawl did not store
        lambda: client(tmdb.Movies, known).info(append_to_response="videos"),
    )
    for ask in asks:
        with pytest.raises(requests.HTTPError) as error:
            ask()
        assert error.value.response.status_code == 404
        assert error.value.response.json() == expected


def _first_movie(server: ServeProcess) -> int:
    answer = requests.get(f"{server.url}/discover/movie", params={"api_key": KEY}, timeout=10)
    return int(answer.json()["results"][0]["id"])


def test_too_many_appends_and_pages_beyond_500_are_refused_as_tmdb_does(
    server: ServeProcess,
) -> None:
    appends = ",".join(f"x{n}" for n in range(21))
    answer = requests.get(f"{server.url}/movie/1", params={"api_key": KEY,
                          "append_to_response": appends}, timeout=10)  # fmt: skip
    assert (answer.status_code, answer.json()["status_code"]) == (400, 27)
    for page in ("501", "0", "x"):
        answer = requests.get(f"{server.url}/search/movie", params={"api_key": KEY,
                              "query": "a", "page": page}, timeout=10)  # fmt: skip
        assert (answer.status_code, answer.json()["status_code"]) == (400, 22)


def test_the_key_is_checked_as_tmdb_checks_it(server: ServeProcess) -> None:
    expected = sample("spec_example_error_401_status7.json")
    url = f"{server.url}/movie/{_first_movie(server)}"
    for params, headers in (({}, {}), ({"api_key": "wrong"}, {}),
                            ({}, {"Authorization": "Bearer wrong"})):  # fmt: skip
        answer = requests.get(url, params=params, headers=headers, timeout=10)
        assert answer.status_code == 401 and answer.json() == expected
    assert requests.get(url, params={"api_key": KEY}, timeout=10).status_code == 200
    bearer = {"Authorization": f"Bearer {KEY}"}
    assert requests.get(url, headers=bearer, timeout=10).status_code == 200


def test_tmdbsimple_with_bearer_auth_and_configuration(client: Any) -> None:
    tmdb.USE_BEARER_AUTH = True
    config = client(tmdb.Configuration).info()
    real = sample("configuration.json")
    assert set(config) == set(real)
    assert config["images"] == real["images"]


# --- search and discover --------------------------------------------------------------------------


def expected_search(docs: list[dict[str, Any]], query: str, names: tuple[str, ...]) -> list[int]:
    """TMDb-like search written from its description: every word in the title (or other
    name), any case; the exact title first, then the most popular."""
    words = query.lower().split()

    def text(d: dict[str, Any]) -> str:
        return "\n".join(str(d.get(n) or "") for n in names).lower()

    found = [d for d in docs if all(w in text(d) for w in words) and not d.get("adult")]
    found.sort(key=lambda d: (str(d[names[0]]).lower() != query.lower(),
                              -(d.get("popularity") or 0), d["id"]))  # fmt: skip
    return [d["id"] for d in found]


def test_search_movie_pages_through_every_match(collection: Path, client: Any) -> None:
    docs = [orjson.loads(raw) for raw in stored(collection, "movie").values()]
    word = max({w for d in docs for w in d["title"].lower().split()},
               key=lambda w: sum(w in d["title"].lower() for d in docs))  # fmt: skip
    expected = expected_search(docs, word, ("title", "original_title"))
    assert len(expected) > 20, "the word should fill more than a page"
    search = client(tmdb.Search)
    first = search.movie(query=word.upper())
    shape = json.loads((SERVE_DATA / "discover_movie_page1_defaults.json").read_text("utf-8"))
    assert list(first) == list(shape)  # page, results, total_pages, total_results
    assert (first["total_results"], first["total_pages"]) == (
        len(expected),
        -(-len(expected) // 20),
    )
    got = [r["id"] for r in first["results"]]
    got += [r["id"] for r in search.movie(query=word, page=2)["results"]]
    assert got == expected[:40]
    by_id = {d["id"]: d for d in docs}
    item = first["results"][0]
    real_keys = [k for k in shape["results"][0] if k != "softcore"]
    assert [k for k in item if k != "softcore"] == real_keys  # TMDb's keys, in its order
    doc = by_id[item["id"]]
    assert item == {**{k: doc[k] for k in SUMMARY}, "genre_ids": [g["id"] for g in doc["genres"]],
                    **({"softcore": doc["softcore"]} if "softcore" in doc else {})}  # fmt: skip
    nothing = search.movie(query="zzqx nothing like it")
    assert (nothing["results"], nothing["total_results"]) == ([], 0)


def test_search_person(collection: Path, client: Any) -> None:
    people = [orjson.loads(raw) for raw in stored(collection, "person").values()]
    name = people[len(people) // 2]["name"]
    query = name.split()[0]
    expected = expected_search(people, query, ("name", "also_known_as"))
    found = client(tmdb.Search).person(query=query)
    assert found["total_results"] == len(expected)
    assert [p["id"] for p in found["results"]] == expected[:20]
    first = found["results"][0]
    person = next(p for p in people if p["id"] == first["id"])
    assert (first["name"], first["gender"], first["profile_path"]) == (
        person["name"], person["gender"], person["profile_path"])  # fmt: skip


@pytest.mark.parametrize(
    ("params", "key", "reverse"),
    [({}, "popularity", True),
     ({"sort_by": "vote_count.desc", "with_genres": "18"}, "vote_count", True),
     ({"sort_by": "revenue.asc", "with_genres": "28|35"}, "revenue", False),
     ({"sort_by": "primary_release_date.desc", "primary_release_year": "YEAR"}, "release_date",
      True)],
)  # fmt: skip
def test_discover_movie_filters_and_sorts(
    collection: Path, client: Any, params: dict[str, str], key: str, reverse: bool
) -> None:
    docs = [orjson.loads(raw) for raw in stored(collection, "movie").values()]
    years = sorted(d["release_date"][:4] for d in docs if d["release_date"])
    year = years[len(years) // 2]
    params = {k: v.replace("YEAR", year) for k, v in params.items()}
    genres = params.get("with_genres", "")
    wanted = [int(g) for g in genres.replace("|", ",").split(",") if g]

    def keep(d: dict[str, Any]) -> bool:
        ids = {g["id"] for g in d["genres"]}
        if wanted and not (ids & set(wanted) if "|" in genres else set(wanted) <= ids):
            return False
        if "primary_release_year" in params and not d["release_date"].startswith(year):
            return False
        return not d["adult"] and not d["video"]

    kept = [d for d in docs if keep(d)]
    kept.sort(key=lambda d: d["id"])
    kept.sort(key=lambda d: d[key], reverse=reverse)  # stable: ties stay in id order
    found = client(tmdb.Discover).movie(**params)
    assert found["total_results"] == len(kept) > 0
    assert [r["id"] for r in found["results"]] == [d["id"] for d in kept[:20]]


# --- the real samples, served back ----------------------------------------------------------------


def test_real_documents_are_served_back(tmp_path: Path) -> None:
    movie = sample("movie_49026_tt1345836_append_credits_images_keywords.json")
    person = sample("person_4347_append_all.json")
    bare = sample("movie_47964_details.json")
    store = Store.open(tmp_path)
    raw = {("movie", 49026): orjson.dumps(movie), ("movie", 47964): orjson.dumps(bare),
           ("person", 4347): orjson.dumps(person)}  # fmt: skip
    store.record([Outcome(kind, id_, "ok", "ok", 200, body) for (kind, id_), body in raw.items()])
    store.close()
    with ServeProcess(tmp_path) as process:

        def get(path: str, **params: str) -> requests.Response:
            return requests.get(f"{process.url}{path}", params=params, timeout=10)

        stored_appends = "credits,images,keywords"
        assert (
            get("/movie/49026", append_to_response=stored_appends).content == raw[("movie", 49026)]
        )
        assert get("/movie/47964").content == raw[("movie", 47964)]
        assert get("/movie/49026", append_to_response="credits").json() == without(
            movie, ("images", "keywords"))  # fmt: skip
        assert get("/movie/49026/keywords").json() == {"id": 49026, **movie["keywords"]}
        assert get("/movie/47964", append_to_response="credits").status_code == 404
        everything = ("movie_credits,tv_credits,external_ids,images,tagged_images,changes,"
                      "combined_credits")  # fmt: skip
        assert get("/person/4347", append_to_response=everything).content == raw[("person", 4347)]
        assert get("/person/4347/movie_credits").json()["cast"] == person["movie_credits"]["cast"]
        found = get("/search/movie", query="dark knight").json()
        assert [r["id"] for r in found["results"]] == [49026]
        assert found["results"][0]["genre_ids"] == [g["id"] for g in movie["genres"]]
        assert get("/search/person", query="sinatra").json()["results"][0]["id"] == 4347
        assert get("/nothing/here").json()["status_code"] == 34


# --- bad input and secrets ------------------------------------------------------------------------


def one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tmdb-collector: "), result.stderr
    assert needle in lines[0] and "Traceback" not in result.stderr


def test_a_port_in_use_is_one_line(collection: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = cli("serve", "--data-dir", str(collection), "--port", port, "--quiet", timeout=60)
    one_line_error(result, "in use")


def test_a_missing_empty_or_broken_store_is_one_line(tmp_path: Path) -> None:
    one_line_error(cli("serve", "--data-dir", str(tmp_path / "none"), "--port", "0"),
                   "no collection")  # fmt: skip
    assert not (tmp_path / "none").exists()
    Store.open(tmp_path / "empty").close()
    one_line_error(cli("serve", "--data-dir", str(tmp_path / "empty"), "--port", "0"),
                   "holds no documents")  # fmt: skip
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "tmdb.sqlite").write_text("not a database, just text " * 200)
    one_line_error(cli("serve", "--data-dir", str(tmp_path / "broken"), "--port", "0"),
                   "cannot read the store")  # fmt: skip


def test_the_key_never_shows(collection: Path) -> None:
    with ServeProcess(collection, api_key=KEY) as process:
        requests.get(f"{process.url}/movie/1", params={"api_key": KEY}, timeout=10)
        requests.get(f"{process.url}/movie/1", params={"api_key": "wrong"}, timeout=10)
        ready = process.ready_line
        assert process.proc is not None
        pid = process.proc.pid
        assert [p for p in collection.iterdir() if p.name.startswith(f".tmdb-serve-{pid}-")]
        stderr = process.stop()
    assert "key required" in ready
    assert KEY not in ready and KEY not in stderr
    # Stopped (SIGTERM), it removed its index.
    assert not [p for p in collection.iterdir() if p.name.startswith(f".tmdb-serve-{pid}-")]
