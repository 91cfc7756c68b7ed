"""One egress IP's request budget: a pace (requests/s) and a cap on requests in flight.

TMDb limits each client IP to "somewhere around 40 requests/s" and 20 connections, and the
exact figure moves. The governor never exceeds the configured ceiling, and learns the real
limit from the server:

- Pace: requests are spaced 1/rate apart (a reservation clock, so concurrent callers queue
  instead of bursting). A 429 sets the pace just under the rate the server was accepting, and
  pauses every caller (Retry-After when sent, floor 1 s; exponential when not). The pace then
  holds for `HOLD_S` before probing upwards again, slowly: each probe that hits the limit
  costs a pause, so probing often would waste more than it finds.
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
from collections import deque
from collections.abc import Awaitable, Callable

from tmdb_collector.client.protocol import Answer, pause_for

DECREASE = 0.98  # pace after a 429, as a share of the rate the server was accepting
BLIND_DECREASE = 0.8  # pace after a 429 when that rate could not be measured
WINDOW_DECREASE = 0.7  # in-flight cap after a throttle
HOLD_S = 60.0  # seconds at a learned pace before probing above it
PROBE_STEP = 0.01  # probing: +1% of the pace ...
PROBE_EVERY_S = 2.0  # ... every this many seconds
MEASURE_S = 5.0  # accepted answers over this many seconds estimate the server's rate ...
MIN_MEASURE_S = 2.0  # ... if at least this long passed since the last pause (a pause lets the
# server's bucket refill, and the burst that follows overstates its rate)
MIN_RATE = 0.5


class Governor:
    """Paces and caps the requests of one egress IP; see the module docstring."""

    def __init__(
        self,
        rate: float,
        max_in_flight: int = 20,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.ceiling = rate
        self.rate = rate
        self.max_in_flight = max_in_flight
        self.limit = min(4, max_in_flight)
        self.in_flight = 0
        self.clock, self.sleep = clock, sleep
        self.rng = rng or random.Random()
        self.next_slot = 0.0
        self.paused_until = 0.0
        self.last_decrease = -1.0
        self.held_until = 0.0
        self.last_probe = 0.0
        self.healthy = 0
        self.throttles_in_a_row = 0
        self.accepted: deque[float] = deque()
        self.throttled_total = 0
        self._room = asyncio.Condition()

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
            self.next_slot = start + 1.0 / self.rate
            if start > now:
                await self.sleep(start - now)
            if self.clock() >= self.paused_until:  # no throttle arrived while we waited
                return start

    async def release(self, started: float, answer: Answer) -> None:
        """Account for the answer to a request that `acquire` let through at `started`."""
        async with self._room:
            self.in_flight -= 1
            self._room.notify()
        now = self.clock()
        if answer.throttled:
            self._throttled(started, now, answer)
        elif answer.verdict.value in ("ok", "gone", "failed"):
            self._healthy(now)

    def _throttled(self, started: float, now: float, answer: Answer) -> None:
        self.throttled_total += 1
        if started <= self.last_decrease:
            return  # already in flight when we slowed down: old news
        self.last_decrease = now
        self.limit = max(1, int(self.limit * WINDOW_DECREASE))
        if answer.reason == "http_429":
            accepted = self._accepted_rate(now)
            if accepted is None:
                self.rate = max(MIN_RATE, BLIND_DECREASE * self.rate)
            else:
                self.rate = max(MIN_RATE, DECREASE * min(self.rate, accepted))
            self.held_until = now + HOLD_S
            self.paused_until = now + pause_for(answer, self.throttles_in_a_row, self.rng)
            self.next_slot = self.paused_until
            self.accepted.clear()
            self.throttles_in_a_row += 1
        self.healthy = 0

    def _healthy(self, now: float) -> None:
        self.throttles_in_a_row = 0
        self.accepted.append(now)
        if self.accepted[0] < now - MEASURE_S:
            self.accepted.popleft()
        self.healthy += 1
        if self.healthy >= 2 * self.limit and self.limit < self.max_in_flight:
            self.limit += 1
            self.healthy = 0
        if (
            self.rate < self.ceiling
            and now >= self.held_until
            and now - self.last_probe >= PROBE_EVERY_S
        ):
            self.rate = min(self.ceiling, self.rate * (1 + PROBE_STEP))
            self.last_probe = now

    def _accepted_rate(self, now: float) -> float | None:
        """Answers the server accepted per second since the last pause (at most MEASURE_S),
        or None when that is too short a time to tell."""
        while self.accepted and self.accepted[0] < now - MEASURE_S:
            self.accepted.popleft()
        if not self.accepted or now - self.accepted[0] < MIN_MEASURE_S:
            return None
        return (len(self.accepted) - 1) / (now - self.accepted[0])
