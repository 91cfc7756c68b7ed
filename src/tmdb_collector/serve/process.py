"""Start `serve` as a child process on a free loopback port (for tests and benchmarks)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from tmdb_collector import config
from tmdb_collector.errors import TmdbCollectorError
from tmdb_collector.serve.server import READY_PREFIX

READY = re.compile(re.escape(READY_PREFIX) + r" (http://\S+)/3 ")


class ServeProcess:
    """`tmdb-collector serve --data-dir DIR --port 0 ARGS` in a child process; `.url` (with
    `/3`) once it answers. Leaving the block stops it (by its PID)."""

    def __init__(
        self, data_dir: Path, *args: str, api_key: str | None = None, timeout: float = 300.0
    ) -> None:
        self.args = ["--data-dir", str(data_dir), "--port", "0", "--quiet", *args]
        self.api_key = api_key
        self.timeout = timeout
        self.url = ""
        self.ready_line = ""
        self.proc: subprocess.Popen[str] | None = None
        self.errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop())

    def __enter__(self) -> ServeProcess:
        env = {k: v for k, v in os.environ.items() if k != config.SERVE_API_KEY_ENV}
        if self.api_key is not None:
            env[config.SERVE_API_KEY_ENV] = self.api_key
        cmd = [sys.executable, "-m", "tmdb_collector", "serve", *self.args]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self.errors, text=True, env=env
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # blocks until ready, or EOF if it failed
        match = READY.search(line)
        if not match:
            self.stop()
            raise TmdbCollectorError(f"serve did not start: {(line + self._stderr()).strip()}")
        self.ready_line = line.strip()
        self.url = f"{match.group(1)}/3"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read()

    def stop(self) -> str:
        """Stop the server (SIGTERM, then SIGKILL after 10 s); returns what it wrote on stderr."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            deadline = time.monotonic() + 10
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        if proc is not None and proc.stdout:
            proc.stdout.close()
        if self.errors.closed:
            return ""
        text = self._stderr()
        self.errors.close()
        return text
