"""The retry policy: answers and tries in, "again after N s" or a final verdict out.

The first part is pure (real answers from `classify`, no network, no clock). The last test
runs the one sender against a real simulator whose every answer is a 503, and shows that a
document, a whole crawl and a change-list page are each tried exactly as often as the policy
handed to the sender says: none of them has a retry loop of its own.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tmdb_collector import config
from tmdb_collector.client.governor import Governor
from tmdb_collector.client.protocol import (
    Answer,
    Credentials,
    Decision,
    RetryPolicy,
    Tries,
    Verdict,
    backoff,
    classify,
    pause_for,
    transport_error,
    unexpected,
)
from tmdb_collector.client.sender import Sender
from tmdb_collector.crawl.changes import ChangeReader
from tmdb_collector.crawl.options import CrawlOptions, client_for
from tmdb_collector.crawl.scheduler import Crawl, Fetcher, Tally
from tmdb_collector.crawl.store import Store
from tmdb_collector.errors import ChangeListError
from tmdb_collector.simulator.process import SimulatorProcess
from tmdb_collector.vocab import Kind, State

POLICY = RetryPolicy()
TOO_MANY = classify(429, {}, b'{"status_code": 25}')
UNAVAILABLE = classify(503, {}, b"<html>503 Service Unavailable</html>")


class Highest(random.Random):
    """A random source whose every draw is the top of its range: full jitter's ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def retryable() -> list[Answer]:
    """One answer of every class that is worth sending again."""
    return [
        classify(500, {}, b'{"status_code": 11}'),
        UNAVAILABLE,
        classify(200, {}, b'{"id": 5'),  # truncated JSON
        transport_error("reset"),
        transport_error("truncated"),
        transport_error("timeout"),
        transport_error("unreachable"),
        unexpected("a change list"),
    ]


# --- one answer, one decision --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (classify(200, {}, b'{"id": 550}'), Verdict.OK),
        (classify(404, {}, b'{"status_code": 34}'), Verdict.GONE),
        (classify(401, {}, b'{"status_code": 7}'), Verdict.FATAL),
        (classify(400, {}, b'{"status_code": 27}'), Verdict.FAILED),
        (classify(422, {}, b'{"status_code": 20}'), Verdict.FAILED),
    ],
)
def test_final_answers_end_the_request_at_once_whatever_the_tries(
    answer: Answer, verdict: Verdict
) -> None:
    for tries in (Tries(), Tries(attempts=4, throttled=50)):
        assert POLICY.decide(answer, tries, random.Random(1)) == Decision(verdict, tries)


@pytest.mark.parametrize("answer", retryable(), ids=lambda a: a.reason)
def test_every_retryable_answer_uses_a_try_and_waits_a_backoff(answer: Answer) -> None:
    decision = POLICY.decide(answer, Tries(attempts=2, throttled=3), Highest())
    assert decision.verdict is Verdict.RETRY
    assert decision.tries == Tries(attempts=3, throttled=3)
    assert decision.wait == backoff(3, Highest()) == 4 * config.RETRY_BASE_S


def test_a_429_waits_for_the_governor_not_for_a_backoff_and_keeps_the_tries() -> None:
    decision = POLICY.decide(TOO_MANY, Tries(attempts=5, throttled=7), random.Random(1))
    # attempts 5 of 6: any other retryable answer would fail the request here.
    assert decision == Decision(Verdict.RETRY, Tries(attempts=5, throttled=8), 0.0)


def test_past_the_cap_429s_use_up_tries_and_the_request_fails() -> None:
    policy = RetryPolicy(max_attempts=3, max_throttled=4)
    tries, answers = Tries(), 0
    while True:
        verdict, tries, _ = policy.decide(TOO_MANY, tries, random.Random(answers))
        answers += 1
        if verdict is not Verdict.RETRY:
            break
    assert (verdict, tries, answers) == (Verdict.FAILED, Tries(3, 4), 4 + 3)


@given(
    max_attempts=st.integers(1, 8),
    cap=st.integers(0, 5),
    answers=st.lists(st.sampled_from(["429", "503", "timeout"]), min_size=40, max_size=40),
)
def test_a_request_gets_max_attempts_tries_plus_the_429s_under_the_cap(
    max_attempts: int, cap: int, answers: list[str]
) -> None:
    policy = RetryPolicy(max_attempts=max_attempts, max_throttled=cap)
    meaning = {"429": TOO_MANY, "503": UNAVAILABLE, "timeout": transport_error("timeout")}
    tries, rng = Tries(), random.Random(0)
    sent = 0
    for name in answers:
        verdict, tries, _ = policy.decide(meaning[name], tries, rng)
        sent += 1
        if verdict is not Verdict.RETRY:
            break
    assert verdict is Verdict.FAILED  # 40 answers are more than any request is allowed
    spared = min(cap, sum(1 for name in answers[:sent] if name == "429"))
    assert tries == Tries(max_attempts, spared)
    assert sent == max_attempts + spared


# --- how long to wait ----------------------------------------------------------------------------


def test_backoff_doubles_from_its_base_up_to_its_cap() -> None:
    ceilings = [backoff(n, Highest(), base=0.5, cap=30.0) for n in range(1, 10)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    assert backoff(3, Highest()) == min(config.RETRY_CAP_S, 4 * config.RETRY_BASE_S)


@pytest.mark.parametrize("attempt", [1, 3, 6, 12])
def test_backoff_is_spread_over_its_whole_range(attempt: int) -> None:
    """Full jitter: retries of many requests do not come back together. A backoff that is 0,
    or always its ceiling, fails here."""
    ceiling = min(config.RETRY_CAP_S, config.RETRY_BASE_S * 2 ** (attempt - 1))
    rng = random.Random(attempt)
    waits = [backoff(attempt, rng) for _ in range(2000)]
    assert all(0 <= wait <= ceiling for wait in waits)
    assert min(waits) < 0.05 * ceiling and max(waits) > 0.95 * ceiling
    assert 0.45 * ceiling < statistics.fmean(waits) < 0.55 * ceiling


def test_the_pause_after_a_429_honours_retry_after_within_its_floor_and_cap() -> None:
    rng = random.Random(3)
    for sent, low in (
        (5.0, 5.0),
        (0.0, config.RETRY_AFTER_FLOOR_S),
        (1e6, config.RETRY_AFTER_CAP_S),
    ):
        answer = classify(429, {"Retry-After": str(sent)}, b"")
        pauses = [pause_for(answer, 0, rng) for _ in range(200)]
        assert all(low <= pause <= 1.1 * low for pause in pauses), sent
        assert max(pauses) > low  # a little jitter, so that the whole fleet does not return at once


def test_without_retry_after_the_pause_grows_with_the_429s_in_a_row() -> None:
    assert TOO_MANY.retry_after is None
    pauses = [pause_for(TOO_MANY, streak, Highest()) for streak in range(9)]
    assert pauses == [min(config.RETRY_AFTER_CAP_S, 2.0**streak) + 0.5 for streak in range(9)]
    rng = random.Random(5)
    assert all(0.5 <= pause_for(TOO_MANY, 0, rng) <= 1.5 for _ in range(200))


# --- one sender for documents, crawls and change lists (a real simulator) ----------------------

KEY = "policy-key"


def failed_answers(sim: SimulatorProcess) -> int:
    """The simulator's 503 faults served so far (each request to /3/ gets one)."""
    return sum(ip["by_status"].get("http_503", 0) for ip in sim.stats()["by_ip"].values())


def test_documents_crawls_and_change_lists_are_tried_as_the_one_policy_says(
    start_sim: Callable[..., SimulatorProcess], tmp_path: Path
) -> None:
    """Every answer is a 503. With a policy of 3 tries handed to one sender: a document is
    requested 3 times, a crawl of 2 ids 3 times per id and pass (a pending pass, then the
    failed pass), a change-list page 3 times; and every wait between tries is the policy's
    backoff, recorded rather than slept."""
    sim = start_sim("--movies", "100", "--faults", "http_503=1", api_key=KEY)
    policy = RetryPolicy(max_attempts=3)
    options = CrawlOptions(tmp_path, Credentials(api_key=KEY), sim.api_url, rate=1000)
    store = Store.open(tmp_path)
    store.add(Kind.MOVIE, [11, 12])
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def document() -> str:
        async with client_for(options) as client:
            sender = Sender(client, Governor(1000, 4), policy, random.Random(1), record)
            outcome = await Fetcher(Kind.MOVIE, sender).fetch(10, Tally(Kind.MOVIE))
            return f"{outcome.status} {outcome.reason} {outcome.http_status}"

    async def crawl() -> Tally:
        async with client_for(options) as client:
            sender = Sender(client, Governor(1000, 4), policy, random.Random(2), record)
            return await Crawl(store, Fetcher(Kind.MOVIE, sender), Tally(Kind.MOVIE)).run()

    async def change_list() -> set[int]:
        async with client_for(options) as client:
            sender = Sender(client, Governor(1000, 4), policy, random.Random(3), record)
            return await ChangeReader(sender).read_day(Kind.MOVIE, date(2026, 11, 2))

    before = failed_answers(sim)
    assert asyncio.run(document()) == "failed http_503 503"
    assert failed_answers(sim) - before == 3
    assert len(waits) == 2 and 0 < waits[0] <= 0.5 and 0 < waits[1] <= 1.0

    before = failed_answers(sim)
    tally = asyncio.run(crawl())
    assert failed_answers(sim) - before == tally.requests == 2 * 3 * 2
    assert store.counts()[Kind.MOVIE][State.FAILED] == 2 and tally.failed == 2

    before, waits[:] = failed_answers(sim), []
    with pytest.raises(ChangeListError, match=r"could not be read \(http_503, 3 tries\)"):
        asyncio.run(change_list())
    assert failed_answers(sim) - before == 3
    assert len(waits) == 2 and 0 < waits[0] <= 0.5 and 0 < waits[1] <= 1.0
