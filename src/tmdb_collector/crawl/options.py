"""What a crawl or a sync needs to talk to TMDb, and the one place a client is made from it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from tmdb_collector import config
from tmdb_collector.client.api import TmdbClient
from tmdb_collector.client.governor import AUTO, Governor, RateSetting
from tmdb_collector.client.protocol import Credentials
from tmdb_collector.client.sender import Sender


@dataclass(frozen=True)
class CrawlOptions:
    """Where to fetch from, how fast, and where the collection lives."""

    data_dir: Path
    credentials: Credentials
    api_url: str = config.API_URL
    exports_url: str = config.EXPORTS_URL
    rate: RateSetting | float = AUTO  # `--rate auto`; a number: a fixed ceiling
    concurrency: int = config.RATE_MAX_IN_FLIGHT
    appends: tuple[str, ...] = ()
    local_addr: str | None = None

    @property
    def rate_setting(self) -> RateSetting:
        """`rate` as a RateSetting (a plain number is a fixed ceiling)."""
        return RateSetting.of(self.rate)


def client_for(options: CrawlOptions, connections: int | None = None) -> TmdbClient:
    """A client (not yet entered) for the options' API, credentials and source address, with
    `connections` (default: the options' concurrency) pooled connections."""
    return TmdbClient(
        options.api_url,
        options.credentials,
        connections=connections or options.concurrency,
        local_addr=options.local_addr,
    )


@contextlib.asynccontextmanager
async def connect(options: CrawlOptions) -> AsyncIterator[Sender]:
    """A sender with a client and a governor of its own: one egress IP's budget, at the
    options' rate and concurrency."""
    async with client_for(options) as client:
        yield Sender(client, Governor(options.rate, options.concurrency))
