"""The rules of a sync's watermark, pure: which days to read, when to reconcile, how far the
watermark moves (see `crawl.sync`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from tmdb_collector import config
from tmdb_collector.crawl.changes import days_from


def days_to_read(watermark: date, today: date) -> list[date]:
    """The days a sync reads: from the watermark's (the overlap) through today."""
    return days_from(watermark + timedelta(days=1 - config.SYNC_OVERLAP_DAYS), today)


def needs_reconcile(watermark: date, today: date, asked: bool) -> bool:
    """Whether the export is diffed too: when asked, or after a gap of over
    SYNC_MAX_GAP_DAYS."""
    return asked or (today - watermark).days > config.SYNC_MAX_GAP_DAYS


def advance(watermark: date, days: Sequence[date], settled: Callable[[date], bool]) -> date:
    """The new watermark: the last of `days` (read, in order) through which every day is
    settled; `watermark` itself when the first is not. A day left unsettled (an id failed,
    or the sync stopped) holds back every later day, so a rerun reads them all again."""
    for day in days:
        if not settled(day):
            break
        watermark = max(watermark, day)
    return watermark
