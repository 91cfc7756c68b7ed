"""TMDb-shaped documents derived from (seed, index, version): movies, people, credits.

Field names, order, types and nullability follow the real responses in
`../shared/tmdb/samples`. Fields a day's change may touch (popularity, votes, tagline,
biography) come from the entry's *version*; everything embedded in another document
(a person inside a movie's credits, a movie inside a person's credits) comes from the
entry's stable base, so a change shows up only in the changed entry, as the change lists say.
"""

from __future__ import annotations

import binascii
import random
import struct
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import orjson

from tmdb_collector.simulator import vocab
from tmdb_collector.simulator.catalog import Catalog, mix, unit
from tmdb_collector.simulator.vocab import CHARACTER_ROLES, FIRST_NAMES, LAST_NAMES

Doc = dict[str, Any]

SALT_MOVIE, SALT_MOVIE_V, SALT_CREDITS, SALT_PERSON, SALT_PERSON_V, SALT_TIER = (
    21,
    22,
    23,
    24,
    25,
    26,
)
SALT_PATH, SALT_COLLECTION, SALT_COMPANY = 29, 30, 31

CREDIT_BYTES = struct.Struct(">QI")
FULL_NAMES = tuple(f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES)
CREW_DEPARTMENTS = sorted(vocab.CREW_JOBS)
JSON_TEXT = {
    text: orjson.dumps(text)
    for department, jobs in vocab.CREW_JOBS.items()
    for text in ("Acting", department, *jobs)
}
NAMES_JSON = [orjson.dumps(name) for name in FULL_NAMES]
CREW_TABLE = [(department, vocab.CREW_JOBS[department]) for department in CREW_DEPARTMENTS]
GENDERS = [0] * 30 + [1] * 30 + [2] * 38 + [3] * 2  # TMDb: 0 unset, 1 female, 2 male, 3 nb
PERSON_JSON = (
    b'{"adult":false,"gender":%d,"id":%d,"known_for_department":%b,"name":%b,'
    b'"original_name":%b,"popularity":%r,"profile_path":%b'
)
CAST_SKEW = 1.9
"""A "regular" cast pick is index = people * u**CAST_SKEW: low indices are stars who appear in
hundreds of movies; the other picks are uniform, so most people have one or two credits."""
CREW_SKEW = 1.6
UNIFORM_PICKS = 0.6


def image_path(*parts: int, ext: str = ".jpg") -> str:
    """A TMDb-style image path: 27 letters and digits, then the extension."""
    return _path(mix(SALT_PATH, *parts), ext)


def _path(x: int, ext: str = ".jpg") -> str:
    # 27 hex digits: a subset of TMDb's base-62 alphabet, and much cheaper to make.
    return f"/{x:016x}{(x * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFF:011x}{ext}"


def credit_id(*parts: int) -> str:
    """A 24-hex-digit credit id, like TMDb's."""
    return credit_id_bytes(*parts).decode()


def credit_id_bytes(*parts: int) -> bytes:
    x = mix(*parts)
    return binascii.hexlify(CREDIT_BYTES.pack(x, x & 0xFFFFFFFF ^ 0x2545F491))


def movie_title(seed: int, index: int) -> str:
    x = mix(seed, SALT_MOVIE, index)
    words = vocab.TITLE_WORDS
    n = 1 + x % 3
    picked = [words[(x >> (8 + 10 * k)) % len(words)] for k in range(n)]
    return ("The " if (x >> 60) & 1 else "") + " ".join(picked)


def movie_is_video(seed: int, index: int) -> bool:
    return mix(seed, SALT_MOVIE, index, 7) % 100 < 3


def person_name(seed: int, index: int) -> str:
    return _name(mix(seed, SALT_PERSON, index))


def _name(x: int) -> str:
    return FULL_NAMES[_name_number(x)]


def _name_number(x: int) -> int:
    return (x >> 8) % len(FULL_NAMES)


def popularity(seed: int, salt: int, index: int, version: int) -> float:
    """Heavy-tailed, four decimals, like the 2026 exports."""
    x = mix(seed, salt, index, version)
    return round(0.02 + 60.0 * ((x >> 32) / 2.0**32) ** 12 + (x & 0xFFFFFFFF) / 2.0**32, 4)


# --- credits ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credits:
    """Who is in a movie: cast (person index, order, character) and crew rows."""

    cast: tuple[tuple[int, int, str], ...]
    crew: tuple[tuple[int, str, str], ...]


def movie_tier(seed: int, index: int) -> str:
    u = unit(seed, SALT_TIER, index)
    return "blockbuster" if u < 0.01 else "mid" if u < 0.16 else "small"


@lru_cache(maxsize=4096)
def movie_credits(catalog: Catalog, index: int) -> Credits:
    """The cast and crew of a movie, picked from the people that existed when it was born."""
    seed = catalog.seed
    rng = random.Random(mix(seed, SALT_CREDITS, index))
    tier = movie_tier(seed, index)
    if tier == "blockbuster":
        n_cast, n_crew = rng.randint(100, 180), rng.randint(300, 450)
    elif tier == "mid":
        n_cast, n_crew = rng.randint(6, 30), rng.randint(6, 40)
    else:
        n_cast = 0 if rng.random() < 0.15 else rng.randint(1, 8)
        n_crew = 0 if rng.random() < 0.2 else rng.randint(1, 6)
    people = catalog.people.total(catalog.movies.born_day(index))
    cast_people = _pick_people(catalog, rng, people, n_cast, CAST_SKEW)
    cast = tuple((p, order, _character(rng)) for order, p in enumerate(cast_people))
    crew: list[tuple[int, str, str]] = []
    r = rng.random
    for p in _pick_people(catalog, rng, people, n_crew, CREW_SKEW):
        u = r()
        department, jobs = CREW_TABLE[int(u * 11)]
        crew.append((p, department, jobs[int(r() * len(jobs))]))
        if u * 1000 % 1 < 0.06:
            # Some people hold several jobs on one movie (director and writer, say): TMDb
            # lists one crew row per job, all with the same person id.
            department, jobs = CREW_TABLE[(int(u * 11) + 1) % 11]
            crew.append((p, department, jobs[int(r() * len(jobs))]))
    return Credits(cast, tuple(crew))


def _pick_people(
    catalog: Catalog, rng: random.Random, people: int, n: int, skew: float
) -> list[int]:
    picked: list[int] = []
    seen: set[int] = set()
    while len(picked) < n:
        u = rng.random()
        p = int(people * (u / UNIFORM_PICKS if u < UNIFORM_PICKS else rng.random() ** skew))
        if catalog.is_tv_only(p):
            p -= 3  # the film person next to a TV-only one
        if p not in seen:
            seen.add(p)
            picked.append(p)
    return picked


def _character(rng: random.Random) -> str:
    u = rng.random()
    if u < 0.2:
        return CHARACTER_ROLES[int(u * 5 * len(CHARACTER_ROLES))]
    if u < 0.25:
        return ""
    x = int(u * 2**53)
    return f"{FIRST_NAMES[x % len(FIRST_NAMES)]} {LAST_NAMES[(x >> 8) % len(LAST_NAMES)]}"


# --- people ----------------------------------------------------------------------------------


def _person_fields(x: int) -> tuple[int, str, int, float, str | None]:
    """gender, department, name number, popularity, profile path: all from one hash."""
    acting = ((x >> 32) & 0xFF) < 154
    return (
        GENDERS[(x & 0xFF) % 100],
        "Acting" if acting else CREW_DEPARTMENTS[(x >> 40) % 11],
        _name_number(x),
        round(0.02 + 40.0 * (((x >> 16) & 0xFFFF) / 65536.0) ** 12 + (x >> 56) / 128, 4),
        _path(x) if ((x >> 48) & 0xFF) < 154 else None,
    )


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


@lru_cache(maxsize=1 << 18)
def person_fragment(catalog: Catalog, index: int) -> bytes:
    """`person_summary` as JSON without its closing brace, for building credit rows.

    Hot: a blockbuster credits hundreds of people, most of them seen for the first time, so
    the bytes are formatted directly (the same text orjson writes; a test holds them equal).
    """
    gender, department, name, pop, path = _person_fields(mix(catalog.seed, SALT_PERSON, index))
    return PERSON_JSON % (
        gender,
        catalog.people.ids.id_of(index),
        JSON_TEXT[department],
        NAMES_JSON[name],
        NAMES_JSON[name],
        pop,
        b'"%b"' % path.encode() if path else b"null",
    )


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
        cast, crew = _person_credits(credit_index, index)
        if "movie_credits" in appends:
            doc["movie_credits"] = {"cast": cast, "crew": crew}
        if "combined_credits" in appends:
            doc["combined_credits"] = {
                "cast": [{**row, "media_type": "movie"} for row in cast],
                "crew": [{**row, "media_type": "movie"} for row in crew],
            }
    if "external_ids" in appends:
        doc["external_ids"] = {
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
    return doc


def _biography(name: str, rng: random.Random) -> str:
    if rng.random() < 0.4:
        return ""
    return f"{name} is a performer known for {rng.choice(vocab.TITLE_WORDS).lower()} roles."


class CreditIndex:
    """Which movies credit each person: the reverse of `movie_credits`.

    Built on the first request that needs it (a person's movie or combined credits) by
    walking every movie's credits once, then extended as the day clock adds movies. It is the
    one part of the simulator whose memory grows with the catalog (~25 entries a movie).
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.by_person: dict[int, list[int]] = {}
        self.covered = 0

    def movies_of(self, person_index: int) -> list[int]:
        """Indices of the movies served today that credit this person."""
        catalog = self.catalog
        total = catalog.movies.total(catalog.day)
        for m in range(self.covered, total):
            credits = movie_credits(catalog, m)
            people = {p for p, _, _ in credits.cast} | {p for p, _, _ in credits.crew}
            for p in people:
                self.by_person.setdefault(p, []).append(m)
        self.covered = max(self.covered, total)
        return [
            m for m in self.by_person.get(person_index, ()) if catalog.movies.alive(m, catalog.day)
        ]


def people_touched_by_movies(catalog: Catalog, day: int) -> set[int]:
    """People whose credit lists changed on `day` because a movie crediting them was added or
    deleted: TMDb lists them in that day's person changes."""
    movies = [*catalog.movies.born_on(day), *catalog.movies.deleted_on(day)]
    touched: set[int] = set()
    for m in movies:
        credits = movie_credits(catalog, m)
        touched.update(p for p, _, _ in credits.cast)
        touched.update(p for p, _, _ in credits.crew)
    return touched


def _person_credits(credit_index: CreditIndex, index: int) -> tuple[list[Doc], list[Doc]]:
    catalog = credit_index.catalog
    cast: list[Doc] = []
    crew: list[Doc] = []
    for m in credit_index.movies_of(index):
        credits = movie_credits(catalog, m)
        summary = movie_summary(catalog, m)
        movie_id = summary["id"]
        for p, order, character in credits.cast:
            if p == index:
                cid = credit_id(movie_id, order, 1)
                cast.append({**summary, "character": character, "credit_id": cid, "order": order})
        for slot, (p, department, job) in enumerate(credits.crew):
            if p == index:
                row = {**summary, "credit_id": credit_id(movie_id, slot, 2)}
                row.update(department=department, job=job)
                crew.append(row)
    return cast, crew


# --- movies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MovieBase:
    """A movie's stable fields, shared by its document and by people's credit lists."""

    doc: Doc
    genre_ids: list[int]


@lru_cache(maxsize=1 << 15)
def movie_base(catalog: Catalog, index: int) -> MovieBase:
    seed = catalog.seed
    rng = random.Random(mix(seed, SALT_MOVIE, index, 1))
    tier = movie_tier(seed, index)
    title = movie_title(seed, index)
    # random() and table lookups, not choice()/randint(): this runs once per movie served.
    r = rng.random
    language = vocab.LANGUAGES[0 if r() < 0.55 else int(r() * len(vocab.LANGUAGES))]
    country = vocab.COUNTRIES[0 if r() < 0.4 else int(r() * len(vocab.COUNTRIES))]
    genres = [] if r() < 0.1 and tier == "small" else rng.sample(vocab.GENRES, 1 + int(r() * 3))
    budget, revenue = _money(tier, rng)
    released = date(1920, 1, 1) + timedelta(days=int(r() * 38_000))
    unreleased = r() < 0.05
    doc: Doc = {
        "adult": False,
        "backdrop_path": image_path(seed, SALT_MOVIE, index, 1) if r() < 0.6 else None,
        "belongs_to_collection": _collection(seed, index, rng) if tier != "small" else None,
        "budget": budget,
        "genres": [{"id": gid, "name": name} for gid, name in genres],
        "homepage": f"https://example.org/movie/{index}" if r() < 0.2 else "",
        "id": catalog.movies.ids.id_of(index),
        "imdb_id": f"tt{mix(seed, index, 5) % 10_000_000:07d}" if r() < 0.8 else None,
        "origin_country": [country[0]],
        "original_language": language[0],
        "original_title": title,
        "overview": f"A story of {title.lower()}." if r() < 0.85 else "",
        "popularity": 0.0,
        "poster_path": image_path(seed, SALT_MOVIE, index, 2) if r() < 0.8 else None,
        "production_companies": _companies(seed, rng),
        "production_countries": [{"iso_3166_1": country[0], "name": country[1]}],
        "release_date": "" if unreleased else released.isoformat(),
        "revenue": revenue,
        "runtime": 0 if unreleased else 3 + int(r() * 198),
        "softcore": False,
        "spoken_languages": [
            {"english_name": language[1], "iso_639_1": language[0], "name": language[2]}
        ],
        "status": "In Production" if unreleased else "Released",
        "tagline": "",
        "title": title,
        "video": movie_is_video(seed, index),
        "vote_average": 0.0,
        "vote_count": 0,
    }
    return MovieBase(doc, [gid for gid, _ in genres])


def _money(tier: str, rng: random.Random) -> tuple[int, int]:
    # Most TMDb movies have budget and revenue 0; a minority carry box-office figures.
    if tier == "blockbuster":
        return rng.randint(20, 300) * 1_000_000, rng.randint(50, 2_500) * 1_000_000
    if tier == "mid":
        budget = rng.randint(1, 60) * 1_000_000 if rng.random() < 0.4 else 0
        revenue = rng.randint(1, 300) * 1_000_000 if rng.random() < 0.3 else 0
        return budget, revenue
    budget = rng.randint(10, 2_000) * 1_000 if rng.random() < 0.03 else 0
    revenue = rng.randint(1, 5_000) * 1_000 if rng.random() < 0.01 else 0
    return budget, revenue


def _collection(seed: int, index: int, rng: random.Random) -> Doc | None:
    if rng.random() >= 0.3:
        return None
    return collection(seed, 10 + mix(seed, index, 6) % 50_000)


@lru_cache(maxsize=1 << 16)
def collection(seed: int, cid: int) -> Doc:
    """A collection, the same wherever it appears."""
    x = mix(seed, SALT_COLLECTION, cid)
    return {
        "id": cid,
        "name": f"{movie_title(seed, -cid)} Collection",
        "poster_path": _path(x),
        "backdrop_path": _path(x ^ 1) if x % 10 < 7 else None,
    }


def _companies(seed: int, rng: random.Random) -> list[Doc]:
    count = (0, 1, 1, 2, 3)[int(rng.random() * 5)]
    return [company(seed, 1 + int(rng.random() * 150_000)) for _ in range(count)]


@lru_cache(maxsize=1 << 16)
def company(seed: int, cid: int) -> Doc:
    """A production company, the same wherever it appears."""
    x = mix(seed, SALT_COMPANY, cid)
    words = vocab.LAST_NAMES, vocab.COMPANY_WORDS
    return {
        "id": cid,
        "logo_path": _path(x, ".png") if x & 1 else None,
        "name": f"{words[0][(x >> 8) % len(words[0])]} {words[1][(x >> 16) % len(words[1])]}",
        "origin_country": vocab.COUNTRIES[(x >> 24) % len(vocab.COUNTRIES)][0] if x % 5 else "",
    }


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


def movie_json(catalog: Catalog, index: int, appends: tuple[str, ...]) -> bytes:
    """`/movie/{id}` with the supported appends, as served on the catalog's current day."""
    return orjson.dumps(movie_doc(catalog, index, appends))


def movie_doc(catalog: Catalog, index: int, appends: tuple[str, ...]) -> Doc:
    """The movie document, ready for orjson (its credits are pre-serialized fragments)."""
    seed = catalog.seed
    version = catalog.movies.version(index, catalog.day)
    doc = dict(movie_base(catalog, index).doc)
    # What a day's change touches: popularity, votes and tagline, all from one hash.
    x = mix(seed, SALT_MOVIE_V, index, version)
    u = (x & 0xFFFF) / 65536.0
    votes = int(20_000 * u**8) if movie_tier(seed, index) != "small" else (x >> 16) % 12
    doc["popularity"] = popularity(seed, SALT_MOVIE_V, index, version)
    word = vocab.TITLE_WORDS[(x >> 24) % len(vocab.TITLE_WORDS)]
    doc["tagline"] = f"{word} is coming." if (x >> 40) & 1 else ""
    doc["vote_average"] = round(3 + 6 * ((x >> 41) & 0xFFFF) / 65536.0, 3) if votes else 0.0
    doc["vote_count"] = votes
    movie_id = doc["id"]
    if "credits" in appends:
        doc["credits"] = orjson.Fragment(_credits_json(catalog, index, movie_id))
    if "keywords" in appends:
        x = mix(seed, index, 8)
        words = sorted({(x >> (6 * k)) % len(vocab.KEYWORDS) for k in range(x % 7)})
        doc["keywords"] = {"keywords": [{"id": 100 + k, "name": vocab.KEYWORDS[k]} for k in words]}
    if "external_ids" in appends:
        doc["external_ids"] = {
            "imdb_id": doc["imdb_id"],
            "wikidata_id": f"Q{mix(seed, index, 9) % 100_000_000}" if doc["imdb_id"] else None,
            "facebook_id": None,
            "instagram_id": None,
            "twitter_id": None,
        }
    if "release_dates" in appends:
        doc["release_dates"] = {"results": _release_dates(doc)}
    return doc


def _credits_json(catalog: Catalog, index: int, movie_id: int) -> bytes:
    # Built as bytes from cached per-person fragments: a blockbuster has ~700 rows, and this
    # is most of the simulator's work per request.
    credits = movie_credits(catalog, index)
    cast = [
        b'%b,"cast_id":%d,"character":%b,"credit_id":"%b","order":%d}'
        % (
            person_fragment(catalog, p),
            order + 1,
            orjson.dumps(character),
            credit_id_bytes(movie_id, order, 1),
            order,
        )
        for p, order, character in credits.cast
    ]
    crew = [
        b'%b,"credit_id":"%b","department":%b,"job":%b}'
        % (
            person_fragment(catalog, p),
            credit_id_bytes(movie_id, slot, 2),
            JSON_TEXT[department],
            JSON_TEXT[job],
        )
        for slot, (p, department, job) in enumerate(credits.crew)
    ]
    return b'{"cast":[' + b",".join(cast) + b'],"crew":[' + b",".join(crew) + b"]}"


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


# --- export lines ----------------------------------------------------------------------------


def movie_export_line(catalog: Catalog, index: int, day: int) -> Doc:
    """One line of the movie_ids export of `day` (fields exactly as TMDb's)."""
    seed = catalog.seed
    return {
        "adult": False,
        "id": catalog.movies.ids.id_of(index),
        "original_title": movie_title(seed, index),
        "popularity": popularity(seed, SALT_MOVIE_V, index, catalog.movies.version(index, day)),
        "video": movie_is_video(seed, index),
    }


def person_export_line(catalog: Catalog, index: int, day: int) -> Doc:
    """One line of the person_ids export of `day`."""
    seed = catalog.seed
    return {
        "adult": False,
        "id": catalog.people.ids.id_of(index),
        "name": person_name(seed, index),
        "popularity": popularity(seed, SALT_PERSON_V, index, catalog.people.version(index, day)),
    }
