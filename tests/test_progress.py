"""The progress reporter's request rate, across the several crawls one run can hold."""

import asyncio

from tmdb_collector.crawl.scheduler import Tally
from tmdb_collector.progress import Reporter


def test_the_rate_starts_afresh_for_each_crawl_followed() -> None:
    reporter = Reporter("quiet")
    movies = Tally("movie", requests=20_000)
    reporter.rate(movies)
    people = Tally("person", requests=0)
    asyncio.run(reporter.follow(people))  # the demo follows movies, then people
    people.requests = 50
    assert reporter.rate(people) >= 0
