"""The progress reporter's request rate, across the several crawls one run can hold."""

import asyncio
from types import SimpleNamespace

import pytest

from tmdb_collector import progress
from tmdb_collector.crawl.scheduler import Tally
from tmdb_collector.progress import Reporter


def test_the_rate_starts_afresh_for_each_crawl_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SimpleNamespace(now=100.0)
    # The reporter reads the monotonic clock; here the test sets it.
    monkeypatch.setattr(progress, "time", SimpleNamespace(monotonic=lambda: clock.now))
    reporter = Reporter("quiet")
    movies = Tally("movie", requests=20_000)
    assert reporter.rate(movies) == 0.0  # one sample: no rate yet
    clock.now, movies.requests = 110.0, 20_400
    assert reporter.rate(movies) == pytest.approx(40.0)  # 400 requests in 10 s
    people = Tally("person", requests=0)
    asyncio.run(reporter.follow(people))  # the demo follows movies, then people
    clock.now = 111.0
    assert reporter.rate(people) == 0.0
    clock.now, people.requests = 113.0, 50
    # 50 requests in 2 s; the movies' 20,400 requests are not part of it (else it would be
    # (50 - 20,400) / 13 s, below zero).
    assert reporter.rate(people) == pytest.approx(25.0)
