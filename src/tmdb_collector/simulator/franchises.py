"""Franchises: the collections movies belong to, when each is released, and who leads them.

A sequel brings its stars back: that is what makes pairs of actors share several movies. So
collections are made of movies, and a collection has a lead cast that each of its movies
mostly keeps. Nothing is stored: movie indices are cut into windows of `WINDOW`; in each,
some movies join a franchise (a hash and the movie's tier decide) and those, in index order,
are grouped into collections of two to seven. A movie's collection, its place in it and the
collection's first movie are thus read from its own window (cached), whatever else exists.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import NamedTuple

from tmdb_collector.simulator import careers
from tmdb_collector.simulator.attributes import (
    SALT_FRANCHISE,
    SALT_FRANCHISE_CAST,
    SALT_RELEASE,
    SALT_TIER,
    tier_of,
)
from tmdb_collector.simulator.catalog import MASK64, MIX_MUL1, MIX_MUL2, Catalog, SeededRandom, mix

WINDOW = 64
"""Movie indices whose franchise members are grouped together."""
GROUPS_PER_WINDOW = 16
"""Collections a window can hold at most; collection ids count windows in steps of this."""
FRANCHISE_SHARE = {"blockbuster": 0.7, "mid": 0.45, "small": 0.04}
"""The share of each tier's movies that belong to a collection (TMDb: most blockbusters, few
small movies)."""
FIRST_RELEASE, LAST_RELEASE = 1920, 2026
"""Release years: the first day of 1920 to the last of 2023 (104 years, as before), and
sequels up to 2026."""
RELEASE_DAYS = 38_000
LEAD_KEPT = 0.85
"""The chance that each of a collection's leads but the first is back in a given movie."""
LEAD_SKEW = 1.5
"""Leads are picked skewed towards their cohort's stars (rank = ranks * u**LEAD_SKEW), less
than other cast: many are known mostly for their franchise, which keeps franchises apart."""


class Franchise(NamedTuple):
    """A movie's collection, and the movie's place in it."""

    id: int
    """The collection id (TMDb's `belongs_to_collection.id`)."""
    rank: int
    """0 for the collection's first movie, 1 for its first sequel, ..."""
    first: int
    """The movie index of the collection's first movie."""
    year: int
    """The release year of this movie."""
    first_year: int
    """The release year of the collection's first movie."""


def franchise_of(seed: int, index: int) -> Franchise | None:
    """The collection the movie belongs to, or None."""
    if not _joins(seed, index):  # most movies: their window need not be worked out
        return None
    return _window(seed, index // WINDOW).get(index)


@lru_cache(maxsize=1 << 12)
def _window(seed: int, window: int) -> dict[int, Franchise]:
    """The franchise movies of one window of movie indices, grouped into collections."""
    start = window * WINDOW
    members = []
    for i in range(start, start + WINDOW):
        x = (hash((seed, SALT_TIER, i)) * MIX_MUL1) & MASK64  # _joins(seed, i), inlined
        x = ((x ^ (x >> 31)) * MIX_MUL2) & MASK64
        x ^= x >> 29
        if (x & 0xFFFFFFFF) / 2.0**32 < FRANCHISE_SHARE[tier_of(x)]:
            members.append(i)
    found: dict[int, Franchise] = {}
    at = 0
    for group in range(GROUPS_PER_WINDOW):
        x = mix(seed, SALT_FRANCHISE, -1 - window, group)
        size = 2 + int(6 * ((x & 0xFFFF) / 65536.0) ** 2.5)  # 2 to 7, mostly 2 or 3
        movies = members[at : at + size]
        if len(movies) < 2:  # a lone movie is no franchise
            break
        gap = 1 + (x >> 16) % 4  # years between sequels
        span = LAST_RELEASE - FIRST_RELEASE - gap * (len(movies) - 1)
        year = FIRST_RELEASE + (x >> 24) % span
        collection = 10 + window * GROUPS_PER_WINDOW + group
        for rank, movie in enumerate(movies):
            found[movie] = Franchise(collection, rank, movies[0], year + rank * gap, year)
        at += size
    return found


def _joins(seed: int, index: int) -> bool:
    """Whether the movie belongs to a franchise (FRANCHISE_SHARE of its tier).

    One hash decides both: `movie_tier` reads the top bits of mix(seed, SALT_TIER, index), this
    its low 32 bits, which are independent of them (see `catalog.mix`). Every movie of a window
    is asked when one is looked up (`_window` inlines this, and a test holds the two equal),
    so a second hash would double the cost of a window."""
    x = mix(seed, SALT_TIER, index)
    return (x & 0xFFFFFFFF) / 2.0**32 < FRANCHISE_SHARE[tier_of(x)]


def release_ordinal(seed: int, index: int) -> int:
    """The movie's release date as an ordinal (shown unless the movie is unreleased): a
    franchise's movies come out in order, a few years apart."""
    x = mix(seed, SALT_RELEASE, index)
    franchise = franchise_of(seed, index)
    if franchise is None:
        return date(FIRST_RELEASE, 1, 1).toordinal() + x % RELEASE_DAYS
    return date(franchise.year, 1, 1).toordinal() + x % 365


def release_year(seed: int, index: int) -> int:
    """The year of `release_ordinal`."""
    franchise = franchise_of(seed, index)
    if franchise is not None:
        return franchise.year
    return date.fromordinal(release_ordinal(seed, index)).year


def franchise_leads(catalog: Catalog, franchise: Franchise) -> tuple[int, ...]:
    """The collection's leads (person indices, first billed first): 2 to 6 people working
    when its first movie came out, who exist from its first movie's birth day."""
    return _leads(catalog, franchise.id, franchise.first, franchise.first_year)


@lru_cache(maxsize=1 << 12)
def _leads(catalog: Catalog, collection: int, first: int, year: int) -> tuple[int, ...]:
    x = mix(catalog.seed, SALT_FRANCHISE_CAST, collection)
    r = SeededRandom(x).random
    people = catalog.people.total(catalog.movies.born_day(first))
    leads: list[int] = []
    for _ in range(2 + x % 5):
        p = careers.pick_active(r, people, year, LEAD_SKEW)
        if p not in leads:
            leads.append(p)
    return tuple(leads)


def window_franchises(seed: int, window: int) -> dict[int, Franchise]:
    """The franchise movies (index -> Franchise) of window `window` of movie indices."""
    return _window(seed, window)
