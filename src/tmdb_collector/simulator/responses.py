"""TMDb-style HTTP answers: JSON with TMDb's headers, gzip when accepted, and error documents."""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from aiohttp import web

try:  # ISA-L's gzip is 3-4x faster than zlib's, and compression is a large share of a request
    from isal.isal_zlib import compress as gzip_compress
except ImportError:
    from zlib import compress as gzip_compress

from tmdb_collector.simulator.payloads import ERRORS, error_body

JSON_TYPE = "application/json;charset=utf-8"
BASE_HEADERS = {"Content-Type": JSON_TYPE, "Server": "openresty", "Vary": "Accept-Encoding, Origin"}


def json_response(
    request: web.BaseRequest,
    body: Any,
    status: int = 200,
    max_age: int = 28800,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A TMDb-style JSON answer, gzip-compressed when the client accepts it."""
    raw = orjson.dumps(body)
    all_headers = {
        **BASE_HEADERS,
        "ETag": f'W/"{zlib.crc32(raw):08x}{len(raw):08x}"',
        "Cache-Control": f"public, max-age={max_age}" if max_age else "max-age=0, private",
    }
    if headers:
        all_headers.update(headers)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        raw = gzip_compress(raw, 1, 31)
        all_headers["Content-Encoding"] = "gzip"
    return web.Response(body=raw, status=status, headers=all_headers)


def tmdb_error(
    request: web.BaseRequest, code: int, headers: dict[str, str] | None = None
) -> web.Response:
    """TMDb's error document for `code`, with its HTTP status."""
    return json_response(request, error_body(code), ERRORS[code][0], max_age=0, headers=headers)
