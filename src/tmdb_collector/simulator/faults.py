"""Named fault profiles, the pure decision of which fault a request gets, and how it looks.

A fault is decided from (seed, request path, how many faults that path has had), not from
arrival order, so the same crawl against the same seed meets the same faults however its
requests interleave. A path that just failed draws again on its next request; a path that
succeeded keeps succeeding. The answers at the end are what a client then sees: TMDb's 5xx
JSON or a CDN's HTML page, a reset, a body cut short, a late answer.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
import zlib
from dataclasses import dataclass, field

import orjson
from aiohttp import web

from tmdb_collector.errors import ConfigError
from tmdb_collector.simulator.catalog import mix
from tmdb_collector.simulator.payloads import FAULT_CODES, cdn_html
from tmdb_collector.simulator.responses import JSON_TYPE, tmdb_error

SALT_FAULT = 41
SALT_QUIRK = 43

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

QUIRKS = (
    "null_change_ids",  # a change-list row with "id": null (TMDb lists a few), per row
    "duplicate_export_ids",  # an export line listed twice, per line
    "missing_append",  # a movie answer without the `credits` it was asked for, per request
    "missing_season",  # a season its series lists that answers 404, per season
    "season_count_mismatch",  # a series whose number_of_seasons disagrees with its list
)
"""What TMDb's own data does now and then: not transport faults, so outside their 100%."""

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

QUIRK_PROFILES: dict[str, dict[str, float]] = {
    # TMDb's own quirks, at rates that a crawl of a few thousand ids meets each of.
    "quirks": {
        "null_change_ids": 0.02,
        "duplicate_export_ids": 0.01,
        "missing_append": 0.02,
        "missing_season": 0.02,
        "season_count_mismatch": 0.03,
    },
}


@dataclass
class FaultPlan:
    """Per-kind fault rates and the per-path fault history that makes them reproducible."""

    rates: dict[str, float]
    seed: int = 1
    history: dict[str, int] = field(default_factory=dict)
    quirks: dict[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str, seed: int = 1) -> FaultPlan:
        """Read `PROFILE`, `KIND=RATE,...` or both (`flaky,reset=0.1`): later items override."""
        rates: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            if "=" not in item:
                profiles = PROFILES | QUIRK_PROFILES
                if item not in profiles:
                    raise ConfigError(
                        f"unknown fault profile {item!r}; known: {', '.join(profiles)}"
                    )
                rates.update(profiles[item])
                continue
            kind, _, value = item.partition("=")
            kind = kind.strip()
            if kind not in KINDS + QUIRKS:
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
        quirks = {k: rates.pop(k) for k in QUIRKS if rates.get(k, 0) > 0}
        if sum(rates.values()) > 1.0:
            raise ConfigError("fault rates add up to more than 1")
        return cls({k: v for k, v in rates.items() if v > 0}, seed, quirks=quirks)

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

    def quirk(self, name: str, *key: int | str) -> bool:
        """Whether quirk `name` strikes the thing `key` names (a row, a line), the same way
        on every run of the same seed."""
        rate = self.quirks.get(name, 0.0)
        if rate <= 0.0:
            return False
        where = zlib.crc32(repr(key).encode())
        return mix(self.seed, SALT_QUIRK, zlib.crc32(name.encode()), where) / 2.0**64 < rate

    def missing_append(self, path: str) -> bool:
        """Whether this request's answer leaves out its `credits`; like a fault, a path that
        just had it draws again on its next request."""
        if self.quirks.get("missing_append", 0.0) <= 0.0:
            return False
        key = f"missing_append:{path}"
        times = self.history.get(key, 0)
        if self.quirk("missing_append", path, times):
            self.history[key] = times + 1
            return True
        return False

    def html_body(self, path: str) -> bool:
        """Whether a 502/503/504 answer comes from the CDN (HTML) rather than TMDb (JSON)."""
        return mix(self.seed, SALT_FAULT, zlib.crc32(path.encode()), -1) & 1 == 1


# --- what a client sees ----------------------------------------------------------------------

CUT_SHORT = orjson.dumps({"id": 1, "title": "A document cut short", "credits": {"cast": []}})
"""The document that `truncated` and `invalid_json` faults send half of."""


def fault_key(request: web.BaseRequest) -> str:
    """The request as the fault plan sees it: path and query, without the credential."""
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query.items()) if k != "api_key")
    return f"{request.path}?{query}"


async def fault_response(
    request: web.BaseRequest, kind: str, plan: FaultPlan
) -> web.StreamResponse:
    """The answer for fault `kind` (any but `slow`, which `hold` plays), sent or about to be."""
    if kind.startswith("http_"):
        return _server_error(request, int(kind[5:]), plan)
    if kind == "reset":
        reset(request)
        return web.Response(status=500)  # never sent: the connection is gone
    if kind == "invalid_json":
        return web.Response(body=CUT_SHORT[: len(CUT_SHORT) // 2], content_type="application/json")
    return await _truncated(request)


def _server_error(request: web.BaseRequest, status: int, plan: FaultPlan) -> web.Response:
    """A 5xx: TMDb's JSON, or for 502-504 on some paths the CDN's own HTML page."""
    if status != 500 and plan.html_body(fault_key(request)):
        return web.Response(status=status, text=cdn_html(status), content_type="text/html")
    return tmdb_error(request, FAULT_CODES[status])


async def _truncated(request: web.BaseRequest) -> web.StreamResponse:
    """Promise the whole body, send half, then drop the connection."""
    response = web.StreamResponse(headers={"Content-Type": JSON_TYPE})
    response.content_length = len(CUT_SHORT)
    await response.prepare(request)
    await response.write(CUT_SHORT[: len(CUT_SHORT) // 2])
    if request.transport is not None:
        request.transport.close()
    return response


async def hold(request: web.BaseRequest, seconds: float) -> bool:
    """True once a `slow` request has been held for `seconds`; False if the client left first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            return False
        await asyncio.sleep(0.05)
    return True


def reset(request: web.BaseRequest) -> None:
    """Drop the connection with a TCP reset, as a failing CDN edge does."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
