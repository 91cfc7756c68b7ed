"""Showing a crawl as it runs: a live bar, JSON lines for scripts, or nothing; then a summary."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import deque
from collections.abc import Iterator
from typing import Any, Literal

import orjson
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from tmdb_collector.crawl.scheduler import Tally
from tmdb_collector.vocab import Kind, RunOutcome

Mode = Literal["bar", "json", "quiet"]


class Reporter:
    """Reads a Tally a few times a second and shows it."""

    def __init__(self, mode: Mode, console: Console | None = None) -> None:
        self.mode = mode
        self.console = console or Console(stderr=True)
        self.samples: deque[tuple[float, int]] = deque(maxlen=20)

    def rate(self, tally: Tally) -> float:
        """Requests/s over the last few seconds."""
        now = time.monotonic()
        self.samples.append((now, tally.requests))
        first_t, first_n = self.samples[0]
        return (tally.requests - first_n) / (now - first_t) if now > first_t else 0.0

    async def follow(self, tally: Tally) -> None:
        """Show progress until cancelled."""
        self.samples.clear()  # one Reporter may follow several crawls (the demo does)
        if self.mode == "quiet":
            return
        if self.mode == "json":
            while True:
                emit(
                    {
                        "event": "progress",
                        **tally.as_dict(),
                        "req_per_s": round(self.rate(tally), 1),
                    }
                )
                await asyncio.sleep(2.0)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.console, transient=False) as bar:
            task = bar.add_task(Kind(tally.kind).plural, total=tally.total or None, detail="")
            rows: dict[str, TaskID] = {}  # a fleet's workers, one row each
            try:
                while True:
                    bar.update(
                        task,
                        total=tally.total or None,
                        completed=tally.done,
                        detail=_detail(tally, self.rate(tally)),
                    )
                    _show_workers(bar, rows, tally)
                    await asyncio.sleep(0.25)
            finally:
                bar.update(task, completed=tally.done, detail=_detail(tally, self.rate(tally)))
                _show_workers(bar, rows, tally)

    def summary(
        self, tally: Tally, outcome: RunOutcome, extra: dict[str, Any] | None = None
    ) -> None:
        """The one-screen account of a finished (or stopped) crawl."""
        facts = {**tally.as_dict(), "outcome": outcome, **(extra or {})}
        if self.mode == "json":
            emit({"event": "summary", **facts})
            return
        table = Table(title=f"crawl {Kind(tally.kind).plural}: {outcome}", show_header=False)
        for label, value in (
            ("fetched ok", tally.ok),
            ("gone (404)", tally.gone),
            ("failed", tally.failed),
            ("requests", tally.requests),
            ("retried", tally.retries),
            ("429s", tally.throttled),
            ("rate found", _rate_found(tally)),
            ("seconds", facts["seconds"]),
        ):
            table.add_row(label, f"{value:,}" if isinstance(value, int) else str(value))
        if tally.reasons:
            table.add_row(
                "retry causes", ", ".join(f"{k} {v}" for k, v in tally.reasons.most_common())
            )
        for note, count in sorted(tally.notes.items()):
            table.add_row(note, f"{count:,}")
        for worker, line in worker_lines(tally.by_worker()):
            table.add_row(f"worker {worker}", line)
        for label, value in (extra or {}).items():
            table.add_row(label, str(value))
        self.console.print(table)


def worker_lines(workers: dict[str, dict[str, float]]) -> list[tuple[str, str]]:
    """A fleet's workers (egress IPs), each with its requests, rate while fetching and 429s."""
    return [
        (
            name,
            f"{int(w['requests']):,} requests, {w['req_per_s']:,.1f} req/s while fetching, "
            f"{int(w['throttled']):,} 429s, {int(w['chunks']):,} chunks"
            + (f", rate found {w['rate_found']:,.1f} req/s" if "rate_found" in w else ""),
        )
        for name, w in workers.items()
    ]


def _show_workers(bar: Progress, rows: dict[str, TaskID], tally: Tally) -> None:
    for name, w in tally.by_worker().items():
        if name not in rows:
            rows[name] = bar.add_task(f"  {name}", total=None, detail="")
        done = int(w["ok"] + w["gone"] + w["failed"])
        line = f"{w['req_per_s']:,.1f} req/s · 429s {int(w['throttled']):,}"
        bar.update(rows[name], completed=done, detail=line)


def _rate_found(tally: Tally) -> str:
    """The pace the governor settled at (a fleet: all its IPs'), in requests/s."""
    return "-" if tally.rate_found is None else f"{tally.rate_found:,.1f} req/s"


def _detail(tally: Tally, rate: float) -> str:
    return (
        f"ok {tally.ok:,} gone {tally.gone:,} failed {tally.failed:,} · retries {tally.retries:,}"
        f" · 429s {tally.throttled:,} · {rate:,.0f} req/s"
    )


def emit(event: dict[str, Any]) -> None:
    """One JSON line on stdout, for scripts."""
    sys.stdout.write(orjson.dumps(event).decode() + "\n")
    sys.stdout.flush()


class Count:
    """What `counting` yields: `count(n)` moves the bar on by n items; `count.expect(total)`
    says how many there are after all (the bar starts over)."""

    def __init__(self, bar: Progress | None = None, task: TaskID | None = None) -> None:
        self.bar, self.task = bar, task

    def __call__(self, n: int) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task, n)

    def expect(self, total: int) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.reset(self.task, total=total or None)


@contextlib.contextmanager
def counting(label: str, total: int, quiet: bool = False) -> Iterator[Count]:
    """A progress bar on stderr for work counted in items; yields its `Count`."""
    if quiet:
        yield Count()
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=Console(stderr=True)) as bar:
        yield Count(bar, bar.add_task(label, total=total or None))
