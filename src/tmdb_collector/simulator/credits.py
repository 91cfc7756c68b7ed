"""Who is credited in each movie, the ids of those credits, and the reverse: a person's movies.

Credits are people's *indices* with their order, character, department and job; the documents
that show them (`movies`, `people`, `credits_json`) turn them into rows.
"""

from __future__ import annotations

import _random
import random
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from tmdb_collector.simulator import vocab
from tmdb_collector.simulator.attributes import (
    CREW_DEPARTMENTS,
    FULL_NAMES,
    SALT_CREDIT_ID,
    SALT_CREDITS,
    Tier,
    movie_tier,
)
from tmdb_collector.simulator.catalog import Catalog, mix
from tmdb_collector.simulator.vocab import CHARACTER_ROLES, FIRST_NAMES, LAST_NAMES

CAST, CREW = 1, 2
"""Which list of a movie's credits a credit id belongs to."""

# Credit ids are MongoDB ObjectIds, as TMDb's: 4 bytes of creation time, 5 of machine and
# process, a 3-byte counter. A movie's rows were created together, so they share all but the
# counter's last digits (52fe4751c3a36847f812f049, ...f05f, ...). Times: 2014-02 (TMDb's big
# import) to 2025-04.
CREDIT_ID_FIRST, CREDIT_ID_SPAN = 0x52FE4000, 0x68000000 - 0x52FE4000
MAX_CREDITS = 1024
"""Rows in one movie's cast or crew at most: the counter's last three hex digits count them
from a start below 4096 - MAX_CREDITS."""
HEX3 = [b"%03x" % n for n in range(4096)]

CREW_TABLE = [(department, vocab.CREW_JOBS[department]) for department in CREW_DEPARTMENTS]
CAST_SKEW = 1.9
"""A "regular" cast pick is index = people * u**CAST_SKEW: low indices are stars who appear in
hundreds of movies; the other picks are uniform, so most people have one or two credits."""
CREW_SKEW = 1.6
UNIFORM_PICKS = 0.6


def credit_id(movie_id: int, slot: int, kind: int) -> str:
    """The credit id of a movie's cast (kind CAST) or crew (CREW) row number `slot`."""
    cast, crew, start = credit_id_parts(movie_id)
    return ((cast if kind == CAST else crew) + HEX3[start + slot]).decode()


def credit_id_parts(movie_id: int) -> tuple[bytes, bytes, int]:
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


# --- a movie's cast and crew -----------------------------------------------------------------


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


@lru_cache(maxsize=4096)
def movie_credits(catalog: Catalog, index: int) -> Credits:
    """The cast and crew of a movie, picked from the people that existed when it was born."""
    seed = catalog.seed
    rng = SeededRandom(mix(seed, SALT_CREDITS, index))
    n_cast, n_crew = _credit_counts(rng, movie_tier(seed, index))
    people = catalog.people.total(catalog.movies.born_day(index))
    cast = _cast(rng.random, people, n_cast) if n_cast else []
    crew = _crew(rng.random, people, n_crew) if n_crew else []
    if len(crew) > MAX_CREDITS:  # never: n_crew is at most 450, and a few more rows
        raise ValueError(f"movie {index} has more than {MAX_CREDITS} crew rows")
    return Credits(tuple(cast), tuple(crew))


def _credit_counts(rng: random.Random, tier: Tier) -> tuple[int, int]:
    """How many cast and crew picks a movie of this tier gets."""
    if tier == "blockbuster":
        return rng.randint(100, 180), rng.randint(300, 450)
    if tier == "mid":
        return rng.randint(6, 30), rng.randint(6, 40)
    r = rng.random
    n_cast = 0 if r() < 0.15 else rng.randint(1, 8)
    n_crew = 0 if r() < 0.2 else rng.randint(1, 6)
    return n_cast, n_crew


def _cast(r: Callable[[], float], people: int, n: int) -> list[tuple[int, int, str]]:
    """`n` cast rows: (person, order, character)."""
    roles, n_roles, names = CHARACTER_ROLES, len(CHARACTER_ROLES), FULL_NAMES
    n_first, n_last = len(FIRST_NAMES), len(LAST_NAMES)
    cast = []
    for order, p in enumerate(_pick_people(r, people, n, CAST_SKEW)):
        # the character: a role, none, or a name (not a function: this runs for each row)
        u = r()
        if u < 0.2:
            character = roles[int(u * 5 * n_roles)]
        elif u < 0.25:
            character = ""
        else:
            x = int(u * 2**53)
            character = names[(x % n_first) * n_last + (x >> 8) % n_last]
        cast.append((p, order, character))
    return cast


def _crew(r: Callable[[], float], people: int, n: int) -> list[tuple[int, str, str]]:
    """Crew rows for `n` picked people: (person, department, job), some with two jobs."""
    table = CREW_TABLE
    crew: list[tuple[int, str, str]] = []
    for p in _pick_people(r, people, n, CREW_SKEW):
        u = r()
        department, jobs = table[int(u * 11)]
        crew.append((p, department, jobs[int(r() * len(jobs))]))
        if u * 1000 % 1 < 0.06:
            # Some people hold several jobs on one movie (director and writer, say): TMDb
            # lists one crew row per job, all with the same person id.
            department, jobs = table[(int(u * 11) + 1) % 11]
            crew.append((p, department, jobs[int(r() * len(jobs))]))
    return crew


def _pick_people(r: Callable[[], float], people: int, n: int, skew: float) -> list[int]:
    """`n` different people below `people`: most uniform, the rest skewed towards the stars."""
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


# --- each person's movies --------------------------------------------------------------------


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
