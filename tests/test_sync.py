"""The pure parts of `sync`: days and windows, the watermark rule, change-list pages (real TMDb
samples), and the sync's own table and state moves on a real SQLite store."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tmdb_collector import config
from tmdb_collector.client.protocol import Credentials
from tmdb_collector.crawl.changes import change_window, changes_request, days_from, parse_page
from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.crawl.sync import (
    advance,
    days_to_read,
    kinds_to_sync,
    needs_reconcile,
    start_day,
)
from tmdb_collector.crawl.synclog import ChangeLog, Listing, diff_export
from tmdb_collector.vocab import Kind

D = date(2026, 11, 20)
days = st.dates(min_value=date(2012, 10, 5), max_value=date(2040, 1, 1))


# --- days and windows ----------------------------------------------------------------------------


def test_a_sync_reads_the_watermarks_day_again_then_every_day_through_today() -> None:
    assert days_to_read(D, D + timedelta(days=3)) == [D + timedelta(days=n) for n in range(4)]
    assert days_to_read(D, D) == [D]  # synced today already: today is read again
    assert days_to_read(D, D - timedelta(days=1)) == []


@given(day=days)
def test_every_request_window_holds_its_day_and_is_never_over_14_days(day: date) -> None:
    start, end = change_window(day)
    assert start <= day <= end
    assert 0 <= (end - start).days <= config.SYNC_CHANGES_MAX_DAYS


@given(first=days, length=st.integers(0, 60))
def test_a_long_gap_is_still_read_one_day_per_request(first: date, length: int) -> None:
    wanted = days_to_read(first, first + timedelta(days=length))
    assert len(wanted) == length + 1 and len(set(wanted)) == len(wanted)
    credentials = Credentials(api_key="k3y")
    for day in wanted[:3] + wanted[-3:]:
        query = parse_qs(
            urlsplit(changes_request("http://h/3", "movie", day, 2, credentials).url).query
        )
        start, end = (date.fromisoformat(query[k][0]) for k in ("start_date", "end_date"))
        assert (end - start).days <= config.SYNC_CHANGES_MAX_DAYS
        assert query["page"] == ["2"]


def test_the_request_keeps_the_key_out_of_its_printable_url() -> None:
    with_key = changes_request("http://h/3/", "person", D, 1, Credentials(api_key="s3cret"))
    assert with_key.url.startswith("http://h/3/person/changes?start_date=2026-11-20&")
    assert "s3cret" in with_key.url and "s3cret" not in with_key.safe_url
    with_token = changes_request("http://h/3", "movie", D, 1, Credentials(token="t0ken"))
    assert with_token.url == with_token.safe_url and "t0ken" not in with_token.url
    assert with_token.headers == {"Authorization": "Bearer t0ken"}


@pytest.mark.parametrize("first, last", [(D, D + timedelta(days=2)), (D, D), (D, D - timedelta(1))])
def test_days_from_counts_both_ends(first: date, last: date) -> None:
    found = days_from(first, last)
    assert len(found) == max(0, (last - first).days + 1)
    assert all(b - a == timedelta(days=1) for a, b in itertools.pairwise(found))


def test_a_reconcile_is_due_after_a_gap_of_over_14_days_or_when_asked() -> None:
    limit = config.SYNC_MAX_GAP_DAYS
    assert not needs_reconcile(D, D + timedelta(days=limit), asked=False)
    assert needs_reconcile(D, D + timedelta(days=limit + 1), asked=False)
    assert needs_reconcile(D, D, asked=True)


# --- the watermark rule --------------------------------------------------------------------------


def span(n: int) -> list[date]:
    return [D + timedelta(days=k) for k in range(n)]


@pytest.mark.parametrize(
    ("unsettled", "expected"),
    [
        (set(), 4),  # every day settled: through the last one read
        ({0}, 0),  # the overlap day is not: it stays
        ({2}, 1),  # a day in the middle holds back every later day
        ({3}, 2),
        ({1, 3}, 0),
    ],
)
def test_the_watermark_passes_a_day_only_when_it_and_every_day_before_are_settled(
    unsettled: set[int], expected: int
) -> None:
    read = span(5)
    settled: Callable[[date], bool] = lambda day: (day - D).days not in unsettled  # noqa: E731
    assert advance(D, read, settled) == D + timedelta(days=expected)


def test_no_day_read_leaves_the_watermark_where_it_was() -> None:
    assert advance(D, [], lambda day: True) == D


@given(flags=st.lists(st.booleans(), max_size=20))
def test_the_watermark_stops_before_the_first_unsettled_day(flags: list[bool]) -> None:
    read = span(len(flags))
    first_unsettled = flags.index(False) if False in flags else len(flags)
    expected = read[first_unsettled - 1] if first_unsettled else D
    assert advance(D, read, lambda day: flags[(day - D).days]) == expected


# --- change-list pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "movie_changes_page1_default24h.json",
        "person_changes_default24h.json",
        "spec_example_movie_changes_page3.json",
    ],
)
def test_real_change_lists_parse_to_their_ids(samples: Callable[[str], Any], name: str) -> None:
    doc = samples(name)
    page = parse_page(doc)
    assert page is not None and page.total_pages == doc["total_pages"]
    assert page.ids == {row["id"] for row in doc["results"]}  # deleted (adult null) included


def test_the_spec_example_lists_deleted_ids_with_adult_null(samples: Callable[[str], Any]) -> None:
    doc = samples("spec_example_movie_changes_page3.json")
    deleted = {row["id"] for row in doc["results"] if row["adult"] is None}
    page = parse_page(doc)
    assert deleted and page is not None and deleted <= page.ids


@pytest.mark.parametrize(
    "doc",
    [
        None,
        {},
        {"results": "x", "total_pages": 1},
        {"results": []},
        {"results": [], "total_pages": -1},
    ],
)
def test_a_document_that_is_not_a_change_list_is_refused(doc: Any) -> None:
    assert parse_page(doc) is None


def test_null_and_odd_ids_are_dropped() -> None:
    rows = [{"id": None, "adult": None}, {"id": 5}, {"id": "7"}, {"id": True}, "x", {"id": 0}]
    assert parse_page({"results": rows, "total_pages": 1}) == parse_page(
        {"results": [{"id": 5}], "total_pages": 1}
    )


# --- the sync's table and state moves, on a real store --------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Store:
    found = Store.open(tmp_path)
    found.record([Outcome("movie", i, "ok", "ok", 200, b'{"id": %d}' % i) for i in (1, 2, 3, 4)])
    return found


def statuses(store: Store, kind: str = "movie") -> dict[int, str]:
    return dict(store.db.execute("SELECT id, status FROM records WHERE kind = ?", (kind,)))


def test_listed_ids_are_requeued_then_settled_when_fetched(store: Store) -> None:
    log, listing = ChangeLog(store), Listing()
    log.note("movie", D, {2, 3, 9}, D, whole_export=True, into=listing)
    assert statuses(store) == {1: "ok", 2: "pending", 3: "pending", 4: "ok", 9: "pending"}
    assert (listing.to_fetch, listing.new) == ({2, 3, 9}, {9})
    assert not log.settled("movie", D)
    store.record([Outcome("movie", 2, "ok", "ok", 200, b"{}"), Outcome("movie", 3, "gone", "gone")])
    store.record([Outcome("movie", 9, "failed", "http_503", 503)])
    assert not log.settled("movie", D)  # 9 failed: the day holds
    store.record([Outcome("movie", 9, "ok", "ok", 200, b"{}")])
    assert log.settled("movie", D)
    assert log.settled("movie", D + timedelta(days=1))  # nothing listed: nothing to wait for


def test_only_stored_ids_are_taken_when_the_crawl_did_not_take_the_whole_export(
    store: Store,
) -> None:
    log, listing = ChangeLog(store), Listing()
    log.note("movie", D, {2, 9}, D, whole_export=False, into=listing)
    assert 9 not in statuses(store) and statuses(store)[2] == "pending"
    assert (listing.to_fetch, listing.out_of_scope) == ({2}, {9})


def test_a_rerun_does_not_requeue_what_was_fetched_since_it_was_listed(store: Store) -> None:
    log = ChangeLog(store)
    log.note("movie", D, {2, 3}, D, True, Listing())
    store.record([Outcome("movie", 2, "ok", "ok", 200, b"{}")])  # then a crash
    again = Listing()
    log.note("movie", D, {2, 3, 4}, D, True, again)  # the rerun reads the day again
    assert statuses(store) == {1: "ok", 2: "ok", 3: "pending", 4: "pending"}
    assert (again.to_fetch, again.already) == ({4}, {2})


def test_a_day_still_in_progress_when_listed_is_listed_afresh_on_a_later_day(store: Store) -> None:
    log = ChangeLog(store)
    log.note("movie", D, {2}, D, True, Listing())  # D was today: its list could still grow
    log.note("movie", D - timedelta(days=1), {3}, D, True, Listing())  # a finished day
    store.record([Outcome("movie", i, "ok", "ok", 200, b"{}") for i in (2, 3)])
    log.tidy("movie", D - timedelta(days=1), D + timedelta(days=1))  # the next day's sync
    listing = Listing()
    log.note("movie", D, {2}, D + timedelta(days=1), True, listing)
    log.note("movie", D - timedelta(days=1), {3}, D + timedelta(days=1), True, listing)
    assert (listing.to_fetch, listing.already) == ({2}, {3})  # 2 may have changed again


def test_tidy_forgets_days_the_watermark_has_passed(store: Store) -> None:
    log = ChangeLog(store)
    log.note("movie", D, {2}, D + timedelta(days=5), True, Listing())
    log.note("movie", D + timedelta(days=1), {3}, D + timedelta(days=5), True, Listing())
    log.tidy("movie", D + timedelta(days=1), D + timedelta(days=5))
    rows = store.db.execute("SELECT day, id FROM sync_changes ORDER BY id").fetchall()
    assert rows == [((D + timedelta(days=1)).isoformat(), 3)]


def test_the_export_diff_finds_new_and_vanished_ids(store: Store) -> None:
    store.record([Outcome("movie", 5, "gone", "gone", 404), Outcome("movie", 6, "failed", "x")])
    store.add("movie", [7])  # pending: left to its fetch
    new, vanished = diff_export(store, "movie", iter([1, 3, 8, 10, 10]))
    assert (new, vanished) == ([8, 10], [2, 4, 6])
    assert store.mark_gone("movie", vanished, "not_in_export") == 3
    assert statuses(store) == {
        1: "ok", 2: "gone", 3: "ok", 4: "gone", 5: "gone", 6: "gone", 7: "pending"
    }  # fmt: skip
    assert store.get("movie", 2) == {"id": 2}  # the last good document is kept
    reason = store.db.execute("SELECT reason FROM records WHERE id = 2").fetchone()[0]
    assert reason == "not_in_export"


def test_a_sync_starts_from_the_export_day_or_the_oldest_fetch(store: Store) -> None:
    assert start_day(store, "person") is None  # never crawled
    store.set_meta("export_day:movie", "2026-11-02")
    assert start_day(store, "movie") == date(2026, 11, 2)
    store.record([Outcome("person", 1, "ok", "ok", 200, b"{}")])
    assert start_day(store, "person") == date(2026, 11, 2)  # people of that export's movies
    store.set_meta("sync_day:movie", "2026-11-09")
    assert start_day(store, "movie") == date(2026, 11, 9)


def test_a_sync_covers_the_kinds_that_were_crawled(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    assert kinds_to_sync(store, None) == ["movie"]  # none: check_kind says so
    store.set_meta("export_day:person", "2026-11-02")  # `crawl people --from export` alone
    assert kinds_to_sync(store, None) == ["person"]
    store.record([Outcome("movie", 1, "ok", "ok", 200, b"{}")])
    assert kinds_to_sync(store, None) == ["movie", "person"]
    assert kinds_to_sync(store, Kind.MOVIE) == ["movie"]
