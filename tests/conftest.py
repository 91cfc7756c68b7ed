"""Shared fixtures: real simulator processes on loopback, and the real TMDb samples."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tmdb_collector.simulator.process import SimulatorProcess

SAMPLES = Path(__file__).resolve().parent / "data" / "tmdb"
"""Real TMDb responses, export lines and headers, kept in the repository (see its README.md)."""
FIRST_DAY = "2026-11-02"


@pytest.fixture(scope="session")
def samples() -> Callable[[str], Any]:
    """Load a real TMDb response from tests/data/tmdb by file name."""

    def load(name: str) -> Any:
        return json.loads((SAMPLES / name).read_text(encoding="utf-8"))

    return load


@pytest.fixture(scope="session")
def sim() -> Iterator[SimulatorProcess]:
    """One shared simulator (2,000 movies, no faults, no limit, key 'test-key') for read-only
    tests. Tests that move its day clock or need faults start their own."""
    with SimulatorProcess(
        "--movies", "2000", "--seed", "7", "--day", FIRST_DAY, api_key="test-key"
    ) as process:
        yield process


@pytest.fixture
def start_sim() -> Iterator[Callable[..., SimulatorProcess]]:
    """Start a simulator of one's own: start_sim('--faults', 'reset=1', api_key=None)."""
    started: list[SimulatorProcess] = []

    def start(*args: str, api_key: str | None = None) -> SimulatorProcess:
        process = SimulatorProcess("--day", FIRST_DAY, *args, api_key=api_key)
        process.__enter__()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
