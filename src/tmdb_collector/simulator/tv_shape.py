"""A TV series' shape: its kind, seasons, episode counts, air dates and status.

Everything is read from one hash of (seed, series index), nothing is stored. Sizes follow
TMDb: most series run one to three seasons, a few run for decades (more than 20 seasons);
seasons hold a handful of episodes (miniseries) to over a hundred (daily shows). A returning
series has aired part of its last season: the next episode is dated, the ones after it
soon are not yet.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from hashlib import blake2b
from typing import NamedTuple

from tmdb_collector.simulator.attributes import SALT_SEASON
from tmdb_collector.simulator.catalog import mix

FIRST_YEAR, LAST_YEAR = 1950, 2026
"""First air years of series: their last season airs in LAST_YEAR at the latest."""
SEASON_ID_STRIDE, EPISODE_ID_STRIDE = 64, 512
"""Season ids count series in steps of 64 season numbers, episode ids seasons in steps of
512 episode numbers: no series has more seasons, no season more episodes."""
RETURNING_BYTE = 46
"""A series (not a miniseries) is still running when a byte of its hash is below this (18%)."""
DATED_AHEAD = 2
"""A returning series' upcoming episodes after this many past the next one have no date."""


class Season(NamedTuple):
    """One season: its number (0: specials), episode count, first air day and rhythm."""

    number: int
    episodes: int
    first: int
    """The first episode's air date, as an ordinal."""
    step: int
    """Days between episodes."""


class Shape(NamedTuple):
    """What a series is made of."""

    kind: str
    """"daily", "mini", "reality", "documentary" or "scripted"."""
    type: str
    """TMDb's `type`."""
    seasons: tuple[Season, ...]
    """Specials (season 0) first when there are any, then seasons 1, 2, ..."""
    aired: int
    """How many episodes of the last season have aired (all of them unless returning)."""
    status: str

    @property
    def regular(self) -> tuple[Season, ...]:
        """The seasons but the specials."""
        return tuple(s for s in self.seasons if s.number > 0)

    @property
    def returning(self) -> bool:
        return self.status == "Returning Series"


def season_id(index: int, number: int) -> int:
    """The season's TMDb id (not its number)."""
    return 1 + index * SEASON_ID_STRIDE + number


def episode_id(index: int, number: int, episode: int) -> int:
    """The episode's TMDb id."""
    return (index * SEASON_ID_STRIDE + number) * EPISODE_ID_STRIDE + episode


@lru_cache(maxsize=1 << 14)
def tv_shape(seed: int, index: int) -> Shape:
    """The series' seasons, episodes and status (each byte of one hash decides one thing)."""
    h = blake2b(b"%d %d" % (seed, index), person=b"tv shape").digest()
    kind, tv_type = _kind(h[0], h[1])
    n = _season_count(kind, h[2], h[3])
    returning = h[8] < RETURNING_BYTE and kind != "mini"
    if returning:  # its last season airs now
        first_year = LAST_YEAR - n + 1 - (h[7] & 1)
    else:
        first_year = FIRST_YEAR + (h[6] << 8 | h[7]) % max(1, LAST_YEAR - FIRST_YEAR + 2 - n)
    seasons: list[Season] = []
    for k in range(n):
        x = mix(seed, SALT_SEASON, index, k + 1)
        start = date(first_year + k, 1 + (x >> 8) % 9, 1 + (x >> 16) % 28).toordinal()
        seasons.append(Season(k + 1, _episode_count(kind, x), start, 1 if kind == "daily" else 7))
    if h[4] < 64:  # a quarter of series have specials
        seasons.insert(0, Season(0, 1 + h[5] % 6, seasons[0].first + 200, 30))
    last = seasons[-1]
    if returning and last.episodes > 1:
        aired = 1 + h[9] % (last.episodes - 1)
        return Shape(kind, tv_type, tuple(seasons), aired, "Returning Series")
    status = "Ended" if h[10] < 200 else "Canceled"
    return Shape(kind, tv_type, tuple(seasons), last.episodes, status)


def _kind(a: int, b: int) -> tuple[str, str]:
    if a < 15:  # 6%: soaps, talk shows, news
        return "daily", ("Scripted", "Talk Show", "News")[b % 3]
    if a < 46:
        return "mini", "Miniseries"
    if a < 72:
        return "reality", "Reality"
    if a < 92:
        return "documentary", "Documentary"
    return "scripted", "Scripted"


def _season_count(kind: str, a: int, b: int) -> int:
    if kind == "daily":
        return 1 + a % 6
    if kind == "mini":
        return 1
    if a < 128:  # half: one season
        return 1
    if a < 184:
        return 2
    if a < 215:
        return 3
    if a < 246:
        return 4 + b % 9
    return 13 + b % 33  # 4%: long-running, up to 45 seasons


def _episode_count(kind: str, x: int) -> int:
    r = x >> 32
    if kind == "daily":
        return 100 + r % 161
    if kind == "mini":
        return 3 + r % 6
    if kind in ("reality", "documentary"):
        return 4 + r % 12
    return 6 + r % 19


def air_ordinal(shape: Shape, season: Season, episode: int) -> int | None:
    """The episode's air date as an ordinal, or None (a returning series' later episodes,
    and now and then a special)."""
    if (
        shape.returning
        and season.number == shape.seasons[-1].number
        and episode > shape.aired + 1 + DATED_AHEAD
    ):
        return None
    if season.number == 0 and (season.first + episode) % 5 == 0:
        return None
    return season.first + (episode - 1) * season.step


def has_aired(shape: Shape, season: Season, episode: int) -> bool:
    """Whether the episode has aired (all but a returning series' last ones)."""
    return not (
        shape.returning and season.number == shape.seasons[-1].number and episode > shape.aired
    )
