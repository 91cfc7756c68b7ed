"""What TMDb really serves now and then (issue #14, item 5), played by the simulator's
`quirks` profile: change lists with a few null ids, an export listing ids twice, movies
answered without the credits they were asked for. Each is counted and reported, and nothing
is lost."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import orjson

from test_crawl_e2e import (
    KEY,
    StartSim,
    assert_store_matches_catalog,
    crawl,
    export_ids,
    rows,
    sim_get,
    summary,
)
from test_sync_e2e import events, sync
from tmdb_collector import config
from tmdb_collector.client.protocol import missing_appends
from tmdb_collector.crawl.changes import change_window
from tmdb_collector.ids import read_ids
from tmdb_collector.simulator.faults import FaultPlan

MOVIES = 1000


def test_quirks_profile_parses_apart_from_the_fault_rates() -> None:
    plan = FaultPlan.parse("hostile,quirks")
    assert set(plan.quirks) == {
        "null_change_ids",
        "duplicate_export_ids",
        "missing_append",
        "missing_season",
        "season_count_mismatch",
    }
    assert "missing_append" not in plan.rates  # quirks are not transport faults
    assert FaultPlan.parse("none").quirks == {}


def test_a_crawl_counts_duplicate_export_lines_and_refetches_movies_missing_credits(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim("--movies", str(MOVIES), "--faults", "quirks", api_key=KEY)
    data = tmp_path / "data"
    result = crawl(sim, data, "--json")
    assert result.returncode == 0, result.stderr
    facts = summary(result.stdout)
    (export,) = (data / "exports").iterdir()
    with gzip.open(export, "rb") as lines:
        listed = Counter(orjson.loads(line)["id"] for line in lines if line.strip())
    twice = sum(n - 1 for n in listed.values())
    assert twice > 0  # the export did list ids twice ...
    assert facts["duplicate lines skipped"] == twice  # ... and the summary says how many
    missing = facts["reasons"].get("not a movie with its credits", 0)
    assert missing > 0  # answers without their credits were met, and fetched again
    assert (facts["failed"], facts["failed ids in the store"]) == (0, 0)
    for row in rows(data).values():
        if row.status == "ok":
            assert "credits" in orjson.loads(row.doc or b"{}"), row
    assert_store_matches_catalog(data, MOVIES, config.SIM_SEED, export_ids(MOVIES))


def test_a_sync_counts_the_null_ids_of_the_change_lists(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim("--movies", "800", "--faults", "null_change_ids=0.5", api_key=KEY)
    data = tmp_path / "data"
    assert crawl(sim, data, "--quiet").returncode == 0
    day = sim.advance(3)
    result = sync(sim, data, "--json", "--only", "movies", until=day)
    assert result.returncode == 0, result.stderr
    (facts,) = events(result.stdout, "summary")
    first, last = (date.fromisoformat(d) for d in facts["days read"].split(".."))
    served = 0
    while first <= last:  # what the sync read: each day's window, one day at a time
        start, end = change_window(first)
        page = json.loads(
            sim_get(sim, f"/3/movie/changes?api_key={KEY}&start_date={start}&end_date={end}")
        )
        assert page["total_pages"] <= 1
        served += sum(1 for row in page["results"] if row["id"] is None)
        first += timedelta(days=1)
    assert served > 0, facts
    assert facts["null ids skipped"] == served, facts


def test_an_ids_file_listing_ids_twice_counts_the_repeats(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ids.txt"
    path.write_text('5\n9\n5\n{"id": 9, "adult": false}\n3000000\n5\n')
    source = read_ids(path)
    assert list(source) == [5, 9, 5, 9, 3_000_000, 5]  # the store keeps each once
    assert (source.lines, source.duplicates) == (6, 3)
    assert len(list(source)) == 6 and source.duplicates == 3  # a second pass counts alike


def test_a_document_missing_an_asked_append_is_retried_not_stored() -> None:
    assert missing_appends({"id": 1, "keywords": {}}, ("credits", "keywords")) == ["credits"]
    assert missing_appends({"id": 1, "credits": {}}, ("credits",)) == []
    # An append TMDb does not know, it leaves out silently: never a reason to retry.
    assert missing_appends({"id": 1}, ("no_such_append",)) == []
