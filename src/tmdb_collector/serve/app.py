"""`serve`'s HTTP face: a read-only TMDb v3 API over the store.

| path | answer |
|---|---|
| `/3/movie/{id}`, `/3/person/{id}` | the stored document; `append_to_response` as stored |
| `/3/movie/{id}/{append}`, `/3/person/{id}/{append}` | a stored append on its own |
| `/3/search/movie`, `/3/search/person` | `query`, `page` (and `include_adult`, `year`) |
| `/3/discover/movie` | `sort_by`, `with_genres`, `primary_release_year`, `page` |
| `/3/configuration` | TMDb's configuration (image sizes) |

Errors are TMDb's bodies and statuses: an unknown id or path 404 (code 34), a bad key 401
(code 7), a page outside 1..500 400 (code 22), more than 20 appends 400 (code 27). The error
table and the configuration are the simulator's, where TMDb's facts are written down once.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson
from aiohttp import web

try:  # ISA-L's gzip is 3-4x faster than zlib's
    from isal.isal_zlib import compress as gzip_compress
except ImportError:
    from zlib import compress as gzip_compress

from tmdb_collector import config
from tmdb_collector.serve.documents import Answer, StoredDocuments, requested
from tmdb_collector.serve.index import SORTS, Discover, Page, SearchIndex
from tmdb_collector.simulator.payloads import CONFIGURATION, ERRORS, error_body
from tmdb_collector.vocab import Kind

JSON_TYPE = "application/json;charset=utf-8"
GZIP_FROM = 1024
"""Bodies at least this long are gzipped for clients that accept it (smaller ones gain little)."""
INVALID_PARAMETERS = 5
EXTRA_ERRORS = {
    INVALID_PARAMETERS: (422, "Invalid parameters: Your request parameters are incorrect.")
}
"""TMDb's errors that the simulator has no use for."""

Handler = Callable[[web.BaseRequest, list[str]], Awaitable[web.Response]]


class BadRequest(Exception):
    """A request TMDb would refuse: carries its error code."""

    def __init__(self, code: int) -> None:
        self.code = code


class ServeApi:
    """Answers TMDb v3 requests from the store's documents and the search index."""

    def __init__(self, docs: StoredDocuments, index: SearchIndex, api_key: str | None) -> None:
        self.docs = docs
        self.index = index
        self._key = api_key.encode() if api_key else None
        self._queries = ThreadPoolExecutor(config.SERVE_SEARCH_THREADS, "serve-index")

    def server(self) -> web.Server:
        """aiohttp's low-level server: the routes are a few comparisons."""
        return web.Server(self.handle, access_log=None)  # no log: a URL may carry the key

    def close(self) -> None:
        self._queries.shutdown(wait=True)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.method not in ("GET", "HEAD"):
            return web.Response(status=405, headers={"Allow": "GET, HEAD"})
        if not request.path.startswith("/3/"):
            return web.Response(status=404, text="Not Found")
        if not self._authorized(request):
            return tmdb_error(request, 7)
        parts = request.path[3:].rstrip("/").split("/")
        handler = self._route(parts)
        if handler is None:
            return tmdb_error(request, 34)
        try:
            return await handler(request, parts)
        except BadRequest as exc:
            return tmdb_error(request, exc.code)

    def _authorized(self, request: web.BaseRequest) -> bool:
        """As TMDb: the key in `api_key`, or `Authorization: Bearer KEY`."""
        if self._key is None:
            return True
        given = request.query.get("api_key", "").encode()
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            given = given or header[7:].encode()
        return hmac.compare_digest(given, self._key)

    def _route(self, parts: list[str]) -> Handler | None:
        if parts == ["configuration"]:
            return self.configuration
        if parts[0] in ("movie", "person") and len(parts) in (2, 3) and parts[1].isdigit():
            return self.document if len(parts) == 2 else self.document_part
        if parts in (["search", "movie"], ["search", "person"]):
            return self.search
        if parts == ["discover", "movie"]:
            return self.discover
        return None

    # --- the endpoints ---------------------------------------------------------------------------

    async def configuration(self, request: web.BaseRequest, parts: list[str]) -> web.Response:
        return json_response(request, orjson.dumps(CONFIGURATION))

    async def document(self, request: web.BaseRequest, parts: list[str]) -> web.Response:
        kind = Kind(parts[0])
        items = request.query.get("append_to_response", "")
        if len([i for i in items.split(",") if i]) > config.MAX_APPENDS:
            raise BadRequest(27)
        return self._answer(request, self.docs.answer(kind, int(parts[1]), requested(kind, items)))

    async def document_part(self, request: web.BaseRequest, parts: list[str]) -> web.Response:
        kind = Kind(parts[0])
        return self._answer(request, self.docs.part(kind, int(parts[1]), parts[2]))

    async def search(self, request: web.BaseRequest, parts: list[str]) -> web.Response:
        query = request.query
        page = page_number(query.get("page"))
        text = query.get("query", "")
        adult = flag(query.get("include_adult"))
        if parts[1] == "movie":
            year = whole_number(query.get("primary_release_year") or query.get("year"))
            found = await self._run(self.index.search_movies, text, page, adult, year)
        else:
            found = await self._run(self.index.search_people, text, page, adult)
        return json_response(request, orjson.dumps(found.body()))

    async def discover(self, request: web.BaseRequest, parts: list[str]) -> web.Response:
        query = request.query
        page = page_number(query.get("page"))
        found = await self._run(self.index.discover_movies, discover_params(query), page)
        return json_response(request, orjson.dumps(found.body()))

    async def _run(self, query: Callable[..., Page], *args: Any) -> Page:
        # DuckDB releases the GIL while it works: document requests go on meanwhile.
        return await asyncio.get_running_loop().run_in_executor(self._queries, query, *args)

    def _answer(self, request: web.BaseRequest, answer: Answer) -> web.Response:
        if answer.body is None:
            return tmdb_error(request, answer.error or 34)
        return json_response(request, answer.body)


# --- parameters, as TMDb reads them --------------------------------------------------------------


def page_number(text: str | None) -> int:
    """`page`: 1 when absent, else a whole number in 1..500 (code 22 otherwise)."""
    if text is None:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= config.SERVE_MAX_PAGE:
        raise BadRequest(22)
    return int(text)


def whole_number(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise BadRequest(INVALID_PARAMETERS)
    return int(text)


def flag(text: str | None) -> bool:
    return (text or "").lower() == "true"


def discover_params(query: Any) -> Discover:
    """`sort_by` (field.asc|desc), `with_genres` ("28,12": all of them; "28|12": any),
    `primary_release_year`, `include_adult`, `include_video`."""
    field, _, direction = (query.get("sort_by") or "popularity.desc").partition(".")
    if field not in SORTS or direction not in ("asc", "desc"):
        raise BadRequest(INVALID_PARAMETERS)
    genres = query.get("with_genres") or ""
    any_of = "|" in genres
    ids = [g.strip() for g in genres.replace("|", ",").split(",") if g.strip()]
    if not all(g.isdigit() for g in ids):
        raise BadRequest(INVALID_PARAMETERS)
    numbers = tuple(int(g) for g in ids)
    return Discover(
        sort_column=SORTS[field],
        descending=direction == "desc",
        genres_all=() if any_of else numbers,
        genres_any=numbers if any_of else (),
        year=whole_number(query.get("primary_release_year")),
        include_adult=flag(query.get("include_adult")),
        include_video=flag(query.get("include_video")),
    )


# --- responses -----------------------------------------------------------------------------------


def json_response(
    request: web.BaseRequest, body: bytes, status: int = 200, max_age: int = 3600
) -> web.Response:
    """A JSON answer, gzipped when the client accepts it and it is worth it."""
    headers = {
        "Content-Type": JSON_TYPE,
        "Cache-Control": f"public, max-age={max_age}" if max_age else "max-age=0, private",
        "Vary": "Accept-Encoding",
    }
    if len(body) >= GZIP_FROM and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = gzip_compress(body, 1, 31)
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, status=status, headers=headers)


def tmdb_error(request: web.BaseRequest, code: int) -> web.Response:
    """TMDb's error document for `code`, with its HTTP status."""
    if code in EXTRA_ERRORS:
        status, message = EXTRA_ERRORS[code]
        body = {"success": False, "status_code": code, "status_message": message}
    else:
        status, body = ERRORS[code][0], error_body(code)
    return json_response(request, orjson.dumps(body), status, max_age=0)
