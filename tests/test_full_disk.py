"""A full disk (issue #14, item 2): on a small filesystem the test mounts (a tmpfs), a crawl,
a sync, an export and a network build each stop with one line naming the path and what to
do, exit 2, leave a store that passes `verify` and no partial output; once space is freed the
same command completes and gives what a clean run gives.

Mounting needs root: without it these tests skip with the reason, except under CI=true,
where they fail."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from conftest import FIRST_DAY
from test_crawl_e2e import (
    FAST,
    KEY,
    StartSim,
    assert_one_clear_line,
    child_env,
    cli,
    crawl,
    rows,
    run,
)
from tmdb_collector.simulator.process import SimulatorProcess

MOVIES = "1500"


class SmallDisk:
    """A tmpfs mounted at `path`, whose size can be set (shrunk to what it holds, or grown)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def used(self) -> int:
        stat = os.statvfs(self.path)
        return (stat.f_blocks - stat.f_bfree) * stat.f_frsize

    def resize(self, size: int) -> None:
        size = max(size, 4096)
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)], check=True)

    def fill_to(self, headroom: int) -> None:
        """Leave only `headroom` bytes free."""
        self.resize(self.used() + headroom)


def _cannot_mount(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and a tmpfs cannot be mounted: {reason}")
    pytest.skip(f"needs to mount a tmpfs: {reason}")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[int], SmallDisk]]:
    """small_disk(size) mounts a tmpfs of `size` bytes; unmounted at the end."""
    mounted: list[Path] = []

    def mount(size: int) -> SmallDisk:
        if os.geteuid() != 0:
            _cannot_mount("not root")
        path = tmp_path / f"disk{len(mounted)}"
        path.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            _cannot_mount(done.stderr.strip() or f"mount exited {done.returncode}")
        mounted.append(path)
        return SmallDisk(path)

    yield mount
    for path in mounted:
        subprocess.run(["umount", "-l", str(path)], check=False)


def verify_ok(data: Path) -> None:
    result = run(cli("verify", "--data-dir", str(data)), data.parent, child_env())
    assert result.returncode == 0, result.stdout + result.stderr


def no_partials(directory: Path) -> None:
    """No half-written file under any name: no partial files nor scratch directories."""
    left = [p.name for p in directory.rglob("*") if "tmdb-" in p.name and p.name.startswith(".")]
    assert not left, left


def ok_docs(data: Path, kind: str = "movie") -> dict[int, bytes | None]:
    return {i: r.doc for i, r in rows(data, kind).items() if r.status in ("ok", "gone")}


@pytest.fixture
def roomy_sim(start_sim: StartSim) -> SimulatorProcess:
    return start_sim("--movies", MOVIES, api_key=KEY)


def test_a_crawl_on_a_full_disk_says_so_and_the_rerun_completes(
    roomy_sim: SimulatorProcess, small_disk: Callable[[int], SmallDisk], tmp_path: Path
) -> None:
    clean = tmp_path / "clean"
    assert crawl(roomy_sim, clean, "--quiet").returncode == 0
    disk = small_disk(3_000_000)  # room for part of the store only
    data = disk.path / "data"
    result = crawl(roomy_sim, data, "--quiet", cwd=tmp_path)
    line = assert_one_clear_line(result, "no space left", str(disk.path), "free some space")
    assert KEY not in line
    verify_ok(data)
    saved = sum(1 for doc in ok_docs(data).values() if doc)
    assert 0 < saved < len(ok_docs(clean))
    disk.resize(64_000_000)  # space freed
    rerun = crawl(roomy_sim, data, "--quiet", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert ok_docs(data) == ok_docs(clean)
    verify_ok(data)


def test_a_fleet_crawl_on_a_full_disk_says_so_and_the_rerun_completes(
    roomy_sim: SimulatorProcess, small_disk: Callable[[int], SmallDisk], tmp_path: Path
) -> None:
    """A fleet's driver records chunks through the store's writer thread: a full disk there is
    the same one line and exit 2 as on one machine, and the same command then completes."""
    clean = tmp_path / "clean"
    assert crawl(roomy_sim, clean, "--quiet", *FAST).returncode == 0
    disk = small_disk(3_000_000)  # room for part of the store only
    data = disk.path / "data"
    fleet = ("--quiet", *FAST, "--local-workers", "1", "--chunk-size", "100")
    result = crawl(roomy_sim, data, *fleet, cwd=tmp_path)
    assert_one_clear_line(result, "no space left", str(disk.path), "free some space")
    verify_ok(data)
    assert 0 < sum(1 for doc in ok_docs(data).values() if doc) < len(ok_docs(clean))
    disk.resize(64_000_000)  # space freed
    rerun = crawl(roomy_sim, data, *fleet, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert ok_docs(data) == ok_docs(clean)
    verify_ok(data)


def test_a_sync_on_a_full_disk_says_so_and_the_rerun_completes(
    roomy_sim: SimulatorProcess, small_disk: Callable[[int], SmallDisk], tmp_path: Path
) -> None:
    disk = small_disk(64_000_000)
    data = disk.path / "data"
    assert crawl(roomy_sim, data, "--quiet", cwd=tmp_path).returncode == 0
    before = ok_docs(data)
    disk.fill_to(200_000)
    cmd = cli(
        "sync", "--api-url", roomy_sim.api_url, "--exports-url", roomy_sim.exports_url,
        "--data-dir", str(data), "--refresh", "--quiet", "--until", FIRST_DAY, *FAST,
    )  # fmt: skip
    env = child_env(TMDB_API_KEY=KEY)
    result = run(cmd, tmp_path, env)
    assert_one_clear_line(result, "no space left", str(disk.path))
    verify_ok(data)
    disk.resize(64_000_000)
    rerun = run(cmd, tmp_path, env)
    assert rerun.returncode == 0, rerun.stderr
    assert ok_docs(data) == before  # the same day's documents: what a clean sync stores
    verify_ok(data)


@pytest.fixture
def collection(roomy_sim: SimulatorProcess, tmp_path: Path) -> Path:
    data = tmp_path / "collection"
    assert crawl(roomy_sim, data, "--quiet").returncode == 0
    return data


@pytest.mark.parametrize("fmt", ["jsonl", "duckdb"])
def test_an_export_on_a_full_disk_says_so_and_the_rerun_completes(
    collection: Path, small_disk: Callable[[int], SmallDisk], tmp_path: Path, fmt: str
) -> None:
    name = "movies.jsonl" if fmt == "jsonl" else "tmdb.duckdb"
    clean = tmp_path / name
    export = cli("export", "--format", fmt, "--quiet", "--data-dir", str(collection))
    assert run([*export, "--out", str(clean)], tmp_path, child_env()).returncode == 0
    disk = small_disk(300_000)
    out = disk.path / "outputs" / name
    result = run([*export, "--out", str(out)], tmp_path, child_env())
    assert_one_clear_line(result, "no space left", str(disk.path))
    assert not out.exists()
    no_partials(disk.path)
    verify_ok(collection)
    disk.resize(256_000_000)
    rerun = run([*export, "--out", str(out)], tmp_path, child_env())
    assert rerun.returncode == 0, rerun.stderr
    if fmt == "jsonl":
        assert out.read_bytes() == clean.read_bytes()
    else:
        assert table_rows(out) == table_rows(clean)
    no_partials(disk.path)


def table_rows(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # type: ignore[index]
    finally:
        con.close()


def test_a_network_build_on_a_full_disk_says_so_and_the_rerun_completes(
    collection: Path, small_disk: Callable[[int], SmallDisk], tmp_path: Path
) -> None:
    build = cli("network", "--format", "csv", "--no-community", "--quiet")
    build += ["--data-dir", str(collection)]
    clean = tmp_path / "network"
    assert run([*build, "--out", str(clean)], tmp_path, child_env()).returncode == 0
    disk = small_disk(200_000)
    out = disk.path / "network"
    result = run([*build, "--out", str(out)], tmp_path, child_env())
    assert_one_clear_line(result, "no space left", str(disk.path))
    no_partials(disk.path)
    verify_ok(collection)
    disk.resize(256_000_000)
    rerun = run([*build, "--out", str(out)], tmp_path, child_env())
    assert rerun.returncode == 0, rerun.stderr
    assert lines_of(out) == lines_of(clean)


def lines_of(directory: Path) -> dict[str, list[bytes]]:
    """Each file's lines, sorted: the network's row order is DuckDB's, not a promise."""
    return {p.name: sorted(p.read_bytes().splitlines()) for p in directory.iterdir()}
