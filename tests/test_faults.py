"""Fault plans: parsing, rates, and reproducibility independent of arrival order."""

import pytest

from tmdb_collector.errors import ConfigError
from tmdb_collector.simulator.faults import KINDS, PROFILES, FaultPlan


def test_profiles_name_only_known_kinds_and_hostile_is_worse_than_flaky() -> None:
    for rates in PROFILES.values():
        assert set(rates) <= set(KINDS)
    assert set(PROFILES["hostile"]) == set(KINDS)
    assert sum(PROFILES["hostile"].values()) > 4 * sum(PROFILES["flaky"].values())


def test_spec_combines_a_profile_with_overrides() -> None:
    plan = FaultPlan.parse("flaky,reset=0.1,slow=0")
    assert plan.rates["reset"] == 0.1
    assert "slow" not in plan.rates
    assert plan.rates["http_503"] == PROFILES["flaky"]["http_503"]
    assert FaultPlan.parse("none").rates == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("chaos", "unknown fault profile 'chaos'"),
        ("explode=0.1", "unknown fault kind 'explode'"),
        ("reset=lots", "must be a number"),
        ("reset=1.5", "between 0 and 1"),
        ("reset=0.6,slow=0.6", "more than 1"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FaultPlan.parse(spec)


def test_observed_rates_match_the_plan() -> None:
    plan = FaultPlan.parse("http_503=0.2,reset=0.1", seed=3)
    outcomes = [plan.decide(f"/3/movie/{i}?") for i in range(20_000)]
    assert 0.18 < outcomes.count("http_503") / 20_000 < 0.22
    assert 0.08 < outcomes.count("reset") / 20_000 < 0.12


def test_same_seed_same_faults_whatever_the_order() -> None:
    paths = [f"/3/movie/{i}?" for i in range(500)]
    forward = FaultPlan.parse("hostile", seed=9)
    backward = FaultPlan.parse("hostile", seed=9)
    first = {p: [forward.decide(p) for _ in range(3)] for p in paths}
    second = {p: [backward.decide(p) for _ in range(3)] for p in reversed(paths)}
    assert first == second
    other_seed = FaultPlan.parse("hostile", seed=10)
    assert first != {p: [other_seed.decide(p) for _ in range(3)] for p in paths}


def test_a_path_that_succeeded_keeps_succeeding_and_failures_are_not_sticky() -> None:
    plan = FaultPlan.parse("hostile", seed=1)
    for i in range(300):
        path = f"/3/person/{i}?"
        tries = [plan.decide(path) for _ in range(12)]
        assert None in tries  # a retry loop gets through
        first_ok = tries.index(None)
        assert all(t is None for t in tries[first_ok:])


def test_cdn_html_bodies_are_a_mix() -> None:
    plan = FaultPlan.parse("http_502=1", seed=1)
    forms = {plan.html_body(f"/3/movie/{i}?") for i in range(50)}
    assert forms == {True, False}
