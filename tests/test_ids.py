"""Export files and id sources: names and days (pure), downloads from a real simulator process
over loopback, and ids streamed from real files on disk. Nothing is mocked."""

from __future__ import annotations

import gzip
import socket
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from conftest import SAMPLES
from tmdb_collector.errors import ConfigError
from tmdb_collector.ids import (
    ExportFile,
    download_export,
    export_name,
    newest_export_day,
    read_ids,
)
from tmdb_collector.simulator.process import SimulatorProcess

StartSim = Callable[..., SimulatorProcess]

MOVIES = 300
FIRST = date(2026, 3, 1)  # single-digit month and day: the name must pad them


def sim_day(sim: SimulatorProcess) -> date:
    return date.fromisoformat(sim.stats()["day"])


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def assert_one_line_config_error(error: pytest.ExceptionInfo[ConfigError]) -> str:
    message = str(error.value)
    assert message and "\n" not in message and "Traceback" not in message
    assert error.value.exit_code == 2
    return message


# --- names and days --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "day", "name"),
    [
        ("movie", date(2026, 11, 25), "movie_ids_11_25_2026.json.gz"),
        ("person", date(2026, 3, 5), "person_ids_03_05_2026.json.gz"),
        ("tv_series", date(2027, 1, 9), "tv_series_ids_01_09_2027.json.gz"),
        ("collection", date(2025, 10, 25), "collection_ids_10_25_2025.json.gz"),
    ],
)
def test_export_name_is_tmdbs_us_order_zero_padded(kind: str, day: date, name: str) -> None:
    assert export_name(kind, day) == name


@pytest.mark.parametrize("kind", ["", "../movie", "movie/x", "Movie", "movie ids"])
def test_export_name_refuses_a_kind_that_would_escape_the_url_or_directory(kind: str) -> None:
    with pytest.raises(ConfigError) as error:
        export_name(kind, date(2026, 11, 25))
    assert repr(kind) in assert_one_line_config_error(error)


@pytest.mark.parametrize(
    ("now", "newest"),
    [
        (datetime(2026, 11, 25, 7, 59, 59, tzinfo=UTC), date(2026, 11, 24)),
        (datetime(2026, 11, 25, 8, 0, tzinfo=UTC), date(2026, 11, 25)),
        (datetime(2026, 11, 25, 23, 59, tzinfo=UTC), date(2026, 11, 25)),
        (datetime(2027, 1, 1, 0, 30, tzinfo=UTC), date(2026, 12, 31)),  # across a year
        (datetime(2026, 3, 1, 7, 0, tzinfo=UTC), date(2026, 2, 28)),  # across a month
        # 09:30 in UTC+2 is 07:30 UTC: the publishing hour is UTC's, not the caller's.
        (datetime(2026, 11, 25, 9, 30, tzinfo=timezone(timedelta(hours=2))), date(2026, 11, 24)),
    ],
)
def test_newest_export_day_is_yesterday_until_eight_utc(now: datetime, newest: date) -> None:
    assert newest_export_day(now) == newest


def test_newest_export_day_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        newest_export_day(datetime(2026, 11, 25, 9, 0))


# --- downloads from a real simulator ------------------------------------------------------------


@pytest.fixture
def own_sim(start_sim: StartSim) -> SimulatorProcess:
    """A simulator whose only export day is FIRST (its day clock is not moved)."""
    sim = start_sim("--movies", str(MOVIES), "--day", FIRST.isoformat())
    assert sim_day(sim) == FIRST
    return sim


def test_newest_missing_falls_back_to_the_day_before_and_lists_every_movie(
    own_sim: SimulatorProcess, tmp_path: Path
) -> None:
    # At FIRST+1 09:00 UTC the newest export is FIRST+1's, which this simulator does not have.
    found = download_export(own_sim.exports_url, "movie", tmp_path, now=at(FIRST + timedelta(1), 9))

    assert found == ExportFile(tmp_path / "movie_ids_03_01_2026.json.gz", FIRST)
    assert leftovers(tmp_path) == ["movie_ids_03_01_2026.json.gz"]  # no .part
    source = read_ids(found.path)
    ids = list(source)
    assert len(ids) == MOVIES == source.lines
    assert len(set(ids)) == MOVIES
    assert (source.malformed, source.adult) == (0, 0)


def test_newest_present_is_taken_without_fallback(
    own_sim: SimulatorProcess, tmp_path: Path
) -> None:
    found = download_export(own_sim.exports_url, "person", tmp_path, now=at(FIRST, 8))
    assert found.day == FIRST
    assert found.path.name == "person_ids_03_01_2026.json.gz"
    # The simulator's first day lists four people per movie.
    assert sum(1 for _ in read_ids(found.path)) == 4 * MOVIES


def test_fallback_is_one_day_only_and_the_error_names_both_urls(
    own_sim: SimulatorProcess, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as error:
        download_export(own_sim.exports_url, "movie", tmp_path, now=at(FIRST + timedelta(2), 9))
    message = assert_one_line_config_error(error)
    assert f"{own_sim.exports_url}/movie_ids_03_03_2026.json.gz" in message
    assert f"{own_sim.exports_url}/movie_ids_03_02_2026.json.gz" in message
    assert leftovers(tmp_path) == []


def test_an_explicit_day_without_export_is_a_one_line_error_naming_the_url(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    before_first = sim_day(sim) - timedelta(days=400)  # long before the simulator's first day
    name = export_name("movie", before_first)
    with pytest.raises(ConfigError) as error:
        # An explicit day is never swapped for another, even with a `now` that would allow one.
        download_export(sim.exports_url, "movie", tmp_path, day=before_first, now=at(FIRST, 9))
    message = assert_one_line_config_error(error)
    assert f"{sim.exports_url}/{name}" in message
    assert "--date" in message and "--ids-file" in message
    assert leftovers(tmp_path) == []


def test_an_unreachable_host_is_a_one_line_error_naming_host_and_reason(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConfigError) as error:
        download_export(f"http://127.0.0.1:{port}/p/exports", "movie", tmp_path, day=FIRST)
    message = assert_one_line_config_error(error)
    assert f"127.0.0.1:{port}" in message
    assert "connection refused" in message
    assert leftovers(tmp_path) == []


def test_a_second_download_reuses_the_file_even_with_the_server_gone(
    own_sim: SimulatorProcess, tmp_path: Path
) -> None:
    first = download_export(own_sim.exports_url, "movie", tmp_path, day=FIRST)
    stamp = first.path.stat().st_mtime_ns
    own_sim.stop()

    again = download_export(own_sim.exports_url, "movie", tmp_path, day=FIRST)
    assert again == first
    assert again.path.stat().st_mtime_ns == stamp


def test_a_trailing_slash_on_the_exports_url_is_harmless(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    found = download_export(sim.exports_url + "/", "movie", tmp_path, day=sim_day(sim))
    assert found.day == sim_day(sim)
    assert sum(1 for _ in read_ids(found.path)) == 2000  # the shared simulator's --movies


@pytest.mark.parametrize("url", ["files.tmdb.org/p/exports", "ftp://files.tmdb.org/p/exports"])
def test_an_exports_url_that_is_not_http_is_a_config_error(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        download_export(url, "movie", tmp_path, day=FIRST)
    assert "--exports-url" in assert_one_line_config_error(error)


@contextmanager
def answering(body: bytes, declared: int) -> Iterator[str]:
    """A real HTTP server on loopback answering every GET with 200, `body` and a
    Content-Length of `declared` (a proxy page, or a body cut short); yields its base URL."""

    class Reply(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(declared))
            self.end_headers()
            self.wfile.write(body)  # then HTTP/1.0 closes the connection

        def log_message(self, format: str, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Reply) as server:
        # A short poll interval: shutdown() waits for the loop to look up (0.5 s by default).
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/p/exports"
        finally:
            server.shutdown()
            thread.join()


def test_a_page_that_is_not_gzip_is_refused_and_not_kept(tmp_path: Path) -> None:
    page = b"<html>Please log in to the hotel wifi</html>"
    with answering(page, len(page)) as url, pytest.raises(ConfigError) as error:
        download_export(url, "movie", tmp_path, day=FIRST)
    assert "gzip" in assert_one_line_config_error(error)
    assert leftovers(tmp_path) == []  # else every later run would reuse the page


def test_a_body_cut_short_is_refused_and_not_kept(tmp_path: Path) -> None:
    body = gzip.compress(b"1\n2\n3\n" * 1000)
    with answering(body, len(body) + 5000) as url, pytest.raises(ConfigError) as error:
        download_export(url, "movie", tmp_path, day=FIRST)
    assert f"{len(body)} of {len(body) + 5000} bytes" in assert_one_line_config_error(error)
    assert leftovers(tmp_path) == []


# --- reading ids from files ----------------------------------------------------------------------

MIXED_LINES = [
    b"550",
    b'{"adult":false,"id":3924,"original_title":"Blondie","popularity":1.8133,"video":false}',
    b"not json at all",
    b'{"id": "x"}',
    b"",
    b'{"adult":true,"id":26228,"original_title":"X","popularity":0.0,"video":false}',
    b'{"id": -4}',
    b"-7",
    b'{"name": "no id here"}',
    b'{"id": true}',
    b'{"id": 12.0}',
    b"   42  \r",
    b"[1, 2]",
    b'{"id": 99999999999999999999999}',
    '{"adult":false,"id":16767,"name":"Aki Kaurismäki","popularity":2.4825}'.encode(),
    b'{"id":1,"original_name":"\xe3\x83\x97\xe3\x83\xa9\xe3\x82\xa4\xe3\x83\x89"}',
]
MIXED_IDS = [550, 3924, 42, 16767, 1]
MIXED_MALFORMED = 9  # all but the 5 ids, the blank line and the adult line


def write(path: Path, lines: list[bytes], *, packed: bool) -> Path:
    data = b"\n".join(lines) + b"\n"
    path.write_bytes(gzip.compress(data) if packed else data)
    return path


def test_mixed_lines_give_the_right_ids_in_order_and_count_what_was_skipped(
    tmp_path: Path,
) -> None:
    source = read_ids(write(tmp_path / "ids.txt", MIXED_LINES, packed=False))
    assert list(source) == MIXED_IDS
    assert source.lines == len(MIXED_LINES)
    assert source.malformed == MIXED_MALFORMED
    assert source.adult == 1


@pytest.mark.parametrize(
    ("sample", "ids"),
    [
        (
            "export_movie_ids_head_undated_older.jsonl",  # not sorted by id; one video: true
            [3924, 6124, 8773, 25449, 31975, 2, 3, 5, 6, 8, 9, 11, 12, 13, 14, 15, 16, 17],
        ),
        (
            "export_person_ids_head_03_20_2020.jsonl",
            [16767, 54768, 54769, 4826, 54770, 16769, 54766, 53836, 54771, 5999],
        ),
    ],
)
def test_real_export_heads_give_their_ids_in_file_order(
    tmp_path: Path, sample: str, ids: list[int]
) -> None:
    packed = tmp_path / "export.json.gz"  # as TMDb publishes them
    packed.write_bytes(gzip.compress((SAMPLES / sample).read_bytes()))
    for path in (SAMPLES / sample, packed):
        source = read_ids(path)
        assert list(source) == ids
        assert (source.lines, source.malformed, source.adult) == (len(ids), 0, 0)


def test_the_first_line_of_every_real_export_type_gives_its_id(tmp_path: Path) -> None:
    """One line of each of TMDb's export files (2026-08-31): movies, TV series, people,
    collections, networks, keywords and companies each give their id; the adult movie line
    is counted and skipped."""
    first_lines = orjson.loads(
        (SAMPLES / "export_first_line_per_type_08_31_2026.json").read_bytes()
    )
    path = write(
        tmp_path / "ids.json.gz", [orjson.dumps(line) for line in first_lines.values()], packed=True
    )
    source = read_ids(path)
    kept = {line["id"] for name, line in first_lines.items() if name != "adult_movie_ids"}
    assert list(source) == [3924, 1, 16767, 10, 1, 378, 1]
    assert set(source) == kept
    assert (source.lines, source.malformed, source.adult) == (8, 0, 1)


def test_gzip_is_detected_by_content_not_by_name(tmp_path: Path) -> None:
    packed_as_txt = read_ids(write(tmp_path / "ids.txt", MIXED_LINES, packed=True))
    plain_as_gz = read_ids(write(tmp_path / "ids.json.gz", MIXED_LINES, packed=False))
    assert list(packed_as_txt) == list(plain_as_gz) == MIXED_IDS
    assert packed_as_txt.malformed == plain_as_gz.malformed == MIXED_MALFORMED


def test_a_byte_order_mark_does_not_spoil_the_first_id(tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_bytes(b"\xef\xbb\xbf27205\r\n155\r\n")  # as saved by a Windows editor
    assert list(read_ids(path)) == [27205, 155]


def test_a_second_pass_reads_again_and_restarts_the_counts(tmp_path: Path) -> None:
    source = read_ids(write(tmp_path / "ids.txt", MIXED_LINES, packed=True))
    assert list(source) == list(source) == MIXED_IDS
    assert (source.lines, source.malformed, source.adult) == (len(MIXED_LINES), MIXED_MALFORMED, 1)


def test_a_gzip_file_cut_short_is_a_one_line_error_not_a_silent_stop(tmp_path: Path) -> None:
    whole = gzip.compress(b"".join(b"%d\n" % i for i in range(1, 50_001)))
    path = tmp_path / "movie_ids_03_01_2026.json.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ConfigError) as error:
        sum(read_ids(path))
    assert str(path) in assert_one_line_config_error(error)


def test_a_missing_ids_file_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        list(read_ids(tmp_path / "nope.txt"))
    assert "nope.txt" in assert_one_line_config_error(error)


def test_a_large_export_is_streamed_in_flat_memory(tmp_path: Path) -> None:
    lines = 200_000
    path = tmp_path / "movie_ids_03_01_2026.json.gz"
    with gzip.open(path, "wb", compresslevel=1) as out:
        for movie_id in range(1, lines + 1):
            line = {"adult": False, "id": movie_id, "original_title": f"Film {movie_id}"}
            out.write(orjson.dumps(line) + b"\n")

    source = read_ids(path)
    tracemalloc.start()
    try:
        total = sum(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == lines * (lines + 1) // 2
    assert source.lines == lines
    # Streaming peaks under 1 MB; the ids held as a list, ~8 MB; the file inflated whole, ~30 MB.
    assert peak < 5_000_000, f"peak {peak / 1e6:.1f} MB while streaming"
