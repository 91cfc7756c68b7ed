"""The governor against a model of TMDb's per-IP limiter, on a virtual clock (no waiting).

The shares of the limit asserted here are the virtual clock's; a real crawl against a real
rate-limited simulator is measured by bench/crawl_rate_limited.py (figures in BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import math
import random

import pytest

from tmdb_collector.client.governor import BACK_OFF, Governor
from tmdb_collector.client.protocol import Answer, Verdict
from tmdb_collector.simulator.limiter import TokenBucket

OK = Answer(Verdict.OK, "ok")


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def crawl(
    ceiling: float, server_rate: float, retry_after: bool, seconds: float, seed: int = 1
) -> tuple[list[float], int]:
    """One sequential client against a token bucket; returns accepted times and 429 count."""
    time = VirtualTime()
    gov = Governor(ceiling, clock=time.clock, sleep=time.sleep, rng=random.Random(seed))
    server = TokenBucket(server_rate, max(1.0, server_rate / 4))
    accepted: list[float] = []
    refused = 0

    async def run() -> None:
        nonlocal refused
        while time.now < seconds:
            started = await gov.acquire()
            wait = server.take(time.now)
            if wait == 0:
                accepted.append(time.now)
                await gov.release(started, OK)
            else:
                refused += 1
                after = float(max(1, math.ceil(wait))) if retry_after else None
                answer = Answer(Verdict.RETRY, "http_429", retry_after=after, throttled=True)
                await gov.release(started, answer)

    asyncio.run(run())
    return accepted, refused


@pytest.mark.parametrize("retry_after", [True, False])
def test_above_the_servers_limit_it_finds_the_limit_and_stays_just_under(retry_after: bool) -> None:
    accepted, refused = crawl(ceiling=60, server_rate=40, retry_after=retry_after, seconds=600)
    efficiency = len(accepted) / (40 * 600)
    share_429 = refused / (len(accepted) + refused)
    assert efficiency >= 0.95, efficiency
    assert share_429 <= 0.01, share_429


def test_over_a_long_crawl_it_settles_within_a_few_percent_of_the_limit() -> None:
    accepted, _ = crawl(ceiling=60, server_rate=40, retry_after=False, seconds=3000)
    assert len(accepted) / (40 * 3000) >= 0.98
    late = [t for t in accepted if t >= 2000]
    assert len(late) / (40 * 1000) >= 0.98


def test_below_the_servers_limit_it_keeps_its_own_ceiling_and_never_exceeds_it() -> None:
    accepted, refused = crawl(ceiling=30, server_rate=40, retry_after=True, seconds=120)
    assert refused == 0
    assert len(accepted) >= 0.99 * 30 * 120
    per_second = [sum(1 for t in accepted if s <= t < s + 1) for s in range(120)]
    assert max(per_second) <= 31


def test_server_errors_never_speed_up_or_slow_down_the_pace() -> None:
    time = VirtualTime()
    gov = Governor(20, clock=time.clock, sleep=time.sleep)

    async def run() -> None:
        for _ in range(200):
            started = await gov.acquire()
            await gov.release(started, Answer(Verdict.RETRY, "http_503"))

    asyncio.run(run())
    assert gov.rate == 20
    assert 200 / 20 - 0.1 <= time.now <= 200 / 20 + 0.1


def test_a_429_pauses_every_caller_and_in_flight_answers_count_once() -> None:
    time = VirtualTime()
    gov = Governor(40, clock=time.clock, sleep=time.sleep, rng=random.Random(3))
    throttle = Answer(Verdict.RETRY, "http_429", retry_after=5.0, throttled=True)

    async def run() -> None:
        starts = [await gov.acquire() for _ in range(4)]  # four requests in flight
        for started in starts:
            await gov.release(started, throttle)
        assert gov.rate == pytest.approx(40 * BACK_OFF)  # one decrease, not four
        before = time.now
        await gov.acquire()
        assert time.now - before >= 5.0  # paused as Retry-After asked

    asyncio.run(run())


def test_the_in_flight_cap_grows_to_twenty_and_no_further() -> None:
    time = VirtualTime()
    gov = Governor(1000, 20, clock=time.clock, sleep=time.sleep)

    async def run() -> None:
        for _ in range(2000):
            started = await gov.acquire()
            await gov.release(started, OK)

    asyncio.run(run())
    assert gov.limit == 20
