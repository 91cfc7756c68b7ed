"""The store's writer thread on a real SQLite file: what is handed over is committed (whole
units, at most `limit` uncommitted), and an error in the thread reaches the caller."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import orjson
import pytest

from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.crawl.writer import Writer

NEVER = 1e9  # a linger no test waits for: commits come from commit_at, flush or close


def ok(id_: int) -> Outcome:
    return Outcome("movie", id_, "ok", "ok", 200, orjson.dumps({"id": id_, "title": f"m{id_}"}))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "data")
    store.add("movie", range(1, 101))
    return store


def test_what_is_handed_over_is_committed_with_its_document_by_close(store: Store) -> None:
    with Writer(store.path, limit=50, linger=NEVER, commit_at=1000) as writer:
        writer.add([ok(i) for i in range(1, 11)])
        writer.add([Outcome("movie", 11, "gone", "gone", 404)])
        writer.add([Outcome("movie", 12, "failed", "http_503", 503)])
    assert store.counts()["movie"] == {"pending": 88, "ok": 10, "gone": 1, "failed": 1}
    assert store.get("movie", 7) == {"id": 7, "title": "m7"}
    assert writer.commits == 1  # nothing was due before close: one transaction


def test_a_unit_handed_over_together_is_never_split(store: Store) -> None:
    with Writer(store.path, limit=100, linger=NEVER, commit_at=3) as writer:
        writer.add([ok(i) for i in range(1, 21)])  # a fleet's chunk: over commit_at at once
        writer.flush()
        assert writer.commits == 1
        assert store.counts()["movie"]["ok"] == 20  # flush returns once it is committed


def test_flush_makes_the_store_current_for_the_next_pass(store: Store) -> None:
    with Writer(store.path, limit=100, linger=NEVER, commit_at=1000) as writer:
        writer.add([Outcome("movie", i, "failed", "reset") for i in (3, 5)])
        assert store.todo("movie", ("failed",)) == []  # still with the thread
        writer.flush()
        assert store.todo("movie", ("failed",)) == [3, 5]


def test_a_partial_batch_is_committed_after_linger_without_a_flush(store: Store) -> None:
    with Writer(store.path, limit=100, linger=0.01, commit_at=1000) as writer:
        writer.add([ok(1)])
        for _ in range(500):  # bounded: 5 s at most
            if store.counts()["movie"]["ok"] == 1:
                break
            asyncio.run(asyncio.sleep(0.01))
        assert store.counts()["movie"]["ok"] == 1
        assert writer.commits == 1


def test_room_holds_a_worker_back_while_a_batch_is_uncommitted(store: Store) -> None:
    """At `limit` uncommitted outcomes a worker waits before its next request (what a crash
    can lose stays one batch); it goes on once they are committed."""

    async def scenario() -> list[str]:
        seen = []
        with Writer(store.path, limit=5, linger=NEVER, commit_at=1000) as writer:
            writer.add([ok(i) for i in range(1, 5)])
            await writer.room()  # 4 of 5: at once
            seen.append("room at 4")
            writer.add([ok(5)])
            waiting = asyncio.create_task(writer.room())
            for _ in range(20):
                await asyncio.sleep(0)
            seen.append("waiting" if not waiting.done() else "not held back")
            writer.flush()  # the thread commits: room again
            await asyncio.wait_for(waiting, timeout=10)
            seen.append(f"room after {store.counts()['movie']['ok']} committed")
        return seen

    assert asyncio.run(scenario()) == ["room at 4", "waiting", "room after 5 committed"]


def test_an_error_in_the_thread_reaches_the_caller_and_loses_only_its_batch(
    store: Store,
) -> None:
    async def scenario(writer: Writer) -> None:
        writer.add([ok(1), ok(2)])
        writer.flush()
        writer.add([ok(3), Outcome("movie", 4, "exploded", "?")])  # breaks the status CHECK
        with pytest.raises(sqlite3.IntegrityError):
            writer.flush()
        with pytest.raises(sqlite3.IntegrityError):
            await writer.room()  # a worker waiting for room stops too
        with pytest.raises(sqlite3.IntegrityError):
            writer.add([ok(5)])

    writer = Writer(store.path, limit=100, linger=NEVER, commit_at=1000)
    writer.start()
    asyncio.run(scenario(writer))
    with pytest.raises(sqlite3.IntegrityError):
        writer.close()
    counts = store.counts()["movie"]
    assert (counts["ok"], counts["pending"]) == (2, 98)  # 3 was in the failed transaction


def test_an_unusable_store_fails_at_start(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(Exception, match="cannot use the data directory"):
        Writer(tmp_path / "a-file" / "store.sqlite").start()
