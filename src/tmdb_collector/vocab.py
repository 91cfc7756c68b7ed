"""The collector's words, as types the checker knows: kinds, record states, run outcomes.

Each is a `StrEnum`: its members are the strings they always were, so the store, the meta
rows and every JSON output hold the same bytes, while mypy catches a misspelt state or a
kind compared with the wrong thing.
"""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    """What a record is: a TMDb id space with its own paths, export and change list."""

    MOVIE = "movie"
    PERSON = "person"
    TV = "tv"
    COLLECTION = "collection"
    COMPANY = "company"
    NETWORK = "network"
    KEYWORD = "keyword"

    @property
    def plural(self) -> str:
        """The word the command line uses: `crawl movies`, `sync --only people`."""
        return _PLURALS[self]

    @property
    def export(self) -> str:
        """The kind's name in TMDb's daily export files: `tv_series_ids_MM_DD_YYYY.json.gz`."""
        return _EXPORTS[self]

    @property
    def fetched(self) -> bool:
        """Whether its documents come from the API; keywords are whole in their export line."""
        return self is not Kind.KEYWORD

    @property
    def has_changes(self) -> bool:
        """Whether TMDb lists its changed ids day by day (`/{kind}/changes`): only movies, people
        and TV; the other kinds are kept current from their exports (API.md section 5)."""
        return self in (Kind.MOVIE, Kind.PERSON, Kind.TV)

    @classmethod
    def from_plural(cls, word: str) -> Kind:
        return next(kind for kind, plural in _PLURALS.items() if plural == word)


_PLURALS = {
    Kind.MOVIE: "movies",
    Kind.PERSON: "people",
    Kind.TV: "tv",
    Kind.COLLECTION: "collections",
    Kind.COMPANY: "companies",
    Kind.NETWORK: "networks",
    Kind.KEYWORD: "keywords",
}

_EXPORTS = {
    Kind.MOVIE: "movie",
    Kind.PERSON: "person",
    Kind.TV: "tv_series",
    Kind.COLLECTION: "collection",
    Kind.COMPANY: "production_company",
    Kind.NETWORK: "tv_network",
    Kind.KEYWORD: "keyword",
}
"""TMDb's export names (API.md section 4), which differ from the API's path words."""


class State(enum.StrEnum):
    """Where a record is in the store's state machine (see `crawl.store`)."""

    PENDING = "pending"  # to be fetched
    OK = "ok"  # its document is stored
    GONE = "gone"  # TMDb has no such id (404, or the export no longer lists it)
    FAILED = "failed"  # retries ran out; fetched again at the end of the run and by the next


class RunOutcome(enum.StrEnum):
    """How a crawl (or one kind's sync) ended, as `status` shows it."""

    DONE = "done"  # every id was tried to a final state
    INTERRUPTED = "interrupted"  # Ctrl-C: what was fetched is saved; the same command resumes
    STOPPED = "stopped"  # an error ended it (refused credentials, an unreadable change list)
