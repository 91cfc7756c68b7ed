"""The simulated catalog: which ids exist on which day, and what changed each day.

Nothing is stored per id on the first day: an id, its flags and its documents are derived from
(seed, index) on demand, so starting is instant and memory does not grow with the catalog.
Only the day clock's events (changes, deletions) are kept, a few thousand ids a day.

Each kind (movies, people, TV series) numbers its entries by *index* 0, 1, 2, …; the first
day's catalog holds indices below `base`, and each later day appends `added_per_day` more. An
index maps to a TMDb-style id through `IdSpace`, which leaves gaps, as TMDb's id space does.
"""

from __future__ import annotations

import _random
import bisect
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

from tmdb_collector import config

MASK64 = (1 << 64) - 1
MIX_MUL1, MIX_MUL2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
"""mix()'s splitmix64 multipliers, for the hot loop in `credits_json` that inlines it."""
GOLDEN = 0x9E3779B97F4A7C15

Kind = Literal["movie", "person", "tv"]
"""The kinds of entry on the day clock (with their own change lists)."""

# Salts keep the hash streams of different properties independent.
SALT_MOVIE_IDS, SALT_PERSON_IDS, SALT_GHOST, SALT_EARLY = 1, 2, 3, 4
SALT_MOVIE_DELETE, SALT_MOVIE_CHANGE, SALT_PERSON_DELETE, SALT_PERSON_CHANGE = 6, 7, 8, 9
SALT_ORDER = 10
SALT_TV_IDS, SALT_TV_DELETE, SALT_TV_CHANGE = 11, 12, 13

TV_PER_MOVIE = 0.19
"""TV series per movie (TMDb, 2026-08: 230,101 series in the export against 1,238,234 movies)."""
TV_CHANGE_RATE = 0.012
"""The share of series changed each day (TMDb: 2,661 of about 230,000 a day)."""


def mix(*parts: int) -> int:
    """A stable 64-bit hash of integers.

    CPython's tuple hash (stable for integers: no per-process salt) does the combining in C,
    then a splitmix64 finalizer spreads it so that any bit range is uniform and properties
    drawn with different salts are independent. It is the simulator's hot path.
    """
    x = (hash(parts) * MIX_MUL1) & MASK64
    x = ((x ^ (x >> 31)) * MIX_MUL2) & MASK64
    return x ^ (x >> 29)


def unit(*parts: int) -> float:
    """A stable number in [0, 1) derived from integers."""
    return mix(*parts) / 2.0**64


class SeededRandom(random.Random):
    """`random.Random(seed)` for an integer seed, the same stream, made with less overhead
    (Random's __init__ and seed() go through Python-level checks first); one is made for each
    movie, so it adds up."""

    def __init__(self, seed: int) -> None:
        _random.Random.seed(self, seed)
        self.gauss_next = None


@lru_cache(maxsize=64)
def _slot_patterns(seed: int, salt: int, block: int, used: int) -> tuple[tuple[int, ...], ...]:
    """256 ways to choose `used` of `block` slots; each block of ids takes one of them."""
    rng = random.Random(mix(seed, salt))
    return tuple(tuple(sorted(rng.sample(range(block), used))) for _ in range(256))


@dataclass(frozen=True)
class IdSpace:
    """A bijection between indices 0, 1, 2, … and sparse ids: `used` ids in every `block`."""

    seed: int
    salt: int
    block: int = 64
    used: int = 45

    def patterns(self) -> tuple[tuple[int, ...], ...]:
        """The 256 slot patterns, for loops that inline `id_of` (see `_slots`)."""
        return _slot_patterns(self.seed, self.salt, self.block, self.used)

    def _slots(self, block_no: int) -> tuple[int, ...]:
        patterns = _slot_patterns(self.seed, self.salt, self.block, self.used)
        # A multiplicative hash is enough to pick a pattern, and this runs for every credit row.
        return patterns[((block_no * GOLDEN) & MASK64) >> 56]

    def id_of(self, index: int) -> int:
        block_no, rank = divmod(index, self.used)
        return block_no * self.block + self._slots(block_no)[rank] + 1

    def index_of(self, id_: int) -> int | None:
        if id_ < 1:
            return None
        block_no, slot = divmod(id_ - 1, self.block)
        slots = self._slots(block_no)
        rank = bisect.bisect_left(slots, slot)
        if rank == len(slots) or slots[rank] != slot:
            return None
        return block_no * self.used + rank


@dataclass
class KindTimeline:
    """One kind's ids over the simulated days: births, deletions, changes and ghosts.

    Day 0 is the catalog's first day. A *ghost* is listed in every export but answers 404,
    like TMDb ids deleted or merged after the export was made. Everything a day does happens
    before that day's export is written, so the export of day d lists what the API serves on d
    (plus the ghosts).
    """

    seed: int
    ids: IdSpace
    base: int
    added_per_day: int
    deleted_per_day: int
    changed_per_day: int
    delete_salt: int
    change_salt: int
    may_vanish: Callable[[int], bool] = lambda index: True
    deleted: dict[int, int] = field(default_factory=dict)
    changed: dict[int, list[int]] = field(default_factory=dict)
    events: list[tuple[list[int], list[int]]] = field(default_factory=lambda: [([], [])])

    @property
    def days_known(self) -> int:
        return len(self.events) - 1

    def total(self, day: int) -> int:
        """Indices that exist (born) by `day`."""
        return self.base + day * self.added_per_day

    def born_day(self, index: int) -> int:
        if index < self.base:
            return 0
        return (index - self.base) // self.added_per_day + 1

    def is_ghost(self, index: int) -> bool:
        return self.may_vanish(index) and unit(self.seed, SALT_GHOST, self.ids.salt, index) < (
            config.SIM_GHOST_RATE
        )

    def in_export(self, index: int, day: int) -> bool:
        return self.born_day(index) <= day and self.deleted.get(index, day + 1) > day

    def alive(self, index: int, day: int) -> bool:
        return self.in_export(index, day) and not self.is_ghost(index)

    def version(self, index: int, day: int) -> int:
        """The last day (0 = first) on or before `day` that changed this entry."""
        days = self.changed.get(index)
        if not days:
            return 0
        at = bisect.bisect_right(days, day)
        return days[at - 1] if at else 0

    def born_on(self, day: int) -> range:
        if day == 0:
            return range(0)
        return range(self.total(day - 1), self.total(day))

    def deleted_on(self, day: int) -> list[int]:
        return self.events[day][0]

    def changed_on(self, day: int) -> list[int]:
        return self.events[day][1]

    def advance_to(self, day: int) -> None:
        """Draw the events of every day up to `day` (each day once, in order)."""
        while self.days_known < day:
            self._draw_day(self.days_known + 1)

    def _draw_day(self, day: int) -> None:
        existing = self.total(day - 1)
        rng = random.Random(mix(self.seed, self.delete_salt, day))
        doomed = [
            i
            for i in rng.sample(range(existing), min(existing, self.deleted_per_day))
            if self.alive(i, day - 1) and self.may_vanish(i)
        ]
        for index in doomed:
            self.deleted[index] = day
        rng = random.Random(mix(self.seed, self.change_salt, day))
        touched = [
            i
            for i in rng.sample(range(existing), min(existing, self.changed_per_day))
            if self.alive(i, day)
        ]
        for index in touched:
            self.changed.setdefault(index, []).append(day)
        self.events.append((sorted(doomed), sorted(touched)))


@dataclass(frozen=True)
class ChangeRow:
    """One row of a change list: an id, and whether it was deleted (adult/softcore null)."""

    id: int
    deleted: bool

    def as_json(self) -> dict[str, int | bool | None]:
        """The row as TMDb lists it; deleted ids come with adult and softcore null."""
        flag = None if self.deleted else False
        return {"id": self.id, "adult": flag, "softcore": flag}


class Catalog:
    """Movies, people and TV series on a day clock, derived from a seed."""

    def __init__(self, movies: int, seed: int, first_day: date) -> None:
        self.seed = seed
        self.first_day = first_day
        self.day = 0
        people = movies * config.SIM_PEOPLE_PER_MOVIE
        self.movies = self._timeline(
            (SALT_MOVIE_IDS, 45),
            movies,
            config.SIM_MOVIE_CHANGE_RATE,
            (SALT_MOVIE_DELETE, SALT_MOVIE_CHANGE),
        )
        self.people = self._timeline(
            (SALT_PERSON_IDS, 48),
            people,
            config.SIM_PERSON_CHANGE_RATE,
            (SALT_PERSON_DELETE, SALT_PERSON_CHANGE),
        )
        # Only people outside film credits vanish, so a movie never credits a 404.
        self.people.may_vanish = self.is_tv_only
        series = max(1, round(movies * TV_PER_MOVIE))
        self.tv = self._timeline(
            (SALT_TV_IDS, 45), series, TV_CHANGE_RATE, (SALT_TV_DELETE, SALT_TV_CHANGE)
        )

    def _timeline(
        self, ids: tuple[int, int], base: int, change_rate: float, salts: tuple[int, int]
    ) -> KindTimeline:
        """A kind's timeline: `ids` is (salt, used ids in each block of 64), `salts` the
        salts of its deletions and changes."""
        return KindTimeline(
            seed=self.seed,
            ids=IdSpace(self.seed, ids[0], 64, ids[1]),
            base=base,
            added_per_day=max(1, round(base * config.SIM_ADD_RATE)),
            deleted_per_day=max(1, round(base * config.SIM_DELETE_RATE)),
            changed_per_day=max(1, round(base * change_rate)),
            delete_salt=salts[0],
            change_salt=salts[1],
        )

    # --- the clock ---

    @property
    def today(self) -> date:
        return self.first_day + timedelta(days=self.day)

    def advance(self, days: int) -> date:
        """Move the clock forward; each new day's changes, additions and deletions happen."""
        if days < 0:
            raise ValueError("the day clock only moves forward")
        self.day += days
        self.movies.advance_to(self.day)
        self.people.advance_to(self.day)
        self.tv.advance_to(self.day)
        return self.today

    def day_of(self, when: date) -> int | None:
        """Day number of a date, or None when the date is outside the simulated span."""
        offset = (when - self.first_day).days
        return offset if 0 <= offset <= self.day else None

    # --- people who never appear in film credits ---

    @staticmethod
    def is_tv_only(person_index: int) -> bool:
        """Three people in ten never appear in film credits (TMDb: TV-only people)."""
        return person_index % 10 >= 7

    # --- lookups ---

    def movie_index(self, movie_id: int) -> int | None:
        """Index of a movie the API serves today, or None (404)."""
        index = self.movies.ids.index_of(movie_id)
        if index is None or not self.movies.alive(index, self.day):
            return None
        return index

    def person_index(self, person_id: int) -> int | None:
        """Index of a person the API serves today, or None (404)."""
        index = self.people.ids.index_of(person_id)
        if index is None or not self.people.alive(index, self.day):
            return None
        return index

    def tv_index(self, tv_id: int) -> int | None:
        """Index of a TV series the API serves today, or None (404)."""
        index = self.tv.ids.index_of(tv_id)
        if index is None or not self.tv.alive(index, self.day):
            return None
        return index

    def timeline(self, kind: Kind) -> KindTimeline:
        """The timeline of one kind."""
        return self.movies if kind == "movie" else self.people if kind == "person" else self.tv

    def latest(self, timeline: KindTimeline) -> int:
        """Index of the newest entry served today."""
        index = timeline.total(self.day) - 1
        while not timeline.alive(index, self.day):
            index -= 1
        return index

    def export_indices(self, timeline: KindTimeline, day: int) -> Iterator[int]:
        """Indices listed in the export of `day`, in TMDb's order: mostly ascending ids, with a
        few ids pulled to the front (real exports start 3924, 6124, 8773, …, 2, 3, 5)."""
        total = timeline.total(day)
        salt = timeline.ids.salt

        def early(i: int) -> bool:
            return unit(self.seed, SALT_EARLY, salt, i) < 0.01

        for pass_early in (True, False):
            for index in range(total):
                if early(index) == pass_early and timeline.in_export(index, day):
                    yield index

    def change_rows(self, timeline: KindTimeline, day: int, extra: set[int]) -> list[ChangeRow]:
        """Rows of one day's change list: changed, new and deleted entries (and `extra`)."""
        deleted = set(timeline.deleted_on(day))
        touched = set(timeline.changed_on(day)) | set(timeline.born_on(day)) | extra
        touched = {i for i in touched if timeline.alive(i, day)}
        rows = [ChangeRow(timeline.ids.id_of(i), i in deleted) for i in touched | deleted]
        # TMDb lists ids in no useful order; a seeded shuffle keeps it reproducible.
        rows.sort(key=lambda row: mix(self.seed, SALT_ORDER, row.id))
        return rows
