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

    @property
    def plural(self) -> str:
        """The word the command line uses: `crawl movies`, `sync --only people`."""
        return _PLURALS[self]

    @classmethod
    def from_plural(cls, word: str) -> Kind:
        return next(kind for kind, plural in _PLURALS.items() if plural == word)


_PLURALS = {Kind.MOVIE: "movies", Kind.PERSON: "people"}


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
