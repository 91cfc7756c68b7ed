"""Person documents: `/person/{id}` with its appends, and the summary embedded in credits.

Field names, order, types and nullability follow the real responses in `tests/data/tmdb/`.
Fields a day's change may touch (popularity, biography) come from the person's *version*; the
summary embedded in a movie's credits comes from the stable base, so a change shows up only in
the changed person's own document, as the change lists say.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from tmdb_collector.simulator import vocab
from tmdb_collector.simulator.attributes import (
    CREW_DEPARTMENTS,
    FULL_NAMES,
    GENDERS,
    SALT_PERSON,
    SALT_PERSON_V,
    Doc,
    hashed_path,
    name_number,
    person_name,
    popularity,
)
from tmdb_collector.simulator.catalog import Catalog, mix
from tmdb_collector.simulator.credits import CAST, CREW, CreditIndex, credit_id, movie_credits
from tmdb_collector.simulator.movies import movie_summary


def person_summary(catalog: Catalog, index: int) -> Doc:
    """The stable fields of a person, as embedded in movie credits."""
    gender, department, name, pop, path = _person_fields(mix(catalog.seed, SALT_PERSON, index))
    return {
        "adult": False,
        "gender": gender,
        "id": catalog.people.ids.id_of(index),
        "known_for_department": department,
        "name": FULL_NAMES[name],
        "original_name": FULL_NAMES[name],
        "popularity": pop,
        "profile_path": path,
    }


def _person_fields(x: int) -> tuple[int, str, int, float, str | None]:
    """gender, department, name number, popularity, profile path: all from one hash."""
    acting = ((x >> 32) & 0xFF) < 154
    return (
        GENDERS[(x & 0xFF) % 100],
        "Acting" if acting else CREW_DEPARTMENTS[(x >> 40) % 11],
        name_number(x),
        _person_popularity(((x >> 16) & 0xFFFF), x >> 56) / 10_000,
        hashed_path(x) if ((x >> 48) & 0xFF) < 154 else None,
    )


def _person_popularity(a: int, b: int) -> int:
    """Heavy-tailed, in ten-thousandths (four decimals), from a 16-bit and an 8-bit number."""
    return int((0.02 + 40.0 * (a / 65536.0) ** 12 + b / 128) * 10_000.0 + 0.5)


def person_doc(credit_index: CreditIndex, index: int, appends: tuple[str, ...]) -> Doc:
    """`/person/{id}` with the supported appends, as served on the catalog's current day."""
    catalog = credit_index.catalog
    seed = catalog.seed
    version = catalog.people.version(index, catalog.day)
    base = person_summary(catalog, index)
    rng = random.Random(mix(seed, SALT_PERSON, index, 2))
    vrng = random.Random(mix(seed, SALT_PERSON_V, index, version))
    born = date(1900, 1, 1) + timedelta(days=rng.randrange(0, 40_000))
    died = born + timedelta(days=rng.randrange(20 * 365, 90 * 365)) if rng.random() < 0.1 else None
    imdb = f"nm{mix(seed, index, 3) % 10_000_000:07d}" if rng.random() < 0.7 else None
    doc: Doc = {
        "adult": False,
        "also_known_as": [person_name(seed, index + 1)] if rng.random() < 0.1 else [],
        "biography": _biography(base["name"], vrng),
        "birthday": born.isoformat() if rng.random() < 0.5 else None,
        "deathday": died.isoformat() if died else None,
        "gender": base["gender"],
        "homepage": None,
        "id": base["id"],
        "imdb_id": imdb,
        "known_for_department": base["known_for_department"],
        "name": base["name"],
        "place_of_birth": rng.choice(vocab.PLACES) if rng.random() < 0.5 else None,
        "popularity": popularity(seed, SALT_PERSON_V, index, version),
        "profile_path": base["profile_path"],
    }
    if "movie_credits" in appends or "combined_credits" in appends:
        doc.update(_credit_appends(credit_index, index, appends))
    if "external_ids" in appends:
        doc["external_ids"] = _external_ids(seed, index, imdb)
    return doc


def _biography(name: str, rng: random.Random) -> str:
    if rng.random() < 0.4:
        return ""
    return f"{name} is a performer known for {rng.choice(vocab.TITLE_WORDS).lower()} roles."


def _credit_appends(credit_index: CreditIndex, index: int, appends: tuple[str, ...]) -> Doc:
    """The `movie_credits` and `combined_credits` appends that were asked for."""
    cast, crew = filmography(credit_index, index)
    found: Doc = {}
    if "movie_credits" in appends:
        found["movie_credits"] = {"cast": cast, "crew": crew}
    if "combined_credits" in appends:
        found["combined_credits"] = {
            "cast": [{**row, "media_type": "movie"} for row in cast],
            "crew": [{**row, "media_type": "movie"} for row in crew],
        }
    return found


def _external_ids(seed: int, index: int, imdb: str | None) -> Doc:
    return {
        "freebase_mid": None,
        "freebase_id": None,
        "imdb_id": imdb,
        "tvrage_id": None,
        "wikidata_id": f"Q{mix(seed, index, 4) % 100_000_000}" if imdb else None,
        "facebook_id": None,
        "instagram_id": None,
        "tiktok_id": None,
        "twitter_id": None,
        "youtube_id": None,
    }


def filmography(credit_index: CreditIndex, index: int) -> tuple[list[Doc], list[Doc]]:
    """A person's cast and crew rows: each movie's summary with the credit's own fields."""
    catalog = credit_index.catalog
    cast: list[Doc] = []
    crew: list[Doc] = []
    for m in credit_index.movies_of(index):
        credits = movie_credits(catalog, m)
        summary = movie_summary(catalog, m)
        movie_id = summary["id"]
        for p, order, character in credits.cast:
            if p == index:
                cid = credit_id(movie_id, order, CAST)
                cast.append({**summary, "character": character, "credit_id": cid, "order": order})
        for slot, (p, department, job) in enumerate(credits.crew):
            if p == index:
                row = {**summary, "credit_id": credit_id(movie_id, slot, CREW)}
                row.update(department=department, job=job)
                crew.append(row)
    return cast, crew
