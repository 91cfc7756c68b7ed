"""The fleet options, hosts files and chunk sizes (`crawl/fleet.py`: pure, no Dask), and the
per-worker counters of a tally."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tmdb_collector import config
from tmdb_collector.crawl.fleet import SshHost, choose, chunk_size, read_hosts_file
from tmdb_collector.crawl.scheduler import Tally
from tmdb_collector.crawl.store import Outcome
from tmdb_collector.errors import ConfigError


def test_a_hosts_file_like_the_old_ips_txt(tmp_path: Path) -> None:
    hosts = tmp_path / "ips.txt"
    hosts.write_text(
        "# the scheduler first\n203.0.113.7\n\n  crawler@203.0.113.8  # a second NIC\n"
        "crawl-3.example.org\n[2001:db8::1]\ncrawler@203.0.113.9:2222\n[2001:db8::2]:22\n"
        "203.0.113.7:2201\n"
    )
    assert read_hosts_file(hosts) == (
        SshHost("203.0.113.7"),
        SshHost("203.0.113.8", "crawler"),
        SshHost("crawl-3.example.org"),
        SshHost("2001:db8::1"),
        SshHost("203.0.113.9", "crawler", 2222),
        SshHost("2001:db8::2", None, 22),
        SshHost("203.0.113.7", None, 2201),  # another sshd of that address: another machine
    )
    assert SshHost("203.0.113.9", "crawler", 2222).connect_options() == {
        "username": "crawler",
        "port": 2222,
    }
    assert SshHost("203.0.113.7").connect_options() == {}  # ssh's own: ~/.ssh/config, 22


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("# nothing but comments\n\n", "lists no host"),
        ("203.0.113.7\nhost name with spaces\n", "line 2: 'host name with spaces' is not a host"),
        ("203.0.113.7\nuser@203.0.113.7\n", "line 2: 203.0.113.7 is listed twice"),
        ("ssh://203.0.113.7\n", "is not a host"),
        ("203.0.113.7:99999\n", "line 1: 99999 is not a port"),
        ("203.0.113.7:\n", "is not a host ([user@]host[:port])"),
        ("2001:db8::1\n", "is not a host"),  # an IPv6 address with a port needs brackets
    ],
)
def test_a_bad_hosts_file_is_one_clear_error(tmp_path: Path, text: str, needle: str) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text(text)
    with pytest.raises(ConfigError, match="^" + str(hosts)) as caught:
        read_hosts_file(hosts)
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_hosts_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read the hosts file .*No such file"):
        read_hosts_file(tmp_path / "nope.txt")


def test_an_ssh_config_goes_with_ssh_and_must_be_readable(tmp_path: Path) -> None:
    hosts, ssh_config = tmp_path / "hosts.txt", tmp_path / "ssh_config"
    hosts.write_text("203.0.113.7:2222\n")
    ssh_config.write_text("Host *\n  IdentityFile ~/.ssh/crawler\n")
    fleet, _ = choose(ssh=hosts, ssh_config=ssh_config)
    assert fleet is not None and fleet.ssh_config == ssh_config.resolve()
    with pytest.raises(ConfigError, match="--ssh-config is for the machines of --ssh"):
        choose(local_workers=2, ssh_config=ssh_config)
    with pytest.raises(ConfigError, match=r"cannot read the ssh config .*No such file"):
        choose(ssh=hosts, ssh_config=tmp_path / "nope")


def test_where_a_crawl_runs() -> None:
    assert choose() == (None, None)
    assert choose(bind="127.0.0.2") == (None, "127.0.0.2")  # this process, from that address
    fleet, here = choose(bind="127.0.0.2, 127.0.0.3")  # several: one local worker each
    assert here is None and fleet is not None
    assert (fleet.local_workers, fleet.binds) == (2, ("127.0.0.2", "127.0.0.3"))
    fleet, _ = choose(local_workers=3)
    assert fleet is not None and fleet.shares_one_address() == 3  # one address: rate / 3
    fleet, _ = choose(cluster="tls://scheduler.example.org:8786", chunk_size=50)
    assert fleet is not None and (fleet.cluster, fleet.chunk_size) == (
        "tls://scheduler.example.org:8786",
        50,
    )
    assert fleet.shares_one_address() == 1


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"cluster": "tcp://h:8786", "local_workers": 2}, "three ways to run: give one"),
        ({"cluster": "http://h:8786"}, "--cluster wants a Dask scheduler's address"),
        ({"cluster": "tcp://h"}, "--cluster wants"),
        ({"cluster": "tcp://h:port"}, "--cluster wants"),
        ({"bind": "127.0.0.2", "cluster": "tcp://h:8786"}, "--bind sets this machine's"),
        ({"bind": "127.0.0.2,127.0.0.3", "local_workers": 3}, "2 addresses for 3 local workers"),
        ({"bind": "127.0.0.2,127.0.0.2"}, "names 127.0.0.2 twice"),
        ({"bind": "192.0.2.1"}, "192.0.2.1: not an address of this machine"),
        ({"bind": "localhost"}, "'localhost': not an IPv4 address"),
        ({"bind": ","}, "one or more IPv4 addresses"),
    ],
)
def test_bad_fleet_options_are_one_clear_error(options: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        choose(**options)  # type: ignore[arg-type]
    assert needle in str(caught.value)


CHUNK_SECONDS = 15  # README: a chunk is "about 15 s of one worker's requests"
SMALLEST_CHUNK = 10  # the fewest ids a chunk holds, even at the end of a pass


@given(
    rate=st.floats(0.5, 100),
    workers=st.integers(1, 50),
    left=st.integers(1, 10**6),
    fixed=st.none() | st.integers(1, config.FLEET_CHUNK_MAX),
)
def test_chunks_are_bounded_and_shrink_towards_the_end(
    rate: float, workers: int, left: int, fixed: int | None
) -> None:
    size = chunk_size(rate, workers, left, fixed)
    assert 1 <= size <= config.FLEET_CHUNK_MAX
    if fixed:
        assert size <= fixed
    else:  # about 15 s of one worker's requests, at most (README)
        assert size <= max(round(rate * CHUNK_SECONDS), SMALLEST_CHUNK)
    # Near the end, a chunk is at most half a worker's share of what is left (or the smallest
    # chunk), so that the workers finish together.
    share = -(-left // (2 * workers))
    assert size <= max(share, SMALLEST_CHUNK)


def test_a_chunk_is_about_fifteen_seconds_of_requests_until_the_tail() -> None:
    assert chunk_size(35, workers=4, left=1_000_000) == 525  # 35/s x 15 s
    assert chunk_size(35, workers=4, left=800) == 100  # 800 / (2 x 4)
    assert chunk_size(35, workers=4, left=30) == SMALLEST_CHUNK


def test_a_tally_counts_each_worker_and_an_id_retried_once() -> None:
    driver, chunk = Tally("movie"), Tally("movie", requests=12, retries=2, throttled=2)
    chunk.reasons.update(http_429=2)
    for outcome in (Outcome("movie", 1, "failed", "http_503"), Outcome("movie", 1, "ok", "ok")):
        driver.count(outcome)  # failed in the first pass, ok in the end-of-run pass
    chunk.ok = 10
    driver.add_requests(chunk, "127.0.0.2", seconds=2.0)
    driver.add_requests(chunk, "127.0.0.2", seconds=2.0)
    assert (driver.ok, driver.failed, driver.requests, driver.throttled) == (1, 0, 24, 4)
    assert driver.reasons == Counter(http_429=4)
    assert driver.as_dict()["workers"] == {
        "127.0.0.2": {
            "requests": 24,
            "throttled": 4,
            "chunks": 2,
            "ok": 20,
            "gone": 0,
            "failed": 0,
            "retries": 4,
            "req_per_s": 6.0,  # 24 requests over 4 s of fetching
        }
    }
