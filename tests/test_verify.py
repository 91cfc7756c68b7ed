"""`tmdb-collector verify` (issue #14, item 3): damage is found, and `--repair` plus a crawl
gives back the clean store."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from test_crawl_e2e import FIRST_DAY, SHARED_KEY, child_env, cli, crawl, run
from tmdb_collector.simulator.process import SimulatorProcess


def verify(data: Path, *args: str) -> tuple[int, dict[str, object]]:
    result = run(cli("verify", "--json", "--data-dir", str(data), *args), data.parent, child_env())
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def hashes(data: Path) -> dict[tuple[str, int], tuple[str, str | None]]:
    with sqlite3.connect(data / "tmdb.sqlite") as db:
        rows = db.execute("SELECT kind, id, status, content_hash FROM records").fetchall()
    return {(k, i): (s, h) for k, i, s, h in rows}


def test_verify_finds_a_flipped_byte_and_a_missing_document_and_repair_then_crawl_heals(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert crawl(sim, data, "--limit", "150", "--quiet", key=SHARED_KEY).returncode == 0
    code, clean = verify(data)
    assert code == 0 and clean["ok"] is True and clean["documents_checked"] > 100
    before = hashes(data)
    with sqlite3.connect(data / "tmdb.sqlite") as db:
        (flip_id, doc), (gone_doc_id,) = (
            db.execute(
                "SELECT id, doc FROM records WHERE status='ok' ORDER BY id LIMIT 1"
            ).fetchone(),
            db.execute(
                "SELECT id FROM records WHERE status='ok' ORDER BY id DESC LIMIT 1"
            ).fetchone(),
        )
        damaged = bytearray(doc)
        damaged[len(damaged) // 2] ^= 0x01  # one bit rotted on disk
        db.execute("UPDATE records SET doc = ? WHERE id = ?", (bytes(damaged), flip_id))
        db.execute("UPDATE records SET doc = NULL WHERE id = ?", (gone_doc_id,))

    code, found = verify(data)
    assert code == 1 and found["ok"] is False
    problems = {f["what"]: f["problem"] for f in found["findings"]}  # type: ignore[union-attr]
    assert problems[f"movie {flip_id}"] in ("does not match its hash", "does not decompress")
    assert problems[f"movie {gone_doc_id}"] == "ok without a stored document"
    text = run(cli("verify", "--data-dir", str(data)), tmp_path, child_env())
    assert text.returncode == 1 and "verdict: 2 problems" in text.stdout

    code, repaired = verify(data, "--repair")
    assert code == 1 and repaired["repaired"] == 2
    assert hashes(data)[("movie", flip_id)][0] == "pending"
    assert crawl(sim, data, "--limit", "150", "--quiet", key=SHARED_KEY).returncode == 0
    assert verify(data)[0] == 0
    assert hashes(data) == before  # the very documents of the clean crawl


def test_verify_finds_a_truncated_database(sim: SimulatorProcess, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert crawl(sim, data, "--limit", "300", "--quiet", key=SHARED_KEY).returncode == 0
    store = data / "tmdb.sqlite"
    shutil.copy(store, tmp_path / "copy.sqlite")
    with store.open("r+b") as f:
        f.truncate(store.stat().st_size // 2)
    code, found = verify(data)
    assert code == 1 and found["readable"] is False
    assert found["problems"] == {"integrity": len(found["findings"])}  # type: ignore[arg-type]
    result = run(cli("verify", "--data-dir", str(data)), tmp_path, child_env())
    assert result.returncode == 1 and "integrity" in result.stdout
    # --repair cannot mend the file itself: it says so and changes nothing.
    size = store.stat().st_size
    code, _ = verify(data, "--repair")
    assert code == 1 and store.stat().st_size == size


def test_verify_without_a_store_is_one_line_exit_2(tmp_path: Path) -> None:
    result = run(cli("verify", "--data-dir", str(tmp_path / "none")), tmp_path, child_env())
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "no collection" in result.stderr


def test_a_damaged_store_read_by_any_command_is_one_line_exit_2(
    sim: SimulatorProcess, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert crawl(sim, data, "--limit", "300", "--quiet", key=SHARED_KEY).returncode == 0
    store = data / "tmdb.sqlite"
    with sqlite3.connect(store) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = store.stat().st_size
    with store.open("r+b") as f:  # garbage in every page but the first (the schema's)
        for offset in range(4096, size, 4096):
            f.seek(offset + 100)
            f.write(b"\xa5" * 200)
    env = child_env(
        TMDB_API_KEY=SHARED_KEY, TMDB_API_URL=sim.api_url, TMDB_EXPORTS_URL=sim.exports_url
    )
    commands = [
        ["status"],
        ["export", "--format", "jsonl", "--out", str(tmp_path / "out.jsonl")],
        ["network", "--out", str(tmp_path / "network")],
        ["report", "--out", str(tmp_path / "report.html")],
        ["crawl", "people", "--quiet"],
        ["sync", "--quiet", "--until", FIRST_DAY],
    ]
    for args in commands:
        result = run(cli(*args, "--data-dir", str(data)), tmp_path, env)
        last = result.stderr.strip().splitlines()[-1:]
        assert result.returncode == 2 and "Traceback" not in result.stderr, (args, result.stderr)
        assert "malformed" in last[0] and "verify" in last[0], (args, last)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no output half-written
