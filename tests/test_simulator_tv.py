"""The simulator's TV series, seasons, collections, companies, networks and keywords over real
HTTP: appends (`season/N` among them, 20 at most), the seasons route, `/tv/changes` on
simulated days, the seven exports, TMDb's TV quirks and the fault profiles on the new routes.
What each answer should be is computed in-process from the same seeded catalog.
"""

from __future__ import annotations

import tracemalloc
from datetime import date
from typing import Any

import orjson
import pytest

from conftest import FIRST_DAY
from test_simulator_http import (
    KEY,
    Client,
    StartSim,
    attempt,
    error_code,
    export_lines,
    export_path,
    sim_day,
)
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.entities import company_count, keyword_count, network_count
from tmdb_collector.simulator.exports import EXPORT_KINDS
from tmdb_collector.simulator.faults import FaultPlan
from tmdb_collector.simulator.movie_collections import collection_doc, collection_ids
from tmdb_collector.simulator.process import SimulatorProcess
from tmdb_collector.simulator.tv import (
    TV_APPENDS,
    season_doc,
    season_numbers,
    served_seasons,
    tv_doc,
)

SHARED = Catalog(2_000, 7, date.fromisoformat(FIRST_DAY))
"""The shared `sim` fixture's catalog (2,000 movies, seed 7, its first day)."""
EXPORT_KEYS = {
    "tv_series": ["id", "original_name", "popularity"],
    "collection": ["id", "name"],
    "tv_network": ["id", "name"],
    "keyword": ["id", "name"],
    "production_company": ["id", "name"],
}


def expected_tv(catalog: Catalog, tv_id: int, appends: tuple[str, ...], plan: Any = None) -> Any:
    index = catalog.tv.ids.index_of(tv_id)
    assert index is not None
    return orjson.loads(orjson.dumps(tv_doc(catalog, index, appends, plan)))


@pytest.fixture
def api(sim: SimulatorProcess) -> Any:
    with Client(sim, key=KEY) as client:
        yield client


@pytest.fixture(scope="module")
def tv_export(sim: SimulatorProcess) -> list[dict[str, Any]]:
    with Client(sim) as client:
        return export_lines(client, "tv_series", sim_day(sim))


def test_series_answer_with_their_appends_and_seasons_as_the_catalog_says(
    api: Client, tv_export: list[dict[str, Any]]
) -> None:
    served = 0
    for line in tv_export[::25]:
        index = SHARED.tv.ids.index_of(line["id"])
        assert index is not None
        numbers = season_numbers(SHARED, index)
        appends = (*TV_APPENDS, *(f"season/{n}" for n in numbers[:15]), "season/64")
        reply = api.get(f"/3/tv/{line['id']}", {"append_to_response": ",".join(appends)})
        if not SHARED.tv.alive(index, 0):
            assert reply.status == 404 and error_code(reply) == 34  # a ghost of the export
            continue
        served += 1
        doc = reply.json()
        assert doc == expected_tv(SHARED, line["id"], appends)
        assert doc["name"] == line["original_name"] and doc["popularity"] == line["popularity"]
        assert [s["season_number"] for s in doc["seasons"]] == numbers
        for n in numbers[:15]:  # each appended season is the season's own answer
            alone = api.get(f"/3/tv/{line['id']}/season/{n}")
            assert alone.status == 200 and alone.json() == doc[f"season/{n}"]
        assert "season/64" not in doc  # no such season: left out, not an error
        assert api.get(f"/3/tv/{line['id']}/season/64").status == 404
    assert served >= 10


def test_season_appends_count_toward_the_20_cap(
    api: Client, tv_export: list[dict[str, Any]]
) -> None:
    tv_id = next(line["id"] for line in tv_export if api.get(f"/3/tv/{line['id']}").status == 200)
    seasons = [f"season/{n}" for n in range(20)]
    at_limit = api.get(f"/3/tv/{tv_id}", {"append_to_response": ",".join(seasons)})
    assert at_limit.status == 200
    over = ",".join([*seasons, "credits"])
    too_many = api.get(f"/3/tv/{tv_id}", {"append_to_response": over})
    assert too_many.status == 400 and error_code(too_many) == 27
    for path in (f"/3/tv/{tv_id}/season/x", "/3/tv/999999999/season/1", "/3/tv/999999999"):
        reply = api.get(path)
        assert reply.status == 404 and error_code(reply) == 34, path


def test_tv_latest_is_the_newest_live_series(api: Client) -> None:
    latest = api.get("/3/tv/latest").json()
    assert latest["id"] == SHARED.tv.ids.id_of(SHARED.latest(SHARED.tv))
    assert latest == expected_tv(SHARED, latest["id"], ())


def test_every_export_kind_lists_what_the_catalog_holds(sim: SimulatorProcess, api: Client) -> None:
    day = sim_day(sim)
    with Client(sim) as files:
        lines = {kind: export_lines(files, kind, day) for kind in EXPORT_KINDS}
    for kind, keys in EXPORT_KEYS.items():
        assert lines[kind] and all(list(line) == keys for line in lines[kind]), kind
    assert len(lines["tv_series"]) == SHARED.tv.base
    assert [line["id"] for line in lines["collection"]] == list(collection_ids(SHARED, 0))
    assert len(lines["production_company"]) == company_count(SHARED)
    assert len(lines["tv_network"]) == network_count(SHARED)
    assert len(lines["keyword"]) == keyword_count(SHARED)
    # Listed ids answer with the name the export gave (a few are ghosts: 404).
    for kind, path in (
        ("collection", "collection"),
        ("production_company", "company"),
        ("tv_network", "network"),
        ("keyword", "keyword"),
    ):
        sample = lines[kind][::7]
        answers = [api.get(f"/3/{path}/{line['id']}") for line in sample]
        ok = [(line, a.json()) for line, a in zip(sample, answers, strict=True) if a.status == 200]
        assert len(ok) >= 0.85 * len(sample), kind
        assert all(doc["name"] == line["name"] for line, doc in ok), kind
        assert all(a.status in (200, 404) for a in answers)
    # Movies' collections are the collections served.
    for line in lines["collection"][:10]:
        doc = api.get(f"/3/collection/{line['id']}").json()
        assert doc == orjson.loads(orjson.dumps(collection_doc(SHARED, line["id"])))
        for part in doc["parts"]:
            movie = api.get(f"/3/movie/{part['id']}").json()
            assert movie["belongs_to_collection"]["id"] == line["id"]


def test_a_day_changes_adds_and_deletes_series(start_sim: StartSim) -> None:
    proc = start_sim("--movies", "2000", "--seed", "4", "--day", FIRST_DAY)
    catalog = Catalog(2_000, 4, date.fromisoformat(FIRST_DAY))
    day0 = sim_day(proc)
    with Client(proc) as client:
        assert client.get("/3/tv/changes").json()["total_results"] == 0
        old_ids = [line["id"] for line in export_lines(client, "tv_series", day0)]
        before = {}
        for tv_id in old_ids:
            reply = client.get(f"/3/tv/{tv_id}", {"append_to_response": "season/1"})
            before[tv_id] = reply.json() if reply.status == 200 else None
        day1 = date.fromisoformat(proc.advance(1))
        catalog.advance(1)
        rows = client.get("/3/tv/changes").json()["results"]
        assert rows == client.get("/3/tv/changes", {"end_date": day1.isoformat()}).json()["results"]
        new_ids = {line["id"] for line in export_lines(client, "tv_series", day1)}
        deleted = [row["id"] for row in rows if row["adult"] is None]
        kept = [row["id"] for row in rows if row["adult"] is not None]
        assert deleted and kept
        for tv_id in deleted:
            assert before[tv_id] is not None and tv_id not in new_ids
            assert client.get(f"/3/tv/{tv_id}").status == 404
            assert client.get(f"/3/tv/{tv_id}/season/1").status == 404
        changed = [i for i in kept if before.get(i) is not None]
        assert changed
        for tv_id in changed:
            now = client.get(f"/3/tv/{tv_id}", {"append_to_response": "season/1"}).json()
            assert now == expected_tv(catalog, tv_id, ("season/1",))
            assert now != before[tv_id] and now["season/1"] != before[tv_id]["season/1"]
        added = new_ids - set(old_ids)
        assert added
        for tv_id in added:  # new series are listed as changed, unless ghosts (404)
            assert (tv_id in kept) == (client.get(f"/3/tv/{tv_id}").status == 200)
        listed = set(deleted) | set(kept)
        for tv_id in [i for i in old_ids if i not in listed and before[i]][:60]:
            again = client.get(f"/3/tv/{tv_id}", {"append_to_response": "season/1"}).json()
            assert again == before[tv_id], tv_id
        assert client.get(export_path("tv_series", day0)).status == 200


def test_quirks_a_season_that_404s_and_a_season_count_that_disagrees(
    start_sim: StartSim,
) -> None:
    proc = start_sim("--movies", "2000", "--seed", "7", "--day", FIRST_DAY, "--faults", "quirks")
    plan = FaultPlan.parse("quirks", 7)
    series = [(SHARED.tv.ids.id_of(i), i) for i in range(SHARED.tv.base) if SHARED.tv.alive(i, 0)]
    missing = [
        (tv_id, i, n)
        for tv_id, i in series
        for n in season_numbers(SHARED, i)
        if plan.quirk("missing_season", tv_id, n)
    ]
    off = [(tv_id, i) for tv_id, i in series if plan.quirk("season_count_mismatch", tv_id)]
    assert missing and off
    with Client(proc) as client:
        for tv_id, index, n in missing[:10]:
            listed = client.get(f"/3/tv/{tv_id}", {"append_to_response": f"season/{n}"})
            assert listed.status == 200
            doc = listed.json()
            assert n in [s["season_number"] for s in doc["seasons"]]
            assert f"season/{n}" not in doc  # left out of the append ...
            assert client.get(f"/3/tv/{tv_id}/season/{n}").status == 404  # ... and 404 alone
            assert season_doc(SHARED, index, n) is not None  # the catalog still has it
            assert n not in served_seasons(SHARED, index, plan)
            assert n in served_seasons(SHARED, index)
        for tv_id, _ in off[:10]:
            doc = client.get(f"/3/tv/{tv_id}").json()
            regular = [s for s in doc["seasons"] if s["season_number"] > 0]
            assert doc["number_of_seasons"] == len(regular) + 1
            assert doc == expected_tv(SHARED, tv_id, (), plan)


def test_hostile_faults_strike_the_new_routes_too(start_sim: StartSim) -> None:
    proc = start_sim(
        "--movies", "2000", "--seed", "7", "--day", FIRST_DAY, "--faults", "hostile,slow=0"
    )
    tv_ids = [SHARED.tv.ids.id_of(i) for i in range(40) if SHARED.tv.alive(i, 0)]
    paths = [f"/3/tv/{i}/season/1" for i in tv_ids] + [f"/3/tv/{i}" for i in tv_ids]
    paths += [f"/3/company/{i}" for i in range(1, 30)] + [f"/3/network/{i}" for i in range(1, 20)]
    outcomes = [attempt(proc, path, timeout=2.0) for path in paths]
    failed = [o for o in outcomes if o.status != 200 and o.status != 404]
    assert 0.1 * len(paths) < len(failed) < 0.5 * len(paths)


def test_same_seed_same_series_and_no_per_id_memory() -> None:
    a, b = Catalog(2_000, 11, date(2026, 1, 1)), Catalog(2_000, 11, date(2026, 1, 1))
    other = Catalog(2_000, 12, date(2026, 1, 1))
    for index in range(0, 380, 37):
        appends = (*TV_APPENDS, "season/1")
        assert orjson.dumps(tv_doc(a, index, appends)) == orjson.dumps(tv_doc(b, index, appends))
        assert tv_doc(a, index, ()) != tv_doc(other, index, ())
    # A catalog of five million movies (a million series) is made and served from without
    # listing anything per id: its last series, a late collection, the newest company.
    tracemalloc.start()
    huge = Catalog(5_000_000, 1, date(2026, 1, 1))
    huge.advance(1)
    last = huge.tv.total(1) - 1
    docs = [tv_doc(huge, i, (*TV_APPENDS, "season/1")) for i in (last, last - 1, 0)]
    docs.append(collection_doc(huge, next(iter(collection_ids(huge, 0)))) or {})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert all(docs)
    assert peak < 30_000_000, peak  # bytes: the catalog holds a few days' events, not ids
    assert len(huge.tv.changed) <= huge.tv.changed_per_day
