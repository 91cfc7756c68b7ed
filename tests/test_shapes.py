"""Generated documents have the field names, order, types and nullability of real TMDb ones.

The reference is the real responses in tests/data/tmdb: if TMDb's shape and the
simulator's drift apart, the collector would be tested against the wrong thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import orjson
import pytest

from tmdb_collector.simulator import payloads
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.credits import CAST, CREW, CreditIndex, credit_id, movie_credits
from tmdb_collector.simulator.credits_json import credits_json, person_fragment
from tmdb_collector.simulator.exports import movie_export_line, person_export_line
from tmdb_collector.simulator.movies import movie_json
from tmdb_collector.simulator.people import person_doc, person_summary

Load = Callable[[str], Any]
MOVIE_APPENDS = ("credits", "keywords", "external_ids", "release_dates")
PERSON_APPENDS = ("movie_credits", "combined_credits", "external_ids")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog = Catalog(3_000, 4, date(2026, 11, 2))
    catalog.advance(2)
    return catalog


@pytest.fixture(scope="module")
def movies(catalog: Catalog) -> list[dict[str, Any]]:
    return [
        orjson.loads(movie_json(catalog, i, MOVIE_APPENDS))
        for i in range(600)
        if catalog.movies.alive(i, catalog.day)
    ]


@pytest.fixture(scope="module")
def people(catalog: Catalog) -> list[dict[str, Any]]:
    index = CreditIndex(catalog)
    credited = sorted({p for m in range(300) for p, _, _ in movie_credits(catalog, m).cast})
    return [
        orjson.loads(orjson.dumps(person_doc(index, p, PERSON_APPENDS))) for p in credited[:150]
    ]


def kinds(values: Iterable[Any]) -> set[str]:
    return {type(v).__name__ for v in values}


def allowed_types(records: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    """Field -> the JSON types the real samples show for it."""
    allowed: dict[str, set[str]] = {}
    for record in records:
        for key, value in record.items():
            allowed.setdefault(key, set()).add(type(value).__name__)
    return allowed


def assert_same_shape(
    generated: list[dict[str, Any]], real: list[dict[str, Any]], nullable: set[str] = frozenset()
) -> None:
    """Same keys in the same order as the real records, and only types the real ones use
    (None also where TMDb documents the field as nullable)."""
    real_keys = list(real[0])
    allowed = allowed_types(real)
    for key in nullable:
        allowed[key].add("NoneType")
    for record in generated:
        assert list(record) == real_keys
        for key, value in record.items():
            assert type(value).__name__ in allowed[key], f"{key}={value!r}"


def without(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in keys}


MOVIE_NULLABLE = {"backdrop_path", "belongs_to_collection", "imdb_id", "poster_path"}


def test_movie_fields_match_the_real_movies(movies: list[dict[str, Any]], samples: Load) -> None:
    real = [
        without(
            samples("movie_49026_tt1345836_append_credits_images_keywords.json"),
            "credits",
            "images",
            "keywords",
        ),
        samples("movie_47964_details.json"),
        samples("movie_latest.json"),
    ]
    assert_same_shape([without(m, *MOVIE_APPENDS) for m in movies], real, MOVIE_NULLABLE)
    # Every nullable field is sometimes null, as in TMDb, so a decoder meets both forms.
    for key in MOVIE_NULLABLE:
        assert {m[key] is None for m in movies} == {True, False}, key


def test_credit_rows_match_the_real_credits(movies: list[dict[str, Any]], samples: Load) -> None:
    real = samples("movie_49026_tt1345836_append_credits_images_keywords.json")["credits"]
    cast = [row for m in movies for row in m["credits"]["cast"]]
    crew = [row for m in movies for row in m["credits"]["crew"]]
    assert list(movies[0]["credits"]) == ["cast", "crew"]
    assert_same_shape(cast, real["cast"], {"profile_path"})
    assert_same_shape(crew, real["crew"], {"profile_path"})
    assert {len(row["credit_id"]) for row in cast + crew} == {24}
    assert len({row["credit_id"] for row in cast + crew}) == len(cast) + len(crew)


def test_keywords_and_release_dates_and_external_ids(
    movies: list[dict[str, Any]], samples: Load
) -> None:
    real = samples("movie_49026_tt1345836_append_credits_images_keywords.json")["keywords"]
    rows = [k for m in movies for k in m["keywords"]["keywords"]]
    assert list(movies[0]["keywords"]) == ["keywords"]
    assert_same_shape(rows, real["keywords"])
    for m in movies:
        assert list(m["external_ids"]) == [
            "imdb_id",
            "wikidata_id",
            "facebook_id",
            "instagram_id",
            "twitter_id",
        ]
        for country in m["release_dates"]["results"]:
            assert list(country) == ["iso_3166_1", "release_dates"]
            for row in country["release_dates"]:
                assert list(row) == [
                    "certification",
                    "descriptors",
                    "iso_639_1",
                    "note",
                    "release_date",
                    "type",
                ]


def test_person_fields_match_the_real_people(people: list[dict[str, Any]], samples: Load) -> None:
    real = [
        samples("person_62_details.json"),
        samples("person_latest.json"),
        without(
            samples("person_4347_append_all.json"),
            "movie_credits",
            "tv_credits",
            "external_ids",
            "images",
            "tagged_images",
            "changes",
            "combined_credits",
        ),
    ]
    nullable = {"birthday", "deathday", "imdb_id", "place_of_birth", "profile_path"}
    assert_same_shape([without(p, *PERSON_APPENDS) for p in people], real, nullable)


def test_person_credit_lists_match_the_real_ones(
    people: list[dict[str, Any]], samples: Load
) -> None:
    real = samples("person_4347_append_all.json")
    nullable = {"backdrop_path", "poster_path"}
    for block in ("movie_credits", "combined_credits"):
        for side in ("cast", "crew"):
            rows = [row for p in people for row in p[block][side]]
            real_rows = [r for r in real[block][side] if r.get("media_type", "movie") == "movie"]
            assert rows, f"no {block} {side} rows generated"
            assert_same_shape(rows, real_rows, nullable)
    assert_same_shape(
        [p["external_ids"] for p in people], [real["external_ids"]], set(real["external_ids"])
    )


def test_change_lists_and_errors_and_configuration(samples: Load) -> None:
    real = samples("movie_changes_page1_default24h.json")
    catalog = Catalog(3_000, 4, date(2026, 11, 2))
    catalog.advance(1)
    rows = [row.as_json() for row in catalog.change_rows(catalog.movies, 1, set())]
    assert_same_shape(rows, real["results"], {"adult", "softcore"})
    # Deleted ids come back with adult: null, as in the real lists.
    assert {r["adult"] for r in rows} == {None, False}
    assert set(payloads.error_body(34)) == set(samples("error_404_status34_movie_999999999.json"))
    assert payloads.error_body(34) == samples("error_404_status34_movie_999999999.json")
    assert (
        payloads.error_body(7)["status_message"]
        == (samples("spec_example_error_401_status7.json")["status_message"])
    )
    assert samples("configuration.json") == payloads.CONFIGURATION


def test_export_lines_match_the_real_first_lines(catalog: Catalog, samples: Load) -> None:
    real = samples("export_first_line_per_type_08_31_2026.json")
    movie_lines = [movie_export_line(catalog, i, 0) for i in range(200)]
    person_lines = [person_export_line(catalog, i, 0) for i in range(200)]
    assert_same_shape(movie_lines, [real["movie_ids"]])
    assert_same_shape(person_lines, [real["person_ids"]])
    assert kinds(line["popularity"] for line in movie_lines) == {"float"}


def test_credit_rows_embed_exactly_the_person_summary(catalog: Catalog) -> None:
    # Credit rows are built from pre-formatted bytes for speed; they must say what the
    # person's own summary says, byte for byte as orjson would write it.
    for index in range(0, 40_000, 7):
        summary = person_summary(catalog, index)
        assert person_fragment(catalog, index) + b"}" == orjson.dumps(summary)


def test_credit_rows_embed_the_person_summary_of_anyone(catalog: Catalog) -> None:
    # The same for people far beyond the first ones (whose fragments are cached) and beyond
    # this small catalog: big catalogs credit millions of people.
    for index in [*range(60_000, 70_000, 7), *range(70_000, 5_000_000, 4_999)]:
        summary = person_summary(catalog, index)
        assert person_fragment(catalog, index) + b"}" == orjson.dumps(summary)


def readable_credits(catalog: Catalog, index: int) -> dict[str, Any]:
    """A movie's credits built the obvious way: each row is the person's summary and then the
    credit's own fields, in TMDb's order."""
    movie_id = catalog.movies.ids.id_of(index)
    credits = movie_credits(catalog, index)
    cast = [
        {
            **person_summary(catalog, p),
            "cast_id": order + 1,
            "character": character,
            "credit_id": credit_id(movie_id, order, CAST),
            "order": order,
        }
        for p, order, character in credits.cast
    ]
    crew = [
        {
            **person_summary(catalog, p),
            "credit_id": credit_id(movie_id, slot, CREW),
            "department": department,
            "job": job,
        }
        for slot, (p, department, job) in enumerate(credits.crew)
    ]
    return {"cast": cast, "crew": crew}


def test_credits_json_is_what_orjson_writes_for_the_readable_rows(catalog: Catalog) -> None:
    # A movie's credits are joined from pre-formatted bytes for speed; a client must get the
    # very bytes orjson writes for the rows built the obvious way (blockbusters included).
    rows = 0
    for index in range(0, 3_000, 2):
        movie_id = catalog.movies.ids.id_of(index)
        expected = orjson.dumps(readable_credits(catalog, index))
        assert credits_json(catalog, index, movie_id) == expected, index
        rows += len(movie_credits(catalog, index).crew)
    assert rows > 10_000


def test_credit_ids_in_movies_are_the_ones_in_person_credits(
    catalog: Catalog, movies: list[dict[str, Any]]
) -> None:
    # Movie credit rows write their ids from pre-formatted pieces; person credit lists call
    # credit_id(). Both must give every row the same id, shaped like TMDb's (ObjectIds: a
    # movie's rows share all but the last digits).
    rows = 0
    for movie in movies:
        for kind, side in ((CAST, "cast"), (CREW, "crew")):
            ids = [row["credit_id"] for row in movie["credits"][side]]
            assert ids == [credit_id(movie["id"], n, kind) for n in range(len(ids))]
            assert len({i[:21] for i in ids}) <= 1
            assert all(0x52FE4000 <= int(i[:8], 16) < 0x68000000 for i in ids)
            rows += len(ids)
    assert rows > 1_000
