"""TMDb's TV seasons, with no I/O: which `season/N` items to append, where a season is in an
answer, and the one document a series is stored as.

A series is stored as the answer to its first request (`/tv/{id}` with the crawl's appends and
`season/0..K-1`), with every other season added under its own `season/N` key, as TMDb names
an appended item: one document per series, written once all its seasons are in (so a crash
mid-series stores nothing of it, and the rerun fetches it whole). A season that TMDb answers
404 for while the series exists is listed under MISSING_KEY instead.

No real TMDb answer with appended seasons was found to learn from, so a season is accepted in
either shape: an appended `season/N` item, or the body of `/tv/{id}/season/{n}` (the real
sample `tv_1396_season_1.json`), both checked by `as_season`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from tmdb_collector import config

MISSING_KEY = "_missing_seasons"
"""Season numbers TMDb answered 404 for while the series exists (not a TMDb field: ours)."""

SEASON_KEY = re.compile(r"season/(\d+)")


def season_key(number: int) -> str:
    """The key an appended season has in a series answer: `season/3`."""
    return f"season/{number}"


def first_appends(appends: tuple[str, ...]) -> tuple[str, ...]:
    """The appends of a series' first request: the crawl's own, then `season/0, 1, ...` up to
    TMDb's cap. The number of seasons is unknown before this answer, so the first request
    guesses wide: TMDb leaves out seasons that do not exist, and most series have fewer than
    the 16 seasons the default appends leave room for (season 0 holds the specials)."""
    own = tuple(a for a in appends if not SEASON_KEY.fullmatch(a))
    room = max(0, config.MAX_APPENDS - len(own))
    return own + tuple(season_key(n) for n in range(room))


def wanted_seasons(series: Mapping[str, Any]) -> list[int]:
    """Every season a series should have: those its `seasons` list names, and 1 through
    `number_of_seasons` (when the two disagree, none is skipped: a season that does not exist
    answers 404 and is recorded missing)."""
    numbers = {
        s["season_number"]
        for s in series.get("seasons") or ()
        if isinstance(s, dict) and _is_number(s.get("season_number"))
    }
    count = series.get("number_of_seasons")
    if _is_number(count):
        numbers.update(range(1, min(count, config.TV_MAX_SEASON) + 1))
    return sorted(numbers)


def seasons_disagree(series: Mapping[str, Any]) -> bool:
    """True when `number_of_seasons` is not the number of regular (non-zero) seasons listed."""
    listed = [
        s for s in series.get("seasons") or () if isinstance(s, dict) and s.get("season_number")
    ]
    return series.get("number_of_seasons") != len(listed)


def as_season(value: object, number: int) -> dict[str, Any] | None:
    """`value` when it is season `number` (a dict with a list of episodes, and the season
    number when it says one), else None: an error object or anything else TMDb might put in
    an append's place is not a season."""
    if not isinstance(value, dict) or not isinstance(value.get("episodes"), list):
        return None
    said = value.get("season_number", number)
    return value if said == number else None


def seasons_in(answer: Mapping[str, Any], numbers: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The seasons of `numbers` that a series answer carries as appended items."""
    found = {}
    for number in numbers:
        season = as_season(answer.get(season_key(number)), number)
        if season is not None:
            found[number] = season
    return found


def batches(numbers: Iterable[int], size: int = config.MAX_APPENDS) -> list[tuple[str, ...]]:
    """The `season/N` appends of follow-up requests: `size` per request (TMDb's cap)."""
    keys = [season_key(n) for n in numbers]
    return [tuple(keys[i : i + size]) for i in range(0, len(keys), size)]


def series_document(
    first: dict[str, Any], seasons: Mapping[int, dict[str, Any]], missing: Iterable[int]
) -> dict[str, Any]:
    """The stored document: the first answer with every season under its `season/N` key,
    and the 404 seasons under MISSING_KEY (only when there are some)."""
    doc = dict(first)
    for number, season in sorted(seasons.items()):
        doc[season_key(number)] = season
    if gaps := sorted(set(missing)):
        for number in gaps:  # whatever stood in a missing season's place is not a season
            doc.pop(season_key(number), None)
        doc[MISSING_KEY] = gaps
    return doc


def stored_seasons(doc: Mapping[str, Any]) -> dict[int, dict[str, Any]]:
    """The seasons a stored series document holds, by number."""
    found = {}
    for key, value in doc.items():
        if (match := SEASON_KEY.fullmatch(key)) and isinstance(value, dict):
            found[int(match[1])] = value
    return found


def _is_number(value: object) -> TypeGuard[int]:
    # type() rather than isinstance(): JSON true is a bool, and a bool is an int in Python.
    return type(value) is int and value >= 0
