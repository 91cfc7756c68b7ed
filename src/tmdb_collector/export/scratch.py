"""Scratch space and renames: how every output (and the kept tables) appears whole or not at
all, and how what a killed run left is removed by the next one."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

__all__ = ["remove_leftovers", "replacing", "scratch_dir"]


@contextlib.contextmanager
def scratch_dir(out: Path, kind: str) -> Iterator[Path]:
    """A scratch directory beside `out` (which need not exist yet), removed afterwards.

    A run killed outright (kill -9, a crash, power loss) cannot clean up after itself, and its
    scratch database can take gigabytes: so first, what such runs left beside and in `out`,
    scratch directories and partial files named for a process that is gone, is removed.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    for directory in (out.parent, out):
        remove_leftovers(directory)
    scratch = out.parent / f".tmdb-{kind}-{os.getpid()}-{secrets.token_hex(4)}"
    try:  # made inside the try: a Ctrl-C just after the mkdir still removes it
        scratch.mkdir(mode=0o700)
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


_LEFTOVER = re.compile(r"\.tmdb-[a-z]+-(\d+)-.+|\..+\.tmdb-(\d+)\.partial(\.wal)?")
"""`scratch_dir`'s and `replacing`'s names (and the log DuckDB keeps beside a database being
written): the number is the process that made them."""


def remove_leftovers(directory: Path) -> None:
    """Remove the scratch directories and partial files in `directory` whose process is gone."""
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        match = _LEFTOVER.fullmatch(path.name)
        if match is None or _alive(int(match.group(1) or match.group(2))):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextlib.contextmanager
def replacing(final: Path) -> Iterator[Path]:
    """A temporary path beside `final`, renamed onto it only if the block succeeds."""
    tmp = final.with_name(f".{final.name}.tmdb-{os.getpid()}.partial")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
