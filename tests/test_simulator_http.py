"""End-to-end tests of the TMDb simulator over real HTTP, against real simulator processes.

Every request crosses a real socket on loopback: http.client from 127.0.0.1 (or 127.0.0.2 /
127.0.0.3 when a second client IP is needed), threads or aiohttp where requests must overlap.
Nothing is mocked. Each test checks something a user of the simulator (a crawler author, a
benchmark, the demo) would notice if it broke.
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import Message
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import pytest

from tmdb_collector.simulator.process import SimulatorProcess

StartSim = Callable[..., SimulatorProcess]

KEY = "test-key"
MOVIE_APPENDS = ("credits", "keywords", "external_ids", "release_dates")
PERSON_APPENDS = ("movie_credits", "combined_credits", "external_ids")
MOVIE_EXPORT_KEYS = ["adult", "id", "original_title", "popularity", "video"]
PERSON_EXPORT_KEYS = ["adult", "id", "name", "popularity"]
FAULT_JSON_CODES = {500: 11, 502: 43, 503: 9, 504: 24}
CONNECTION_ERRORS = (OSError, http.client.HTTPException)  # resets, EOFs, timeouts, bad lines


# --- a small HTTP client over http.client ----------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def address(proc: SimulatorProcess) -> tuple[str, int]:
    parts = urlsplit(proc.url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def target(path: str, params: dict[str, Any] | None) -> str:
    return f"{path}?{urlencode(params, safe=',')}" if params else path


class Client:
    """One keep-alive connection to a simulator from a chosen loopback address.

    With `key`, every /3 request carries `api_key=key` unless it sets its own.
    """

    def __init__(
        self,
        proc: SimulatorProcess,
        *,
        key: str | None = None,
        source: str = "127.0.0.1",
        timeout: float = 15.0,
    ) -> None:
        host, port = address(proc)
        self.key = key
        self.conn = http.client.HTTPConnection(
            host, port, timeout=timeout, source_address=(source, 0)
        )

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        query = dict(params or {})
        if self.key is not None and path.startswith("/3/"):
            query.setdefault("api_key", self.key)
        self.conn.request(method, target(path, query), headers=headers or {})
        response = self.conn.getresponse()
        try:
            body = response.read()
        finally:
            response.close()
        return Reply(response.status, response.headers, body)

    def get(self, path: str, params: dict[str, Any] | None = None, **kw: Any) -> Reply:
        return self.request("GET", path, params, **kw)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Attempt:
    """What a client saw on one request over a fresh connection, faults included."""

    status: int | None = None  # None: no status line ever arrived
    headers: Message | None = None
    body: bytes = b""
    error: BaseException | None = None
    elapsed: float = 0.0

    @property
    def content_type(self) -> str:
        value = self.headers.get("Content-Type", "") if self.headers is not None else ""
        return value.split(";")[0].strip()

    @property
    def label(self) -> str:
        """A stable name of the outcome, for comparing runs."""
        if self.status is None:
            return type(self.error).__name__
        if self.error is not None:
            return f"{self.status} then {type(self.error).__name__}"
        label = f"{self.status} {self.content_type}"
        if self.content_type == "application/json" and not parses(self.body):
            label += " not-json"
        return label


def parses(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


def attempt(
    proc: SimulatorProcess, path: str, *, timeout: float = 10.0, source: str = "127.0.0.1"
) -> Attempt:
    """One GET on a new connection, keeping whatever bytes arrive before a failure.

    A body shorter than its Content-Length counts as `http.client.IncompleteRead`, as
    `HTTPResponse.read()` would report it.
    """
    host, port = address(proc)
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0))
    seen = Attempt()
    body = bytearray()
    start = time.monotonic()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        seen.status, seen.headers = response.status, response.headers
        try:
            for _ in range(10_000):
                chunk = response.read1(65536)
                if not chunk:
                    break
                body += chunk
        finally:
            response.close()
        promised = response.headers.get("Content-Length")
        if promised is not None and len(body) < int(promised):
            raise http.client.IncompleteRead(bytes(body), int(promised) - len(body))
    except CONNECTION_ERRORS as exc:
        seen.error = exc
    finally:
        conn.close()
        seen.body = bytes(body)
        seen.elapsed = time.monotonic() - start
    return seen


def stats(proc: SimulatorProcess) -> dict[str, Any]:
    return proc.stats()


def sim_day(proc: SimulatorProcess) -> date:
    return date.fromisoformat(stats(proc)["day"])


def export_path(kind: str, day: date) -> str:
    return f"/p/exports/{kind}_ids_{day:%m_%d_%Y}.json.gz"


def export_lines(client: Client, kind: str, day: date) -> list[dict[str, Any]]:
    """The export file of `day`, gunzipped, one parsed object per NDJSON line."""
    reply = client.get(export_path(kind, day))
    assert reply.status == 200, (kind, day, reply.status)
    raw = gzip.decompress(reply.body)
    assert raw.endswith(b"\n")
    lines = raw.split(b"\n")[:-1]
    assert all(lines), "blank line in an export"
    return [json.loads(line) for line in lines]


def error_code(reply: Reply) -> int:
    body = reply.json()
    assert body["success"] is False, body
    assert isinstance(body["status_message"], str) and body["status_message"]
    return int(body["status_code"])


# --- the shared simulator (2,000 movies, seed 7, key 'test-key', first day) ------------------


@pytest.fixture
def api(sim: SimulatorProcess) -> Iterator[Client]:
    with Client(sim, key=KEY) as client:
        yield client


@pytest.fixture(scope="module")
def first_day(sim: SimulatorProcess) -> date:
    return sim_day(sim)


@pytest.fixture(scope="module")
def movie_export(sim: SimulatorProcess, first_day: date) -> list[dict[str, Any]]:
    with Client(sim) as client:
        return export_lines(client, "movie", first_day)


@pytest.fixture(scope="module")
def person_export(sim: SimulatorProcess, first_day: date) -> list[dict[str, Any]]:
    with Client(sim) as client:
        return export_lines(client, "person", first_day)


@pytest.fixture(scope="module")
def live_movies(sim: SimulatorProcess, movie_export: list[dict[str, Any]]) -> list[int]:
    """About 100 movie ids spread over the export that answer 200 on the shared simulator."""
    ids = [line["id"] for line in movie_export][::20]
    with Client(sim, key=KEY) as client:
        live = [i for i in ids if client.get(f"/3/movie/{i}").status == 200]
    assert len(live) >= 0.9 * len(ids)
    return live


# --- 1. detail endpoints ---------------------------------------------------------------------


def test_movie_document_carries_each_requested_append(
    api: Client, live_movies: list[int], movie_export: list[dict[str, Any]]
) -> None:
    exported = {line["id"]: line for line in movie_export}
    for movie_id in live_movies[:15]:
        reply = api.get(f"/3/movie/{movie_id}", {"append_to_response": ",".join(MOVIE_APPENDS)})
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("application/json")
        doc = reply.json()
        assert doc["id"] == movie_id
        for key in MOVIE_APPENDS:
            assert key in doc, (movie_id, key)
        assert isinstance(doc["credits"]["cast"], list)
        assert isinstance(doc["credits"]["crew"], list)
        assert isinstance(doc["keywords"]["keywords"], list)
        assert doc["external_ids"]["imdb_id"] == doc["imdb_id"]
        assert isinstance(doc["release_dates"]["results"], list)
        # the export and the API describe the same movie on the same day
        line = exported[movie_id]
        assert doc["original_title"] == line["original_title"]
        assert doc["video"] == line["video"]
        assert doc["popularity"] == line["popularity"]

        plain = api.get(f"/3/movie/{movie_id}").json()
        assert not set(MOVIE_APPENDS) & set(plain), "appends returned without being asked for"
        assert {k: v for k, v in doc.items() if k not in MOVIE_APPENDS} == plain


def test_person_document_carries_appends_and_lists_the_crediting_movie(
    api: Client, live_movies: list[int]
) -> None:
    credited: dict[int, tuple[int, str]] = {}  # person id -> (a movie crediting them, cast|crew)
    for movie_id in live_movies:
        credits = api.get(f"/3/movie/{movie_id}", {"append_to_response": "credits"}).json()
        for role in ("cast", "crew"):
            for row in credits["credits"][role][:3]:
                credited.setdefault(row["id"], (movie_id, role))
        if len(credited) >= 40:
            break
    assert len(credited) >= 20, "the sampled movies credit almost nobody"

    for person_id, (movie_id, role) in credited.items():
        reply = api.get(f"/3/person/{person_id}", {"append_to_response": ",".join(PERSON_APPENDS)})
        # a movie never credits someone the API does not know
        assert reply.status == 200, (person_id, reply.status)
        doc = reply.json()
        assert doc["id"] == person_id
        for key in PERSON_APPENDS:
            assert key in doc, (person_id, key)
        assert movie_id in {row["id"] for row in doc["movie_credits"][role]}, (person_id, movie_id)
        combined = doc["combined_credits"][role]
        assert movie_id in {row["id"] for row in combined}
        assert {row["media_type"] for row in combined} == {"movie"}
        assert "imdb_id" in doc["external_ids"]


def test_language_parameter_is_accepted(api: Client, live_movies: list[int]) -> None:
    movie_id = live_movies[0]
    reply = api.get(f"/3/movie/{movie_id}", {"language": "it"})
    assert reply.status == 200
    assert reply.json()["id"] == movie_id
    latest = api.get("/3/person/latest").json()["id"]
    assert api.get(f"/3/person/{latest}", {"language": "it-IT"}).status == 200


@pytest.mark.parametrize("kind", ["movie", "person", "tv"])
def test_more_than_20_appends_is_400_code_27(api: Client, kind: str) -> None:
    person_or_movie = api.get(f"/3/{kind}/latest").json()["id"]
    items = [f"item{i}" for i in range(21)]
    too_many = api.get(f"/3/{kind}/{person_or_movie}", {"append_to_response": ",".join(items)})
    assert too_many.status == 400
    assert error_code(too_many) == 27
    at_limit = api.get(f"/3/{kind}/{person_or_movie}", {"append_to_response": ",".join(items[:20])})
    assert at_limit.status == 200


@pytest.mark.parametrize("kind", ["movie", "person"])
def test_unknown_id_is_404_code_34(
    api: Client,
    kind: str,
    movie_export: list[dict[str, Any]],
    person_export: list[dict[str, Any]],
) -> None:
    export = movie_export if kind == "movie" else person_export
    ids = sorted(line["id"] for line in export)
    gap = next(a + 1 for a, b in itertools.pairwise(ids) if b > a + 1)  # inside the range
    for unknown in (gap, ids[-1] + 10_000_000):
        reply = api.get(f"/3/{kind}/{unknown}")
        assert reply.status == 404, (kind, unknown)
        assert reply.headers["Content-Type"].startswith("application/json")
        assert error_code(reply) == 34


@pytest.mark.parametrize("kind", ["movie", "person"])
def test_latest_is_the_highest_live_id_of_the_export(
    api: Client,
    kind: str,
    movie_export: list[dict[str, Any]],
    person_export: list[dict[str, Any]],
) -> None:
    export = movie_export if kind == "movie" else person_export
    ids = sorted(line["id"] for line in export)
    reply = api.get(f"/3/{kind}/latest")
    assert reply.status == 200
    latest = reply.json()
    latest_id = latest["id"]
    assert latest_id in set(ids)
    assert api.get(f"/3/{kind}/{latest_id}").json() == latest
    # everything exported above it is an id that answers 404
    for higher in [i for i in ids if i > latest_id][:50]:
        assert api.get(f"/3/{kind}/{higher}").status == 404, higher
    sample = ids[:: max(1, len(ids) // 150)]
    live = [i for i in sample if api.get(f"/3/{kind}/{i}").status == 200]
    assert len(live) > 0.8 * len(sample)
    assert max(live) <= latest_id


def test_json_is_gzipped_only_for_clients_that_accept_it(
    api: Client, sim: SimulatorProcess, live_movies: list[int]
) -> None:
    path = f"/3/movie/{live_movies[1]}"
    plain = api.get(path)
    assert "Content-Encoding" not in plain.headers
    packed = api.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.status == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.body)) == plain.json()

    async def fetch() -> Any:  # aiohttp asks for gzip and decodes it transparently
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{sim.url}{path}", params={"api_key": KEY}) as response,
        ):
            assert response.headers["Content-Encoding"] == "gzip"
            return await response.json()

    assert asyncio.run(fetch()) == plain.json()


def test_configuration(api: Client) -> None:
    reply = api.get("/3/configuration")
    assert reply.status == 200
    config = reply.json()
    assert config["images"]["secure_base_url"].startswith("https://")
    assert "original" in config["images"]["poster_sizes"]
    assert "biography" in config["change_keys"] and "softcore" in config["change_keys"]


# --- 2. change lists -------------------------------------------------------------------------


def test_change_lists_page_100_at_a_time_and_days_elapsed_starts_later(
    start_sim: StartSim,
) -> None:
    proc = start_sim("--movies", "2000", "--days-elapsed", "3")
    info = stats(proc)
    first = date.fromisoformat(info["first_day"])
    today = date.fromisoformat(info["day"])
    assert today == first + timedelta(days=3)
    with Client(proc) as client:
        # the clock started three days in: those days have exports, the next one does not
        for offset in range(4):
            day = first + timedelta(days=offset)
            assert client.request("HEAD", export_path("movie", day)).status == 200, day
        assert client.get(export_path("movie", today + timedelta(days=1))).status == 404

        window = {"start_date": first.isoformat(), "end_date": today.isoformat()}
        for kind in ("movie", "person"):
            page1 = client.get(f"/3/{kind}/changes", {**window, "page": 1})
            assert page1.status == 200
            body = page1.json()
            assert set(body) == {"results", "page", "total_pages", "total_results"}
            total, pages = body["total_results"], body["total_pages"]
            assert total > 0 and pages == -(-total // 100)
            assert body["page"] == 1
            rows = list(body["results"])
            for page in range(2, pages + 1):
                more = client.get(f"/3/{kind}/changes", {**window, "page": page}).json()
                assert more["page"] == page and more["total_results"] == total
                rows += more["results"]
            assert len(body["results"]) == min(100, total)
            assert len(rows) == total
            ids = [row["id"] for row in rows]
            assert len(set(ids)) == total, "an id listed twice across pages"
            for row in rows:
                assert set(row) == {"id", "adult", "softcore"}
                assert row["adult"] in (False, None)
            beyond = client.get(f"/3/{kind}/changes", {**window, "page": pages + 1}).json()
            assert beyond["results"] == [] and beyond["total_results"] == total

            # no parameters: the current day only, a subset of the window
            today_only = client.get(f"/3/{kind}/changes").json()
            assert 0 < today_only["total_results"] <= total
            assert {r["id"] for r in today_only["results"]} <= set(ids)
        # the person list is the one long enough to need several pages here
        assert client.get("/3/person/changes", window).json()["total_pages"] >= 2


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"page": 0}, 400, 22),
        ({"page": 501}, 400, 22),
        ({"page": "abc"}, 400, 22),
        ({"start_date": "2026-11-01", "end_date": "2026-11-20"}, 422, 20),
        ({"start_date": "2026-13-01"}, 400, 23),
        ({"end_date": "20261102"}, 400, 23),
    ],
)
@pytest.mark.parametrize("kind", ["movie", "person"])
def test_change_list_parameter_errors(
    api: Client, kind: str, params: dict[str, Any], status: int, code: int
) -> None:
    reply = api.get(f"/3/{kind}/changes", params)
    assert reply.status == status
    assert error_code(reply) == code


def test_change_list_window_of_exactly_14_days_is_allowed(api: Client) -> None:
    reply = api.get("/3/movie/changes", {"start_date": "2026-10-20", "end_date": "2026-11-03"})
    assert reply.status == 200
    assert reply.json()["page"] == 1


def test_bad_date_is_code_23_even_with_a_page_parameter(api: Client) -> None:
    reply = api.get("/3/movie/changes", {"start_date": "2026-13-01", "page": 1})
    assert reply.status == 400
    assert error_code(reply) == 23


# --- 3. export files -------------------------------------------------------------------------


def test_export_lines_have_tmdb_fields_in_order(
    movie_export: list[dict[str, Any]], person_export: list[dict[str, Any]]
) -> None:
    for line in movie_export:
        assert list(line) == MOVIE_EXPORT_KEYS, line
        assert line["adult"] is False and isinstance(line["video"], bool)
        assert isinstance(line["popularity"], float)
    for line in person_export:
        assert list(line) == PERSON_EXPORT_KEYS, line
        assert isinstance(line["name"], str) and line["name"]


def test_first_day_movie_export_has_exactly_movies_lines(
    movie_export: list[dict[str, Any]],
) -> None:
    assert len(movie_export) == 2000  # the shared simulator's --movies


@pytest.mark.parametrize("kind", ["movie", "person"])
def test_export_ids_are_unique_unsorted_and_gapped(
    kind: str, movie_export: list[dict[str, Any]], person_export: list[dict[str, Any]]
) -> None:
    ids = [line["id"] for line in (movie_export if kind == "movie" else person_export)]
    assert len(set(ids)) == len(ids)
    assert ids != sorted(ids), "TMDb's exports are not sorted by id"
    ordered = sorted(ids)
    assert ordered[-1] - ordered[0] + 1 > len(ids) * 1.2, "ids are contiguous"
    assert sum(b - a > 1 for a, b in itertools.pairwise(ordered)) > len(ids) // 10


def test_export_files_exist_only_for_simulated_days(sim: SimulatorProcess, first_day: date) -> None:
    with Client(sim) as client:
        head = client.request("HEAD", export_path("movie", first_day))
        assert head.status == 200 and head.body == b""
        assert client.request("HEAD", export_path("person", first_day)).status == 200
        for day in (first_day - timedelta(days=1), first_day + timedelta(days=1)):
            for kind in ("movie", "person"):
                assert client.get(export_path(kind, day)).status == 404, (kind, day)
        far = export_path("movie", first_day + timedelta(days=30))
        assert client.request("HEAD", far).status == 404
        assert client.get("/p/exports/review_ids_11_02_2026.json.gz").status == 404


def test_a_few_percent_of_exported_ids_answer_404(
    api: Client, movie_export: list[dict[str, Any]]
) -> None:
    ids = [line["id"] for line in movie_export][3::6][:300]
    assert len(ids) == 300
    statuses = Counter(api.get(f"/3/movie/{i}").status for i in ids)
    assert set(statuses) <= {200, 404}
    share = statuses[404] / len(ids)
    assert 0.005 <= share <= 0.06, statuses


# --- 4. the day clock ------------------------------------------------------------------------


def test_advancing_a_day_changes_adds_and_deletes_ids(start_sim: StartSim) -> None:
    proc = start_sim("--movies", "1000")
    day0 = sim_day(proc)
    with Client(proc) as client:
        assert client.get("/3/movie/changes").json()["total_results"] == 0  # nothing yet
        old_raw = client.get(export_path("movie", day0)).body
        old_ids = [line["id"] for line in export_lines(client, "movie", day0)]
        assert len(old_ids) == 1000
        before: dict[int, Any] = {}
        for movie_id in old_ids:
            reply = client.get(f"/3/movie/{movie_id}")
            before[movie_id] = reply.json() if reply.status == 200 else None
        latest_before = client.get("/3/movie/latest").json()["id"]

        day1 = date.fromisoformat(proc.advance(1))
        assert day1 == day0 + timedelta(days=1) == sim_day(proc)

        reply = client.get("/3/movie/changes")
        assert reply.status == 200
        rows = reply.json()["results"]
        explicit = client.get(
            "/3/movie/changes", {"start_date": day1.isoformat(), "end_date": day1.isoformat()}
        )
        assert explicit.json()["results"] == rows
        assert rows, "a day passed and nothing changed"
        new_ids = [line["id"] for line in export_lines(client, "movie", day1)]
        deleted = [row["id"] for row in rows if row["adult"] is None]
        kept = [row["id"] for row in rows if row["adult"] is not None]
        assert deleted, "no deletion listed"
        for movie_id in deleted:
            assert next(r for r in rows if r["id"] == movie_id)["softcore"] is None
            assert movie_id in before, "a deleted id was not in the previous export"
            assert client.get(f"/3/movie/{movie_id}").status == 404
            assert movie_id not in new_ids
        changed = [i for i in kept if before.get(i) is not None]
        assert changed, "no existing movie changed"
        for movie_id in kept:
            reply = client.get(f"/3/movie/{movie_id}")
            assert reply.status == 200, movie_id
            if movie_id in changed:
                assert reply.json() != before[movie_id], f"movie {movie_id} listed but unchanged"
        added = set(new_ids) - set(old_ids)
        assert added, "no new movie"
        assert added <= set(kept), "a new id is missing from the change list"
        for movie_id in added:
            assert client.get(f"/3/movie/{movie_id}").status == 200
        assert client.get("/3/movie/latest").json()["id"] >= latest_before
        # what was not listed did not change
        listed = set(deleted) | set(kept)
        unlisted = [i for i in old_ids if i not in listed and before[i] is not None][:150]
        for movie_id in unlisted:
            assert client.get(f"/3/movie/{movie_id}").json() == before[movie_id], movie_id

        person_rows = client.get("/3/person/changes").json()["results"]
        assert person_rows
        for row in person_rows[:20]:
            expected = 404 if row["adult"] is None else 200
            assert client.get(f"/3/person/{row['id']}").status == expected, row

        # yesterday's export is still there, byte for byte
        again = client.get(export_path("movie", day0))
        assert again.status == 200
        assert gzip.decompress(again.body) == gzip.decompress(old_raw)


# --- 5. authentication -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({}, {}, 401),
        ({"api_key": "wrong-key"}, {}, 401),
        ({}, {"Authorization": "Bearer wrong-key"}, 401),
        ({}, {"Authorization": f"Bearer {KEY}"}, 200),
        ({"api_key": KEY}, {}, 200),
    ],
    ids=["no-key", "wrong-query-key", "wrong-bearer", "bearer", "query-key"],
)
def test_api_key_is_required(
    sim: SimulatorProcess, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    with Client(sim) as client:
        for path in ("/3/configuration", "/3/movie/latest", "/3/movie/changes"):
            reply = client.get(path, params, headers=headers)
            assert reply.status == status, path
            if status == 401:
                assert error_code(reply) == 7


def test_exports_need_no_key(sim: SimulatorProcess, first_day: date) -> None:
    with Client(sim) as client:
        for kind in ("movie", "person"):
            reply = client.get(export_path(kind, first_day))
            assert reply.status == 200
            assert gzip.decompress(reply.body)


# --- 6. per-IP limits ------------------------------------------------------------------------


@dataclass
class Hammer:
    """A client sending requests back to back on one keep-alive connection."""

    source: str
    counts: Counter[int] = field(default_factory=Counter)
    retry_after: list[str | None] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)
    elapsed: float = 0.0
    error: BaseException | None = None


def hammer(proc: SimulatorProcess, who: Hammer, start: threading.Barrier, seconds: float) -> None:
    try:
        with Client(proc, source=who.source) as client:
            start.wait(timeout=10)
            began = time.monotonic()
            for _ in range(100_000):
                if time.monotonic() - began >= seconds:
                    break
                reply = client.get("/3/configuration")
                who.counts[reply.status] += 1
                if reply.status == 429:
                    who.retry_after.append(reply.headers.get("Retry-After"))
                    who.codes.add(error_code(reply))
            who.elapsed = time.monotonic() - began
    except BaseException as exc:  # reported by the test thread
        who.error = exc


def test_rate_limit_is_per_client_ip(start_sim: StartSim) -> None:
    proc = start_sim("--rate-limit", "20", "--movies", "300")
    clients = [Hammer("127.0.0.1"), Hammer("127.0.0.2")]
    barrier = threading.Barrier(len(clients))
    threads = [threading.Thread(target=hammer, args=(proc, c, barrier, 2.0)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for client in clients:
        assert client.error is None, client.error
        assert set(client.counts) == {200, 429}, client.counts
        assert client.codes == {25}
        assert client.retry_after and all(
            value is not None and value.isdigit() and int(value) >= 1
            for value in client.retry_after
        ), set(client.retry_after)
        expected = 20 * client.elapsed + 5  # 20/s plus a burst of a quarter of that
        assert 0.7 * expected <= client.counts[200] <= 1.5 * expected, (client.counts, expected)
    one, two = (c.counts[200] for c in clients)
    assert 0.75 <= one / two <= 1.33, "the second IP did not get a budget of its own"

    by_ip = stats(proc)["by_ip"]
    for client in clients:
        assert by_ip[client.source]["by_status"]["429"] == client.counts[429]
        assert by_ip[client.source]["by_status"]["200"] >= client.counts[200]


def test_concurrent_requests_per_ip_are_capped_and_retry_after_can_be_off(
    start_sim: StartSim,
) -> None:
    proc = start_sim(
        "--max-connections", "2", "--latency-ms", "300", "--latency-sigma", "0",
        "--no-retry-after", "--movies", "300",
    )  # fmt: skip
    host, port = address(proc)
    barrier = threading.Barrier(5)
    results: list[tuple[int, Message, bytes, float] | BaseException] = []

    def one() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.connect()
            barrier.wait(timeout=10)
            began = time.monotonic()
            conn.request("GET", "/3/configuration")
            response = conn.getresponse()
            body = response.read()
            response.close()
            results.append((response.status, response.headers, body, time.monotonic() - began))
        except BaseException as exc:
            results.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=one) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    answers = [r for r in results if not isinstance(r, BaseException)]
    assert len(answers) == 5, results
    refused = [a for a in answers if a[0] == 429]
    served = [a for a in answers if a[0] == 200]
    assert len(refused) >= 3, [a[0] for a in answers]
    assert len(served) + len(refused) == 5 and served
    for _, headers, body, _ in refused:
        assert json.loads(body)["status_code"] == 25
        assert "Retry-After" not in headers
    assert all(took >= 0.25 for *_, took in served), "latency was not applied"
    # the slots free up once the requests finish
    assert attempt(proc, "/3/configuration").status == 200


# --- 7. faults -------------------------------------------------------------------------------

FAULT_PATHS = [
    "/3/movie/2",
    "/3/movie/3?append_to_response=credits",
    "/3/movie/5",
    "/3/person/8",
    "/3/person/13?language=it",
    "/3/configuration",
    "/3/movie/changes?page=2",
    "/3/person/latest",
]


@pytest.mark.parametrize(
    "kind",
    ["http_500", "http_502", "http_503", "http_504", "reset", "truncated", "invalid_json", "slow"],
)
def test_what_a_client_sees_for_each_fault(start_sim: StartSim, kind: str) -> None:
    if kind == "slow":
        proc = start_sim("--movies", "300", "--faults", "slow=1", "--slow-seconds", "5")
        for path in FAULT_PATHS[:2]:
            seen = attempt(proc, path, timeout=1.0)
            assert isinstance(seen.error, TimeoutError), seen.label
            assert seen.status is None and 0.9 <= seen.elapsed < 3.0
        assert stats(proc)["day"]  # the server is still answering
        return

    proc = start_sim("--movies", "300", "--faults", f"{kind}=1")
    seen_all = [attempt(proc, path) for path in FAULT_PATHS]
    for path, seen in zip(FAULT_PATHS, seen_all, strict=True):
        if kind.startswith("http_"):
            status = int(kind[5:])
            assert seen.error is None and seen.status == status, (path, seen.label)
            if seen.content_type == "text/html":
                assert status != 500, "TMDb itself answers 500 with JSON"
                assert f"{status} ERROR".encode() in seen.body
            else:
                assert seen.content_type == "application/json", (path, seen.label)
                body = json.loads(seen.body)
                assert body["success"] is False
                assert body["status_code"] == FAULT_JSON_CODES[status]
        elif kind == "reset":
            assert seen.status is None, (path, seen.label)
            assert isinstance(seen.error, ConnectionError | http.client.HTTPException)
        elif kind == "truncated":
            assert seen.status == 200 and seen.headers is not None, (path, seen.label)
            promised = int(seen.headers["Content-Length"])
            assert 0 < len(seen.body) < promised, (len(seen.body), promised)
            assert isinstance(seen.error, http.client.IncompleteRead)
            assert not parses(seen.body)
        elif kind == "invalid_json":
            assert seen.error is None and seen.status == 200, (path, seen.label)
            assert seen.content_type == "application/json"
            assert seen.headers is not None
            assert len(seen.body) == int(seen.headers["Content-Length"]), "body was cut"
            with pytest.raises(ValueError):
                json.loads(seen.body)
    if kind in ("http_502", "http_503", "http_504"):
        forms = {seen.content_type for seen in seen_all}
        assert forms == {"text/html", "application/json"}, "only one kind of 5xx body"
    assert stats(proc)["by_status"].get(kind) == len(FAULT_PATHS)


def test_truncated_body_is_a_payload_error_for_aiohttp(start_sim: StartSim) -> None:
    """The product's own HTTP client sees a cut body as a payload error, not as a document."""
    proc = start_sim("--movies", "300", "--faults", "truncated=1")

    async def fetch() -> BaseException | None:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.get(f"{proc.api_url}/movie/2") as response:
                    assert response.status == 200
                    await response.read()
            except aiohttp.ClientPayloadError as exc:
                return exc
        return None

    assert isinstance(asyncio.run(fetch()), aiohttp.ClientPayloadError)


def test_stats_count_slow_faults(start_sim: StartSim) -> None:
    proc = start_sim("--movies", "300", "--faults", "slow=1", "--slow-seconds", "5")
    # from an IP of its own, so the polling of /__sim/stats (from 127.0.0.1) does not count
    seen = attempt(proc, "/3/movie/2", timeout=0.5, source="127.0.0.2")
    assert isinstance(seen.error, TimeoutError)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and "127.0.0.2" not in stats(proc)["by_ip"]:
        time.sleep(0.05)
    assert stats(proc)["by_ip"]["127.0.0.2"]["by_status"] == {"slow": 1}


def test_hostile_faults_are_reproducible(start_sim: StartSim) -> None:
    args = ("--movies", "300", "--faults", "hostile", "--seed", "5", "--slow-seconds", "5")
    first, second = start_sim(*args), start_sim(*args)
    exports = []
    for proc in (first, second):  # the same calls on both, so their counters can be compared
        with Client(proc) as client:
            exports.append(export_lines(client, "movie", sim_day(proc)))
    assert exports[0] == exports[1]
    ids = [line["id"] for line in exports[0]][:45]
    paths = [f"/3/movie/{i}" for i in ids]
    paths += paths[:15]  # a path asked again draws anew only if it failed before
    runs = [[attempt(proc, path, timeout=1.0).label for path in paths] for proc in (first, second)]
    assert len(runs[0]) == 60
    assert runs[0] == runs[1]
    failures = Counter(label for label in runs[0] if not label.startswith(("200 ", "404 ")))
    assert sum(failures.values()) >= 5 and len(failures) >= 3, failures
    counted = [stats(proc)["by_status"] for proc in (first, second)]
    assert counted[0] == counted[1]
    assert set(counted[0]) - {"200", "404"}, "no fault kind in /__sim/stats"


def test_flaky_faults_are_not_sticky(
    start_sim: StartSim, sim: SimulatorProcess, live_movies: list[int]
) -> None:
    # the shared simulator's catalog (same --movies and --seed), behind a flaky CDN
    proc = start_sim("--movies", "2000", "--seed", "7", "--faults", "flaky", "--slow-seconds", "3")
    paths = [f"/3/movie/{i}" for i in live_movies[:50]]
    paths += [f"/3/movie/{i}?append_to_response=credits" for i in live_movies[:50]]
    assert len(paths) == 100
    retries = timeouts = 0
    with Client(sim, key=KEY) as reference:
        for path in paths:
            for _ in range(10):
                seen = attempt(proc, path, timeout=1.0)
                if seen.status == 200 and seen.error is None and parses(seen.body):
                    break
                retries += 1
                timeouts += isinstance(seen.error, TimeoutError)
            else:
                pytest.fail(f"{path} never answered 200 in 10 tries")
            movie_path, _, query = path.partition("?")
            params = dict([query.split("=")]) if query else None
            assert json.loads(seen.body) == reference.get(movie_path, params).json(), path
    assert retries >= 1, "no fault met: the test proves nothing"
    # every failed try is counted under its fault kind (but a `slow` one as 200: see
    # test_stats_count_slow_faults)
    faults = sum(n for k, n in stats(proc)["by_status"].items() if not k.isdigit())
    assert retries - timeouts <= faults <= retries


# --- 8. request counters ---------------------------------------------------------------------


def test_stats_count_requests_by_status_and_ip(sim: SimulatorProcess, first_day: date) -> None:
    before = stats(sim)
    with Client(sim, key=KEY, source="127.0.0.3") as client:
        for _ in range(3):
            assert client.get("/3/configuration").status == 200
        for _ in range(2):
            assert client.get("/3/movie/999999999").status == 404
        assert client.get("/3/configuration", {"api_key": "nope"}).status == 401
        assert client.request("HEAD", export_path("movie", first_day)).status == 200
    after = stats(sim)
    mine = after["by_ip"]["127.0.0.3"]
    earlier = before["by_ip"].get("127.0.0.3", {"requests": 0, "by_status": {}})
    delta = Counter(mine["by_status"])
    delta.subtract(earlier["by_status"])
    assert +delta == Counter({"200": 4, "404": 2, "401": 1})
    assert mine["requests"] - earlier["requests"] == 7
    for status, n in (("404", 2), ("401", 1)):
        assert after["by_status"].get(status, 0) - before["by_status"].get(status, 0) == n
    assert after["requests"] - before["requests"] >= 8  # ours, plus the first stats call
    assert after["uptime_s"] >= before["uptime_s"]
