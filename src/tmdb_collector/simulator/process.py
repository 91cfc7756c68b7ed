"""Start the simulator as a child process on a free loopback port (for tests, demo, benchmarks)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from types import TracebackType
from typing import Any

from tmdb_collector.errors import TmdbCollectorError
from tmdb_collector.simulator.server import READY_PREFIX

READY = re.compile(re.escape(READY_PREFIX) + r" (http://\S+)")


class SimulatorProcess:
    """`tmdb-collector simulate ARGS` in a child process; `.url` once it is listening.

    Use it as a context manager; leaving the block stops the process (by its PID).
    """

    def __init__(self, *args: str, api_key: str | None = None, timeout: float = 20.0) -> None:
        self.args = ["--port", "0", *args]
        self.api_key = api_key
        self.timeout = timeout
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        # A file, not a pipe: nobody reads stderr while the server runs, and a full pipe
        # would stall it.
        self.errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop())

    def __enter__(self) -> SimulatorProcess:
        env = dict(os.environ)
        if self.api_key is not None:
            env["TMDB_SIM_API_KEY"] = self.api_key
        cmd = [sys.executable, "-m", "tmdb_collector", "simulate", *self.args]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self.errors, text=True, env=env
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks until ready, or EOF if it failed
        match = READY.search(line)
        if not match:
            self.stop()
            self.errors.seek(0)
            err = self.errors.read()
            raise TmdbCollectorError(f"simulator did not start: {(line + err).strip()}")
        self.url = match.group(1)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        return f"{self.url}/3"

    @property
    def exports_url(self) -> str:
        return f"{self.url}/p/exports"

    def stats(self) -> dict[str, Any]:
        """The simulator's request counters (`/__sim/stats`)."""
        with urllib.request.urlopen(f"{self.url}/__sim/stats", timeout=10) as answer:
            return dict(json.load(answer))

    def today(self) -> date:
        """The simulator's current day (its newest export file)."""
        return date.fromisoformat(self.stats()["day"])

    def advance(self, days: int = 1) -> str:
        """Move the simulator's day clock; returns the new day (YYYY-MM-DD)."""
        request = urllib.request.Request(f"{self.url}/__sim/advance?days={days}", method="POST")
        with urllib.request.urlopen(request, timeout=60) as answer:
            return str(json.load(answer)["day"])

    def set_limit(self, rate: float) -> None:
        """Change the simulator's per-IP limit (requests/s; 0: none) while it runs."""
        request = urllib.request.Request(f"{self.url}/__sim/limit?rate={rate}", method="POST")
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()

    def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
        self.errors.close()
