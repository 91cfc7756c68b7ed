"""The simulator's request parameters: ids, appends and change-list windows, read as TMDb does."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aiohttp import web

from tmdb_collector import config


def parse_id(text: str) -> int:
    return int(text) if text.isdigit() else -1


def parse_appends(request: web.BaseRequest) -> tuple[str, ...] | None:
    """The append_to_response items, or None when there are more than TMDb allows."""
    items = tuple(i for i in request.query.get("append_to_response", "").split(",") if i)
    return None if len(items) > config.MAX_APPENDS else items


def parse_change_window(query: Any, today: date) -> tuple[date, date, int] | int:
    """(start, end, page) of a change-list request, or the TMDb error code that refuses it.

    The checks run in TMDb's order: a bad date is code 23 even when the page is bad too.
    """
    try:
        end = parse_date(query.get("end_date"), today)
        start = parse_date(query.get("start_date"), min(end, today))
    except ValueError:
        return 23
    try:
        page = int(query.get("page", "1"))
    except ValueError:
        return 22
    if not 1 <= page <= 500:
        return 22
    if end < start or (end - start).days > config.SIM_CHANGES_MAX_DAYS:
        return 20
    return start, end, page


def parse_date(text: str | None, default: date) -> date:
    if text is None:
        return default
    return datetime.strptime(text, "%Y-%m-%d").date()
