"""The one way a request goes out: through the governor, then the retry policy, until a final
answer. The crawl's documents, a fleet worker's chunks and the sync's change-list pages all
use it, so the rules of DESIGN decision 6 are applied in one place.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from tmdb_collector.client.api import TmdbClient
from tmdb_collector.client.governor import Governor
from tmdb_collector.client.protocol import Answer, Request, RetryPolicy, Tries, Verdict
from tmdb_collector.errors import CredentialsError

T = TypeVar("T")

Parse = Callable[[Answer, bytes], T | Answer]
"""Reads an OK answer: the value wanted, or an Answer saying why the document is unusable
(`protocol.unexpected`), which is then retried like any retryable answer."""


@dataclass(slots=True)
class Sent(Generic[T]):
    """How a request ended: `verdict` OK (with `value`), GONE or FAILED, its last answer and
    how it fared on the way."""

    verdict: Verdict
    answer: Answer
    value: T | None
    tries: Tries

    @property
    def exhausted(self) -> bool:
        """Failed because its tries ran out (not because the server refused it)."""
        return self.verdict is Verdict.FAILED and self.answer.verdict is Verdict.RETRY


def _nothing(answer: Answer) -> None:
    return None


@dataclass
class Sender:
    """Sends requests through one client and one governor (one egress IP's budget) and
    retries them as `policy` says; `sleep` is injected so that tests need not wait."""

    client: TmdbClient
    governor: Governor
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def send(
        self,
        request: Request,
        parse: Parse[T],
        seen: Callable[[Answer], None] = _nothing,
    ) -> Sent[T]:
        """Send `request` until the policy gives a final verdict; `seen` is told every answer
        (for counters). Refused credentials raise CredentialsError: nothing else can work."""
        tries = Tries()
        while True:
            started = await self.governor.acquire()
            answer, body = await self.client.send(request)
            await self.governor.release(started, answer)
            value = parse(answer, body) if answer.verdict is Verdict.OK else None
            if isinstance(value, Answer):
                answer, value = value, None
            seen(answer)
            verdict, tries, wait = self.policy.decide(answer, tries, self.rng)
            if verdict is Verdict.FATAL:
                raise CredentialsError(answer.message)
            if verdict is not Verdict.RETRY:
                return Sent(verdict, answer, value, tries)
            if wait:
                await self.sleep(wait)
