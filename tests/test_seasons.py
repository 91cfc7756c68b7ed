"""The season parser and planner (pure), against the real TMDb samples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tmdb_collector.client import seasons
from tmdb_collector.crawl.credited import people_in
from tmdb_collector.vocab import Kind

Samples = Callable[[str], Any]
APPENDS = ("aggregate_credits", "keywords", "external_ids", "content_ratings")


def test_first_request_fills_the_room_under_tmdbs_cap_with_seasons_from_the_specials() -> None:
    first = seasons.first_appends(APPENDS)
    assert len(first) == 20
    assert first[:4] == APPENDS
    assert first[4:] == tuple(f"season/{n}" for n in range(16))
    # --append naming seasons itself does not eat the room twice
    assert seasons.first_appends((*APPENDS, "season/3")) == first


def test_breaking_bad_wants_its_specials_and_five_seasons(samples: Samples) -> None:
    series = samples("tv_1396_details.json")
    assert seasons.wanted_seasons(series) == [0, 1, 2, 3, 4, 5]
    assert not seasons.seasons_disagree(series)  # five regular seasons, and a season 0


def test_a_count_disagreeing_with_the_list_skips_no_season(samples: Samples) -> None:
    series = samples("tv_1396_details.json")
    series["number_of_seasons"] = 7  # two seasons the list does not name
    assert seasons.seasons_disagree(series)
    assert seasons.wanted_seasons(series) == [0, 1, 2, 3, 4, 5, 6, 7]
    series["number_of_seasons"] = 3  # fewer than listed: the listed ones are still wanted
    assert seasons.wanted_seasons(series) == [0, 1, 2, 3, 4, 5]
    series["number_of_seasons"] = None
    series["seasons"] = [{"season_number": "x"}, None, {"season_number": 2}]
    assert seasons.wanted_seasons(series) == [2]


def test_the_real_season_is_read_in_either_shape(samples: Samples) -> None:
    season = samples("tv_1396_season_1.json")
    assert seasons.as_season(season, 1) is season  # the standalone /tv/1396/season/1 body
    series = samples("tv_1396_details.json") | {"season/1": season}  # the appended shape
    assert seasons.seasons_in(series, [0, 1, 2]) == {1: season}


def test_what_is_not_the_season_asked_for_is_not_taken(samples: Samples) -> None:
    season = samples("tv_1396_season_1.json")
    assert seasons.as_season(season, 2) is None  # says it is season 1
    error = {"success": False, "status_code": 34, "status_message": "not found"}
    assert seasons.as_season(error, 1) is None
    assert seasons.as_season({"episodes": None}, 1) is None
    assert seasons.as_season([season], 1) is None
    without_number = {k: v for k, v in season.items() if k != "season_number"}
    assert seasons.as_season(without_number, 4) is without_number


def test_follow_up_requests_take_twenty_seasons_each() -> None:
    got = seasons.batches(range(16, 61))
    assert [len(b) for b in got] == [20, 20, 5]
    assert got[0][0] == "season/16" and got[-1][-1] == "season/60"


def test_the_stored_document_holds_every_season_and_names_the_missing(samples: Samples) -> None:
    series = samples("tv_1396_details.json")
    season = samples("tv_1396_season_1.json")
    first = series | {"season/3": {"success": False, "status_code": 34}}
    doc = seasons.series_document(first, {1: season}, missing=[3])
    assert doc["season/1"] is season
    assert "season/3" not in doc  # an error object is not kept as a season
    assert doc[seasons.MISSING_KEY] == [3]
    assert seasons.stored_seasons(doc) == {1: season}
    assert seasons.MISSING_KEY not in seasons.series_document(series, {1: season}, [])


def test_people_of_a_series_come_from_aggregate_credits_and_episodes(samples: Samples) -> None:
    season = samples("tv_1396_season_1.json")
    credits = samples("tv_96677_aggregate_credits.json")
    doc = samples("tv_1396_details.json") | {"season/1": season, "aggregate_credits": credits}
    guests = {g["id"] for e in season["episodes"] for g in e["guest_stars"]}
    episode_crew = {c["id"] for e in season["episodes"] for c in e["crew"]}
    cast = {c["id"] for c in credits["cast"]}
    crew = {c["id"] for c in credits["crew"]}
    assert set(people_in(Kind.TV, doc)) == cast | crew | guests | episode_crew
    assert set(people_in(Kind.TV, doc, cast_only=True)) == cast | guests
