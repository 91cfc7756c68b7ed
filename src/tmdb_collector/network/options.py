"""What a network is built from (NetworkOptions) and which files it is written to (formats)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tmdb_collector import config
from tmdb_collector.errors import ConfigError

Role = Literal["cast", "crew", "both"]
ROLES: tuple[Role, ...] = ("cast", "crew", "both")
MEDIA = ("movie", "tv")
"""What people can share: movies, TV series (each series one shared work, all its seasons)."""
FORMATS = config.NETWORK_FORMATS
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(K|M|G|T)i?B", re.IGNORECASE)


@dataclass(frozen=True)
class NetworkOptions:
    """Which credits become edges, and what is computed on the graph.

    Two people are linked when both hold a credit, of the chosen roles, on the same movie;
    the weight is the number of such movies. Messages name the command's options, since that
    is where users meet them.
    """

    min_shared: int = 1
    """Keep an edge only if the pair shares at least this many movies (--min-shared)."""
    top_billed: int | None = None
    """Only cast billed before this place ("order" < K); None: all (--top-billed)."""
    min_votes: int | None = None
    """Only movies with vote_count >= this (--min-votes)."""
    year_from: int | None = None
    """Only movies released in this year or later (movies without a year are then left out)."""
    year_to: int | None = None
    """Only movies released in this year or earlier."""
    roles: Role = "cast"
    """cast: actors who appeared together; crew: people who worked on a movie's crew
    together; both: any two people credited on the same movie."""
    media: tuple[str, ...] = ("movie",)
    """Link people through movies, TV series (aggregate credits, every season), or both
    (--media). In edges' movie_ids a series is its id negated, so the two id spaces never
    meet."""
    movie_ids: bool = False
    """Also list each edge's shared movie ids (bigger outputs)."""
    community: bool = True
    """Detect communities (Leiden, modularity, weighted), when the graph is small enough."""
    community_max_edges: int = config.NETWORK_COMMUNITY_MAX_EDGES
    """Skip community detection (with a note) on graphs with more kept edges than this."""
    seed: int = config.NETWORK_SEED
    """Seed of the community detection: the same graph and seed give the same ids."""
    memory_limit: str = config.NETWORK_MEMORY_LIMIT
    """DuckDB's memory limit while building; it spills to disk beyond it."""

    @property
    def tables(self) -> set[str]:
        """The export tables the network reads: build only these (`tables.build(only=...)`)."""
        tv = (
            {"tv_series", *(f"tv_{t}" for t in self.credit_tables)} if "tv" in self.media else set()
        )
        return {"movies", "people", *self.credit_tables, *tv}

    @property
    def credit_tables(self) -> tuple[str, ...]:
        """The tables of the chosen roles' movie credits (`tv_` + each: the series' ones)."""
        return ("cast", "crew") if self.roles == "both" else (self.roles,)

    def __post_init__(self) -> None:
        _at_least("--min-shared", self.min_shared, 1)
        _at_least("--top-billed", self.top_billed, 1)
        _at_least("--min-votes", self.min_votes, 0)
        _at_least("the community edge limit", self.community_max_edges, 0)
        _at_least("the first year", self.year_from, 0)
        _at_least("the last year", self.year_to, 0)
        if not MEMORY_SIZE.fullmatch(self.memory_limit):
            raise ConfigError(f"bad memory limit {self.memory_limit!r}: write it like 1GB or 512MB")
        if not self.media or not set(self.media) <= set(MEDIA):
            raise ConfigError(f"unknown media {','.join(self.media)!r}: choose from movie,tv")
        if self.roles not in ROLES:
            raise ConfigError(f"unknown roles {self.roles!r}: choose one of {', '.join(ROLES)}")
        if self.top_billed is not None and self.roles == "crew":
            raise ConfigError("--top-billed picks cast by billing: it cannot apply to crew only")
        low, high = self.year_from, self.year_to
        if low is not None and high is not None and low > high:
            raise ConfigError(f"the year range is inverted: from {low} to {high}")


def _at_least(name: str, value: int | None, low: int) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if value is not None and value < low:
        raise ConfigError(f"{name} must be at least {low}, got {value}")


def check_formats(formats: str | Iterable[str]) -> tuple[str, ...]:
    """The formats asked for ("gexf,parquet" or a list), in FORMATS' order, each once; an
    unknown or missing format raises ConfigError."""
    asked = formats.split(",") if isinstance(formats, str) else list(formats)
    asked = [f.strip().lower() for f in asked if f.strip()]
    unknown = [f for f in asked if f not in FORMATS]
    if unknown:
        raise ConfigError(
            f"unknown network format {unknown[0]!r}: choose from {', '.join(FORMATS)}"
        )
    if not asked:
        raise ConfigError(f"no network format given: choose from {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in asked)
