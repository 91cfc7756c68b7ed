"""Export files and id sources: TMDb's daily id exports, downloaded and streamed as ids.

An export is gzip NDJSON with ~1.2 M lines, so nothing here holds a whole file: downloads go
to disk in chunks and ids are parsed one line at a time.
"""

from __future__ import annotations

import enum
import http.client
import os
import re
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from gzip import GzipFile
from pathlib import Path
from typing import NamedTuple, TypeGuard, cast
from urllib.parse import urlsplit

import orjson

from tmdb_collector import config, io_errors
from tmdb_collector.errors import ConfigError

try:  # ISA-L inflates about twice as fast as zlib: ~0.7 s saved on a full movie export
    from isal.igzip import IGzipFile
    from isal.igzip_lib import IsalError

    open_gzip: Callable[..., GzipFile] = IGzipFile
    # isal's stub declares IsalError an instance; it is a class.
    INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, cast("type[Exception]", IsalError))
except ImportError:
    open_gzip = GzipFile
    INFLATE_ERRORS = (zlib.error,)

READ_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, *INFLATE_ERRORS)
"""What reading an ids file can raise: EOFError is a gzip file cut short, BadGzipFile (an
OSError) or an inflate error a damaged one."""

__all__ = [
    "ExportFile",
    "IdSource",
    "Skip",
    "download_export",
    "export_name",
    "newest_export_day",
    "parse_id_line",
    "read_ids",
]

EXPORT_KIND = re.compile(r"[a-z][a-z_]*")
"""TMDb's export kinds: movie, person, tv_series, collection, adult_movie, ... (also keeps
anything that is not a plain name out of URLs and paths)."""

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
CHUNK_BYTES = 1 << 20

MISSING_STATUSES = frozenset({403, 404})
"""files.tmdb.org is a bucket behind a CDN: a file that does not exist may answer 403, not 404."""

MAX_ID = 2**63 - 1
"""Largest id kept: the store's ids are SQLite INTEGERs (signed 64-bit)."""


class ExportFile(NamedTuple):
    """A downloaded export: where it is on disk and the day it lists."""

    path: Path
    day: date


# --- names and days (pure) ---------------------------------------------------------------------


def export_name(kind: str, day: date) -> str:
    """The file name of `kind`'s export of `day`, e.g. `movie_ids_11_25_2026.json.gz`."""
    if not EXPORT_KIND.fullmatch(kind):
        raise ConfigError(
            f"unknown export kind {kind!r}: expected movie, person, tv_series, collection, ..."
        )
    return f"{kind}_ids_{day:%m_%d_%Y}.json.gz"  # TMDb's US date order, zero-padded


def newest_export_day(now: datetime) -> date:
    """The day of the newest export published at `now`: today from 08:00 UTC, else yesterday."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    utc = now.astimezone(UTC)
    if utc.hour >= config.EXPORT_READY_HOUR_UTC:
        return utc.date()
    return utc.date() - timedelta(days=1)


# --- downloading -------------------------------------------------------------------------------


def download_export(
    exports_url: str,
    kind: str,
    dest_dir: Path,
    day: date | None = None,
    now: datetime | None = None,
) -> ExportFile:
    """The export of `kind` on disk in `dest_dir`: `day`'s, or else the newest published one.

    Without `day`, a missing newest file falls back to the day before (TMDb publishes late
    now and then). A file already downloaded is reused. Raises ConfigError, with a one-line
    message, when no file exists or the server cannot be reached.
    """
    base = _checked_base(exports_url)
    if day is not None:
        days = [day]
    else:
        newest = newest_export_day(now or datetime.now(UTC))
        days = [newest - timedelta(days=back) for back in range(config.EXPORT_FALLBACK_DAYS + 1)]
    _make_dir(dest_dir)
    tried = []
    for candidate in days:
        name = export_name(kind, candidate)
        path = dest_dir / name
        # Only a complete download is renamed to its final name, so an existing file is whole.
        if path.is_file() or _fetch(f"{base}/{name}", path):
            return ExportFile(path, candidate)
        tried.append(f"{base}/{name}")
    raise ConfigError(
        f"no {kind} export at {' or '.join(tried)}; "
        "pass --date YYYY-MM-DD of a day that has one, or --ids-file FILE"
    )


def _fetch(url: str, path: Path) -> bool:
    """True once `url` is saved as `path`; False when the server has no such file."""
    part = path.with_name(path.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": config.USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=config.EXPORT_TIMEOUT_S) as answer:
            _save(answer, part, url)
        os.replace(part, path)  # atomic: readers see no file or the whole file, never a part
    except urllib.error.HTTPError as error:
        error.close()
        if error.code in MISSING_STATUSES:
            return False
        raise ConfigError(
            f"{url} answered HTTP {error.code}; try again later, or pass --ids-file FILE"
        ) from None
    except urllib.error.URLError as error:
        raise ConfigError(
            f"cannot reach {_host(url)} ({_reason(error.reason)}); "
            f"check --exports-url or ${config.EXPORTS_URL_ENV}"
        ) from None
    except (OSError, http.client.HTTPException) as error:
        if io_errors.is_disk_full(error):
            raise io_errors.explain(path.parent, error) from None
        # After the connection was made: a reset, a timeout, a cut chunk.
        raise ConfigError(f"downloading {url} failed ({_reason(error)}); run it again") from None
    finally:
        part.unlink(missing_ok=True)  # a failed download leaves nothing behind
    return True


def _save(answer: http.client.HTTPResponse, part: Path, url: str) -> None:
    """Stream the body of `answer` into `part`, refusing anything but a whole gzip file."""
    received = 0
    with part.open("w+b") as out:
        while chunk := answer.read(CHUNK_BYTES):
            out.write(chunk)
            received += len(chunk)
        out.seek(0)
        head = out.read(len(GZIP_MAGIC))
    # http.client does not notice a body cut short when the length was declared; we do.
    declared = answer.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) != received:
        raise ConfigError(f"{url} ended after {received} of {declared} bytes; run it again")
    # A 200 with an HTML page (a proxy, a captive portal) would otherwise be kept, and reused
    # on every later run as if it were the export.
    if head != GZIP_MAGIC:
        raise ConfigError(f"{url} did not send a gzip file; check --exports-url")


def _checked_base(exports_url: str) -> str:
    """`exports_url` without its trailing slash, once it is known to be an http(s) URL."""
    parts = urlsplit(exports_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"exports URL {exports_url!r} is not an http(s) URL; "
            f"check --exports-url or ${config.EXPORTS_URL_ENV}"
        )
    return exports_url.rstrip("/")


def _make_dir(dest_dir: Path) -> None:
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"cannot create {dest_dir} ({_reason(error)}); check --data-dir"
        ) from None


def _host(url: str) -> str:
    """host:port of `url`, never its user or password."""
    return urlsplit(url).netloc.rpartition("@")[2]


def _reason(reason: object) -> str:
    """A short one-line reason: 'connection refused', not '[Errno 111] Connection refused'."""
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return " ".join(str(text).split()).lower()


# --- reading ids ---------------------------------------------------------------------------------


class Skip(enum.Enum):
    """Why a line of an ids file gave no id."""

    BLANK = "blank"
    MALFORMED = "malformed"
    ADULT = "adult"


def parse_id_line(line: bytes) -> int | Skip:
    """The id on one line of an ids file (an export line or a plain id), or why there is none."""
    line = line.strip()
    if not line:
        return Skip.BLANK
    if line.isdigit():  # a plain id: skip the JSON parser, the common case of an ids file
        value: object = int(line)
    else:
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            return Skip.MALFORMED
        if isinstance(value, dict):
            # API.md: whether main exports still hold adult lines is unverified; filter anyway.
            if value.get("adult") is True and _is_id(value.get("id")):
                return Skip.ADULT
            value = value.get("id")
    return value if _is_id(value) else Skip.MALFORMED


def _is_id(value: object) -> TypeGuard[int]:
    # type() rather than isinstance(): JSON true is a bool, and a bool is an int in Python.
    return type(value) is int and 0 < value <= MAX_ID


class IdSource:
    """The ids in one file, streamed; `lines`, `malformed`, `adult` and `duplicates` count
    what was read (an id listed again is counted: TMDb's exports list a few twice).

    Each iteration reopens the file and restarts the counts, so the counts describe the
    latest pass (complete once it has ended). Blank lines are counted in `lines` only.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = 0
        self.malformed = 0
        self.adult = 0
        self.duplicates = 0

    def __iter__(self) -> Iterator[int]:
        return (id_ for id_, _ in self.lines_by_id())

    def lines_by_id(self) -> Iterator[tuple[int, bytes]]:
        """Each id with its line as the file has it (a keyword's line is its whole document)."""
        self.lines = self.malformed = self.adult = self.duplicates = 0
        seen = IdSet()
        try:
            with _open_lines(self.path) as stream:
                for line in stream:
                    self.lines += 1
                    found = parse_id_line(line)
                    if isinstance(found, int):
                        # Yielded all the same: the store keeps an id once, and a file of
                        # ids of several kinds may repeat one legitimately.
                        self.duplicates += not seen.add(found)
                        yield found, line.strip()
                    elif found is Skip.MALFORMED:
                        self.malformed += 1
                    elif found is Skip.ADULT:
                        self.adult += 1
        except READ_ERRORS as error:
            # The ids after a cut or damage are unknown: stop loudly rather than drop them.
            raise ConfigError(f"cannot read ids from {self.path} ({_reason(error)})") from None

    def __repr__(self) -> str:
        return (
            f"IdSource({str(self.path)!r}, lines={self.lines}, "
            f"malformed={self.malformed}, adult={self.adult})"
        )


class IdSet:
    """A set of ids as a bitmap: one bit per possible id up to the largest seen, so an export
    of millions of ids takes a few hundred KB, not a Python set's ~60 MB."""

    def __init__(self) -> None:
        self.bits = bytearray()

    def add(self, id_: int) -> bool:
        """Add `id_`; False when it was there already."""
        byte, bit = divmod(id_, 8)
        if byte >= len(self.bits):
            self.bits.extend(bytes(max(byte + 1 - len(self.bits), len(self.bits))))
        if self.bits[byte] >> bit & 1:
            return False
        self.bits[byte] |= 1 << bit
        return True


def read_ids(path: Path) -> IdSource:
    """The ids in `path` (an export or a list of ids, gzip or plain), streamed when iterated."""
    return IdSource(path)


@contextmanager
def _open_lines(path: Path) -> Iterator[Iterable[bytes]]:
    """`path` opened for reading lines of bytes, inflated when its content is gzip."""
    with path.open("rb") as raw:
        # peek, not read + seek: an ids file may be a pipe (`--ids-file <(zcat ...)`).
        head = raw.peek(len(UTF8_BOM))[: len(UTF8_BOM)]
        if head.startswith(GZIP_MAGIC):
            with open_gzip(fileobj=raw, mode="rb") as unpacked:
                yield unpacked
            return
        if head == UTF8_BOM:  # files saved by Windows editors start with one
            raw.read(len(UTF8_BOM))
        yield raw
