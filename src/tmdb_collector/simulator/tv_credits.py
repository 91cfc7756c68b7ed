"""Who works on a TV series: its regulars, each episode's guest stars and crew, and the
whole run's aggregate credits (roles and jobs with episode counts).

People come from the simulator's one person id space, so the people a series credits are
people `/person/{id}` serves: most are TV-only people (who never appear in film credits, and
may be deleted, as on TMDb), the others film people working on television too. A credit id
names one person's role or job on one series: a recurring guest keeps it from episode to
episode, as TMDb's aggregate credits show (one `credit_id` per role, with its episode count).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from tmdb_collector.simulator import careers
from tmdb_collector.simulator.attributes import (
    FULL_NAMES,
    SALT_EPISODE,
    SALT_TV_CREDIT,
    SALT_TV_PEOPLE,
    Doc,
)
from tmdb_collector.simulator.catalog import Catalog, SeededRandom, mix
from tmdb_collector.simulator.credits import CREDIT_ID_FIRST, CREDIT_ID_SPAN
from tmdb_collector.simulator.people import person_summary
from tmdb_collector.simulator.tv_shape import Shape, tv_shape
from tmdb_collector.simulator.vocab import CHARACTER_ROLES

TV_ONLY_SHARE = 0.6
"""The share of a series' people who are TV-only people (the rest are film people)."""
REGULAR_SKEW, GUEST_SKEW, CREW_SKEW = 3.0, 1.5, 2.0
"""Picks are skewed towards the lowest person indices (rank = count * u**skew): regulars
most, so that TV stars are in several series."""
GUEST_POOL_PER_EPISODE = 3
"""Guest slots a series draws from, per episode: slots are picked skewed, so some guests
come back for several episodes."""
DIRECTING, WRITING = ("Directing", "Director"), ("Writing", "Writer")
RUN_JOBS = (("Production", "Executive Producer"), ("Sound", "Original Music Composer"))
"""Jobs held for the whole run (every episode)."""
REGULARS = {"daily": (8, 12), "scripted": (3, 9), "mini": (3, 5), "reality": (1, 3)}
"""(fewest, how many more at most) regulars of each kind of series; documentaries: 0 to 1."""
GUESTS = {"scripted": (0, 10), "mini": (2, 8), "daily": (0, 2), "reality": (0, 3)}
"""(fewest, how many more at most) guest stars per episode; documentaries: 0 to 4."""


class Regular(NamedTuple):
    """A series regular: in every episode of seasons `first` to `last`."""

    person: int
    character: str
    first: int
    last: int
    credit_id: str


class SeriesPeople(NamedTuple):
    """The people a series draws its credits from."""

    regulars: tuple[Regular, ...]
    creators: tuple[int, ...]
    run_crew: tuple[tuple[int, str, str], ...]
    """(person, department, job) held for every episode."""
    directors: tuple[int, ...]
    writers: tuple[int, ...]
    guest_pool: int


class EpisodePeople(NamedTuple):
    """One episode's guest stars (person, character, credit id) and crew (person,
    department, job, credit id)."""

    guests: tuple[tuple[int, str, str], ...]
    crew: tuple[tuple[int, str, str, str], ...]


def tv_credit_id(seed: int, index: int, *parts: int) -> str:
    """A credit id (24 hex digits, a MongoDB ObjectId as TMDb's) for one role or job."""
    x = mix(seed, SALT_TV_CREDIT, index, *parts)
    return f"{CREDIT_ID_FIRST + (x >> 32) % CREDIT_ID_SPAN:08x}{mix(x, 1):016x}"


def _pick(people: int, x: int, skew: float) -> int:
    """A person index below `people`: TV-only or a film person, skewed to the first ones."""
    u = ((x >> 11) / 2.0**53) ** skew
    tv_only = people // 10 * 3 + max(0, people % 10 - 7)
    if (x & 0xFF) < 256 * TV_ONLY_SHARE and tv_only:
        k = int(tv_only * u)
        return k // 3 * 10 + 7 + k % 3
    return careers.film_person(int(careers.film_count(people) * u))


def _character(x: int) -> str:
    if x % 5 == 0:
        return CHARACTER_ROLES[(x >> 8) % len(CHARACTER_ROLES)]
    return FULL_NAMES[(x >> 16) % len(FULL_NAMES)]


@lru_cache(maxsize=1 << 12)
def series_people(catalog: Catalog, index: int) -> SeriesPeople:
    """The series' regulars, creators, whole-run crew and pools of directors and writers,
    from the people there when the series was born."""
    seed = catalog.seed
    shape = tv_shape(seed, index)
    people = catalog.people.total(catalog.tv.born_day(index))
    r = SeededRandom(mix(seed, SALT_TV_PEOPLE, index)).random
    numbers = [s.number for s in shape.regular]
    low, more = REGULARS.get(shape.kind, (0, 1))
    regulars: list[Regular] = []
    for slot in range(low + int(r() * (more + 1))):
        p = _pick(people, mix(seed, SALT_TV_PEOPLE, index, 2, slot), REGULAR_SKEW)
        if any(reg.person == p for reg in regulars):
            continue
        first = numbers[0] if r() < 0.7 else numbers[int(r() * len(numbers))]
        last = numbers[-1] if r() < 0.7 else first + int(r() * (numbers[-1] - first + 1))
        character = _character(mix(seed, SALT_TV_PEOPLE, index, 3, slot))
        regulars.append(Regular(p, character, first, last, tv_credit_id(seed, index, 1, p)))
    episodes = sum(s.episodes for s in shape.seasons)

    def crew_pool(which: int, size: int) -> tuple[int, ...]:
        picked = (
            _pick(people, mix(seed, SALT_TV_PEOPLE, index, which, k), CREW_SKEW)
            for k in range(size)
        )
        return tuple(dict.fromkeys(picked))

    creators = crew_pool(4, int(r() * 3)) if shape.kind in ("scripted", "mini", "daily") else ()
    run = crew_pool(5, 1 + int(r() * 3))
    run_crew = tuple((p, *RUN_JOBS[k % 2]) for k, p in enumerate(run))
    directors = crew_pool(6, 1 + min(12, episodes // 4))
    writers = crew_pool(7, 1 + min(12, episodes // 5))
    pool = max(4, episodes * GUEST_POOL_PER_EPISODE)
    return SeriesPeople(tuple(regulars), creators, run_crew, directors, writers, pool)


def episode_people(catalog: Catalog, index: int, number: int, episode: int) -> EpisodePeople:
    """The guest stars and crew of one episode."""
    seed = catalog.seed
    shape = tv_shape(seed, index)
    cast = series_people(catalog, index)
    r = SeededRandom(mix(seed, SALT_EPISODE, index, number, episode)).random
    people = catalog.people.total(catalog.tv.born_day(index))
    taken = {reg.person for reg in cast.regulars}
    guests: list[tuple[int, str, str]] = []
    low, more = GUESTS.get(shape.kind, (0, 4))
    for _ in range(low + int(r() * (more + 1))):
        slot = int(cast.guest_pool * r() ** 2)
        p = _pick(people, mix(seed, SALT_TV_PEOPLE, index, 8, slot), GUEST_SKEW)
        if p not in taken:
            taken.add(p)
            character = _character(mix(seed, SALT_TV_PEOPLE, index, 9, p))
            guests.append((p, character, tv_credit_id(seed, index, 2, p)))
    crew: list[tuple[int, str, str, str]] = []
    director = cast.directors[int(len(cast.directors) * r() ** 1.5)]
    crew.append((director, *DIRECTING, tv_credit_id(seed, index, 3, director)))
    n_writers = (
        (1 if r() < 0.6 else 2) if shape.kind not in ("reality", "documentary") else int(r() * 2)
    )
    for _ in range(n_writers):
        w = cast.writers[int(len(cast.writers) * r() ** 1.5)]
        if not any(p == w and job == WRITING[1] for p, _, job, _ in crew):
            crew.append((w, *WRITING, tv_credit_id(seed, index, 4, w)))
    return EpisodePeople(tuple(guests), tuple(crew))


def guest_rows(catalog: Catalog, found: EpisodePeople) -> list[Doc]:
    """An episode's `guest_stars`, in TMDb's field order."""
    return [
        {"character": c, "credit_id": cid, "order": order, **person_summary(catalog, p)}
        for order, (p, c, cid) in enumerate(found.guests)
    ]


def crew_rows(catalog: Catalog, found: EpisodePeople) -> list[Doc]:
    """An episode's `crew`, in TMDb's field order."""
    return [
        {"department": d, "job": j, "credit_id": cid, **person_summary(catalog, p)}
        for p, d, j, cid in found.crew
    ]


def created_by(catalog: Catalog, index: int) -> list[Doc]:
    """The series' `created_by` list."""
    rows = []
    for p in series_people(catalog, index).creators:
        s = person_summary(catalog, p)
        rows.append(
            {
                "id": s["id"],
                "credit_id": tv_credit_id(catalog.seed, index, 5, p),
                "name": s["name"],
                "original_name": s["original_name"],
                "gender": s["gender"],
                "profile_path": s["profile_path"],
            }
        )
    return rows


Tally = dict[int, dict[str, list[str | int]]]
"""person -> credit id -> [character or job, episodes], in first-credited order."""


def _count(tally: Tally, person: int, credit: str, label: str, episodes: int) -> None:
    roles = tally.setdefault(person, {})
    if credit in roles:
        roles[credit][1] = int(roles[credit][1]) + episodes
    else:
        roles[credit] = [label, episodes]


@lru_cache(maxsize=32)
def aggregate_credits(catalog: Catalog, index: int) -> Doc:
    """`aggregate_credits`: everyone credited in any episode, with their roles and jobs and
    the episodes each covers (regulars: every episode of their seasons)."""
    shape = tv_shape(catalog.seed, index)
    cast_people = series_people(catalog, index)
    cast: Tally = {}
    crew: Tally = {}
    departments: dict[int, str] = {}
    for reg in cast_people.regulars:
        n = sum(s.episodes for s in shape.regular if reg.first <= s.number <= reg.last)
        _count(cast, reg.person, reg.credit_id, reg.character, n)
    total = sum(s.episodes for s in shape.seasons)
    for p, department, job in cast_people.run_crew:
        departments.setdefault(p, department)
        _count(crew, p, tv_credit_id(catalog.seed, index, 6, p), job, total)
    for_each_episode(
        shape, lambda number, e: _tally_episode(catalog, index, number, e, cast, crew, departments)
    )
    return {
        "cast": [
            {
                **person_summary(catalog, p),
                "roles": [
                    {"credit_id": c, "character": v[0], "episode_count": v[1]}
                    for c, v in roles.items()
                ],
                "total_episode_count": sum(int(v[1]) for v in roles.values()),
                "order": order,
            }
            for order, (p, roles) in enumerate(cast.items())
        ],
        "crew": [
            {
                **person_summary(catalog, p),
                "jobs": [
                    {"credit_id": c, "job": v[0], "episode_count": v[1]} for c, v in jobs.items()
                ],
                "department": departments[p],
                "total_episode_count": sum(int(v[1]) for v in jobs.values()),
            }
            for p, jobs in crew.items()
        ],
    }


def _tally_episode(
    catalog: Catalog,
    index: int,
    number: int,
    episode: int,
    cast: Tally,
    crew: Tally,
    departments: dict[int, str],
) -> None:
    found = episode_people(catalog, index, number, episode)
    for p, character, cid in found.guests:
        _count(cast, p, cid, character, 1)
    for p, department, job, cid in found.crew:
        departments.setdefault(p, department)
        _count(crew, p, cid, job, 1)


def for_each_episode(shape: Shape, visit: Callable[[int, int], None]) -> None:
    """Call visit(season number, episode number) for every episode of the series."""
    for season in shape.seasons:
        for e in range(1, season.episodes + 1):
            visit(season.number, e)


def series_credits(catalog: Catalog, index: int) -> Doc:
    """`credits`: the latest season's regulars and crew, as TMDb gives it."""
    shape = tv_shape(catalog.seed, index)
    cast_people = series_people(catalog, index)
    last = shape.regular[-1]
    cast = [
        {
            **person_summary(catalog, reg.person),
            "character": reg.character,
            "credit_id": reg.credit_id,
            "order": order,
        }
        for order, reg in enumerate(
            r for r in cast_people.regulars if r.first <= last.number <= r.last
        )
    ]
    rows: dict[tuple[int, str], tuple[str, str]] = {}
    for p, department, job in cast_people.run_crew:
        rows[(p, job)] = (department, tv_credit_id(catalog.seed, index, 6, p))
    for e in range(1, last.episodes + 1):
        for p, department, job, cid in episode_people(catalog, index, last.number, e).crew:
            rows.setdefault((p, job), (department, cid))
    crew = [
        {**person_summary(catalog, p), "credit_id": cid, "department": department, "job": job}
        for (p, job), (department, cid) in rows.items()
    ]
    return {"cast": cast, "crew": crew}
