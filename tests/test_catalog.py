"""The simulated catalog: ids, days and distributions, checked without a server."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date

import orjson
from hypothesis import given
from hypothesis import strategies as st

from tmdb_collector.simulator.catalog import Catalog, IdSpace
from tmdb_collector.simulator.credits import CreditIndex, movie_credits, people_touched_by_movies
from tmdb_collector.simulator.movies import movie_json
from tmdb_collector.simulator.people import person_doc

DAY = date(2026, 11, 2)


def movie(catalog: Catalog, index: int, appends: tuple[str, ...] = ("credits",)) -> dict:
    return orjson.loads(movie_json(catalog, index, appends))


@given(st.integers(0, 10**8), st.integers(0, 2**32))
def test_id_space_is_a_bijection(index: int, seed: int) -> None:
    ids = IdSpace(seed, 1, 64, 45)
    assert ids.index_of(ids.id_of(index)) == index


def test_ids_are_sparse_increasing_and_unlisted_ids_map_to_nothing() -> None:
    ids = IdSpace(1, 1, 64, 45)
    listed = [ids.id_of(i) for i in range(10_000)]
    assert listed == sorted(set(listed))
    assert 1.3 < listed[-1] / len(listed) < 1.5  # about 70% of the id space is used
    gaps = set(range(1, listed[-1])) - set(listed)
    assert gaps and all(ids.index_of(g) is None for g in list(gaps)[:500])


def test_same_seed_same_catalog_and_another_seed_another() -> None:
    a, b, c = Catalog(1000, 5, DAY), Catalog(1000, 5, DAY), Catalog(1000, 6, DAY)
    assert movie(a, 17) == movie(b, 17)
    assert movie(a, 17) != movie(c, 17)


def test_first_export_lists_n_ids_of_which_a_few_percent_are_ghosts() -> None:
    catalog = Catalog(20_000, 1, DAY)
    listed = list(catalog.export_indices(catalog.movies, 0))
    assert len(listed) == 20_000
    ghosts = sum(catalog.movies.is_ghost(i) for i in listed)
    assert 0.02 <= ghosts / len(listed) <= 0.03
    ids = [catalog.movies.ids.id_of(i) for i in listed]
    assert ids != sorted(ids)  # like TMDb's: a few ids out of order at the top
    assert sorted(ids)[-1] > len(ids) * 1.3  # and not contiguous


def test_a_day_changes_adds_and_deletes_and_its_change_list_says_so() -> None:
    catalog = Catalog(5_000, 1, DAY)
    before = {
        i: movie(catalog, i) for i in range(catalog.movies.total(0)) if catalog.movies.alive(i, 0)
    }
    catalog.advance(1)
    rows = catalog.change_rows(catalog.movies, 1, set())
    listed = {r.id for r in rows}
    deleted = {r.id for r in rows if r.deleted}
    assert deleted and len(listed) > len(deleted)
    born = list(catalog.movies.born_on(1))
    assert born and all(
        catalog.movies.ids.id_of(i) in listed for i in born if not catalog.movies.is_ghost(i)
    )
    for index, doc in before.items():
        movie_id = doc["id"]
        if movie_id in deleted:
            assert catalog.movie_index(movie_id) is None
        elif movie_id in listed:
            assert movie(catalog, index) != doc, "a listed change must change the document"
        else:
            assert movie(catalog, index) == doc, "an unlisted movie must not change"


def test_export_of_a_day_reflects_that_day() -> None:
    catalog = Catalog(3_000, 2, DAY)
    catalog.advance(3)
    for day in range(4):
        listed = set(catalog.export_indices(catalog.movies, day))
        assert listed == {
            i for i in range(catalog.movies.total(day)) if catalog.movies.in_export(i, day)
        }
    day0, day3 = (
        set(catalog.export_indices(catalog.movies, 0)),
        set(catalog.export_indices(catalog.movies, 3)),
    )
    assert day3 - day0 == set(range(catalog.movies.total(0), catalog.movies.total(3)))
    assert day0 - day3 == {i for i, d in catalog.movies.deleted.items() if d <= 3}


def test_box_office_figures_are_rare_and_credits_are_heavy_tailed() -> None:
    catalog = Catalog(20_000, 1, DAY)
    docs = [orjson.loads(movie_json(catalog, i, ())) for i in range(4_000)]
    assert sum(d["budget"] == 0 for d in docs) / len(docs) > 0.8
    assert sum(d["revenue"] == 0 for d in docs) / len(docs) > 0.8
    credits = [movie_credits(catalog, i) for i in range(20_000)]
    assert any(len(c.cast) >= 100 and len(c.crew) >= 300 for c in credits)  # blockbusters
    assert sum(not c.cast and not c.crew for c in credits) > 0  # and movies with none
    assert statistics.median(len(c.cast) for c in credits) <= 8  # most have a handful
    appearances = Counter(p for c in credits for p, _, _ in c.cast)
    counts = sorted(appearances.values())
    assert statistics.median(counts) <= 3
    assert counts[-1] >= 100  # a few actors in hundreds of movies


def test_a_person_can_hold_several_crew_jobs_in_one_movie() -> None:
    catalog = Catalog(5_000, 1, DAY)
    for index in range(5_000):
        crew = movie_credits(catalog, index).crew
        people = [p for p, _, _ in crew]
        if len(people) != len(set(people)):
            return
    raise AssertionError("no movie has a person with two crew rows")


def test_person_credits_are_the_reverse_of_movie_credits() -> None:
    catalog = Catalog(2_000, 1, DAY)
    index = CreditIndex(catalog)
    star = Counter(p for m in range(2_000) for p, _, _ in movie_credits(catalog, m).cast)
    person, count = star.most_common(1)[0]
    doc = orjson.loads(orjson.dumps(person_doc(index, person, ("movie_credits",))))
    movie_ids = {row["id"] for row in doc["movie_credits"]["cast"]}
    expected = {
        catalog.movies.ids.id_of(m)
        for m in range(2_000)
        if catalog.movies.alive(m, 0)
        and any(p == person for p, _, _ in movie_credits(catalog, m).cast)
    }
    assert movie_ids == expected and len(movie_ids) <= count


def test_people_credited_in_a_new_or_deleted_movie_are_in_the_person_changes() -> None:
    catalog = Catalog(2_000, 1, DAY)
    catalog.advance(1)
    touched = people_touched_by_movies(catalog, 1)
    rows = {r.id for r in catalog.change_rows(catalog.people, 1, touched)}
    for m in [*catalog.movies.born_on(1), *catalog.movies.deleted_on(1)]:
        for p, _, _ in movie_credits(catalog, m).cast:
            assert catalog.people.ids.id_of(p) in rows


def test_movies_never_credit_a_person_who_answers_404() -> None:
    catalog = Catalog(3_000, 1, DAY)
    catalog.advance(5)
    for m in range(catalog.movies.total(5)):
        c = movie_credits(catalog, m)
        for p in [p for p, _, _ in c.cast] + [p for p, _, _ in c.crew]:
            assert catalog.people.alive(p, 5)
