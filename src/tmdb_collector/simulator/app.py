"""The simulator's HTTP face: TMDb's paths and parameters, auth, per-IP limits, faults, exports.

The catalog, the documents and the fault plan decide everything; this module routes requests,
reads their parameters and sends the answers, the way TMDb and its CDN do.
"""

from __future__ import annotations

import asyncio
import ipaddress
import math
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from aiohttp import web

from tmdb_collector import config
from tmdb_collector.simulator.app_params import parse_appends, parse_change_window, parse_id
from tmdb_collector.simulator.catalog import Catalog, Kind
from tmdb_collector.simulator.changes import ChangeLists
from tmdb_collector.simulator.credits import CreditIndex
from tmdb_collector.simulator.exports import EXPORT_KINDS, ExportKind, export_chunks
from tmdb_collector.simulator.faults import FaultPlan, fault_key, fault_response, hold
from tmdb_collector.simulator.limiter import ClientLimits
from tmdb_collector.simulator.movies import movie_doc
from tmdb_collector.simulator.payloads import CONFIGURATION
from tmdb_collector.simulator.people import person_doc
from tmdb_collector.simulator.responses import json_response, tmdb_error
from tmdb_collector.simulator.routes import ENTITY_DOCS, MoreRoutes
from tmdb_collector.simulator.shared import SharedState
from tmdb_collector.simulator.stats import Stats, stats_document
from tmdb_collector.simulator.tv import tv_doc

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

MOVIE_APPENDS = ("credits", "keywords", "external_ids", "release_dates")
PERSON_APPENDS = ("movie_credits", "combined_credits", "external_ids")
EXPORT_NAME = re.compile(rf"^({'|'.join(EXPORT_KINDS)})_ids_(\d\d)_(\d\d)_(\d{{4}})\.json\.gz$")


@dataclass(frozen=True)
class Settings:
    """Everything `tmdb-collector simulate` can be told."""

    movies: int = config.SIM_MOVIES
    seed: int = config.SIM_SEED
    first_day: date | None = None
    days_elapsed: int = 0
    rate_limit: float = config.SIM_RATE_LIMIT
    burst: float | None = None
    max_connections: int = config.SIM_MAX_CONNECTIONS
    retry_after: bool = True
    faults: str = "none"
    slow_seconds: float = config.SIM_SLOW_SECONDS
    latency_ms: float = 0.0
    latency_sigma: float = 0.5
    api_key: str | None = None

    def start_day(self) -> date:
        """The catalog's first day: --day, or today in UTC."""
        return self.first_day or datetime.now(UTC).date()


class Simulator(MoreRoutes):
    """A TMDb-compatible server over a seeded catalog."""

    def __init__(self, settings: Settings, shared: SharedState | None = None) -> None:
        self.settings = settings
        self.shared = shared
        self.catalog = Catalog(settings.movies, settings.seed, settings.start_day())
        self.catalog.advance(settings.days_elapsed)
        self.credit_index = CreditIndex(self.catalog)
        self.change_lists = ChangeLists(self.catalog)
        self.limits = ClientLimits(settings.rate_limit, 1.0, settings.max_connections)
        self.limits.set_rate(settings.rate_limit, self._burst(settings.rate_limit))
        self.faults = FaultPlan.parse(settings.faults, settings.seed)
        self.rng = random.Random(settings.seed)
        self.stats = Stats()

    def server(self) -> web.Server:
        """aiohttp's low-level server: routing is a few comparisons, not a URL dispatcher
        (it is a tenth of the work per request here)."""
        return web.Server(self.handle, access_log=None)

    def _route(self, request: web.BaseRequest) -> Handler | None:
        path, method = request.path, request.method
        if method == "POST":
            return {"/__sim/advance": self.advance, "/__sim/limit": self.set_limit}.get(path)
        if method not in ("GET", "HEAD"):
            return None
        if path.startswith("/3/"):
            parts = path[3:].split("/")
            if parts == ["configuration"]:
                return self.configuration
            head = parts[0]
            if len(parts) == 4 and head == "tv" and parts[2] == "season":
                return self.season
            if len(parts) != 2:
                return None
            if head in ENTITY_DOCS:
                return self.entity
            if head not in ("movie", "person", "tv"):
                return None
            if parts[1] in ("latest", "changes"):
                return self.latest if parts[1] == "latest" else self.changes
            return self.movie if head == "movie" else self.person if head == "person" else self.tv
        if path.startswith("/p/exports/"):
            return self.export
        return self.show_stats if path == "/__sim/stats" else None

    # --- the CDN and TMDb's front door -------------------------------------------------------

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Every request: the CDN's per-IP limits, faults and auth for the API, then the page."""
        ip = request.remote or "?"
        if self.shared is not None and self.shared.day.value != self.catalog.day:
            self.catalog.advance(self.shared.day.value - self.catalog.day)  # another worker did
        handler = self._route(request)
        if not request.path.startswith("/3/"):
            response = await handler(request) if handler else web.Response(status=404)
            self.stats.count(ip, response.status)
            return response
        now = time.monotonic()
        self.stats.arrived(ip, now)
        wait = self.limits.admit(ip, now)
        if wait is not None:
            self.stats.count(ip, 429)
            headers = {"Retry-After": str(int(wait))} if self.settings.retry_after else {}
            return tmdb_error(request, 25, headers)
        try:
            response, outcome = await self._serve(request, handler)
        finally:
            self.limits.release(ip)
        self.stats.count(ip, outcome)
        return response

    async def _serve(
        self, request: web.BaseRequest, handler: Handler | None
    ) -> tuple[web.StreamResponse, int | str]:
        """The answer to an admitted API request, and the outcome the counters record."""
        if self.settings.latency_ms > 0:
            await asyncio.sleep(self._latency())
        fault = self.faults.decide(fault_key(request)) if self.faults.rates else None
        if fault == "slow":
            if not await hold(request, self.settings.slow_seconds):
                return web.Response(status=504), fault  # nobody is left to read it
        elif fault:
            return await fault_response(request, fault, self.faults), fault
        if not self._authorized(request):
            return tmdb_error(request, 7), 401
        response = await handler(request) if handler else tmdb_error(request, 34)
        return response, fault or response.status

    def _burst(self, rate: float) -> float:
        """The token bucket's depth at `rate`: --burst, else SIM_BURST_SHARE of the rate."""
        return self.settings.burst or max(1.0, rate * config.SIM_BURST_SHARE)

    def _latency(self) -> float:
        """Seconds to wait before answering: lognormal around --latency-ms."""
        median = math.log(self.settings.latency_ms / 1000)
        return self.rng.lognormvariate(median, self.settings.latency_sigma)

    def _authorized(self, request: web.BaseRequest) -> bool:
        key = self.settings.api_key
        if key is None:
            return True
        return request.query.get("api_key") == key or (
            request.headers.get("Authorization") == f"Bearer {key}"
        )

    # --- TMDb's endpoints --------------------------------------------------------------------

    async def configuration(self, request: web.BaseRequest) -> web.Response:
        return json_response(request, CONFIGURATION)

    async def movie(self, request: web.BaseRequest) -> web.Response:
        appends = parse_appends(request)
        if appends is None:
            return tmdb_error(request, 27)
        index = self.catalog.movie_index(parse_id(request.path.rsplit("/", 1)[1]))
        if index is None:
            return tmdb_error(request, 34)
        wanted = tuple(a for a in MOVIE_APPENDS if a in appends)
        if "credits" in wanted and self.faults.missing_append(fault_key(request)):
            wanted = tuple(a for a in wanted if a != "credits")  # TMDb's quirk: left out
        return json_response(request, movie_doc(self.catalog, index, wanted))

    async def person(self, request: web.BaseRequest) -> web.Response:
        appends = parse_appends(request)
        if appends is None:
            return tmdb_error(request, 27)
        index = self.catalog.person_index(parse_id(request.path.rsplit("/", 1)[1]))
        if index is None:
            return tmdb_error(request, 34)
        wanted = tuple(a for a in PERSON_APPENDS if a in appends)
        return json_response(request, person_doc(self.credit_index, index, wanted))

    async def latest(self, request: web.BaseRequest) -> web.Response:
        catalog = self.catalog
        if request.path.startswith("/3/movie/"):
            doc = movie_doc(catalog, catalog.latest(catalog.movies), ())
        elif request.path.startswith("/3/tv/"):
            doc = tv_doc(catalog, catalog.latest(catalog.tv), ())
        else:
            doc = person_doc(self.credit_index, catalog.latest(catalog.people), ())
        return json_response(request, doc)

    async def changes(self, request: web.BaseRequest) -> web.Response:
        """A change list: ids changed, added or deleted within [start_date, end_date]."""
        window = parse_change_window(request.query, self.catalog.today)
        if isinstance(window, int):
            return tmdb_error(request, window)
        start, end, page = window
        kind: Kind = "movie" if request.path.startswith("/3/movie/") else "person"
        if request.path.startswith("/3/tv/"):
            kind = "tv"
        rows = self.change_lists.rows(kind, start, end)
        size = config.SIM_CHANGES_PAGE_SIZE
        body = {
            "results": self._with_null_rows(kind, rows[(page - 1) * size : page * size]),
            "page": page,
            "total_pages": math.ceil(len(rows) / size),
            "total_results": len(rows),
        }
        return json_response(request, body, max_age=600)

    def _with_null_rows(self, kind: Kind, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows, with the `null_change_ids` quirk's rows without an id after some."""
        if not self.faults.quirks:
            return rows
        served: list[dict[str, Any]] = []
        for row in rows:
            served.append(row)
            if self.faults.quirk("null_change_ids", kind, row["id"]):
                served.append({"id": None, "adult": None})
        return served

    # --- export files (files.tmdb.org) -------------------------------------------------------

    async def export(self, request: web.BaseRequest) -> web.StreamResponse:
        """A daily id export: gzip NDJSON, streamed as it is generated."""
        found = self._export_day(request.path.rsplit("/", 1)[1])
        if found is None:
            return web.Response(
                status=404,
                text="<Error><Code>NoSuchKey</Code></Error>",
                content_type="application/xml",
            )
        response = web.StreamResponse(
            headers={"Content-Type": "application/octet-stream", "Cache-Control": "max-age=3600"}
        )
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        kind, day = found

        def twice(index: int) -> bool:
            return self.faults.quirk("duplicate_export_ids", kind, index)

        for chunk in export_chunks(self.catalog, kind, day, twice if self.faults.quirks else None):
            await response.write(chunk)
        await response.write_eof()
        return response

    def _export_day(self, name: str) -> tuple[ExportKind, int] | None:
        """The kind and day number of an export file's name; None when no such file is kept."""
        match = EXPORT_NAME.match(name)
        if not match:
            return None
        kind, month, dom, year = match.groups()
        try:
            day = self.catalog.day_of(date(int(year), int(month), int(dom)))
        except ValueError:
            return None
        if day is None or self.catalog.day - day > config.SIM_EXPORT_RETENTION_DAYS:
            return None
        return EXPORT_KINDS[EXPORT_KINDS.index(kind)], day

    # --- for tests and benchmarks ------------------------------------------------------------

    async def show_stats(self, request: web.BaseRequest) -> web.Response:
        others = self.shared.others() if self.shared else []
        body = stats_document([self.stats.snapshot(), *others])
        body.update(
            day=self.catalog.today.isoformat(), first_day=self.catalog.first_day.isoformat()
        )
        return json_response(request, body, max_age=0)

    async def advance(self, request: web.BaseRequest) -> web.Response:
        """Move the day clock: POST /__sim/advance?days=N (default 1)."""
        try:
            days = int(request.query.get("days", "1"))
            if days < 0:
                raise ValueError
        except ValueError:
            return web.json_response({"error": "days must be a whole number >= 0"}, status=400)
        if self.shared is not None:
            days = self.shared.move_day(days) - self.catalog.day
        today = self.catalog.advance(days)
        return web.json_response({"day": today.isoformat(), "day_number": self.catalog.day})

    async def set_limit(self, request: web.BaseRequest) -> web.Response:
        """Change the per-IP limit while running: POST /__sim/limit?rate=R (0: none), from
        loopback only. Every client's bucket takes the new rate (and depth) at once."""
        if not ipaddress.ip_address(request.remote or "0.0.0.0").is_loopback:
            return web.json_response({"error": "only from loopback"}, status=403)
        if self.shared is not None:
            return web.json_response({"error": "one process only (--workers 1)"}, status=409)
        try:
            rate = float(request.query["rate"])
            if not 0 <= rate < math.inf:
                raise ValueError
        except (KeyError, ValueError):
            return web.json_response({"error": "rate must be a number >= 0"}, status=400)
        self.limits.set_rate(rate, self._burst(rate))
        return web.json_response({"rate_limit": rate, "burst": self.limits.burst})
