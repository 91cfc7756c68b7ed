"""The simulator's per-client-IP limits: a token bucket and a cap on concurrent requests.

Pure: the caller passes the time, so tests move the clock by assignment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; each request takes one."""

    rate: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float) -> float:
        """0.0 when the request may go; otherwise the seconds until a token is due."""
        if self.tokens < 0:  # first request: start full
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


@dataclass
class ClientLimits:
    """What TMDb's CDN enforces per client IP: a request rate and concurrent connections."""

    rate: float
    burst: float
    max_in_flight: int
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)

    def admit(self, ip: str, now: float) -> float | None:
        """None when the request may go (call `release` when it ends); otherwise the
        seconds a client should wait (the Retry-After), at least 1 as TMDb's header is whole."""
        if self.in_flight.get(ip, 0) >= self.max_in_flight:
            return 1.0
        if self.rate > 0:
            bucket = self.buckets.get(ip)
            if bucket is None:
                bucket = self.buckets[ip] = TokenBucket(self.rate, self.burst)
            wait = bucket.take(now)
            if wait > 0:
                return float(max(1, math.ceil(wait)))
        self.in_flight[ip] = self.in_flight.get(ip, 0) + 1
        return None

    def set_rate(self, rate: float, burst: float) -> None:
        """A new limit for every client from now on; what a bucket saved stays, up to `burst`."""
        self.rate, self.burst = rate, burst
        for bucket in self.buckets.values():
            bucket.rate, bucket.burst = rate, burst
            bucket.tokens = min(bucket.tokens, burst)

    def release(self, ip: str) -> None:
        self.in_flight[ip] -= 1
