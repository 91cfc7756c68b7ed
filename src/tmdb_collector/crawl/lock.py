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
from collections.abc import Iterator
from pathlib import Path

from tmdb_collector import config
from tmdb_collector.errors import ConfigError, StoreBusyError

__all__ = ["holder", "writing"]


@contextlib.contextmanager
def writing(data_dir: Path, command: str) -> Iterator[None]:
    """Hold the data directory's writer lock for the block; StoreBusyError (exit 2) at once
    when another process holds it. Creates the directory when missing."""
    path = data_dir / config.LOCK_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ConfigError(f"cannot use the data directory {data_dir}: {exc.strerror}") from None
    held = False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusyError(
                f"{data_dir} is in use by {holder(data_dir)}: wait for it to finish, or stop "
                "it (Ctrl-C) and run this command again"
            ) from None
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
    """Who holds the lock, as its note says: "'crawl movies' (pid 1234)"."""
    try:
        lines = (data_dir / config.LOCK_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    if len(lines) < 2:
        return "another tmdb-collector command"
    return f"'tmdb-collector {lines[0]}' (pid {lines[1]})"
