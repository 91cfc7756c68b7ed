"""TMDb-shaped documents derived from (seed, index, version): movies, people, credits.

Field names, order, types and nullability follow the real responses in
`../shared/tmdb/samples`. Fields a day's change may touch (popularity, votes, tagline,
biography) come from the entry's *version*; everything embedded in another document
(a person inside a movie's credits, a movie inside a person's credits) comes from the
entry's stable base, so a change shows up only in the changed entry, as the change lists say.
"""

from __future__ import annotations

import _random
import random
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from hashlib import blake2b
from typing import Any, NamedTuple

import orjson

from tmdb_collector.simulator import vocab
from tmdb_collector.simulator.catalog import (
    GOLDEN,
    MASK64,
    MIX_MUL1,
    MIX_MUL2,
    Catalog,
    mix,
)
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
SALT_PATH, SALT_COLLECTION, SALT_COMPANY, SALT_CREDIT_ID = 29, 30, 31, 32
CAST, CREW = 1, 2
"""Which list of a movie's credits a credit id belongs to."""

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

# The pieces of a person's JSON (see `_fragments`), indexed by the bits that pick them.
GENDER_HEADS = tuple(b'{"adult":false,"gender":%d,"id":' % GENDERS[b % 100] for b in range(256))
ACTING_PART = b',"known_for_department":"Acting"'
DEPARTMENT_PARTS = tuple(b',"known_for_department":' + JSON_TEXT[d] for d in CREW_DEPARTMENTS)
DECIMALS = [(b".%04d" % n).rstrip(b"0") if n else b".0" for n in range(10_000)]
"""The digits after the point of a number of ten-thousandths, as repr() and orjson write them."""
NAME_PARTS = tuple(b',"name":%b,"original_name":%b,"popularity":' % (n, n) for n in NAMES_JSON)
CHARACTERS_JSON = {
    **{text: orjson.dumps(text) for text in (*CHARACTER_ROLES, "")},
    **dict(zip(FULL_NAMES, NAMES_JSON, strict=True)),
}

# Credit ids are MongoDB ObjectIds, as TMDb's: 4 bytes of creation time, 5 of machine and
# process, a 3-byte counter. A movie's rows were created together, so they share all but the
# counter's last digits (52fe4751c3a36847f812f049, ...f05f, ...). Times: 2014-02 (TMDb's big
# import) to 2025-04.
CREDIT_ID_FIRST, CREDIT_ID_SPAN = 0x52FE4000, 0x68000000 - 0x52FE4000
MAX_CREDITS = 1024
"""Rows in one movie's cast or crew at most: the counter's last three hex digits count them
from a start below 4096 - MAX_CREDITS."""
HEX3 = [b"%03x" % n for n in range(4096)]
# Credit rows from here on are pre-formatted pieces, indexed by order, department and job.
CAST_HEADS = [b',"cast_id":%d,"character":' % (order + 1) for order in range(MAX_CREDITS)]
CAST_TAILS = [b'","order":%d},' % order for order in range(MAX_CREDITS)]
JOBS_JSON = {
    department: {
        job: b'","department":%b,"job":%b},' % (JSON_TEXT[department], JSON_TEXT[job])
        for job in jobs
    }
    for department, jobs in vocab.CREW_JOBS.items()
}
CAST_SKEW = 1.9
"""A "regular" cast pick is index = people * u**CAST_SKEW: low indices are stars who appear in
hundreds of movies; the other picks are uniform, so most people have one or two credits."""
CREW_SKEW = 1.6
UNIFORM_PICKS = 0.6


def image_path(*parts: int, ext: str = ".jpg") -> str:
    """A TMDb-style image path: 27 letters and digits, then the extension."""
    return _path(mix(SALT_PATH, *parts), ext)


def _path(x: int, ext: str = ".jpg") -> str:
    # 27 hex digits: a subset of TMDb's base-62 alphabet, and much cheaper to make. They are
    # x's 16, then 11 of x times the golden ratio, written as one number (faster than two).
    return f"/{hex(x << 44 | ((x * GOLDEN) & 0xFFFFFFFFFFF) | 1 << 108)[3:]}{ext}"


def credit_id(movie_id: int, slot: int, kind: int) -> str:
    """The credit id of a movie's cast (kind CAST) or crew (CREW) row number `slot`."""
    cast, crew, start = _credit_ids(movie_id)
    return ((cast if kind == CAST else crew) + HEX3[start + slot]).decode()


def _credit_ids(movie_id: int) -> tuple[bytes, bytes, int]:
    """What a movie's cast credit ids share (their first 21 hex digits), what its crew's
    share, and the number that the last three digits count the rows from."""
    x = mix(SALT_CREDIT_ID, movie_id)
    created = CREDIT_ID_FIRST + (x >> 32) % CREDIT_ID_SPAN
    head = b"%08x%010x" % (created, x & 0xFF_FFFF_FFFF)
    counter = x >> 40
    return (
        head + HEX3[(counter + CAST) & 0xFFF],
        head + HEX3[(counter + CREW) & 0xFFF],
        (x >> 20) % (4096 - MAX_CREDITS),
    )


def movie_title(seed: int, index: int) -> str:
    x = mix(seed, SALT_MOVIE, index)
    words = vocab.TITLE_WORDS
    title = words[(x >> 8) % len(words)]  # 1 to 3 words
    if x % 3:
        title = f"{title} {words[(x >> 18) % len(words)]}"
        if x % 3 == 2:
            title = f"{title} {words[(x >> 28) % len(words)]}"
    return f"The {title}" if (x >> 60) & 1 else title


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
    return _popularity(mix(seed, salt, index, version))


def _popularity(x: int) -> float:
    return round(0.02 + 60.0 * ((x >> 32) / 2.0**32) ** 12 + (x & 0xFFFFFFFF) / 2.0**32, 4)


# --- credits ---------------------------------------------------------------------------------


class Credits(NamedTuple):
    """Who is in a movie: cast (person index, order, character) and crew rows."""

    cast: tuple[tuple[int, int, str], ...]
    crew: tuple[tuple[int, str, str], ...]


class SeededRandom(random.Random):
    """`random.Random(seed)` for an integer seed, the same stream, made with less overhead
    (Random's __init__ and seed() go through Python-level checks first); one is made for each
    movie, so it adds up."""

    def __init__(self, seed: int) -> None:
        _random.Random.seed(self, seed)
        self.gauss_next = None


def movie_tier(seed: int, index: int) -> str:
    u = mix(seed, SALT_TIER, index) / 2.0**64  # unit(), without a call: this runs for each movie
    return "blockbuster" if u < 0.01 else "mid" if u < 0.16 else "small"


@lru_cache(maxsize=4096)
def movie_credits(catalog: Catalog, index: int) -> Credits:
    """The cast and crew of a movie, picked from the people that existed when it was born."""
    seed = catalog.seed
    rng = SeededRandom(mix(seed, SALT_CREDITS, index))
    r = rng.random
    tier = movie_tier(seed, index)
    if tier == "blockbuster":
        n_cast, n_crew = rng.randint(100, 180), rng.randint(300, 450)
    elif tier == "mid":
        n_cast, n_crew = rng.randint(6, 30), rng.randint(6, 40)
    else:
        n_cast = 0 if r() < 0.15 else rng.randint(1, 8)
        n_crew = 0 if r() < 0.2 else rng.randint(1, 6)
    people = catalog.people.total(catalog.movies.born_day(index))
    cast = []
    if n_cast:
        roles, n_roles, names = CHARACTER_ROLES, len(CHARACTER_ROLES), FULL_NAMES
        n_first, n_last = len(FIRST_NAMES), len(LAST_NAMES)
        for order, p in enumerate(_pick_people(r, people, n_cast, CAST_SKEW)):
            # the character: a role, none, or a name (`_character`, inlined)
            u = r()
            if u < 0.2:
                character = roles[int(u * 5 * n_roles)]
            elif u < 0.25:
                character = ""
            else:
                x = int(u * 2**53)
                character = names[(x % n_first) * n_last + (x >> 8) % n_last]
            cast.append((p, order, character))
    crew: list[tuple[int, str, str]] = []
    if n_crew:
        table = CREW_TABLE
        for p in _pick_people(r, people, n_crew, CREW_SKEW):
            u = r()
            department, jobs = table[int(u * 11)]
            crew.append((p, department, jobs[int(r() * len(jobs))]))
            if u * 1000 % 1 < 0.06:
                # Some people hold several jobs on one movie (director and writer, say): TMDb
                # lists one crew row per job, all with the same person id.
                department, jobs = table[(int(u * 11) + 1) % 11]
                crew.append((p, department, jobs[int(r() * len(jobs))]))
    if len(crew) > MAX_CREDITS:  # never: n_crew is at most 450, and a few more rows
        raise ValueError(f"movie {index} has more than {MAX_CREDITS} crew rows")
    return Credits(tuple(cast), tuple(crew))


def _pick_people(r: Callable[[], float], people: int, n: int, skew: float) -> list[int]:
    picked: list[int] = []
    seen: set[int] = set()
    while len(picked) < n:
        u = r()
        p = int(people * (u / UNIFORM_PICKS if u < UNIFORM_PICKS else r() ** skew))
        if p % 10 >= 7:  # Catalog.is_tv_only(p), inlined: the film person next to a TV-only one
            p -= 3
        if p not in seen:
            seen.add(p)
            picked.append(p)
    return picked


# --- people ----------------------------------------------------------------------------------


def _person_fields(x: int) -> tuple[int, str, int, float, str | None]:
    """gender, department, name number, popularity, profile path: all from one hash."""
    acting = ((x >> 32) & 0xFF) < 154
    return (
        GENDERS[(x & 0xFF) % 100],
        "Acting" if acting else CREW_DEPARTMENTS[(x >> 40) % 11],
        _name_number(x),
        _person_popularity(((x >> 16) & 0xFFFF), x >> 56) / 10_000,
        _path(x) if ((x >> 48) & 0xFF) < 154 else None,
    )


def _person_popularity(a: int, b: int) -> int:
    """Heavy-tailed, in ten-thousandths (four decimals), from a 16-bit and an 8-bit number."""
    return int((0.02 + 40.0 * (a / 65536.0) ** 12 + b / 128) * 10_000.0 + 0.5)


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


def person_fragment(catalog: Catalog, index: int) -> bytes:
    """`person_summary` as JSON without its closing brace: what each credit row starts with."""
    return _fragments(catalog, (index,))[0]


CACHED_PEOPLE = 1 << 16
"""People whose fragment is kept (`_fragments`): the first ones, who include the stars that the
skewed picks keep landing on (a seventh of all credit rows at 200,000 movies). Others are rarely
met twice soon enough: a cache of them cost more time, in misses, than it saved."""
_fragment_caches: dict[tuple[int, ...], tuple[dict[int, bytes], tuple[tuple[int, ...], ...]]] = {}


def _fragments(catalog: Catalog, people: tuple[int, ...] | list[int]) -> list[bytes]:
    """`person_fragment` of each person, formatted directly (the same bytes orjson writes for
    `person_summary`; a test holds them equal).

    Hot: a movie's credits are mostly people seen for the first time (a blockbuster credits
    hundreds), so `mix`, `_person_fields` and `IdSpace.id_of` are inlined here, and the JSON
    is assembled from pre-formatted pieces.
    """
    seed = catalog.seed
    ids = catalog.people.ids
    block, used = ids.block, ids.used
    key = (seed, ids.seed, ids.salt, block, used)
    entry = _fragment_caches.get(key)
    if entry is None:
        if len(_fragment_caches) >= 8:
            _fragment_caches.clear()
        entry = _fragment_caches[key] = ({}, ids.patterns())
    cache, patterns = entry
    heads, acting, departments, names = GENDER_HEADS, ACTING_PART, DEPARTMENT_PARTS, NAME_PARTS
    n_names, decimals = len(names), DECIMALS
    mul1, mul2, mask, golden = MIX_MUL1, MIX_MUL2, MASK64, GOLDEN
    cached = CACHED_PEOPLE
    get = cache.get
    out: list[bytes] = []
    for p in people:
        text = get(p) if p < cached else None
        if text is None:
            x = (hash((seed, SALT_PERSON, p)) * mul1) & mask  # x = mix(seed, SALT_PERSON, p)
            x = ((x ^ (x >> 31)) * mul2) & mask
            x ^= x >> 29
            b = x.to_bytes(8, "little")  # cheaper than shifting x for each field
            block_no, rank = divmod(p, used)  # the person's id: ids.id_of(p)
            person_id = block_no * block + patterns[(block_no * golden >> 56) & 0xFF][rank] + 1
            # _person_popularity, inlined: written as orjson writes the float (a test checks)
            pop = int((0.02 + 40.0 * ((b[2] | b[3] << 8) / 65536.0) ** 12 + b[7] / 128) * 1e4 + 0.5)
            text = b'%b%d%b%b%d%b,"profile_path":%b' % (
                heads[b[0]],
                person_id,
                acting if b[4] < 154 else departments[(x >> 40) % 11],
                names[(x >> 8) % n_names],
                pop // 10_000,
                decimals[pop % 10_000],
                b'"/%016x%011x.jpg"' % (x, (x * golden) & 0xFFFFFFFFFFF)  # _path(x)
                if b[6] < 154
                else b"null",
            )
            if p < cached:
                cache[p] = text
        out.append(text)
    return out


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
                cid = credit_id(movie_id, order, CAST)
                cast.append({**summary, "character": character, "credit_id": cid, "order": order})
        for slot, (p, department, job) in enumerate(credits.crew):
            if p == index:
                row = {**summary, "credit_id": credit_id(movie_id, slot, CREW)}
                row.update(department=department, job=job)
                crew.append(row)
    return cast, crew


# --- movies ----------------------------------------------------------------------------------


class MovieBase(NamedTuple):
    """A movie's stable fields, shared by its document and by people's credit lists."""

    doc: Doc
    genre_ids: list[int]
    tier: str


# Parts of movie documents that depend on one vocabulary entry only; documents share them.
GENRE_DOCS = {genre: {"id": genre[0], "name": genre[1]} for genre in vocab.GENRES}
SPOKEN_LANGUAGES = [
    {"english_name": english, "iso_639_1": code, "name": name}
    for code, english, name in vocab.LANGUAGES
]
PRODUCTION_COUNTRIES = [{"iso_3166_1": code, "name": name} for code, name in vocab.COUNTRIES]
KEYWORD_DOCS = [{"id": 100 + k, "name": name} for k, name in enumerate(vocab.KEYWORDS)]
FIRST_RELEASE = date(1920, 1, 1).toordinal()


@lru_cache(maxsize=1 << 15)
def movie_base(catalog: Catalog, index: int) -> MovieBase:
    seed = catalog.seed
    tier = movie_tier(seed, index)
    title = movie_title(seed, index)
    # Each random choice reads its own byte or bytes of one 64-byte hash (0-8: language,
    # country, genres; 9-16: money; then one or more for each field in order, up to 42); a
    # probability p is "byte < 256p". Seeding a Mersenne Twister for each movie, as before,
    # cost as much as all the rest.
    h = blake2b(b"%d %d" % (seed, index), person=b"movie base").digest()
    language = h[1] * len(vocab.LANGUAGES) >> 8 if h[0] >= 141 else 0  # 55% the first
    country = h[3] * len(vocab.COUNTRIES) >> 8 if h[2] >= 102 else 0  # 40% the first
    genres: list[tuple[int, str]] = []
    if tier != "small" or h[4] >= 26:  # 1 to 3 different genres; none for 10% of small movies
        pool = list(vocab.GENRES)
        for k in range(1 + (h[5] * 3 >> 8)):
            pick = h[6 + k] * (len(pool) - k) >> 8
            genres.append(pool[pick])
            pool[pick] = pool[len(pool) - 1 - k]
    budget, revenue = _money(tier, h)
    released = FIRST_RELEASE + ((h[17] << 8 | h[18]) * 38_000 >> 16)
    unreleased = h[19] < 13  # 5%
    country_code = vocab.COUNTRIES[country][0]
    doc: Doc = {
        "adult": False,
        "backdrop_path": image_path(seed, SALT_MOVIE, index, 1) if h[20] < 154 else None,
        "belongs_to_collection": (
            collection(seed, 10 + ((h[22] << 8 | h[23]) * 50_000 >> 16))
            if tier != "small" and h[21] < 77  # 30% of the others are in a collection
            else None
        ),
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
            company(seed, 1 + ((h[k] << 16 | h[k + 1] << 8 | h[k + 2]) * 150_000 >> 24))
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


COMPANY_BYTES = ((), (33,), (33,), (33, 36), (33, 36, 39))
"""Where in a movie's hash each of its 0 to 3 production companies is (0: 20%, 1: 40%, ...)."""


def _money(tier: str, h: bytes) -> tuple[int, int]:
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
        "poster_path": _path(x),
        "backdrop_path": _path(x ^ 1) if x % 10 < 7 else None,
    }


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
    base = movie_base(catalog, index)
    doc = base.doc.copy()
    # What a day's change touches: popularity, votes and tagline, all from one hash.
    x = mix(seed, SALT_MOVIE_V, index, version)
    u = (x & 0xFFFF) / 65536.0
    votes = int(20_000 * u**8) if base.tier != "small" else (x >> 16) % 12
    doc["popularity"] = _popularity(x)  # popularity(seed, SALT_MOVIE_V, index, version)
    word = vocab.TITLE_WORDS[(x >> 24) % len(vocab.TITLE_WORDS)]
    doc["tagline"] = f"{word} is coming." if (x >> 40) & 1 else ""
    doc["vote_average"] = round(3 + 6 * ((x >> 41) & 0xFFFF) / 65536.0, 3) if votes else 0.0
    doc["vote_count"] = votes
    if "credits" in appends:
        doc["credits"] = orjson.Fragment(_credits_json(catalog, index, doc["id"]))
    if "keywords" in appends:
        x = mix(seed, index, 8)
        words = sorted({(x >> (6 * k)) % len(vocab.KEYWORDS) for k in range(x % 7)})
        doc["keywords"] = {"keywords": [KEYWORD_DOCS[k] for k in words]}
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
    # Built from pre-formatted pieces, joined once: a blockbuster has ~700 rows, and this is
    # most of the simulator's work per request.
    credits = movie_credits(catalog, index)
    cast, crew = credits.cast, credits.crew
    people = _fragments(catalog, [p for p, _, _ in cast] + [p for p, _, _ in crew])
    hex3 = HEX3
    parts = [b'{"cast":[']
    cast_head, crew_head, start = _credit_ids(movie_id)
    if cast:
        credit = b',"credit_id":"' + cast_head
        heads, tails, characters = CAST_HEADS, CAST_TAILS, CHARACTERS_JSON
        for (_, order, character), person in zip(cast, people, strict=False):
            name = characters.get(character) or orjson.dumps(character)
            parts += (person, heads[order], name, credit, hex3[start + order], tails[order])
        parts[-1] = parts[-1][:-1]  # the last row's comma
    parts.append(b'],"crew":[')
    if crew:
        credit = b',"credit_id":"' + crew_head
        jobs = JOBS_JSON
        rows = zip(people[len(cast) :], crew, strict=True)
        for slot, (person, (_, department, job)) in enumerate(rows, start):
            parts += (person, credit, hex3[slot], jobs[department][job])
        parts[-1] = parts[-1][:-1]
    parts.append(b"]}")
    return b"".join(parts)


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
