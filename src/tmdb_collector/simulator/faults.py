"""Named fault profiles and the pure decision of which fault, if any, a request gets.

A fault is decided from (seed, request path, how many faults that path has had), not from
arrival order, so the same crawl against the same seed meets the same faults however its
requests interleave. A path that just failed draws again on its next request; a path that
succeeded keeps succeeding.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from tmdb_collector.errors import ConfigError
from tmdb_collector.simulator.catalog import mix

SALT_FAULT = 41

KINDS = (
    "http_500",  # TMDb JSON body, code 11
    "http_502",  # JSON (code 43) or a CDN's HTML page
    "http_503",  # JSON (code 9) or a CDN's HTML page
    "http_504",  # JSON (code 24) or a CDN's HTML page
    "reset",  # the connection is reset before any answer
    "truncated",  # headers promise the whole body; the connection closes halfway
    "invalid_json",  # a complete 200 answer whose body is not JSON
    "slow",  # the answer comes after --slow-seconds, later than a client's timeout
)

PROFILES: dict[str, dict[str, float]] = {
    "none": {},
    # About 4% of requests fail: what a long crawl meets on a bad day.
    "flaky": {
        "http_500": 0.008,
        "http_502": 0.008,
        "http_503": 0.008,
        "http_504": 0.004,
        "reset": 0.004,
        "truncated": 0.004,
        "invalid_json": 0.002,
        "slow": 0.001,
    },
    # About a quarter of requests fail: for proving that nothing is lost.
    "hostile": {
        "http_500": 0.04,
        "http_502": 0.04,
        "http_503": 0.04,
        "http_504": 0.03,
        "reset": 0.03,
        "truncated": 0.03,
        "invalid_json": 0.02,
        "slow": 0.01,
    },
}


@dataclass
class FaultPlan:
    """Per-kind fault rates and the per-path fault history that makes them reproducible."""

    rates: dict[str, float]
    seed: int = 1
    history: dict[str, int] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str, seed: int = 1) -> FaultPlan:
        """Read `PROFILE`, `KIND=RATE,...` or both (`flaky,reset=0.1`): later items override."""
        rates: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            if "=" not in item:
                if item not in PROFILES:
                    raise ConfigError(
                        f"unknown fault profile {item!r}; known: {', '.join(PROFILES)}"
                    )
                rates.update(PROFILES[item])
                continue
            kind, _, value = item.partition("=")
            kind = kind.strip()
            if kind not in KINDS:
                raise ConfigError(f"unknown fault kind {kind!r}; known: {', '.join(KINDS)}")
            try:
                rate = float(value)
            except ValueError:
                raise ConfigError(
                    f"fault rate for {kind} must be a number, got {value!r}"
                ) from None
            if not 0.0 <= rate <= 1.0:
                raise ConfigError(f"fault rate for {kind} must be between 0 and 1, got {value}")
            rates[kind] = rate
        if sum(rates.values()) > 1.0:
            raise ConfigError("fault rates add up to more than 1")
        return cls({k: v for k, v in rates.items() if v > 0}, seed)

    def decide(self, path: str) -> str | None:
        """The fault this request gets, or None; records it so the next try draws anew."""
        if not self.rates:
            return None
        faults_so_far = self.history.get(path, 0)
        u = mix(self.seed, SALT_FAULT, zlib.crc32(path.encode()), faults_so_far) / 2.0**64
        for kind, rate in self.rates.items():
            if u < rate:
                self.history[path] = faults_so_far + 1
                return kind
            u -= rate
        return None

    def html_body(self, path: str) -> bool:
        """Whether a 502/503/504 answer comes from the CDN (HTML) rather than TMDb (JSON)."""
        return mix(self.seed, SALT_FAULT, zlib.crc32(path.encode()), -1) & 1 == 1
