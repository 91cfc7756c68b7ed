"""An I/O failure (a full disk, a read-only or failing device) as one line for the user:
which path, what happened, what to do. Every writer of the store or of an output goes
through `explain`, or the `writing_to` block that applies it."""

from __future__ import annotations

import contextlib
import errno
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from tmdb_collector.errors import StorageError

__all__ = ["explain", "is_bug", "is_disk_full", "writing_to"]

_FULL_WORDS = ("disk is full", "no space left", "database or disk is full", "disk full")


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` says the device ran out of space."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return any(word in str(exc).lower() for word in _FULL_WORDS)


def explain(
    path: Path | str,
    exc: BaseException,
    then: str = "run the same command again",
    doing: str = "write",
) -> StorageError:
    """The one-line error for `exc`, met when `doing` ("write" or "read") `path`."""
    if is_disk_full(exc):
        return StorageError(
            f"no space left on the device holding {path}: free some space there (or choose "
            f"another place) and {then}"
        )
    what = exc.strerror if isinstance(exc, OSError) and exc.strerror else _one_line(exc)
    if doing == "read":  # a damaged page stays damaged: running again would not help
        return StorageError(
            f"cannot read {path} ({what}): check that device, then run 'tmdb-collector verify' "
            "(it finds what is damaged and says how to mend it)"
        )
    return StorageError(
        f"cannot {doing} {path} ({what}): check that device, then {then} "
        "(and 'tmdb-collector verify' for the store)"
    )


def is_bug(exc: sqlite3.Error) -> bool:
    """Whether an SQLite error is a mistake in our SQL rather than the file or its device."""
    return isinstance(
        exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError
    )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] if text else type(exc).__name__


@contextlib.contextmanager
def writing_to(path: Path, then: str = "run the same command again") -> Iterator[None]:
    """Turn an I/O failure in the block into a StorageError naming `path` (or the file the
    failure names), unless it is an error of ours already."""
    import duckdb  # the outputs' engine: loaded by them already, not by the crawl

    try:
        yield
    except (OSError, sqlite3.OperationalError, duckdb.Error) as exc:
        # DuckDB reports a write that failed at commit as a TransactionException: any of its
        # errors that says the disk is full counts, beside its I/O and spill-space ones.
        io_kinds = (duckdb.IOException, duckdb.OutOfMemoryException)
        if isinstance(exc, duckdb.Error) and not (isinstance(exc, io_kinds) or is_disk_full(exc)):
            raise
        named = getattr(exc, "filename", None) if isinstance(exc, OSError) else None
        raise explain(named or path, exc, then) from None
