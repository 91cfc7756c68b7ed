"""The simulator's endpoints beyond movies and people: TV series and their seasons,
collections, companies, networks and keywords (a mixin of `app.Simulator`)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from tmdb_collector.simulator.app_params import parse_appends, parse_id
from tmdb_collector.simulator.attributes import Doc
from tmdb_collector.simulator.catalog import Catalog
from tmdb_collector.simulator.entities import company_doc, keyword_doc, network_doc
from tmdb_collector.simulator.faults import FaultPlan
from tmdb_collector.simulator.movie_collections import collection_doc
from tmdb_collector.simulator.responses import json_response, tmdb_error
from tmdb_collector.simulator.tv import missing_season, season_doc, tv_doc

ENTITY_DOCS: dict[str, Callable[[Catalog, int], Doc | None]] = {
    "collection": collection_doc,
    "company": company_doc,
    "network": network_doc,
    "keyword": keyword_doc,
}
"""`/3/{kind}/{id}` for the kinds without appends or change lists."""


class MoreRoutes:
    """Handlers that read only the catalog and the fault plan's quirks."""

    catalog: Catalog
    faults: FaultPlan

    async def tv(self, request: web.BaseRequest) -> web.Response:
        """`/tv/{id}`, with `season/N` among its appends (each counts toward the 20)."""
        appends = parse_appends(request)
        if appends is None:
            return tmdb_error(request, 27)
        index = self.catalog.tv_index(parse_id(request.path.split("/")[3]))
        if index is None:
            return tmdb_error(request, 34)
        return json_response(request, tv_doc(self.catalog, index, appends, self._quirks()))

    async def season(self, request: web.BaseRequest) -> web.Response:
        """`/tv/{id}/season/{n}`: 404 for a season the series lacks (or the quirk's)."""
        parts = request.path.split("/")
        tv_id, number = parse_id(parts[3]), parse_id(parts[5])
        index = self.catalog.tv_index(tv_id)
        if index is None or missing_season(self._quirks(), tv_id, number):
            return tmdb_error(request, 34)
        doc = season_doc(self.catalog, index, number)
        return json_response(request, doc) if doc else tmdb_error(request, 34)

    async def entity(self, request: web.BaseRequest) -> web.Response:
        """`/collection/{id}`, `/company/{id}`, `/network/{id}`, `/keyword/{id}`."""
        parts = request.path.split("/")
        doc = ENTITY_DOCS[parts[2]](self.catalog, parse_id(parts[3]))
        return json_response(request, doc) if doc else tmdb_error(request, 34)

    def _quirks(self) -> FaultPlan | None:
        return self.faults if self.faults.quirks else None
