"""Who is credited in each movie, the ids of those credits, and the reverse: a person's movies.

Credits are people's *indices* with their order, character, department and job; the documents
that show them (`movies`, `people`, `credits_json`) turn them into rows.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from tmdb_collector.simulator import careers, vocab
from tmdb_collector.simulator.attributes import (
    CREW_DEPARTMENTS,
    FULL_NAMES,
    SALT_CREDIT_ID,
    SALT_CREDITS,
    SALT_TROUPE,
    Tier,
    movie_tier,
)
from tmdb_collector.simulator.catalog import Catalog, SeededRandom, mix
from tmdb_collector.simulator.franchises import (
    LEAD_KEPT,
    franchise_leads,
    franchise_of,
    release_year,
)
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
CAST_SKEW = 5.5
"""A skewed cast pick (see `careers.pick_active`) is rank = ranks * u**CAST_SKEW in a cohort:
low ranks are stars who appear in a hundred movies or more. Counts of movies then follow a
power law whose exponent is about 1 + CAST_SKEW / (CAST_SKEW - 1); the other picks are
uniform, so most people have a single credit."""
CREW_SKEW = 3.0
DIRECTOR_SKEW = 3.0
"""A director's rank from the top is ranks * u**DIRECTOR_SKEW: a few directors make dozens
of movies, most make one."""
TROUPE_SKEW = 1.5
"""Regulars are picked skewed towards stars, less than other cast: many are known mostly for
that director's movies."""
TROUPE_CAST = 0.75
"""The chance that each of the director's regulars is in a given movie of theirs."""
MAX_MISSES = 1000
"""Picks of someone already in the movie, after which anyone will do (small catalogs)."""
CIRCLE_PICKS = 0.7
"""The chance that each of the director's circle is in a given movie of theirs."""
CAST_SIZE_MIN, CAST_SIZE_TAIL, MAX_CAST = 8, 2.5, 180
"""Casts of the bigger movies: at least 8, a power law of exponent 2.5 (see `_cast_size`)."""
SMALL_CAST_MAX = 4
"""Small movies credit 1 to this many actors (or none)."""
BLOCKBUSTER_SHARE = 0.01 / 0.16
"""Blockbusters are the biggest casts of the bigger movies (tiers mid and blockbuster)."""


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


@lru_cache(maxsize=4096)
def movie_credits(catalog: Catalog, index: int) -> Credits:
    """The cast and crew of a movie, picked from the people that existed when it was born and
    worked in the year it came out: its collection's leads and its director's regulars first."""
    seed = catalog.seed
    rng = SeededRandom(mix(seed, SALT_CREDITS, index))
    n_cast, n_crew = _credit_counts(rng, movie_tier(seed, index))
    people = catalog.people.total(catalog.movies.born_day(index))
    year = release_year(seed, index)
    director = director_of(catalog, index, year)
    cast: list[tuple[int, int, str]] = []
    if n_cast:
        leads = _leads(catalog, index, director, rng.random)
        circle = careers.circle(catalog.people.base, director)
        cast = _cast(rng.random, _cast_people(rng.random, people, year, n_cast, leads, circle))
    crew = _crew(rng.random, people, year, n_crew, director) if n_crew else []
    if len(crew) > MAX_CREDITS:  # never: n_crew is at most 450, and a few more rows
        raise ValueError(f"movie {index} has more than {MAX_CREDITS} crew rows")
    return Credits(tuple(cast), tuple(crew))


def _credit_counts(rng: random.Random, tier: Tier) -> tuple[int, int]:
    """How many cast and crew picks a movie of this tier gets."""
    r = rng.random
    if tier == "blockbuster":
        return _cast_size(r() * BLOCKBUSTER_SHARE), rng.randint(300, 450)
    if tier == "mid":
        return _cast_size(BLOCKBUSTER_SHARE + r() * (1 - BLOCKBUSTER_SHARE)), rng.randint(6, 40)
    n_cast = 0 if r() < 0.15 else rng.randint(1, SMALL_CAST_MAX)
    n_crew = 0 if r() < 0.2 else rng.randint(1, 6)
    return n_cast, n_crew


def _cast_size(u: float) -> int:
    """The cast size at quantile u (from the largest) of the bigger movies: a power law,
    P(size >= s) = (s / CAST_SIZE_MIN) ** -CAST_SIZE_TAIL, so that people met on one movie
    have as many co-stars as a power law says, without a bump at the blockbusters."""
    return min(MAX_CAST, int(CAST_SIZE_MIN * max(u, 1e-9) ** (-1 / CAST_SIZE_TAIL)))


def director_of(catalog: Catalog, index: int, year: int | None = None) -> int:
    """The movie's director: half of a collection's sequels keep its first movie's director;
    otherwise someone working in its year, from the directing ranks of their cohort (the
    highest ranks of the people there on the first day, so directors exist for every movie
    they direct), heavily skewed so that a few directors make many movies."""
    seed = catalog.seed
    franchise = franchise_of(seed, index)
    x = mix(seed, SALT_TROUPE, -1 - index)
    if franchise is not None and franchise.rank and x & 1:
        return director_of(catalog, franchise.first, franchise.first_year)
    ranks = careers.ranks(catalog.people.base)
    if not ranks:  # a tiny catalog: no eras
        return careers.film_person(x % max(1, careers.film_count(catalog.people.base)))
    rank = ranks - 1 - int(ranks * ((x >> 1 & 0xFFFFFF) / 2.0**24) ** DIRECTOR_SKEW)
    offset = int(careers.CAREER_YEARS * ((x >> 32) / 2.0**32) ** careers.CAREER_SKEW)
    cohort = careers.cohort_for((release_year(seed, index) if year is None else year) - offset)
    return careers.film_person(rank * careers.COHORTS + cohort)


def troupe_size(catalog: Catalog, director: int) -> int:
    """How many regulars the director has: 3 to 8 (`troupe_member` 0, 1, ...)."""
    return 3 + mix(catalog.seed, SALT_TROUPE, director) % 6


def troupe_member(catalog: Catalog, director: int, slot: int) -> int:
    """The director's regular number `slot`: an actor of their time, most often a star,
    whom they cast again and again (from the people there on the first day, like the
    director). One hash each, so that a movie works out only the regulars it casts: the
    hash's three 21-bit parts are the three draws of `careers.pick_active`."""
    x = mix(catalog.seed, SALT_TROUPE, director, slot)
    year = (careers.debut_year(director) or careers.FIRST_DEBUT) + 10
    draws = (x & 0x1FFFFF) / 2.0**21, (x >> 21 & 0x1FFFFF) / 2.0**21, (x >> 42) / 2.0**22
    return careers.pick_active(iter(draws).__next__, catalog.people.base, year, TROUPE_SKEW)


def _leads(catalog: Catalog, index: int, director: int, r: Callable[[], float]) -> list[int]:
    """Who is billed first: the collection's leads who are back, then the director's
    regulars who were cast this time."""
    leads: list[int] = []
    franchise = franchise_of(catalog.seed, index)
    if franchise is not None:
        for k, p in enumerate(franchise_leads(catalog, franchise)):
            if k == 0 or r() < LEAD_KEPT:
                leads.append(p)
    for slot in range(troupe_size(catalog, director)):
        if r() < TROUPE_CAST:
            p = troupe_member(catalog, director, slot)
            if p != director and p not in leads:
                leads.append(p)
    return leads


def _cast_people(
    r: Callable[[], float],
    people: int,
    year: int,
    n: int,
    leads: list[int],
    circle: tuple[int, ...],
) -> list[int]:
    """`n` people in billing order: the leads, those of the director's circle who were cast,
    then the others."""
    taken = set(leads)
    others = [p for p in circle if r() < CIRCLE_PICKS and p not in taken]
    others = others[: max(0, n - len(leads))]
    taken.update(others)
    others += _pick_people(r, people, year, n - len(leads) - len(others), CAST_SKEW, taken)
    return (leads + others)[:n]


def _cast(r: Callable[[], float], people: list[int]) -> list[tuple[int, int, str]]:
    """Cast rows: (person, order, character)."""
    roles, n_roles, names = CHARACTER_ROLES, len(CHARACTER_ROLES), FULL_NAMES
    n_first, n_last = len(FIRST_NAMES), len(LAST_NAMES)
    cast = []
    for order, p in enumerate(people):
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


def _crew(
    r: Callable[[], float], people: int, year: int, n: int, director: int
) -> list[tuple[int, str, str]]:
    """The director's row, then crew rows for `n` picked people: (person, department, job),
    some with two jobs."""
    table = CREW_TABLE
    crew: list[tuple[int, str, str]] = [(director, "Directing", "Director")]
    for p in _pick_people(r, people, year, n, CREW_SKEW, {director}, crew=True):
        u = r()
        department, jobs = table[int(u * 11)]
        crew.append((p, department, jobs[int(r() * len(jobs))]))
        if u * 1000 % 1 < 0.06:
            # Some people hold several jobs on one movie (director and writer, say): TMDb
            # lists one crew row per job, all with the same person id.
            department, jobs = table[(int(u * 11) + 1) % 11]
            crew.append((p, department, jobs[int(r() * len(jobs))]))
    return crew


def _pick_people(
    r: Callable[[], float],
    people: int,
    year: int,
    n: int,
    skew: float,
    taken: set[int],
    crew: bool = False,
) -> list[int]:
    """`n` different film people below `people`, not in `taken`, each as
    `careers.pick_active(r, people, year, skew, crew)` picks them (inlined: this runs for
    every credit row; a test holds the two equal). Small catalogs may hold fewer such people
    than a blockbuster needs: after many repeats, anyone will do."""
    picked: list[int] = []
    seen = set(taken)
    film = careers.film_count(people)
    n = min(n, film - len(seen))
    rank_count = careers.ranks(people)
    acting = int(rank_count * careers.ACTING_SHARE)
    first, span = (acting, rank_count - acting) if crew else (0, acting)
    uniform = careers.CREW_UNIFORM_PICKS if crew else careers.UNIFORM_PICKS
    cohorts, last, step = careers.COHORTS, careers.COHORTS - 1, careers.COHORT_YEARS
    years, career, career_skew = (
        year - careers.FIRST_DEBUT,
        careers.CAREER_YEARS,
        careers.CAREER_SKEW,
    )
    misses = 0 if rank_count else MAX_MISSES  # a tiny catalog: no eras
    while len(picked) < n:
        if misses < MAX_MISSES:
            u = r()
            rank = first + int(span * (u / uniform if u < uniform else r() ** skew))
            cohort = (years - int(career * r() ** career_skew)) // step
            f = rank * cohorts + (0 if cohort < 0 else last if cohort > last else cohort)
        else:
            f = int(film * r())
        p = f // 7 * 10 + f % 7  # careers.film_person(f)
        if p in seen:
            misses += 1
        else:
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
