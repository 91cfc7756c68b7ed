"""The per-IP limiter, with time passed in: no test waits on the wall clock."""

from tmdb_collector.simulator.limiter import ClientLimits, TokenBucket


def test_bucket_allows_its_burst_then_paces_at_the_rate() -> None:
    bucket = TokenBucket(rate=10, burst=3)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.take(0.0)
    assert wait == 0.1  # one token is due a tenth of a second later
    assert bucket.take(0.1) == 0.0
    # Over 10 s at 10/s, exactly 100 more requests get through when asked every 10 ms.
    accepted = sum(bucket.take(0.1 + k * 0.01) == 0.0 for k in range(1, 1001))
    assert 99 <= accepted <= 101


def test_bucket_does_not_save_more_than_its_burst() -> None:
    bucket = TokenBucket(rate=10, burst=3)
    bucket.take(0.0)
    later = [bucket.take(100.0) for _ in range(5)]  # an idle minute earns only the burst
    assert later.count(0.0) == 3


def test_each_ip_has_its_own_budget() -> None:
    limits = ClientLimits(rate=1, burst=2, max_in_flight=100)
    a = [limits.admit("127.0.0.2", 0.0) for _ in range(3)]
    b = [limits.admit("127.0.0.3", 0.0) for _ in range(3)]
    assert a == b == [None, None, 1.0]


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    limits = ClientLimits(rate=0.25, burst=1, max_in_flight=100)
    assert limits.admit("ip", 0.0) is None
    assert limits.admit("ip", 0.0) == 4.0  # a token every 4 s
    limits = ClientLimits(rate=50, burst=1, max_in_flight=100)
    limits.admit("ip", 0.0)
    assert limits.admit("ip", 0.0) == 1.0  # 20 ms rounds up to TMDb's whole second


def test_concurrent_requests_are_capped_per_ip_and_freed_on_release() -> None:
    limits = ClientLimits(rate=0, burst=1, max_in_flight=2)
    assert limits.admit("ip", 0.0) is None
    assert limits.admit("ip", 0.0) is None
    assert limits.admit("ip", 0.0) == 1.0
    assert limits.admit("other", 0.0) is None
    limits.release("ip")
    assert limits.admit("ip", 0.0) is None


def test_a_refused_request_takes_no_slot() -> None:
    limits = ClientLimits(rate=1, burst=1, max_in_flight=1)
    assert limits.admit("ip", 0.0) is None
    limits.release("ip")
    assert limits.admit("ip", 0.0) == 1.0  # refused by the bucket...
    assert limits.in_flight["ip"] == 0  # ...and holding no connection slot
