"""A clone tests itself: the code, the tests and the benchmarks read nothing from outside the
repository, and the real TMDb samples they replay travel with it, each with its source."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[1]
# A path into the folder beside the repository (`..` then `/shared`), as text or built with
# pathlib; the pieces are joined here so that this file does not match it.
BESIDE = "shared"
OUTSIDE = re.compile(
    "|".join((r"\.\./" + BESIDE, BESIDE + "/tmdb", rf"""["']{BESIDE}["']\s*/\s*["']tmdb"""))
)
ATTRIBUTION = "This product uses the TMDB API but is not endorsed or certified by TMDB"


def repository_files(*tops: str) -> list[Path]:
    skip = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"}
    return [
        path
        for top in tops
        for path in sorted((ROOT / top).rglob("*"))
        if path.is_file() and not skip & set(path.parts) and path.suffix != ".pyc"
    ]


def test_nothing_refers_to_files_outside_the_repository() -> None:
    files = repository_files("src", "tests", "bench")
    assert any(p.name == "conftest.py" for p in files)  # the scan really covers the tests
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in files
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == [], "these lines refer to a folder beside the repository"


def test_every_sample_has_its_source_and_tmdbs_attribution() -> None:
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert ATTRIBUTION in readme
    samples = [p.name for p in SAMPLES.iterdir() if p.name != "README.md"]
    assert len(samples) >= 15
    assert [name for name in samples if f"`{name}`" not in readme] == []
