"""One egress IP's request budget: a pace (requests/s) and a cap on requests in flight.

TMDb limits each client IP to "somewhere around 40 requests/s" and 20 connections, and the
exact figure moves. The governor never exceeds the configured ceiling, and finds the real
limit from the server's 429s by bracketing it:

- Pace: requests are spaced 1/rate apart (a reservation clock, so concurrent callers queue
  instead of bursting). Two paces bound the server's limit: `too_fast`, the slowest pace that
  drew a 429, and `safe`, the fastest held for `HOLD_S` without one. A 429 pauses every
  caller (Retry-After when sent, floor 1 s; exponential when not) and drops the pace to
  `safe`, or to `BACK_OFF` x the pace that failed while nothing is known safe. After `HOLD_S`
  without a 429 the pace is safe, and the governor probes halfway to `too_fast`. Once the two
  are within `CLOSE_ENOUGH` it stays at `safe` and only re-probes, a little higher, after
  `REPROBE_S` (the limit may have risen). Each 429 costs one pause; the search needs few.
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

from tmdb_collector.client.protocol import Answer, Verdict, pause_for

BACK_OFF = 0.9  # pace after a 429 while no pace is known to be safe
WINDOW_DECREASE = 0.7  # in-flight cap after a throttle
HOLD_S = 20.0  # a pace held this long without a 429 is safe
CLOSE_ENOUGH = 0.03  # stop probing when too_fast is within 3% of safe ...
REPROBE_S = 300.0  # ... until this long has passed (TMDb's limit may change) ...
REPROBE_STEP = 1.1  # ... then look up to 10% above the last pace that was too fast
MIN_RATE = 0.5
ANSWERED = frozenset((Verdict.OK, Verdict.GONE, Verdict.FAILED))  # the server kept up


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
        self.safe = 0.0  # fastest pace held HOLD_S without a 429 (0: none yet)
        self.too_fast = rate  # slowest pace that drew a 429 (the ceiling until one does)
        self.steady_since = 0.0  # when the current pace began
        self.healthy = 0
        self.throttles_in_a_row = 0
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
        if self.rate <= self.safe:
            self.safe = 0.0  # the limit went down: what was safe is not any more
        self.too_fast = min(self.too_fast, self.rate) if self.safe else self.rate
        self.rate = max(MIN_RATE, self.safe or BACK_OFF * self.rate)
        self.paused_until = now + pause_for(answer, self.throttles_in_a_row, self.rng)
        self.next_slot = self.paused_until
        self.steady_since = self.paused_until
        self.throttles_in_a_row += 1

    def _healthy(self, now: float) -> None:
        self.throttles_in_a_row = 0
        self.healthy += 1
        if self.healthy >= 2 * self.limit and self.limit < self.max_in_flight:
            self.limit += 1
            self.healthy = 0
        if self.rate >= self.ceiling or now - self.steady_since < HOLD_S:
            return
        self.safe = max(self.safe, self.rate)
        if self.too_fast - self.safe <= CLOSE_ENOUGH * self.safe:
            if now - self.steady_since < REPROBE_S:
                return
            self.too_fast = min(self.ceiling, self.too_fast * REPROBE_STEP)  # look a bit above
        self.rate = min(self.ceiling, (self.safe + self.too_fast) / 2)
        self.steady_since = now
