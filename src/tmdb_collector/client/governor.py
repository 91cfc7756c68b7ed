"""One egress IP's request budget: a pace (requests/s) and a cap on requests in flight.

TMDb limits each client IP to "somewhere around 40 requests/s" (its CDN to about 50) and 20
connections, and the exact figure moves. The governor never exceeds its ceiling (`--rate N`,
or RATE_AUTO_CEILING with `--rate auto`), and finds the real limit from the server's 429s:

- Pace: requests are spaced 1/rate apart (a reservation clock, so concurrent callers queue
  instead of bursting). How the rate moves is `client.pace`'s policy: climb until a 429, then
  settle just under the limit that 429 shows, and climb again now and then. A 429 also pauses
  every caller (Retry-After when sent, floor 1 s; about a second when not).
- In flight: additive increase (+1 per healthy window of answers) up to 20, multiplicative
  decrease on a 429 or a timeout (an overloaded server answers slowly before it refuses).
- Errors never speed anything up: a 5xx or a reset changes neither pace nor window.
- Only the first throttle of an episode counts: answers to requests sent before the last
  decrease were already in flight and say nothing new.

Time is injected (`clock`, `sleep`) so tests drive it without waiting.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tmdb_collector import config
from tmdb_collector.client.pace import Pace, Phase
from tmdb_collector.client.protocol import Answer, Verdict, pause_for
from tmdb_collector.errors import ConfigError

WINDOW_DECREASE = 0.7  # in-flight cap after a throttle
ANSWERED = frozenset((Verdict.OK, Verdict.GONE, Verdict.FAILED))  # the server kept up


@dataclass(frozen=True)
class RateSetting:
    """`--rate`: `auto` (start at RATE_AUTO_START, find the limit up to RATE_AUTO_CEILING) or
    a fixed ceiling N (start there; 429s still lower the pace)."""

    ceiling: float = config.RATE_AUTO_CEILING
    start: float = config.RATE_AUTO_START
    auto: bool = True

    @classmethod
    def parse(cls, text: str) -> RateSetting:
        """`auto` or a number of requests/s (at least 0.1); anything else is a ConfigError."""
        if text.strip().lower() == "auto":
            return cls()
        try:
            rate = float(text)
        except ValueError:
            rate = float("nan")
        if not rate >= 0.1 or rate == float("inf"):
            raise ConfigError(f"--rate must be 'auto' or requests/s (at least 0.1), not {text!r}")
        return cls(rate, rate, auto=False)

    @classmethod
    def of(cls, rate: RateSetting | float) -> RateSetting:
        """`rate` as a setting: a plain number is a fixed ceiling."""
        return rate if isinstance(rate, RateSetting) else cls(rate, rate, auto=False)

    def shared(self, parts: int) -> RateSetting:
        """The setting of one of `parts` clients that share this one's address."""
        return RateSetting(self.ceiling / parts, self.start / parts, self.auto)

    def __str__(self) -> str:
        return f"auto (up to {self.ceiling:g}/s)" if self.auto else f"{self.ceiling:g}/s"


AUTO = RateSetting()
"""`--rate auto`."""


class Governor:
    """Paces and caps the requests of one egress IP; see the module docstring."""

    def __init__(
        self,
        rate: float | RateSetting,
        max_in_flight: int = 20,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        setting = RateSetting.of(rate)
        self.pace = Pace(setting.start, setting.ceiling, since=clock())
        self.ceiling = setting.ceiling
        self.max_in_flight = max_in_flight
        self.limit = min(4, max_in_flight)
        self.in_flight = 0
        self.clock, self.sleep = clock, sleep
        self.rng = rng or random.Random()
        self.next_slot = 0.0
        self.paused_until = 0.0
        self.last_decrease = -1.0
        self.healthy = 0
        self.throttles_in_a_row = 0
        self.throttled_total = 0
        self._room = asyncio.Condition()

    @property
    def rate(self) -> float:
        """The pace now, in requests/s."""
        return self.pace.rate

    @property
    def found(self) -> float:
        """The pace found: settled under the server's limit, or at the ceiling; while still
        climbing at the start, the pace reached so far."""
        return round(self.pace.found or self.pace.rate, 2)

    @property
    def settled(self) -> bool:
        return self.pace.phase is Phase.SETTLED

    async def acquire(self) -> float:
        """Wait until a request may be sent; returns its start time, for `release`."""
        async with self._room:
            await self._room.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1
        while True:
            now = self.clock()
            if now < self.paused_until:
                await self.sleep(self.paused_until - now)
                continue
            start = max(self.next_slot, now)
            self.next_slot = start + 1.0 / self.pace.rate
            if start > now:
                await self.sleep(start - now)
            if self.clock() >= self.paused_until:  # no throttle arrived while we waited
                self.pace.sent(start)
                return start

    async def release(self, started: float, answer: Answer) -> None:
        """Account for the answer to a request that `acquire` let through at `started`."""
        async with self._room:
            self.in_flight -= 1
            self._room.notify()
        now = self.clock()
        if answer.throttled:
            self._throttled(started, now, answer)
        elif answer.verdict in ANSWERED:
            self._healthy(now)

    def _throttled(self, started: float, now: float, answer: Answer) -> None:
        self.throttled_total += 1
        if started <= self.last_decrease:
            return  # already in flight when we slowed down: old news
        self.last_decrease = now
        self.limit = max(1, int(self.limit * WINDOW_DECREASE))
        self.healthy = 0
        if not answer.rate_limited:
            return  # a timeout: fewer in flight, same pace
        self.pace.throttled(started, now)
        self.paused_until = now + pause_for(answer, self.throttles_in_a_row, self.rng)
        self.next_slot = self.paused_until
        self.pace.resumed(self.paused_until)
        self.throttles_in_a_row += 1

    def _healthy(self, now: float) -> None:
        self.throttles_in_a_row = 0
        self.healthy += 1
        if self.healthy >= 2 * self.limit and self.limit < self.max_in_flight:
            self.limit += 1
            self.healthy = 0
        self.pace.answered(now)
