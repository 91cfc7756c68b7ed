"""TMDb's protocol, with no I/O: building requests, deciding what an answer means, and
whether to send a request again.

Every decision the crawler makes about an answer — keep it, mark the id gone, wait and try
again, stop the run — is made here from (status, headers, body, tries so far), so it can be
tested with real TMDb answers and no network. The aiohttp code around it only moves bytes,
and `client.sender` applies `RetryPolicy` for every caller (documents and change lists alike).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cached_property, lru_cache
from typing import Any, Final, NamedTuple
from urllib.parse import urlencode

import orjson

from tmdb_collector import config
from tmdb_collector.errors import ConfigError


class Verdict(enum.Enum):
    """What to do with an answer."""

    OK = "ok"  # store the document
    GONE = "gone"  # the id does not exist (deleted, merged, never was): do not retry
    RETRY = "retry"  # a transient failure: back off and try again, up to the retry budget
    FAILED = "failed"  # this request cannot succeed as sent: record it, move on
    FATAL = "fatal"  # the credentials are refused: stop the whole run


class Reason:
    """The fixed labels of an answer's class; any other HTTP status is `http_{status}`. Plain
    strings, not an enum: reasons are open-ended, and they key counters that go out as JSON."""

    OK: Final = "ok"
    GONE: Final = "gone"
    UNAUTHORIZED: Final = "unauthorized"
    RATE_LIMITED: Final = "http_429"
    INVALID_JSON: Final = "invalid_json"
    TIMEOUT: Final = "timeout"  # no complete answer within the client's timeout
    TRUNCATED: Final = "truncated"  # the body ended before its promised length
    RESET: Final = "reset"  # the connection closed before an answer
    UNREACHABLE: Final = "unreachable"  # no connection could be made at all


@dataclass(frozen=True)
class Answer:
    """The meaning of one HTTP answer (or of a transport error)."""

    verdict: Verdict
    reason: str  # a Reason, or "http_{status}": a short label for counters and `status`
    doc: dict[str, Any] | None = None
    retry_after: float | None = None  # seconds the server asked us to wait, if it said
    throttled: bool = False  # the server says we are too fast: slow the whole governor down
    message: str = ""  # for FATAL and FAILED: one line a user can act on
    # The HTTP status, which the store keeps as the record's `http_status`; None when no
    # usable answer arrived (a transport error, a body that is not JSON).
    status: int | None = None

    @property
    def rate_limited(self) -> bool:
        """A 429: the server refused our pace, not this request (see RetryPolicy)."""
        return self.reason == Reason.RATE_LIMITED

    @property
    def unreachable(self) -> bool:
        """No connection could be made: the API may not be there at all."""
        return self.reason == Reason.UNREACHABLE


@dataclass(frozen=True)
class Credentials:
    """A v4 read access token (sent as a Bearer header) or a v3 API key (a query parameter).

    `repr` never shows the secret, so a credential can sit in a dataclass that gets logged.
    """

    token: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not (self.token or self.api_key):
            raise ConfigError(
                f"no TMDb credentials: set {config.TOKEN_ENV} (read access token) or "
                f"{config.API_KEY_ENV} (API key), in the environment or a .env file"
            )

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.api_key) if s)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    @cached_property
    def key_query(self) -> str:
        """`api_key=...` when the key goes in the URL (no token), else "". Cached: every
        request of a crawl asks for it."""
        return "" if self.token or not self.api_key else urlencode({"api_key": self.api_key})


@dataclass(frozen=True)
class Request:
    """One GET, ready to send. `url` may carry the API key: show `safe_url` instead."""

    url: str = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    safe_url: str = ""


def parse_appends(text: str) -> tuple[str, ...]:
    """The append_to_response items of a comma-separated list; more than TMDb allows is an
    error before any request is sent (TMDb would answer code 27)."""
    items = tuple(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))
    if len(items) > config.MAX_APPENDS:
        raise ConfigError(
            f"--append lists {len(items)} items; TMDb allows at most {config.MAX_APPENDS}"
        )
    return items


def api_request(api_url: str, path: str, query: str, credentials: Credentials) -> Request:
    """`GET {api}/{path}?{query}` with the credentials attached: a token as a Bearer header,
    or the API key as one more query item, in `url` only (never in `safe_url`)."""
    base = f"{api_url.rstrip('/')}/{path}"
    # Built by hand, not with urllib: this runs for every request of a crawl.
    safe = f"{base}?{query}" if query else base
    key = credentials.key_query
    url = safe if not key else f"{safe}&{key}" if query else f"{base}?{key}"
    return Request(url, credentials.headers(), safe)


def detail_request(
    api_url: str, kind: str, id_: int | None, appends: tuple[str, ...], credentials: Credentials
) -> Request:
    """`GET {api}/{kind}/{id}?append_to_response=...` (or `{api}/{kind}` without an id) with
    the credentials attached."""
    path = kind if id_ is None else f"{kind}/{id_}"
    return api_request(api_url, path, _append_query(appends), credentials)


@lru_cache(maxsize=64)
def _append_query(appends: tuple[str, ...]) -> str:
    return urlencode({"append_to_response": ",".join(appends)}, safe=",/") if appends else ""


def classify(status: int, headers: Mapping[str, str], body: bytes) -> Answer:
    """What an HTTP answer means for the id it was about (see DESIGN decision 6)."""
    if status == 200:
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            return Answer(Verdict.RETRY, Reason.INVALID_JSON)
        if not isinstance(doc, dict):
            return Answer(Verdict.RETRY, Reason.INVALID_JSON)
        return Answer(Verdict.OK, Reason.OK, doc=doc, status=status)
    if status == 404:
        # TMDb code 34 (or 6); a CDN 404 page means the same: there is nothing at this id.
        return Answer(Verdict.GONE, Reason.GONE, status=status)
    if status == 401:
        message = _auth_message(body)
        return Answer(Verdict.FATAL, Reason.UNAUTHORIZED, message=message, status=status)
    if status == 429:
        # Over the per-IP limit. Back off the whole governor, honouring Retry-After if sent
        # (TMDb's CDN often omits it).
        after = parse_retry_after(_header(headers, "Retry-After"))
        return Answer(
            Verdict.RETRY, Reason.RATE_LIMITED, retry_after=after, throttled=True, status=status
        )
    if status >= 500:
        return Answer(Verdict.RETRY, f"http_{status}", status=status)
    # Any other 4xx: this request is wrong as sent (bad append, bad id form); retrying the
    # same bytes cannot help.
    message = _tmdb_message(body, status)
    return Answer(Verdict.FAILED, f"http_{status}", message=message, status=status)


def transport_error(reason: str) -> Answer:
    """A request that got no complete answer: reset, truncated body, timeout, refused."""
    # An overloaded server answers slowly before it refuses: a timeout slows the governor.
    return Answer(Verdict.RETRY, reason, throttled=reason == Reason.TIMEOUT)


def unexpected(what: str) -> Answer:
    """A 200 answer whose document is not `what` was asked for (a CDN's page, a cut-off
    list): retried like a truncated body."""
    return Answer(Verdict.RETRY, f"not {what}")


ALWAYS_ANSWERED_APPENDS = frozenset(
    {"credits", "movie_credits", "combined_credits", "aggregate_credits"}
)
"""The credit appends, which the tables, the network and `crawl people` are built from: TMDb
answers them in every document that asks (empty lists at worst), so one without is an answer
cut short. (A name TMDb does not know it leaves out silently: no other append is checked.)"""


def missing_appends(doc: Mapping[str, Any] | None, appends: tuple[str, ...]) -> list[str]:
    """The asked appends that a document should carry and does not (TMDb, now and then,
    leaves out a movie's `credits`): such an answer is retried, never stored as complete."""
    if doc is None:
        return []
    return [a for a in appends if a in ALWAYS_ANSWERED_APPENDS and a not in doc]


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number of seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


# --- retrying: one policy for every request -----------------------------------------------------


class Tries(NamedTuple):
    """How one request has fared so far (a tuple: made for every answer, so it is cheap)."""

    attempts: int = 0  # retryable answers that used up a try
    throttled: int = 0  # 429s that did not (up to the policy's cap)


class Decision(NamedTuple):
    """What to do after an answer: RETRY (send again after `wait` seconds), or stop with the
    request's final verdict: OK, GONE, FAILED or FATAL."""

    verdict: Verdict
    tries: Tries
    wait: float = 0.0


@dataclass(frozen=True)
class RetryPolicy:
    """When a request is sent again, and after how long; in the spirit of scrapy's
    `get_retry_request`, a pure function of the answer and the tries so far."""

    max_attempts: int = config.RETRY_MAX_ATTEMPTS
    max_throttled: int = config.RETRY_MAX_429
    base_s: float = config.RETRY_BASE_S
    cap_s: float = config.RETRY_CAP_S

    def decide(self, answer: Answer, tries: Tries, rng: random.Random) -> Decision:
        """The next step after `answer`, the request having fared as `tries` before it."""
        if answer.verdict is not Verdict.RETRY:
            return Decision(answer.verdict, tries)  # OK, GONE, FAILED, FATAL: nothing to retry
        if answer.rate_limited and tries.throttled < self.max_throttled:
            # A 429 is about our pace, not this request: the governor pauses every request,
            # so this one goes again at once, its tries untouched; the cap keeps a server that
            # only ever says 429 from holding the request for ever.
            return Decision(Verdict.RETRY, Tries(tries.attempts, tries.throttled + 1))
        attempts = tries.attempts + 1
        if attempts >= self.max_attempts:
            return Decision(Verdict.FAILED, Tries(attempts, tries.throttled))
        wait = backoff(attempts, rng, self.base_s, self.cap_s)
        return Decision(Verdict.RETRY, Tries(attempts, tries.throttled), wait)


def backoff(
    attempt: int,
    rng: random.Random,
    base: float = config.RETRY_BASE_S,
    cap: float = config.RETRY_CAP_S,
) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, ...): exponential, capped, with
    full jitter so that many failed requests do not come back at the same moment."""
    return rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))


def pause_for(answer: Answer, consecutive_429: int, rng: random.Random) -> float:
    """How long the governor pauses after a throttling answer: Retry-After when the server
    sent one (floor 1 s, cap ~60 s, a little jitter), exponential when it did not."""
    if answer.retry_after is not None:
        wait = min(config.RETRY_AFTER_CAP_S, max(config.RETRY_AFTER_FLOOR_S, answer.retry_after))
        return wait + rng.uniform(0, 0.1 * wait)
    return backoff(consecutive_429 + 1, rng, base=1.0, cap=config.RETRY_AFTER_CAP_S) + 0.5


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _tmdb_message(body: bytes, status: int) -> str:
    try:
        doc = orjson.loads(body)
        if isinstance(doc, dict) and "status_message" in doc:
            return f"HTTP {status}, TMDb code {doc.get('status_code')}: {doc['status_message']}"
    except orjson.JSONDecodeError:
        pass
    return f"HTTP {status}"


def _auth_message(body: bytes) -> str:
    return (
        f"TMDb refused the credentials ({_tmdb_message(body, 401)}); check "
        f"{config.TOKEN_ENV} or {config.API_KEY_ENV}"
    )
