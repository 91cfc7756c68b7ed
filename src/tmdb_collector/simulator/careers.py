"""Careers: when each film person works, and picking someone who works in a given year.

Real casts are drawn from the people working at the time: two actors of different eras never
meet, and contemporaries meet again and again. So each film person belongs to a *cohort*, the
years of their first credit, read from their index without storing anything: film people are
numbered 0, 1, 2, … (the person indices that are not TV-only), and film person `f` debuts in
cohort `f % COHORTS` (`COHORT_YEARS` years from `FIRST_DEBUT + COHORT_YEARS * (f % COHORTS)`)
and is the `f // COHORTS`-th of that cohort (its *rank*: low ranks are the stars, picked far
more often). A movie of year y picks a cohort a few years before y
(most credits come early in a career, a few after decades), then a rank in it.
"""

from __future__ import annotations

from collections.abc import Callable

FIRST_DEBUT = 1880
"""The first cohort's debut year: 40 years before the first release, so that 1920's movies
find veterans as well as newcomers."""
COHORT_YEARS, COHORTS = 2, 76
"""Debuts by two-year cohorts, 1880 to 2031: every year a movie can be released in, and
then some."""
CAREER_YEARS = 40
"""How long after their debut people are still cast, at most."""
CAREER_SKEW = 1.6
"""A credit comes CAREER_YEARS * u**CAREER_SKEW years after the debut: most early on."""
UNIFORM_PICKS, CREW_UNIFORM_PICKS = 0.2, 0.3
"""The share of cast (crew) picks made uniformly among a cohort's actors (crew): most of them
then have a single credit; the others are skewed towards the cohort's stars, who take most
credits (a power law, as in real filmographies)."""
ACTING_SHARE = 0.9
"""The share of each cohort's ranks (the lower ones) who act; the others work in crews, whose
many credits would otherwise leave few actors with a single movie."""
CIRCLE_RANKS = 6
"""How many actors a director's circle holds (see `circle`)."""


def film_person(f: int) -> int:
    """The person index of film person number `f` (indices ending in 7, 8, 9 are TV-only)."""
    return f // 7 * 10 + f % 7


def film_number(person: int) -> int | None:
    """The film person number of a person index, or None for TV-only people."""
    block, rest = divmod(person, 10)
    return block * 7 + rest if rest < 7 else None


def debut_year(person: int) -> int | None:
    """The year of a film person's first credit (None for TV-only people)."""
    f = film_number(person)
    return None if f is None else FIRST_DEBUT + COHORT_YEARS * (f % COHORTS)


def film_count(people: int) -> int:
    """How many of the first `people` person indices are film people."""
    return people // 10 * 7 + min(people % 10, 7)


def ranks(people: int) -> int:
    """How many people each cohort holds among the first `people` person indices (0 in a
    catalog too small to fill every cohort)."""
    return people * 7 // 10 // COHORTS


def cohort_for(year: int) -> int:
    """The cohort of someone who debuts in `year` (clamped to the cohorts there are)."""
    return min(COHORTS - 1, max(0, (year - FIRST_DEBUT) // COHORT_YEARS))


def pick_active(
    r: Callable[[], float], people: int, year: int, skew: float, crew: bool = False
) -> int:
    """A film person below `people` who works in `year`, an actor or (`crew`) not: uniform
    in their cohort (most picks) or skewed towards its stars (rank = ranks * u**skew)."""
    u = r()
    rank_count = ranks(people)
    if not rank_count:  # a tiny catalog: no eras
        return film_person(int(film_count(people) * u))
    acting = int(rank_count * ACTING_SHARE)
    first, span = (acting, rank_count - acting) if crew else (0, acting)
    uniform = CREW_UNIFORM_PICKS if crew else UNIFORM_PICKS
    rank = first + int(span * (u / uniform if u < uniform else r() ** skew))
    cohort = cohort_for(year - int(CAREER_YEARS * r() ** CAREER_SKEW))
    return film_person(rank * COHORTS + cohort)


def circle(people: int, director: int) -> tuple[int, ...]:
    """The director's circle: supporting actors of their own cohort whom only they cast
    (apart from chance picks), so that people who are in several of their movies meet the
    same faces there. Each director of a cohort's k-th highest rank owns the k-th block of
    `CIRCLE_RANKS` ranks counted down from the top of the acting ranks; no two directors share
    one. Directors too far down (who make few movies) have none. `people`: the people there
    on the first day, whose ranks are the directors'."""
    f = film_number(director)
    rank_count = ranks(people)
    acting = int(rank_count * ACTING_SHARE)
    if f is None or not rank_count:
        return ()
    rank, cohort = divmod(f, COHORTS)
    k = rank_count - 1 - rank
    if k < 0 or (k + 1) * CIRCLE_RANKS > acting:
        return ()
    first = acting - (k + 1) * CIRCLE_RANKS
    return tuple(film_person((first + j) * COHORTS + cohort) for j in range(CIRCLE_RANKS))
