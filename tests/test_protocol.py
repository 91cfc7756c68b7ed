"""The pure protocol: real TMDb answers in, decisions out. No network."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tmdb_collector import config
from tmdb_collector.client.protocol import (
    Answer,
    Credentials,
    Verdict,
    backoff,
    classify,
    detail_request,
    parse_appends,
    parse_retry_after,
    pause_for,
    transport_error,
)
from tmdb_collector.errors import ConfigError
from tmdb_collector.simulator.payloads import cdn_html

Load = Callable[[str], Any]


def raw(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def test_a_real_movie_is_kept_whole(samples: Load) -> None:
    doc = samples("movie_49026_tt1345836_append_credits_images_keywords.json")
    answer = classify(200, {}, raw(doc))
    assert answer.verdict is Verdict.OK
    assert answer.doc == doc
    assert len(answer.doc["credits"]["cast"]) == 167 and len(answer.doc["credits"]["crew"]) == 560


def test_real_404_means_gone_and_is_not_retried(samples: Load) -> None:
    answer = classify(404, {}, raw(samples("error_404_status34_movie_999999999.json")))
    assert answer.verdict is Verdict.GONE
    assert classify(404, {}, b"<html>Not Found</html>").verdict is Verdict.GONE


def test_real_401_stops_the_run_with_a_hint_and_no_secret(samples: Load) -> None:
    answer = classify(401, {}, raw(samples("spec_example_error_401_status7.json")))
    assert answer.verdict is Verdict.FATAL
    assert "Invalid API key" in answer.message
    assert config.TOKEN_ENV in answer.message and config.API_KEY_ENV in answer.message


def test_429_throttles_and_honours_retry_after_when_sent(samples: Load) -> None:
    body = raw(samples("error_429_status25_legacy_2017.json"))
    with_header = classify(429, {"retry-after": "7"}, body)
    assert with_header.verdict is Verdict.RETRY and with_header.throttled
    assert with_header.retry_after == 7.0
    # TMDb's CDN sent this 429 with no Retry-After at all (2023 capture).
    without = classify(429, {"content-type": "application/json"}, body)
    assert without.throttled and without.retry_after is None


def observed_answers(samples: Load) -> list[tuple[str, int, dict[str, str]]]:
    """(where it was seen, HTTP status, headers) of each real answer whose headers were recorded
    (a header sent several times is one comma-separated value, as aiohttp gives it)."""
    found = []
    for source, capture in samples("response_headers_observed.json").items():
        for seen in capture["responses"] if not source.startswith("_") else ():
            headers = {
                name: ", ".join(value) if isinstance(value, list) else value
                for name, value in seen["headers"].items()
            }
            found.append((f"{source} {seen.get('request', '')}", seen["status"], headers))
    return found


def test_real_response_headers_are_read_as_tmdb_meant_them(samples: Load) -> None:
    """Headers TMDb and its CDN really sent (CloudFront, openresty, the 2017 rate-limit
    headers): each status means what it should, and nothing in them passes for a Retry-After
    (the 2017 answer names Retry-After only in Access-Control-Expose-Headers; the 2023 CDN 429
    sent none), so a 429 without one backs off exponentially."""
    bodies = {
        200: raw(samples("movie_47964_details.json")),
        404: raw(samples("error_404_status34_movie_999999999.json")),
        401: raw(samples("spec_example_error_401_status7.json")),
        429: raw(samples("error_429_status25_legacy_2017.json")),
    }
    verdicts = {200: Verdict.OK, 404: Verdict.GONE, 401: Verdict.FATAL, 429: Verdict.RETRY}
    answers = observed_answers(samples)
    assert {status for _, status, _ in answers} == set(verdicts)
    dates = 0
    for where, status, headers in answers:
        answer = classify(status, headers, bodies[status])
        assert answer.verdict is verdicts[status], where
        assert answer.throttled == (status == 429), where
        assert answer.retry_after is None, where
        date = next((v for k, v in headers.items() if k.lower() == "date"), None)
        if date is not None:  # an HTTP date, as Retry-After may be: long past, so no wait
            assert parse_retry_after(date) == 0.0, where
            dates += 1
    assert dates >= 4


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_with_json_or_a_cdn_html_page_is_retried(status: int) -> None:
    for body in (
        b'{"status_code": 11, "status_message": "Internal error"}',
        cdn_html(status).encode(),
    ):
        answer = classify(status, {}, body)
        assert answer.verdict is Verdict.RETRY and answer.reason == f"http_{status}"
        assert not answer.throttled  # a server error is no reason to slow the whole crawl


def test_a_truncated_or_non_object_body_is_retried(samples: Load) -> None:
    body = raw(samples("movie_47964_details.json"))
    assert classify(200, {}, body[: len(body) // 2]).reason == "invalid_json"
    assert classify(200, {}, b"[1, 2]").verdict is Verdict.RETRY
    assert classify(200, {}, b"").verdict is Verdict.RETRY


def test_other_4xx_fail_the_id_with_tmdbs_message() -> None:
    body = (
        b'{"success":false,"status_code":27,"status_message":"Too many append to response objects"}'
    )
    answer = classify(400, {}, body)
    assert answer.verdict is Verdict.FAILED
    assert "code 27" in answer.message and "Too many append" in answer.message


def test_transport_errors_are_retried_and_timeouts_slow_the_governor() -> None:
    assert transport_error("reset") == Answer(Verdict.RETRY, "reset")
    assert transport_error("timeout").throttled


def test_retry_after_as_seconds_or_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after(later) or 0) <= 30


@given(st.integers(1, 40), st.integers(0, 2**32))
def test_backoff_grows_exponentially_within_its_cap(attempt: int, seed: int) -> None:
    bound = min(config.RETRY_CAP_S, config.RETRY_BASE_S * 2 ** (attempt - 1))
    wait = backoff(attempt, random.Random(seed))
    assert 0 <= wait <= bound
    # ... and it does wait, longer with each try: full jitter spreads the waits over the whole
    # range, so among 64 draws one reaches its upper half (all below: a chance of 2^-64).
    rng = random.Random(seed)
    assert max(backoff(attempt, rng) for _ in range(64)) >= bound / 2


def test_pause_after_429_is_floored_capped_and_grows_without_retry_after() -> None:
    rng = random.Random(1)
    short = Answer(Verdict.RETRY, "http_429", retry_after=0.1, throttled=True)
    huge = Answer(Verdict.RETRY, "http_429", retry_after=3600, throttled=True)
    assert (
        config.RETRY_AFTER_FLOOR_S <= pause_for(short, 0, rng) <= 1.1 * config.RETRY_AFTER_FLOOR_S
    )
    assert pause_for(huge, 0, rng) <= 1.1 * config.RETRY_AFTER_CAP_S
    silent = Answer(Verdict.RETRY, "http_429", throttled=True)
    firsts = [pause_for(silent, 0, rng) for _ in range(200)]
    tenths = [pause_for(silent, 9, rng) for _ in range(200)]
    assert max(firsts) <= 1.5 and sum(tenths) > 5 * sum(firsts)


def test_a_token_goes_in_a_header_and_a_key_never_into_a_printable_url() -> None:
    by_token = detail_request("http://h/3/", "movie", 550, ("credits",), Credentials(token="T0K"))
    assert by_token.url == by_token.safe_url == "http://h/3/movie/550?append_to_response=credits"
    assert by_token.headers == {"Authorization": "Bearer T0K"}
    by_key = detail_request("http://h/3", "person", 31, (), Credentials(api_key="K3Y"))
    assert by_key.url == "http://h/3/person/31?api_key=K3Y"
    assert by_key.safe_url == "http://h/3/person/31"
    for shown in (repr(by_token), repr(by_key), repr(Credentials(token="T0K", api_key="K3Y"))):
        assert "T0K" not in shown and "K3Y" not in shown


def test_missing_credentials_say_which_variables_to_set() -> None:
    with pytest.raises(ConfigError, match=f"{config.TOKEN_ENV}.*{config.API_KEY_ENV}"):
        Credentials()


def test_appends_are_deduplicated_and_limited_to_twenty() -> None:
    assert parse_appends(" credits, keywords,credits,,") == ("credits", "keywords")
    assert len(parse_appends(",".join(f"a{i}" for i in range(20)))) == 20
    with pytest.raises(ConfigError, match="at most 20"):
        parse_appends(",".join(f"a{i}" for i in range(21)))
