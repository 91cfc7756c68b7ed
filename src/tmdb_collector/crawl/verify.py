"""`verify`: a store checked end to end, and the damage a crawl can repair marked for it.

Four checks, each cheap enough for a store of millions of documents (they stream):

1. SQLite's own `PRAGMA integrity_check`: pages, indexes, the file's structure.
2. Every stored document decompresses and its sha256 matches the `content_hash` recorded.
3. States agree with documents: every `ok` id has a document and a hash; every `gone` id
   says why (its reason).
4. Runs and watermarks are coherent: each is readable, of a known kind and not in the future.

`repair` moves the ids whose document is damaged or missing back to `pending` (dropping the
damaged bytes), so the next `crawl` fetches them again; a file SQLite itself finds damaged is
beyond it (restore a copy, or rebuild with `sqlite3 tmdb.sqlite .recover`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import zstandard

from tmdb_collector.vocab import Kind, RunOutcome

__all__ = ["Finding", "Verdict", "repair", "verify"]

SHOWN_PER_CHECK = 20
"""Findings listed in full per check; the rest are counted."""

DOC_BATCH = 500


@dataclass(frozen=True)
class Finding:
    """One thing wrong: which check found it, about what (kind and id, or a meta key)."""

    check: str  # integrity | document | state | meta
    what: str
    problem: str
    kind: str | None = None
    id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"check": self.check, "what": self.what, "problem": self.problem}
        return found


@dataclass
class Verdict:
    """What `verify` found: figures, and every finding (damaged ids listed for repair)."""

    path: str
    readable: bool = True
    documents: int = 0
    findings: list[Finding] = field(default_factory=list)
    repaired: int = 0

    @property
    def ok(self) -> bool:
        return self.readable and not self.findings

    def damaged(self) -> list[tuple[str, int]]:
        """The (kind, id) a crawl can fetch again: bad or missing documents."""
        return [
            (f.kind, f.id)
            for f in self.findings
            if f.check in ("document", "state")
            and f.kind is not None
            and f.id is not None
            and f.problem != "gone without a reason"
        ]

    def as_dict(self) -> dict[str, Any]:
        by_check: dict[str, int] = {}
        for f in self.findings:
            by_check[f.check] = by_check.get(f.check, 0) + 1
        return {
            "store": self.path,
            "ok": self.ok,
            "readable": self.readable,
            "documents_checked": self.documents,
            "problems": by_check,
            "findings": [f.as_dict() for f in self.findings],
            "repaired": self.repaired,
        }

    def render(self) -> str:
        """A few lines for a person: the figures, then the findings (the first of each)."""
        lines = [f"store: {self.path}", f"documents checked: {self.documents:,}"]
        shown: dict[str, int] = {}
        for f in self.findings:
            shown[f.check] = shown.get(f.check, 0) + 1
            if shown[f.check] <= SHOWN_PER_CHECK:
                lines.append(f"  {f.check}: {f.what}: {f.problem}")
        for check, n in shown.items():
            if n > SHOWN_PER_CHECK:
                lines.append(f"  {check}: ... and {n - SHOWN_PER_CHECK:,} more")
        if self.repaired:
            lines.append(
                f"repaired: {self.repaired:,} ids marked pending; run 'tmdb-collector crawl' "
                "for their kinds to fetch them again"
            )
        if not self.readable:
            lines.append(
                "the file itself is damaged (--repair cannot mend it): restore a copy, or "
                "rebuild it with: sqlite3 tmdb.sqlite '.recover' | sqlite3 recovered.sqlite"
            )
        lines.append("verdict: " + ("ok" if self.ok else f"{len(self.findings):,} problems"))
        return "\n".join(lines)


def verify(path: Path) -> Verdict:
    """Check the store file at `path` end to end (read only)."""
    verdict = Verdict(str(path))
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        return _unreadable(verdict, exc)
    try:
        _integrity(db, verdict)
        if verdict.readable:
            db.execute("BEGIN")  # one snapshot, while a crawl may be writing
            _documents(db, verdict)
            _states(db, verdict)
            _meta(db, verdict)
            db.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        _unreadable(verdict, exc)
    finally:
        db.close()
    return verdict


def repair(path: Path, verdict: Verdict) -> int:
    """Mark the ids with damaged or missing documents pending, without their damaged bytes;
    returns how many. The caller holds the writer lock."""
    damaged = verdict.damaged()
    if not damaged:
        return 0
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "UPDATE records SET status = 'pending', reason = 'damaged', doc = NULL, "
            "content_hash = NULL WHERE kind = ? AND id = ?",
            damaged,
        )
        db.execute("COMMIT")
    finally:
        db.close()
    verdict.repaired = len(damaged)
    return len(damaged)


def _unreadable(verdict: Verdict, exc: sqlite3.Error) -> Verdict:
    verdict.readable = False
    verdict.findings.append(Finding("integrity", verdict.path, f"not a readable store: {exc}"))
    return verdict


def _integrity(db: sqlite3.Connection, verdict: Verdict) -> None:
    rows = [str(row[0]) for row in db.execute("PRAGMA integrity_check(100)")]
    if rows != ["ok"]:
        verdict.readable = False
        for row in rows:
            verdict.findings.append(Finding("integrity", verdict.path, row))


def _stored(db: sqlite3.Connection) -> Iterator[tuple[str, int, str | None, bytes]]:
    """Every (kind, id, content_hash, doc) with a document, paged by key: bounded memory."""
    after: tuple[str, int] = ("", -1)
    while True:
        rows = db.execute(
            "SELECT kind, id, content_hash, doc FROM records WHERE doc IS NOT NULL "
            "AND (kind, id) > (?, ?) ORDER BY kind, id LIMIT ?",
            (*after, DOC_BATCH),
        ).fetchall()
        if not rows:
            return
        yield from rows
        after = (rows[-1][0], rows[-1][1])


def _documents(db: sqlite3.Connection, verdict: Verdict) -> None:
    unpack = zstandard.ZstdDecompressor()
    for kind, id_, digest, doc in _stored(db):
        verdict.documents += 1
        try:
            body = unpack.decompress(doc)
        except zstandard.ZstdError:
            verdict.findings.append(
                Finding("document", f"{kind} {id_}", "does not decompress", kind, id_)
            )
            continue
        if hashlib.sha256(body).hexdigest() != digest:
            verdict.findings.append(
                Finding("document", f"{kind} {id_}", "does not match its hash", kind, id_)
            )


def _states(db: sqlite3.Connection, verdict: Verdict) -> None:
    for kind, id_ in db.execute(
        "SELECT kind, id FROM records WHERE status = 'ok' AND (doc IS NULL OR content_hash IS NULL)"
    ):
        verdict.findings.append(
            Finding("state", f"{kind} {id_}", "ok without a stored document", kind, id_)
        )
    for kind, id_ in db.execute(
        "SELECT kind, id FROM records WHERE status = 'gone' AND (reason IS NULL OR reason = '')"
    ):
        verdict.findings.append(
            Finding("state", f"{kind} {id_}", "gone without a reason", kind, id_)
        )
    for (kind,) in db.execute("SELECT DISTINCT kind FROM records"):
        if kind not in set(Kind):
            verdict.findings.append(Finding("state", str(kind), "not a kind this tool knows"))


DAY_KEYS = ("export_day", "sync_day")
RUN_KEYS = ("last_run", "last_sync")


def _meta(db: sqlite3.Connection, verdict: Verdict) -> None:
    """Watermarks and days are dates not after tomorrow; run records are JSON objects whose
    outcome is known and whose time is not in the future; each names a known kind."""
    tomorrow = date.today() + timedelta(days=1)
    for key, value in db.execute("SELECT key, value FROM meta"):
        prefix, sep, kind = str(key).partition(":")
        if prefix not in DAY_KEYS + RUN_KEYS or not sep:
            continue  # other facts (appends, scopes, marks) have no rule to break
        problem = _meta_problem(prefix, str(value), tomorrow)
        if kind not in set(Kind):
            problem = f"names an unknown kind {kind!r}"
        if problem:
            verdict.findings.append(Finding("meta", str(key), problem))


def _meta_problem(prefix: str, value: str, tomorrow: date) -> str | None:
    if prefix in DAY_KEYS:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return f"not a date: {value[:40]!r}"
        return f"in the future: {day}" if day > tomorrow else None
    try:
        record = orjson.loads(value)
    except orjson.JSONDecodeError:
        return "not a readable run record"
    if not isinstance(record, dict):
        return "not a readable run record"
    outcome = record.get("outcome")
    if outcome is not None and outcome not in set(RunOutcome):
        return f"unknown outcome {outcome!r}"
    finished = record.get("finished")
    if isinstance(finished, int | float) and finished > time.time() + 86_400:
        return "finished in the future"
    return None
