"""A TV series fetched with every season and its episodes, in as few requests as TMDb allows.

The first request asks for the series with the crawl's appends and `season/0..K-1` in the
room left under TMDb's cap of 20 appended items: for most series that is the only request.
Seasons beyond the first K go in follow-up requests of 20 `season/N` items each; a season
asked for but missing from an answer is fetched alone (`/tv/{id}/season/{n}`). A season that
answers 404 while its series exists is recorded in the document (`seasons.MISSING_KEY`) and
counted; it does not stop the series. Any other failure leaves the whole series `failed`, to
be fetched again: a series is `ok` only with all its seasons, in one stored document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from tmdb_collector.client import seasons
from tmdb_collector.client.protocol import Answer, Verdict, detail_request, unexpected
from tmdb_collector.client.sender import Parse, Sent
from tmdb_collector.crawl.store import Outcome
from tmdb_collector.vocab import Kind, State

if TYPE_CHECKING:
    from tmdb_collector.crawl.scheduler import Fetcher, Tally

STATE_OF = {Verdict.OK: State.OK, Verdict.GONE: State.GONE, Verdict.FAILED: State.FAILED}
"""The state a request's final verdict leaves its id in."""

NOTE_SEASON_404 = "seasons missing (404)"
NOTE_SEASONS_DISAGREE = "series whose number_of_seasons disagrees with its seasons"
NOTE_SEASON_REQUESTS = "season-only requests"


async def fetch_series(fetcher: Fetcher, id_: int, tally: Tally) -> Outcome:
    """Series `id_` with all its seasons to its final outcome (ok, gone or failed)."""
    first_appends = seasons.first_appends(fetcher.appends)
    first = await _get(fetcher, tally, id_, first_appends, fetcher.body)
    if first.verdict is not Verdict.OK:
        return _ending(id_, first)
    doc = first.answer.doc or {}
    wanted = seasons.wanted_seasons(doc)
    if seasons.seasons_disagree(doc):
        tally.notes[NOTE_SEASONS_DISAGREE] += 1
    found = seasons.seasons_in(doc, wanted)
    asked = {int(key.split("/")[1]) for key in first_appends if seasons.SEASON_KEY.fullmatch(key)}
    later = [n for n in wanted if n not in found and n not in asked]
    for batch in seasons.batches(later):
        more = await _get(fetcher, tally, id_, batch, _document)
        if more.verdict is not Verdict.OK:  # the series went, or cannot be had now
            return _ending(id_, more)
        found |= seasons.seasons_in(more.answer.doc or {}, [n for n in later if n not in found])
    missing: list[int] = []
    alone = [n for n in wanted if n not in found]
    for number in alone:
        sent = await _get_season(fetcher, tally, id_, number)
        if sent.verdict is Verdict.GONE:
            missing.append(number)
            tally.notes[NOTE_SEASON_404] += 1
        elif sent.verdict is Verdict.OK and sent.value is not None:
            found[number] = sent.value
        else:
            return _ending(id_, sent)
    body = first.value  # the bytes TMDb sent, when they hold the series whole
    if later or alone or body is None:
        body = orjson.dumps(seasons.series_document(doc, found, missing))
    return Outcome(Kind.TV, id_, State.OK, first.answer.reason, first.answer.status, body)


async def _get(
    fetcher: Fetcher, tally: Tally, id_: int, appends: tuple[str, ...], parse: Parse[Any]
) -> Sent[Any]:
    client = fetcher.sender.client
    request = detail_request(client.api_url, Kind.TV, id_, appends, client.credentials)
    return await fetcher.sender.send(request, parse, lambda a: fetcher.count(a, tally))


async def _get_season(fetcher: Fetcher, tally: Tally, id_: int, number: int) -> Sent[Any]:
    client = fetcher.sender.client
    path = f"{Kind.TV}/{id_}/season"
    request = detail_request(client.api_url, path, number, (), client.credentials)
    tally.notes[NOTE_SEASON_REQUESTS] += 1

    def season(answer: Answer, body: bytes) -> dict[str, Any] | Answer:
        found = seasons.as_season(answer.doc, number)
        return found if found is not None else unexpected(f"season {number}")

    return await fetcher.sender.send(request, season, lambda a: fetcher.count(a, tally))


def _document(answer: Answer, body: bytes) -> bytes:
    return body


def _ending(id_: int, sent: Sent[Any]) -> Outcome:
    """The outcome of a series whose request ended without a usable answer."""
    answer = sent.answer
    return Outcome(Kind.TV, id_, STATE_OF[sent.verdict], answer.reason, answer.status)
