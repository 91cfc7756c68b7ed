"""The store's state machine on a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.errors import ConfigError

Load = Callable[[str], Any]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "data")


def ok(id_: int, doc: dict[str, Any] | None = None, kind: str = "movie") -> Outcome:
    body = json.dumps(doc or {"id": id_}).encode()
    return Outcome(kind, id_, "ok", "ok", 200, body)


def test_ids_become_pending_once_whatever_their_source(store: Store) -> None:
    assert store.add("movie", iter(range(1, 25_001))) == 25_000  # streamed, in chunks
    assert store.add("movie", [5, 25_001]) == 1
    store.add("person", [5])
    assert store.counts() == {
        "movie": {"pending": 25_001, "ok": 0, "gone": 0, "failed": 0},
        "person": {"pending": 1, "ok": 0, "gone": 0, "failed": 0},
    }


def test_a_real_document_round_trips_byte_for_byte(store: Store, samples: Load) -> None:
    doc = samples("movie_49026_tt1345836_append_credits_images_keywords.json")
    body = json.dumps(doc, ensure_ascii=False).encode()
    store.record([Outcome("movie", 49026, "ok", "ok", 200, body)])
    assert store.get("movie", 49026) == doc
    assert list(store.documents("movie")) == [(49026, body)]
    size = store.db.execute("SELECT length(doc) FROM records").fetchone()[0]
    assert size < len(body) / 3  # stored compressed


def test_outcomes_move_ids_between_states(store: Store) -> None:
    store.add("movie", [1, 2, 3, 4])
    store.record(
        [
            ok(1),
            Outcome("movie", 2, "gone", "gone", 404),
            Outcome("movie", 3, "failed", "http_503", 503),
        ]
    )
    assert store.counts()["movie"] == {"pending": 1, "ok": 1, "gone": 1, "failed": 1}
    assert store.todo("movie") == [4]
    assert store.todo("movie", ("pending", "failed")) == [3, 4]
    assert store.failures("movie") == {"http_503": 1}
    store.record([ok(3)])  # retried at the end of the run
    assert store.failures("movie") == {}


def test_a_failure_after_success_keeps_the_document(store: Store) -> None:
    store.record([ok(7, {"id": 7, "title": "A"})])
    store.record([Outcome("movie", 7, "failed", "reset")])
    assert store.get("movie", 7) == {"id": 7, "title": "A"}
    attempts = store.db.execute("SELECT attempts FROM records WHERE id=7").fetchone()[0]
    assert attempts == 2


def test_previous_hash_tracks_the_version_replaced(store: Store) -> None:
    def hashes() -> tuple[str, str | None]:
        return store.db.execute(
            "SELECT content_hash, previous_hash FROM records WHERE id=1"
        ).fetchone()

    store.record([ok(1, {"v": 1})])
    first, prev = hashes()
    assert prev is None
    store.record([ok(1, {"v": 1})])  # fetched again, unchanged
    assert hashes() == (first, None)
    store.record([ok(1, {"v": 2})])
    second, prev = hashes()
    assert second != first and prev == first


def test_a_batch_is_all_or_nothing(store: Store) -> None:
    store.add("movie", [1, 2])
    bad = Outcome("movie", 2, "exploded", "?")  # breaks the status CHECK
    with pytest.raises(sqlite3.IntegrityError):
        store.record([Outcome("movie", 1, "gone", "gone", 404), bad])
    assert store.counts()["movie"]["pending"] == 2


def test_requeue_for_a_refresh(store: Store) -> None:
    store.record([ok(1), ok(2), Outcome("movie", 3, "gone", "gone", 404)])
    assert store.requeue("movie", [2, 9]) == 2
    assert store.todo("movie") == [2, 9]
    assert store.get("movie", 2) == {"id": 2}  # the old document stays until replaced
    store.requeue("movie")
    assert store.todo("movie") == [1, 2, 3, 9]


def test_todo_pages_through_everything(store: Store) -> None:
    store.add("movie", range(0, 10_000, 3))
    seen: list[int] = []
    while page := store.todo("movie", after=seen[-1] if seen else -1, limit=777):
        seen += page
    assert seen == list(range(0, 10_000, 3))


def test_meta_values(store: Store) -> None:
    assert store.get_meta("watermark:movie") is None
    store.set_meta("watermark:movie", "2026-11-20")
    store.set_meta("watermark:movie", "2026-11-21")
    assert store.get_meta("watermark:movie") == "2026-11-21"


def test_an_unusable_data_directory_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="cannot use the data directory") as caught:
        Store.open(blocker / "data")
    assert "\n" not in str(caught.value)


outcome = st.builds(
    lambda id_, kind, v: (
        ok(id_, {"id": id_, "v": v})
        if kind == "ok"
        else Outcome("movie", id_, kind, "gone" if kind == "gone" else "reset")
    ),
    st.integers(1, 30),
    st.sampled_from(["ok", "gone", "failed"]),
    st.integers(0, 3),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(outcome, max_size=8), min_size=1, max_size=8), st.data())
def test_replaying_a_batch_after_a_crash_changes_nothing(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[Outcome]], data: st.DataObject
) -> None:
    clean = Store.open(tmp_path_factory.mktemp("clean"))
    crashed = Store.open(tmp_path_factory.mktemp("crashed"))
    replayed = data.draw(st.integers(0, len(batches) - 1))
    for number, batch in enumerate(batches):
        clean.record(batch)
        crashed.record(batch)
        if number == replayed:  # the crawler died after writing it; the rerun writes it again
            crashed.record(batch)

    def state(store: Store) -> list[tuple[Any, ...]]:
        return store.db.execute(
            "SELECT kind, id, status, reason, content_hash, doc FROM records ORDER BY kind, id"
        ).fetchall()

    assert state(clean) == state(crashed)
