"""The TV, collection, company, network and keyword tables, built from real TMDb documents in a
real store, into a real DuckDB: row counts agree with the documents, odd values are kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import orjson
import pytest

from tmdb_collector.client import seasons
from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.export import schema, tables
from tmdb_collector.vocab import Kind, State

Samples = Callable[[str], Any]


def _put(store: Store, kind: Kind, doc: dict[str, Any]) -> None:
    store.record([Outcome(kind, doc["id"], State.OK, "ok", 200, orjson.dumps(doc))])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, samples: Samples) -> duckdb.DuckDBPyConnection:
    store = Store.open(tmp_path_factory.mktemp("kinds"))
    season = samples("tv_1396_season_1.json")
    odd = orjson.loads(orjson.dumps(season))  # a season 2 with an episode of unknown date/length
    odd["season_number"] = 2
    odd["episodes"][0] |= {"air_date": None, "runtime": None}
    series = samples("tv_1396_details.json") | {
        "aggregate_credits": samples("tv_96677_aggregate_credits.json"),
        "keywords": {"results": [{"id": 33705, "name": "agent"}]},
    }
    _put(store, Kind.TV, seasons.series_document(series, {1: season, 2: odd}, missing=[3]))
    _put(store, Kind.TV, samples("tv_242101_details_returning_next_episode.json"))  # no seasons
    _put(store, Kind.COLLECTION, samples("collection_10_details_2024-02-05.json"))
    _put(store, Kind.COMPANY, samples("company_25_details.json"))
    owned = {"id": 26, "parent_company": {"id": 25, "name": "Fox"}}
    _put(store, Kind.COMPANY, samples("company_25_details.json") | owned)
    _put(store, Kind.NETWORK, samples("network_213_details.json"))
    _put(store, Kind.KEYWORD, {"id": 378, "name": "prison"})
    con = tables.connect()
    tables.build(store, con)
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(sql).fetchone()[0]  # type: ignore[index]


def test_every_season_episode_role_and_guest_is_a_row(
    built: duckdb.DuckDBPyConnection, samples: Samples
) -> None:
    season = samples("tv_1396_season_1.json")
    credits = samples("tv_96677_aggregate_credits.json")
    episodes = len(season["episodes"])
    guests = sum(len(e["guest_stars"]) for e in season["episodes"])
    crew = sum(len(e["crew"]) for e in season["episodes"])
    assert _one(built, "SELECT count(*) FROM tv_series") == 2
    stored = built.execute(
        "SELECT series_id, season_number, episode_count FROM tv_seasons ORDER BY 2"
    ).fetchall()
    assert stored == [(1396, 1, episodes), (1396, 2, episodes)]
    assert _one(built, "SELECT count(*) FROM tv_episodes") == 2 * episodes
    assert _one(built, "SELECT count(*) FROM episode_guest_stars") == 2 * guests
    assert _one(built, "SELECT count(*) FROM episode_crew") == 2 * crew
    roles = sum(len(c["roles"]) for c in credits["cast"])
    jobs = sum(len(c["jobs"]) for c in credits["crew"])
    assert _one(built, "SELECT count(*) FROM tv_cast") == roles
    assert _one(built, "SELECT count(*) FROM tv_crew") == jobs
    first = credits["cast"][0]
    assert built.execute(
        "SELECT character, episode_count FROM tv_cast WHERE person_id = ? ORDER BY 1", [first["id"]]
    ).fetchall() == sorted((r["character"], r["episode_count"]) for r in first["roles"])


def test_odd_values_are_kept_as_they_came(built: duckdb.DuckDBPyConnection) -> None:
    assert built.execute(
        "SELECT air_date, runtime FROM tv_episodes WHERE season_number = 2 AND episode_number = 1"
    ).fetchall() == [(None, None)]
    assert _one(built, "SELECT missing_seasons FROM tv_series WHERE id = 1396") == [3]
    # next_episode_to_air: null for Breaking Bad, present for the telenovela
    assert built.execute(
        "SELECT id, next_episode_id IS NOT NULL, next_episode_air_date IS NOT NULL "
        "FROM tv_series ORDER BY id"
    ).fetchall() == [(1396, False, False), (242101, True, True)]


def test_links_networks_companies_collections_keywords(
    built: duckdb.DuckDBPyConnection, samples: Samples
) -> None:
    assert built.execute("SELECT network_id, name FROM tv_networks WHERE series_id = 1396"
                         ).fetchall() == [(174, "AMC")]  # fmt: skip
    genres = samples("tv_1396_details.json")["genres"]
    assert _one(built, "SELECT count(*) FROM tv_genres WHERE series_id = 1396") == len(genres)
    assert built.execute("SELECT id, name, headquarters FROM networks").fetchall() == [
        (213, "Netflix", "Los Gatos, California, USA")
    ]
    assert built.execute("SELECT id, parent_company_id FROM companies ORDER BY id").fetchall() == [
        (25, None), (26, 25)
    ]  # fmt: skip
    parts = samples("collection_10_details_2024-02-05.json")["parts"]
    assert built.execute("SELECT movie_id FROM collection_parts ORDER BY position").fetchall() == [
        (p["id"],) for p in parts
    ]
    assert _one(built, "SELECT parts_count FROM collections WHERE id = 10") == len(parts)
    assert built.execute("SELECT id, name FROM keywords").fetchall() == [(378, "prison")]
    assert built.execute("SELECT keyword_id FROM tv_keywords").fetchall() == [(33705,)]


def test_every_table_and_column_says_what_it_is() -> None:
    names = {t.name for t in schema.TABLES}
    assert {"tv_series", "tv_seasons", "tv_episodes", "tv_cast", "tv_crew",
            "episode_guest_stars", "episode_crew", "tv_genres", "tv_networks", "companies",
            "networks", "collections", "collection_parts", "keywords"} <= names  # fmt: skip
    for table in schema.TABLES:
        assert table.about and all(c.about for c in table.columns), table.name
