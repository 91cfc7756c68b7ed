"""One writer per store: an exclusive lock on the data directory, held while a command writes.

The lock is `flock` on a file in the data directory. The operating system releases it when
the holder's process ends however it ends (kill -9, a crash, power loss), so there is never a
stale lock to clean up by hand; the file itself stays, meaning nothing by itself. The holder
writes its command and PID into it, for the message a second writer gets, and empties it
when done.

Readers (`status`, `export`, `network`) take no lock: SQLite's WAL mode gives each of them a
consistent snapshot while the writer goes on.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from tmdb_collector import config
from tmdb_collector.errors import ConfigError, StoreBusyError

__all__ = ["holder", "holding", "writing"]


@contextlib.contextmanager
def writing(data_dir: Path, command: str) -> Iterator[None]:
    """Hold the data directory's writer lock for the block; StoreBusyError (exit 2) at once
    when another process holds it. Creates the directory when missing."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot use the data directory {data_dir}: {exc.strerror}") from None

    def refuse(who: str) -> None:
        raise StoreBusyError(
            f"{data_dir} is in use by {who}: wait for it to finish, or stop it (Ctrl-C) and "
            "run this command again"
        )

    with holding(data_dir / config.LOCK_FILE, command, refuse):
        yield


@contextlib.contextmanager
def holding(path: Path, command: str, busy: Callable[[str], None]) -> Iterator[None]:
    """Hold the lock on the file `path` for the block. When another process holds it,
    `busy(who holds it)` is called first: it raises to give up, or returns to wait."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ConfigError(f"cannot use the data directory {path.parent}: {exc.strerror}") from None
    held = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            busy(_holder(path))
            fcntl.flock(fd, fcntl.LOCK_EX)
        held = True
        with contextlib.suppress(OSError):  # the note is for the message; the lock holds anyway
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{command}\n{os.getpid()}\n".encode(), 0)
        yield
    finally:
        if held:  # however the command ends, it leaves the file as it found it
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
        os.close(fd)  # releases the lock


def holder(data_dir: Path) -> str:
    """Who holds the writer lock, as its note says: "'crawl movies' (pid 1234)"."""
    return _holder(data_dir / config.LOCK_FILE)


def _holder(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    if len(lines) < 2:
        return "another tmdb-collector command"
    return f"'tmdb-collector {lines[0]}' (pid {lines[1]})"
