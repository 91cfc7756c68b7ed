"""The simulator's TV, season, episode, credit, collection, company and network documents have
the field names, order, types and nesting of real TMDb ones (tests/data/tmdb), and hold
together: seasons listed are the seasons served, episode counts add up.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import orjson
import pytest

from test_shapes import Load, assert_same_shape, without
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.entities import company_doc, network_doc
from tmdb_collector.simulator.movie_collections import collection_doc, collection_ids
from tmdb_collector.simulator.tv import TV_APPENDS, season_doc, season_numbers, tv_doc

Doc = dict[str, Any]
SERIES = 120


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog = Catalog(3_000, 4, date(2026, 11, 2))
    catalog.advance(2)
    return catalog


def as_json(doc: Doc) -> Doc:
    return dict(orjson.loads(orjson.dumps(doc)))


@pytest.fixture(scope="module")
def series(catalog: Catalog) -> list[Doc]:
    """Live series with every append and their first two seasons appended."""
    live = [i for i in range(SERIES * 2) if catalog.tv.alive(i, catalog.day)][:SERIES]
    return [as_json(tv_doc(catalog, i, (*TV_APPENDS, "season/0", "season/1"))) for i in live]


@pytest.fixture(scope="module")
def seasons(series: list[Doc]) -> list[Doc]:
    return [s[key] for s in series for key in ("season/0", "season/1") if key in s]


def rows(docs: list[Doc], *path: str) -> list[Doc]:
    """Every row under `path` in the documents (a dict on the way is one row)."""
    found: list[Any] = docs
    for key in path:
        values = [doc[key] for doc in found]
        found = [row for v in values for row in ([v] if isinstance(v, dict) else v or [])]
    return found


TV_NULLABLE = {"backdrop_path", "poster_path", "next_episode_to_air"}
EPISODE_NULLABLE = {"air_date", "runtime", "still_path"}
PERSON_NULLABLE = {"profile_path"}


def test_series_fields_match_the_real_series(series: list[Doc], samples: Load) -> None:
    real = [
        samples("tv_1396_details.json"),  # 2026, with softcore: its key order is the reference
        without(samples("tv_242101_details_returning_next_episode.json")),
        without(
            samples("tv_1668_language_en_append_external_ids_credits.json"),
            "external_ids",
            "credits",
        ),
    ]
    plain = [without(s, *TV_APPENDS, "season/0", "season/1") for s in series]
    assert_same_shape(plain, real, TV_NULLABLE)
    for key in TV_NULLABLE:  # both forms occur, so a decoder meets both
        assert {s[key] is None for s in plain} == {True, False}, key
    assert_same_shape(rows(plain, "created_by"), real[0]["created_by"], PERSON_NULLABLE)
    assert_same_shape(rows(plain, "networks"), real[0]["networks"], {"logo_path"})
    assert_same_shape(rows(plain, "seasons"), real[0]["seasons"], {"air_date", "poster_path"})
    summaries = [s["last_episode_to_air"] for s in plain]
    summaries += [s["next_episode_to_air"] for s in plain if s["next_episode_to_air"]]
    real_summaries = [real[0]["last_episode_to_air"], real[1]["next_episode_to_air"]]
    assert_same_shape(summaries, real_summaries, EPISODE_NULLABLE)
    assert {s["status"] for s in plain} >= {"Ended", "Returning Series"}


def test_appended_credits_and_external_ids_match_the_real_ones(
    series: list[Doc], samples: Load
) -> None:
    credits = samples("tv_1396_credits.json")
    assert all(list(s["credits"]) == ["cast", "crew"] for s in series)  # appended: no id
    assert_same_shape(rows(series, "credits", "cast"), credits["cast"], PERSON_NULLABLE)
    assert_same_shape(rows(series, "credits", "crew"), credits["crew"], PERSON_NULLABLE)
    real = samples("tv_1668_language_en_append_external_ids_credits.json")["external_ids"]
    assert_same_shape([s["external_ids"] for s in series], [real], set(real))


def test_aggregate_credits_match_the_real_ones(series: list[Doc], samples: Load) -> None:
    real = samples("tv_96677_aggregate_credits.json")
    assert all(list(s["aggregate_credits"]) == ["cast", "crew"] for s in series)
    cast = rows(series, "aggregate_credits", "cast")
    crew = rows(series, "aggregate_credits", "crew")
    assert_same_shape(cast, real["cast"], PERSON_NULLABLE)
    assert_same_shape(crew, real["crew"], PERSON_NULLABLE)
    assert_same_shape(rows(cast, "roles"), rows(real["cast"], "roles"))
    assert_same_shape(rows(crew, "jobs"), rows(real["crew"], "jobs"))
    for row in cast:
        assert row["total_episode_count"] == sum(r["episode_count"] for r in row["roles"])
    assert any(len(row["jobs"]) > 1 for row in crew)  # a writer who directs, say


def test_seasons_and_episodes_match_the_real_season(seasons: list[Doc], samples: Load) -> None:
    real = samples("tv_1396_season_1.json")
    assert_same_shape(seasons, [real], {"air_date", "poster_path"})
    episodes = rows(seasons, "episodes")
    assert_same_shape(episodes, real["episodes"], EPISODE_NULLABLE)
    for key in EPISODE_NULLABLE:
        assert {e[key] is None for e in episodes} == {True, False}, key
    assert_same_shape(rows(episodes, "guest_stars"), rows(real["episodes"], "guest_stars"))
    assert_same_shape(rows(episodes, "crew"), rows(real["episodes"], "crew"), PERSON_NULLABLE)
    # The standalone episode sample holds the same fields (TMDb orders them differently there).
    assert set(samples("tv_1396_season_1_episode_1.json")) <= set(episodes[0])
    assert {len(s["_id"]) for s in seasons} == {24}


def test_season_appends_are_the_season_documents(catalog: Catalog, series: list[Doc]) -> None:
    index = catalog.tv.ids.index_of(series[0]["id"])
    assert index is not None
    doc = as_json(tv_doc(catalog, index, ("season/1", "season/99")))
    assert doc["season/1"] == as_json(season_doc(catalog, index, 1) or {})
    assert "season/99" not in doc  # a season the series lacks is left out, as TMDb does
    assert season_doc(catalog, index, 99) is None


def test_series_list_their_seasons_and_count_their_episodes(catalog: Catalog) -> None:
    sizes: Counter[int] = Counter()
    for index in range(catalog.tv.total(catalog.day)):
        numbers = season_numbers(catalog, index)
        regular = [n for n in numbers if n > 0]
        assert regular == list(range(1, len(regular) + 1))
        sizes[len(regular)] += 1
        if index % 50 == 0:
            doc = tv_doc(catalog, index, ())
            assert [s["season_number"] for s in doc["seasons"]] == numbers
            assert doc["number_of_seasons"] == len(regular)
            counts = {s["season_number"]: s["episode_count"] for s in doc["seasons"]}
            assert doc["number_of_episodes"] == sum(counts[n] for n in regular)
            for n in numbers[:3]:
                season = season_doc(catalog, index, n)
                assert season is not None and len(season["episodes"]) == counts[n]
    total = sum(sizes.values())
    assert sum(sizes[n] for n in (1, 2, 3)) > 0.7 * total  # most run one to three seasons
    assert max(sizes) > 20  # and some run for decades


def test_collection_company_and_network_match_the_real_ones(
    catalog: Catalog, samples: Load
) -> None:
    found = [collection_doc(catalog, cid) for cid in collection_ids(catalog, catalog.day)]
    collections = [as_json(c) for c in found if c]
    assert len(collections) > 20
    real = samples("collection_264_details.json")
    older = samples("collection_10_details_2024-02-05.json")
    assert_same_shape(collections, [real, older], {"backdrop_path", "poster_path"})
    nullable = {"backdrop_path", "poster_path"}
    assert_same_shape(rows(collections, "parts"), real["parts"] + older["parts"], nullable)
    companies = [as_json(c) for c in map(lambda i: company_doc(catalog, i), range(1, 300)) if c]
    company = samples("company_25_details.json")
    assert_same_shape(
        [without(c, "parent_company") for c in companies],
        [without(company, "parent_company")],
        {"logo_path"},
    )
    parents = [c["parent_company"] for c in companies if c["parent_company"]]
    assert parents and all(list(p) == ["name", "id", "logo_path"] for p in parents)
    assert list(companies[0]) == list(company)
    networks = [as_json(n) for n in map(lambda i: network_doc(catalog, i), range(1, 60)) if n]
    assert_same_shape(networks, [samples("network_213_details.json")], {"logo_path"})


def test_aggregate_episode_counts_are_the_episodes_that_credit_each_role(
    catalog: Catalog,
) -> None:
    checked = 0
    for index in range(0, 200, 9):
        doc = as_json(tv_doc(catalog, index, ("aggregate_credits",)))
        guest_episodes: Counter[str] = Counter()
        crew_episodes: Counter[str] = Counter()
        for n in season_numbers(catalog, index):
            for episode in (season_doc(catalog, index, n) or {})["episodes"]:
                guest_episodes.update(row["credit_id"] for row in episode["guest_stars"])
                crew_episodes.update(row["credit_id"] for row in episode["crew"])
        roles = {
            r["credit_id"]: r["episode_count"]
            for r in rows([doc], "aggregate_credits", "cast", "roles")
        }
        jobs = {
            j["credit_id"]: j["episode_count"]
            for j in rows([doc], "aggregate_credits", "crew", "jobs")
        }
        for credit, count in guest_episodes.items():
            assert roles[credit] == count  # a guest star: the episodes that list them
        for credit, count in crew_episodes.items():
            assert jobs[credit] == count
        episodes = sum(s["episode_count"] for s in doc["seasons"])
        for credit, count in jobs.items():  # whole-run jobs cover every episode
            assert credit in crew_episodes or count == episodes
        checked += len(guest_episodes)
    assert checked > 100


def test_tv_credits_name_people_the_api_serves(catalog: Catalog) -> None:
    people = set()
    for index in range(0, 300, 5):
        doc = as_json(tv_doc(catalog, index, ("aggregate_credits",)))
        credits = doc["aggregate_credits"]
        people.update(row["id"] for row in credits["cast"] + credits["crew"] + doc["created_by"])
    served = [catalog.person_index(p) for p in people]
    assert all(catalog.people.ids.index_of(p) is not None for p in people)  # real person ids
    # Some are TV-only people TMDb has since deleted (404), as film credits never have.
    assert 0.9 * len(people) < sum(i is not None for i in served) < len(people)
    film = [i for i in served if i is not None and not catalog.is_tv_only(i)]
    assert len(film) > 0.2 * len(people)  # film people work on television too
