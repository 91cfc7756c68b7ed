"""The change lists (`/movie/changes`, `/person/changes`, `/tv/changes`): ids changed, added
or deleted."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tmdb_collector.simulator.catalog import Catalog, Kind
from tmdb_collector.simulator.credits import people_touched_by_movies

ChangeRowJson = dict[str, Any]


class ChangeLists:
    """The rows of each day's change lists, computed once per (kind, day) and kept."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._days: dict[tuple[Kind, int], list[ChangeRowJson]] = {}

    def rows(self, kind: Kind, start: date, end: date) -> list[ChangeRowJson]:
        """Every id listed from `start` to `end`, once, in the state of its latest listing."""
        seen: set[int] = set()
        rows: list[ChangeRowJson] = []
        day = end
        while day >= start:  # newest first: an id listed twice keeps its latest state
            number = self.catalog.day_of(day)
            if number is not None and number > 0:
                for row in self.day_rows(kind, number):
                    if row["id"] not in seen:
                        seen.add(row["id"])
                        rows.append(row)
            day -= timedelta(days=1)
        return rows

    def day_rows(self, kind: Kind, day: int) -> list[ChangeRowJson]:
        """One day's list; a person is listed when a movie crediting them came or went."""
        cached = self._days.get((kind, day))
        if cached is None:
            catalog = self.catalog
            if kind in ("movie", "tv"):
                found = catalog.change_rows(catalog.timeline(kind), day, set())
            else:
                extra = people_touched_by_movies(catalog, day)
                found = catalog.change_rows(catalog.people, day, extra)
            cached = [row.as_json() for row in found]
            self._days[(kind, day)] = cached
        return cached
