"""Every TMDb kind: its words, its export name, and keywords stored from export lines of any
shape (a real store; no network)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson

from tmdb_collector import ids
from tmdb_collector.crawl import jobs
from tmdb_collector.crawl.store import Outcome, Store
from tmdb_collector.vocab import Kind, State


def test_each_kind_has_its_command_word_and_tmdbs_export_name() -> None:
    assert {k.plural: k.export for k in Kind} == {
        "movies": "movie", "people": "person", "tv": "tv_series", "collections": "collection",
        "companies": "production_company", "networks": "tv_network", "keywords": "keyword",
    }  # fmt: skip
    assert all(Kind.from_plural(k.plural) is k for k in Kind)
    assert [k for k in Kind if k.has_changes] == [Kind.MOVIE, Kind.PERSON, Kind.TV]
    assert ids.export_name(Kind.TV.export, date(2026, 8, 31)) == (
        "tv_series_ids_08_31_2026.json.gz"
    )


def test_keyword_lines_of_any_shape_are_stored_or_counted(tmp_path: Path) -> None:
    export = tmp_path / "keyword_ids.json"
    export.write_bytes(
        b'{"id":378,"name":"prison"}\n'
        b'{"id":379,"name":"heist","new_field":[1,2]}\n'  # a shape TMDb may add: kept whole
        b'{"name":"no id"}\n'  # no id: counted, skipped
        b"not json\n"
        b"\n"
        b'{"id":380}\n'  # no name: kept as it came
    )
    store = Store.open(tmp_path / "data")
    store.record([Outcome(Kind.KEYWORD, 9, State.OK, "export", None, b'{"id":9,"name":"old"}')])
    plan = jobs.store_lines(store, Kind.KEYWORD, ids.read_ids(export), "f", None, whole=True)
    assert (plan.lines, plan.malformed, plan.added) == (6, 2, 3)
    assert store.get(Kind.KEYWORD, 379) == {"id": 379, "name": "heist", "new_field": [1, 2]}
    assert store.get(Kind.KEYWORD, 380) == {"id": 380}
    counts = store.counts()[Kind.KEYWORD]
    assert (counts["ok"], counts["gone"], counts["pending"]) == (3, 1, 0)  # 9: not listed now
    assert plan.facts["no longer listed (marked gone)"] == 1
    assert orjson.loads(dict(store.documents(Kind.KEYWORD))[378]) == {"id": 378, "name": "prison"}
