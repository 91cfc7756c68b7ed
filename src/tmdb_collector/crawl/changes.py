"""TMDb's change lists: the ids changed, added or deleted on a day, every page of them.

`/movie/changes` and `/person/changes` take a window of at most 14 days (longer: HTTP 422,
code 20) and list 100 ids a page. A sync asks for one day per request: a day holds ~7,000
ids on TMDb, so a wider window could pass the 500-page cap, and a day is the unit the
watermark moves by. Pages go through the same sender as documents: one governor, one retry
policy; a 200 answer that is not a change list is retried like a truncated one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from tmdb_collector import config
from tmdb_collector.client.protocol import Answer, Credentials, Request, api_request, unexpected
from tmdb_collector.client.sender import Sender
from tmdb_collector.errors import ChangeListError
from tmdb_collector.vocab import Kind

MAX_PAGE = 500
"""TMDb's last page of any list (page 501 answers HTTP 400, code 22)."""


# --- days and windows (pure) -------------------------------------------------------------------


def days_from(first: date, last: date) -> list[date]:
    """Every day from `first` through `last` (none when `first` is later)."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def change_window(day: date) -> tuple[date, date]:
    """The start_date and end_date that ask for `day`'s changes.

    Whether TMDb's dates are inclusive is not settled (API.md section 9, question 2);
    josh/tmdb-index asks start=d, end=d+1. That window holds all of d under either reading.
    Under the inclusive one (the simulator's) it holds d+1 as well: those ids are read twice,
    never missed, for a few more pages.
    """
    return day, day + timedelta(days=1)


def changes_request(
    api_url: str, kind: str, day: date, page: int, credentials: Credentials
) -> Request:
    """`GET {api}/{kind}/changes?start_date=..&end_date=..&page=N` with the credentials."""
    start, end = change_window(day)
    if (end - start).days > config.SYNC_CHANGES_MAX_DAYS:  # TMDb would answer 422, code 20
        raise ValueError(f"a change window of {(end - start).days} days is over TMDb's limit")
    query = urlencode({"start_date": start.isoformat(), "end_date": end.isoformat(), "page": page})
    return api_request(api_url, f"{kind}/changes", query, credentials)


@dataclass(frozen=True)
class ChangePage:
    """The ids on one page of a change list, and how many pages the list has."""

    ids: frozenset[int]
    total_pages: int
    null_ids: int = field(default=0, compare=False)  # rows without an id: skipped, counted


def parse_page(doc: dict[str, Any] | None) -> ChangePage | None:
    """A change-list page's ids (deleted ones included: TMDb lists them with adult null), or
    None when the document is not a change list. Null ids, seen in old change lists, are
    dropped: there is nothing to fetch."""
    if doc is None or not isinstance(doc.get("results"), list):
        return None
    total = doc.get("total_pages")
    if type(total) is not int or total < 0:
        return None
    ids = [row.get("id") if isinstance(row, dict) else None for row in doc["results"]]
    kept = frozenset(i for i in ids if type(i) is int and i > 0)
    return ChangePage(kept, total, sum(1 for i in ids if i is None))


# --- reading (network) -------------------------------------------------------------------------


def _change_page(answer: Answer, body: bytes) -> ChangePage | Answer:
    return parse_page(answer.doc) or unexpected("a change list")


@dataclass
class ChangeReader:
    """Reads whole change lists of days through a sender; `requests` counts what it sent."""

    sender: Sender
    requests: int = 0
    null_ids: int = 0  # rows listed without an id, over every page read

    async def read_day(self, kind: Kind, day: date) -> set[int]:
        """Every id in `kind`'s change list of `day`, all pages; raises ChangeListError when a
        page cannot be read (the day is then not read at all)."""
        first = await self._page(kind, day, 1)
        if first.total_pages > MAX_PAGE:
            raise ChangeListError(
                f"the {kind} change list of {day} has {first.total_pages} pages, more than "
                f"TMDb serves ({MAX_PAGE})"
            )
        pages = range(2, first.total_pages + 1)
        found = await asyncio.gather(
            *(self._page(kind, day, page) for page in pages), return_exceptions=True
        )
        ids, null_ids = set(first.ids), first.null_ids
        for page in found:
            if isinstance(page, BaseException):
                raise page
            ids |= page.ids
            null_ids += page.null_ids
        self.null_ids += null_ids  # once the day is read whole: it is counted once
        return ids

    async def _page(self, kind: Kind, day: date, page: int) -> ChangePage:
        client = self.sender.client
        request = changes_request(client.api_url, kind, day, page, client.credentials)
        sent = await self.sender.send(request, _change_page, self._count)
        if sent.value is not None:
            return sent.value
        answer = sent.answer
        if sent.exhausted:
            raise ChangeListError(
                f"the {kind} change list of {day} could not be read ({answer.reason}, "
                f"{sent.tries.attempts} tries)"
            )
        # Refused (a 4xx, a 404): trying again cannot change that.
        raise ChangeListError(
            f"the {kind} change list of {day} was refused ({answer.message or answer.reason})"
        )

    def _count(self, answer: Answer) -> None:
        self.requests += 1
