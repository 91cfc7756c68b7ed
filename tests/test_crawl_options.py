"""README promises about `crawl` that users rely on: documents stored byte for byte as TMDb sent
them, every common option's environment variable, the `.env` file under the environment, the
concurrency cap, `--append`, and `crawl people --from export`.

As in test_crawl_e2e.py, the crawler is a real child process and the servers are real: simulator
processes, and for the raw bytes a small aiohttp stand-in for TMDb, all on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import click
import orjson
import pytest
from aiohttp import web

from conftest import FIRST_DAY, SAMPLES
from test_crawl_e2e import (
    CHECK,
    KEY,
    MOVIE_APPENDS,
    SHARED_KEY,
    SHARED_MOVIES,
    SHARED_SEED,
    StartSim,
    assert_one_clear_line,
    assert_store_matches_catalog,
    child_env,
    cli,
    counts,
    crawl,
    crawl_cmd,
    crawler_counts,
    delta,
    export_ids,
    rows,
    run,
    summary,
)
from tmdb_collector import config
from tmdb_collector.cli import cli as command_line
from tmdb_collector.crawl.store import Store
from tmdb_collector.ids import newest_export_day
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.process import SimulatorProcess

# --- documents are stored raw ----------------------------------------------------------------


class StandIn:
    """A stand-in for TMDb on 127.0.0.1 (aiohttp, on a thread of the test process): GET
    /3/configuration answers TMDb's real configuration, GET /3/movie/{id} the bytes given for
    that id exactly as they are (gzip-compressed when asked, as TMDb does), any other id a 404
    with TMDb's body. `api_url` is its API base; `seen` each request's path and query."""

    def __init__(self, movies: dict[int, bytes]) -> None:
        self.movies = movies
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.api_url = ""
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None

    async def _movie(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.path, dict(request.query)))
        body = self.movies.get(int(request.match_info["id"]))
        if body is None:
            not_found = (SAMPLES / "error_404_status34_movie_999999999.json").read_bytes()
            return web.Response(status=404, body=not_found, content_type="application/json")
        response = web.Response(body=body, content_type="application/json")
        response.enable_compression()
        return response

    async def _configuration(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.path, dict(request.query)))
        body = (SAMPLES / "configuration.json").read_bytes()
        return web.Response(body=body, content_type="application/json")

    async def _start(self) -> str:
        app = web.Application()
        app.router.add_get("/3/configuration", self._configuration)
        app.router.add_get("/3/movie/{id}", self._movie)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        host, port = self.runner.addresses[0][:2]
        return f"http://{host}:{port}/3"

    def __enter__(self) -> StandIn:
        self.thread.start()
        self.api_url = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def test_a_document_is_stored_byte_for_byte_as_tmdb_sent_it(tmp_path: Path) -> None:
    """A real TMDb movie (167 cast, 560 crew, non-ASCII names), served pretty-printed in a
    layout no JSON library writes by default and gzip-compressed on the wire: the store holds
    exactly the bytes served (README: "Documents are stored raw, as TMDb sent them"), not a
    re-encoding of the same JSON; JSONL exports it as the same document on one line."""
    sample = SAMPLES / "movie_49026_tt1345836_append_credits_images_keywords.json"
    doc = json.loads(sample.read_bytes())
    served = (json.dumps(doc, indent=3, ensure_ascii=False) + "\n").encode()
    assert served != sample.read_bytes() and not served.isascii()
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("49026\n999999999\n")
    data = tmp_path / "data"
    with StandIn({49026: served}) as tmdb:
        cmd = cli("crawl", "movies", "--api-url", tmdb.api_url, "--ids-file", str(ids_file),
                  "--data-dir", str(data), "--rate", "1000", "--json")  # fmt: skip
        result = run(cmd, tmp_path, child_env(TMDB_API_KEY=KEY))
        asked = list(tmdb.seen)
    assert result.returncode == 0, result.stderr
    assert asked[0] == ("/3/configuration", {"api_key": KEY})  # the access check
    appends = {"append_to_response": ",".join(MOVIE_APPENDS), "api_key": KEY}
    assert sorted(asked[1:]) == [(f"/3/movie/{i}", appends) for i in (49026, 999999999)]
    store = Store.open(data)
    try:
        assert list(store.documents("movie")) == [(49026, served)]
    finally:
        store.close()
    stored = rows(data)
    assert stored[49026].content_hash == hashlib.sha256(served).hexdigest()
    assert (stored[999999999].status, stored[999999999].doc) == ("gone", None)
    out = tmp_path / "movies.jsonl.gz"
    exported = run(cli("export", "--format", "jsonl", "--data-dir", str(data), "--out", str(out)),
                   tmp_path, child_env())  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    (line,) = gzip.decompress(out.read_bytes()).splitlines()
    assert orjson.loads(line) == doc


# --- every option has an environment variable ------------------------------------------------

COMMON_ENV = {  # README: "Every option has an environment variable"
    "--data-dir": "TMDB_DATA_DIR",
    "--api-url": "TMDB_API_URL",
    "--exports-url": "TMDB_EXPORTS_URL",
    "--rate": "TMDB_RATE",
    "--concurrency": "TMDB_CONCURRENCY",
}
FLEET_ENV = {  # README: "Each fleet option has an environment variable"
    "--cluster": "TMDB_CLUSTER",
    "--ssh": "TMDB_SSH_HOSTS",
    "--local-workers": "TMDB_LOCAL_WORKERS",
    "--bind": "TMDB_BIND",
    "--chunk-size": "TMDB_CHUNK_SIZE",
    "--remote-python": "TMDB_REMOTE_PYTHON",
    "--cluster-timeout": "TMDB_CLUSTER_TIMEOUT",
}


def environment_names(command: str) -> dict[str, str | None]:
    """Each option of a command (`crawl movies`, `status`, ...) and the variable it reads."""
    found: click.Command = command_line
    for word in command.split():
        assert isinstance(found, click.Group)
        found = found.commands[word]
    return {
        opt: param.envvar if isinstance(param.envvar, str | None) else ",".join(param.envvar)
        for param in found.params
        for opt in param.opts
        if opt.startswith("--")
    }


def test_each_option_reads_the_environment_variable_the_readme_names() -> None:
    for command in ("crawl movies", "crawl people", "sync"):
        names = environment_names(command)
        assert {opt: names.get(opt) for opt in COMMON_ENV} == COMMON_ENV, command
    for command in ("crawl movies", "crawl people"):
        names = environment_names(command)
        assert {opt: names.get(opt) for opt in FLEET_ENV} == FLEET_ENV, command
    for command in ("status", "export", "network"):
        assert environment_names(command)["--data-dir"] == "TMDB_DATA_DIR", command


def test_a_crawl_configured_by_the_environment_alone(sim: SimulatorProcess, tmp_path: Path) -> None:
    """No --data-dir, --api-url, --exports-url or --rate: TMDB_DATA_DIR, TMDB_API_URL,
    TMDB_EXPORTS_URL and TMDB_RATE say it all, and `status` finds the collection the same way."""
    # The check above, once more, before anything is sent: were TMDB_API_URL not read, this
    # crawl would go to api.themoviedb.org, and tests send nothing beyond loopback.
    assert environment_names("crawl movies")["--api-url"] == "TMDB_API_URL"
    data = tmp_path / "from-env"
    env = child_env(
        TMDB_API_KEY=SHARED_KEY,
        TMDB_DATA_DIR=str(data),
        TMDB_API_URL=sim.api_url,
        TMDB_EXPORTS_URL=sim.exports_url,
        TMDB_RATE="1000",
    )
    before = crawler_counts(sim)
    result = run(cli("crawl", "movies", "--date", FIRST_DAY, "--limit", "30", "--json"),
                 tmp_path, env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert summary(result.stdout)["total"] == 30
    assert delta(crawler_counts(sim), before).total() == CHECK + 1 + 30  # export, ids
    assert_store_matches_catalog(data, SHARED_MOVIES, SHARED_SEED,
                                 export_ids(SHARED_MOVIES, SHARED_SEED)[:30])  # fmt: skip
    assert not (tmp_path / "tmdb-data").exists()  # not the default data directory
    status = run(cli("status", "--json"), tmp_path, child_env(TMDB_DATA_DIR=str(data)))
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["kinds"]["movie"]["ids"] == 30


def test_concurrency_from_the_environment_caps_the_requests_in_flight(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """TMDB_CONCURRENCY=1 against a server that refuses (429) a second concurrent request from
    one IP: never two in flight, so never a 429. (The crawler starts at 4 in flight when
    allowed 20, so ignoring the variable would meet the cap at once.)"""
    sim = start_sim("--movies", "300", "--max-connections", "1", "--latency-ms", "20",
                    api_key=KEY)  # fmt: skip
    data = tmp_path / "data"
    env = child_env(TMDB_API_KEY=KEY, TMDB_CONCURRENCY="1")
    result = run(crawl_cmd(sim, data, "--limit", "30", "--json"), tmp_path, env)
    assert result.returncode == 0, result.stderr
    made = crawler_counts(sim)
    assert made["429"] == 0, made
    assert made.total() == CHECK + 1 + 30
    assert counts(data)["pending"] == 0


def test_more_than_twenty_in_flight_or_no_rate_is_refused_before_any_request(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    """--concurrency is at most 20 (TMDb's per-IP connection cap), on the command line or in
    TMDB_CONCURRENCY; a rate of 0 is refused too. One line, exit 2, nothing sent or written."""
    data = tmp_path / "data"
    before = crawler_counts(sim)
    for args, extra in (
        (("--concurrency", "21"), {}),
        ((), {"TMDB_CONCURRENCY": "21"}),
        ((), {"TMDB_RATE": "0"}),
    ):
        env = child_env(TMDB_API_KEY=SHARED_KEY, **extra)
        cmd = cli("crawl", "movies", "--api-url", sim.api_url, "--exports-url", sim.exports_url,
                  "--data-dir", str(data), "--date", FIRST_DAY, *args, "--quiet")  # fmt: skip
        result = run(cmd, tmp_path, env)
        option = "--rate" if "TMDB_RATE" in extra else "--concurrency"
        line = assert_one_clear_line(result, option)
        if option == "--concurrency":
            assert "21" in line and "20" in line
    assert delta(crawler_counts(sim), before).total() == 0
    assert not data.exists()


# --- the .env file, under the environment ----------------------------------------------------


def test_the_environment_wins_over_the_dotenv_file(sim: SimulatorProcess, tmp_path: Path) -> None:
    """README: credentials come "from the environment or a .env file"; when both set one, the
    environment's is used, whether it is the right key or not."""
    (tmp_path / ".env").write_text("TMDB_API_KEY=not-the-key\n")
    data = tmp_path / "data"
    right = run(crawl_cmd(sim, data, "--limit", "5", "--quiet"), tmp_path,
                child_env(TMDB_API_KEY=SHARED_KEY))  # fmt: skip
    assert right.returncode == 0, right.stderr
    assert len(rows(data)) == 5
    (tmp_path / ".env").write_text(f"TMDB_API_KEY={SHARED_KEY}\n")
    wrong = run(crawl_cmd(sim, data, "--limit", "5", "--quiet", "--refresh"), tmp_path,
                child_env(TMDB_API_KEY="not-the-key"))  # fmt: skip
    assert_one_clear_line(wrong, "refused the credentials")
    alone = run(crawl_cmd(sim, data, "--limit", "5", "--quiet", "--refresh"), tmp_path,
                child_env())  # fmt: skip
    assert alone.returncode == 0, alone.stderr  # the .env key, when the environment has none


# --- what is fetched -------------------------------------------------------------------------


def test_append_changes_what_is_requested_with_each_movie(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    """--append credits,release_dates: each stored movie carries exactly those appends (the
    simulator answers only what was asked for), not the default keywords and external_ids."""
    data = tmp_path / "data"
    result = crawl(sim, data, "--limit", "20", "--append", "credits,release_dates", "--quiet",
                   key=SHARED_KEY)  # fmt: skip
    assert result.returncode == 0, result.stderr
    docs = [orjson.loads(row.doc) for row in rows(data).values() if row.doc is not None]
    assert len(docs) > 15
    for doc in docs:
        assert {"credits", "release_dates"} <= set(doc), doc["id"]
        assert not {"keywords", "external_ids"} & set(doc), doc["id"]
        assert set(doc["release_dates"]) == {"results"}


def test_people_from_the_export_are_every_listed_person(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """`crawl people --from export` takes TMDb's whole person export (the newest, by the
    clock), with no movie crawled: every person it lists ends ok or gone, and `status` names
    the export's day."""
    movies, newest = 100, newest_export_day(datetime.now(UTC))
    sim = start_sim("--movies", str(movies), "--day", newest.isoformat(), api_key=KEY)
    data = tmp_path / "data"
    result = crawl(sim, data, "--from", "export", "--json", kind="people")
    if newest_export_day(datetime.now(UTC)) != newest:
        pytest.skip("08:00 UTC passed during the test: the newest export day changed")
    assert result.returncode == 0, result.stderr
    cat = Catalog(movies, config.SIM_SEED, newest)
    listed = [cat.people.ids.id_of(i) for i in cat.export_indices(cat.people, 0)]
    assert len(listed) == 4 * movies  # four people per movie in the simulated catalog
    facts = summary(result.stdout)
    assert (facts["ids read"], facts["new ids"]) == (len(listed), len(listed))
    people = rows(data, "person")
    assert sorted(people) == sorted(listed)
    assert Counter(row.status for row in people.values()).keys() <= {"ok", "gone"}
    assert sum(row.status == "ok" for row in people.values()) > 0.9 * len(listed)
    assert rows(data, "movie") == {}
    status = run(cli("status", "--json", "--data-dir", str(data)), tmp_path, child_env())
    person = json.loads(status.stdout)["kinds"]["person"]
    assert (person["ids"], person["export_day"]) == (len(listed), newest.isoformat())
