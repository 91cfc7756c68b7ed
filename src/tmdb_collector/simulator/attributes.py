"""Seeded attributes that several documents share: titles, names, image paths, popularity.

Each is a pure function of (seed, index, ...) through `catalog.mix`, so a movie's title is the
same in its document, in a person's credits and in the export, without being stored anywhere.
"""

from __future__ import annotations

from typing import Any, Literal

from tmdb_collector.simulator import vocab
from tmdb_collector.simulator.catalog import GOLDEN, mix

Doc = dict[str, Any]
Tier = Literal["blockbuster", "mid", "small"]
"""How big a movie is: its cast, crew and budget follow."""

# Salts keep the hash streams of different attributes independent; they are stated together,
# here, so that no two modules pick the same one.
SALT_MOVIE, SALT_MOVIE_V, SALT_CREDITS, SALT_PERSON, SALT_PERSON_V, SALT_TIER = (
    21,
    22,
    23,
    24,
    25,
    26,
)
SALT_PATH, SALT_COLLECTION, SALT_COMPANY, SALT_CREDIT_ID = 29, 30, 31, 32
SALT_RELEASE, SALT_FRANCHISE, SALT_FRANCHISE_CAST, SALT_TROUPE = 33, 34, 35, 36
SALT_TV, SALT_TV_V, SALT_SEASON, SALT_EPISODE, SALT_TV_PEOPLE, SALT_TV_CREDIT = (
    50,
    51,
    52,
    53,
    54,
    55,
)
SALT_NETWORK, SALT_KEYWORD = 56, 57

FULL_NAMES = tuple(f"{first} {last}" for first in vocab.FIRST_NAMES for last in vocab.LAST_NAMES)
CREW_DEPARTMENTS = sorted(vocab.CREW_JOBS)
GENDERS = [0] * 30 + [1] * 30 + [2] * 38 + [3] * 2  # TMDb: 0 unset, 1 female, 2 male, 3 nb


def image_path(*parts: int, ext: str = ".jpg") -> str:
    """A TMDb-style image path: 27 letters and digits, then the extension."""
    return hashed_path(mix(SALT_PATH, *parts), ext)


def hashed_path(x: int, ext: str = ".jpg") -> str:
    """The image path that the 64-bit hash `x` names."""
    # 27 hex digits: a subset of TMDb's base-62 alphabet, and much cheaper to make. They are
    # x's 16, then 11 of x times the golden ratio, written as one number (faster than two).
    return f"/{hex(x << 44 | ((x * GOLDEN) & 0xFFFFFFFFFFF) | 1 << 108)[3:]}{ext}"


def popularity(seed: int, salt: int, index: int, version: int) -> float:
    """Heavy-tailed, four decimals, like the 2026 exports."""
    return popularity_of(mix(seed, salt, index, version))


def popularity_of(x: int) -> float:
    """`popularity` for an already mixed hash `x`."""
    return round(0.02 + 60.0 * ((x >> 32) / 2.0**32) ** 12 + (x & 0xFFFFFFFF) / 2.0**32, 4)


def movie_title(seed: int, index: int) -> str:
    """One to three title words, a third of them after "The"."""
    x = mix(seed, SALT_MOVIE, index)
    words = vocab.TITLE_WORDS
    title = words[(x >> 8) % len(words)]
    if x % 3:
        title = f"{title} {words[(x >> 18) % len(words)]}"
        if x % 3 == 2:
            title = f"{title} {words[(x >> 28) % len(words)]}"
    return f"The {title}" if (x >> 60) & 1 else title


def movie_is_video(seed: int, index: int) -> bool:
    """Whether the movie is a video release (3%), TMDb's `video` flag."""
    return mix(seed, SALT_MOVIE, index, 7) % 100 < 3


def movie_tier(seed: int, index: int) -> Tier:
    """The movie's tier: "blockbuster" (1%), "mid" (15%) or "small"."""
    return tier_of(mix(seed, SALT_TIER, index))


def tier_of(x: int) -> Tier:
    """The tier that the hash `x` = mix(seed, SALT_TIER, index) gives (its top bits only)."""
    u = x / 2.0**64
    return "blockbuster" if u < 0.01 else "mid" if u < 0.16 else "small"


def person_name(seed: int, index: int) -> str:
    """A person's full name."""
    return FULL_NAMES[name_number(mix(seed, SALT_PERSON, index))]


def name_number(x: int) -> int:
    """The position in `FULL_NAMES` of the name that the hash `x` picks."""
    return (x >> 8) % len(FULL_NAMES)
