"""Movie documents: `/movie/{id}` with its appends, and the summary in people's credits.

Field names, order, types and nullability follow the real responses in `tests/data/tmdb/`.
Fields a day's change may touch (popularity, votes, tagline) come from the movie's *version*;
the summary embedded in a person's credits comes from the stable base, so a change shows up
only in the changed movie's own document, as the change lists say.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from hashlib import blake2b
from typing import NamedTuple

import orjson

from tmdb_collector.simulator import vocab
from tmdb_collector.simulator.attributes import (
    SALT_COLLECTION,
    SALT_MOVIE,
    SALT_MOVIE_V,
    Doc,
    Tier,
    hashed_path,
    image_path,
    movie_is_video,
    movie_tier,
    movie_title,
    popularity,
    popularity_of,
)
from tmdb_collector.simulator.catalog import Catalog, mix
from tmdb_collector.simulator.credits_json import credits_json
from tmdb_collector.simulator.entities import company, company_count
from tmdb_collector.simulator.franchises import franchise_of, release_ordinal


class MovieBase(NamedTuple):
    """A movie's stable fields, shared by its document and by people's credit lists."""

    doc: Doc
    genre_ids: list[int]
    tier: Tier


# Parts of movie documents that depend on one vocabulary entry only; documents share them.
GENRE_DOCS = {genre: {"id": genre[0], "name": genre[1]} for genre in vocab.GENRES}
SPOKEN_LANGUAGES = [
    {"english_name": english, "iso_639_1": code, "name": name}
    for code, english, name in vocab.LANGUAGES
]
PRODUCTION_COUNTRIES = [{"iso_3166_1": code, "name": name} for code, name in vocab.COUNTRIES]
KEYWORD_DOCS = [{"id": 100 + k, "name": name} for k, name in enumerate(vocab.KEYWORDS)]
COMPANY_BYTES = ((), (33,), (33,), (33, 36), (33, 36, 39))
"""Where in a movie's hash each of its 0 to 3 production companies is (0: 20%, 1: 40%, ...)."""


def movie_json(catalog: Catalog, index: int, appends: tuple[str, ...]) -> bytes:
    """`/movie/{id}` with the supported appends, as served on the catalog's current day."""
    return orjson.dumps(movie_doc(catalog, index, appends))


def movie_doc(catalog: Catalog, index: int, appends: tuple[str, ...]) -> Doc:
    """The movie document, ready for orjson (its credits are pre-serialized fragments)."""
    seed = catalog.seed
    version = catalog.movies.version(index, catalog.day)
    base = movie_base(catalog, index)
    doc = base.doc.copy()
    # What a day's change touches: popularity, votes and tagline, all from one hash.
    x = mix(seed, SALT_MOVIE_V, index, version)
    u = (x & 0xFFFF) / 65536.0
    votes = int(20_000 * u**8) if base.tier != "small" else (x >> 16) % 12
    doc["popularity"] = popularity_of(x)  # popularity(seed, SALT_MOVIE_V, index, version)
    word = vocab.TITLE_WORDS[(x >> 24) % len(vocab.TITLE_WORDS)]
    doc["tagline"] = f"{word} is coming." if (x >> 40) & 1 else ""
    doc["vote_average"] = round(3 + 6 * ((x >> 41) & 0xFFFF) / 65536.0, 3) if votes else 0.0
    doc["vote_count"] = votes
    if "credits" in appends:
        doc["credits"] = orjson.Fragment(credits_json(catalog, index, doc["id"]))
    if "keywords" in appends:
        doc["keywords"] = {"keywords": _keywords(seed, index)}
    if "external_ids" in appends:
        doc["external_ids"] = _external_ids(seed, index, doc["imdb_id"])
    if "release_dates" in appends:
        doc["release_dates"] = {"results": _release_dates(doc)}
    return doc


def _keywords(seed: int, index: int) -> list[Doc]:
    x = mix(seed, index, 8)
    words = sorted({(x >> (6 * k)) % len(vocab.KEYWORDS) for k in range(x % 7)})
    return [KEYWORD_DOCS[k] for k in words]


def _external_ids(seed: int, index: int, imdb: str | None) -> Doc:
    return {
        "imdb_id": imdb,
        "wikidata_id": f"Q{mix(seed, index, 9) % 100_000_000}" if imdb else None,
        "facebook_id": None,
        "instagram_id": None,
        "twitter_id": None,
    }


def _release_dates(doc: Doc) -> list[Doc]:
    if not doc["release_date"]:
        return []
    return [
        {
            "iso_3166_1": doc["origin_country"][0],
            "release_dates": [
                {
                    "certification": "",
                    "descriptors": [],
                    "iso_639_1": "",
                    "note": "",
                    "release_date": f"{doc['release_date']}T00:00:00.000Z",
                    "type": 3,
                }
            ],
        }
    ]


def movie_summary(catalog: Catalog, index: int) -> Doc:
    """A movie as listed inside a person's credits (stable fields only)."""
    base = movie_base(catalog, index)
    d = base.doc
    return {
        "adult": False,
        "backdrop_path": d["backdrop_path"],
        "genre_ids": base.genre_ids,
        "id": d["id"],
        "title": d["title"],
        "original_language": d["original_language"],
        "original_title": d["original_title"],
        "overview": d["overview"],
        "popularity": popularity(catalog.seed, SALT_MOVIE, index, 0),
        "poster_path": d["poster_path"],
        "release_date": d["release_date"],
        "softcore": False,
        "video": d["video"],
        "vote_average": 0.0,
        "vote_count": 0,
    }


@lru_cache(maxsize=1 << 15)
def movie_base(catalog: Catalog, index: int) -> MovieBase:
    """The movie's stable fields (its document with neutral daily fields), genres and tier."""
    seed = catalog.seed
    tier = movie_tier(seed, index)
    title = movie_title(seed, index)
    # Each random choice reads its own byte or bytes of one 64-byte hash (0-8: language,
    # country, genres; 9-16: money; then one or more for each field in order, up to 42; the
    # release date and collection come from `franchises`); a
    # probability p is "byte < 256p". Seeding a Mersenne Twister for each movie, as before,
    # cost as much as all the rest.
    h = blake2b(b"%d %d" % (seed, index), person=b"movie base").digest()
    language = h[1] * len(vocab.LANGUAGES) >> 8 if h[0] >= 141 else 0  # 55% the first
    country = h[3] * len(vocab.COUNTRIES) >> 8 if h[2] >= 102 else 0  # 40% the first
    genres = _genres(tier, h)
    budget, revenue = _money(tier, h)
    released = release_ordinal(seed, index)
    franchise = franchise_of(seed, index)
    unreleased = h[19] < 13  # 5%
    country_code = vocab.COUNTRIES[country][0]
    companies = company_count(catalog)
    doc: Doc = {
        "adult": False,
        "backdrop_path": image_path(seed, SALT_MOVIE, index, 1) if h[20] < 154 else None,
        "belongs_to_collection": collection(seed, franchise.id) if franchise else None,
        "budget": budget,
        "genres": [GENRE_DOCS[genre] for genre in genres],
        "homepage": f"https://example.org/movie/{index}" if h[24] < 51 else "",
        "id": catalog.movies.ids.id_of(index),
        "imdb_id": (
            f"tt{int.from_bytes(h[26:30], 'little') % 10_000_000:07d}" if h[25] < 205 else None
        ),
        "origin_country": [country_code],
        "original_language": vocab.LANGUAGES[language][0],
        "original_title": title,
        "overview": f"A story of {title.lower()}." if h[30] < 218 else "",
        "popularity": 0.0,
        "poster_path": image_path(seed, SALT_MOVIE, index, 2) if h[31] < 205 else None,
        "production_companies": [
            company(seed, 1 + ((h[k] << 16 | h[k + 1] << 8 | h[k + 2]) * companies >> 24))
            for k in COMPANY_BYTES[h[32] * 5 >> 8]
        ],
        "production_countries": [PRODUCTION_COUNTRIES[country]],
        "release_date": "" if unreleased else date.fromordinal(released).isoformat(),
        "revenue": revenue,
        "runtime": 0 if unreleased else 3 + (h[42] * 198 >> 8),
        "softcore": False,
        "spoken_languages": [SPOKEN_LANGUAGES[language]],
        "status": "In Production" if unreleased else "Released",
        "tagline": "",
        "title": title,
        "video": movie_is_video(seed, index),
        "vote_average": 0.0,
        "vote_count": 0,
    }
    return MovieBase(doc, [gid for gid, _ in genres], tier)


def _genres(tier: Tier, h: bytes) -> list[tuple[int, str]]:
    """1 to 3 different genres; none for 10% of small movies."""
    genres: list[tuple[int, str]] = []
    if tier != "small" or h[4] >= 26:
        pool = list(vocab.GENRES)
        for k in range(1 + (h[5] * 3 >> 8)):
            pick = h[6 + k] * (len(pool) - k) >> 8
            genres.append(pool[pick])
            pool[pick] = pool[len(pool) - 1 - k]
    return genres


def _money(tier: Tier, h: bytes) -> tuple[int, int]:
    # Most TMDb movies have budget and revenue 0; a minority carry box-office figures.
    if tier == "blockbuster":
        budget = 20 + ((h[9] << 8 | h[10]) * 281 >> 16)  # 20 to 300 millions
        return budget * 1_000_000, (50 + ((h[11] << 8 | h[12]) * 2_451 >> 16)) * 1_000_000
    if tier == "mid":
        budget = (1 + (h[10] * 60 >> 8)) * 1_000_000 if h[9] < 102 else 0  # 40%: 1-60 M
        revenue = (1 + ((h[12] << 8 | h[13]) * 300 >> 16)) * 1_000_000 if h[11] < 77 else 0  # 30%
        return budget, revenue
    # 3% of small movies have a budget (10,000-2,000,000), 1% a revenue (1,000-5,000,000)
    has_budget, has_revenue = (h[9] << 8 | h[10]) < 1_966, (h[13] << 8 | h[14]) < 655
    budget = (10 + ((h[11] << 8 | h[12]) * 1_991 >> 16)) * 1_000 if has_budget else 0
    revenue = (1 + ((h[15] << 8 | h[16]) * 5_000 >> 16)) * 1_000 if has_revenue else 0
    return budget, revenue


@lru_cache(maxsize=1 << 16)
def collection(seed: int, cid: int) -> Doc:
    """A collection, the same wherever it appears."""
    x = mix(seed, SALT_COLLECTION, cid)
    return {
        "id": cid,
        "name": f"{movie_title(seed, -cid)} Collection",
        "poster_path": hashed_path(x),
        "backdrop_path": hashed_path(x ^ 1) if x % 10 < 7 else None,
    }
