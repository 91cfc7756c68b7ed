"""The network shell around the protocol: one aiohttp session, pooled keep-alive connections.

It sends what `protocol` builds and hands back what `protocol` decides; the only decisions
made here are how a transport failure is named. No URL or exception text is ever passed on
as is: either may carry the API key.
"""

from __future__ import annotations

import asyncio
import socket
from types import TracebackType
from urllib.parse import urlsplit

import aiohttp

from tmdb_collector import config
from tmdb_collector.client.protocol import (
    Answer,
    Credentials,
    Reason,
    Request,
    Verdict,
    classify,
    detail_request,
    transport_error,
)
from tmdb_collector.errors import ConfigError, CredentialsError


class TmdbClient:
    """Sends TMDb requests over one pooled session; use as an async context manager. Requests
    go out through `client.sender.Sender`, which adds the governor and the retries."""

    def __init__(
        self,
        api_url: str,
        credentials: Credentials,
        *,
        connections: int = config.RATE_MAX_IN_FLIGHT,
        timeout_s: float = config.REQUEST_TIMEOUT_S,
        local_addr: str | None = None,
    ) -> None:
        self.api_url = api_url
        self.credentials = credentials
        self.connections = connections
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.local_addr = local_addr
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> TmdbClient:
        connector = aiohttp.TCPConnector(
            limit=self.connections,  # TMDb's CDN allows 20 connections per IP
            family=socket.AF_INET,
            local_addr=(self.local_addr, 0) if self.local_addr else None,
            ttl_dns_cache=300,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            headers={"Accept-Encoding": "gzip", "User-Agent": config.USER_AGENT},
            raise_for_status=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def check(self) -> None:
        """Fail fast, before a run touches the store: refused credentials or an API that
        cannot be reached stop here, after one request (`/configuration`)."""
        request = detail_request(self.api_url, "configuration", None, (), self.credentials)
        answer, _ = await self.send(request)
        if answer.verdict is Verdict.FATAL:
            raise CredentialsError(answer.message)
        if answer.unreachable:
            raise self.unreachable()

    def unreachable(self) -> ConfigError:
        """The error for an API that accepts no connection (the host only: no key, no path)."""
        host = urlsplit(self.api_url).netloc
        return ConfigError(f"cannot reach the TMDb API at {host}: no connection could be made")

    async def send(self, request: Request) -> tuple[Answer, bytes]:
        """GET a prepared request (a document, a change-list page) once; what the answer
        means and its raw body."""
        assert self._session is not None, "use TmdbClient as an async context manager"
        try:
            async with self._session.get(request.url, headers=request.headers) as response:
                body = await response.read()
                return classify(response.status, response.headers, body), body
        except TimeoutError:
            return transport_error(Reason.TIMEOUT), b""
        except aiohttp.ClientPayloadError:
            return transport_error(Reason.TRUNCATED), b""
        except aiohttp.ClientConnectorError:
            return transport_error(Reason.UNREACHABLE), b""
        except (aiohttp.ClientError, ConnectionError, asyncio.IncompleteReadError):
            # Server disconnected, connection reset, a malformed status line: all one thing
            # to a crawler, an answer that never arrived.
            return transport_error(Reason.RESET), b""
