"""Where a crawl runs: in this process, or on a fleet of Dask workers, one per egress IP.

The fleet options are parsed and checked here, before anything is started or written;
chunks are sized here, and what they bring back is recorded here (`record_chunk`);
`tmdb_collector.distributed` runs the fleet (the only module that imports Dask, an extra).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from tmdb_collector import config
from tmdb_collector.crawl.scheduler import Tally
from tmdb_collector.crawl.store import Outcome
from tmdb_collector.crawl.writer import Writer
from tmdb_collector.errors import ConfigError

HOST = re.compile(
    r"(?:(?P<user>[A-Za-z0-9._-]+)@)?(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
)


class SshHost(NamedTuple):
    """A line of a hosts file: `host`, `user@host`, either with `:port` (IPv6 in brackets)."""

    host: str
    user: str | None = None
    port: int | None = None  # None: ssh's (22, or the ssh config's Port)

    def connect_options(self) -> dict[str, str | int]:
        """What this line says about the ssh connection (asyncssh.connect's names)."""
        given = {"username": self.user, "port": self.port}
        return {name: value for name, value in given.items() if value is not None}


@dataclass(frozen=True)
class Fleet:
    """Which Dask cluster to crawl on: a running scheduler, machines reached over ssh, or N
    worker processes on this machine (worker i sending from `binds[i]`, when given)."""

    cluster: str | None = None
    ssh_hosts: tuple[SshHost, ...] = ()
    local_workers: int = 0
    binds: tuple[str, ...] = ()
    chunk_size: int | None = None
    remote_python: str | None = None
    ssh_config: Path | None = None  # None: ~/.ssh/config, as ssh itself
    timeout: float = config.FLEET_CLUSTER_TIMEOUT_S

    def describe(self) -> str:
        """The fleet in a few words, for the summary."""
        if self.cluster:
            return f"Dask scheduler {self.cluster}"
        if self.ssh_hosts:
            many = len(self.ssh_hosts)
            first = self.ssh_hosts[0].host
            return f"{many} machine{'s' * (many > 1)} over ssh (the scheduler on {first})"
        sources = f" ({', '.join(self.binds)})" if self.binds else ""
        return f"{self.local_workers} local Dask workers{sources}"

    def shares_one_address(self) -> int:
        """How many workers share one egress IP: local workers with no --bind share this
        machine's, and so its budget; a fleet's workers are assumed to have one each."""
        return self.local_workers if self.local_workers and not self.binds else 1


def choose(
    cluster: str | None = None,
    ssh: Path | None = None,
    local_workers: int | None = None,
    bind: str | None = None,
    *,
    chunk_size: int | None = None,
    remote_python: str | None = None,
    ssh_config: Path | None = None,
    timeout: float = config.FLEET_CLUSTER_TIMEOUT_S,
) -> tuple[Fleet | None, str | None]:
    """The fleet the options ask for (None: crawl in this process) and the source address of
    a crawl in this process. Raises ConfigError, before anything starts, on a bad option."""
    if sum(x is not None for x in (cluster, ssh, local_workers)) > 1:
        raise ConfigError("--cluster, --ssh and --local-workers are three ways to run: give one")
    if ssh_config is not None and ssh is None:
        raise ConfigError("--ssh-config is for the machines of --ssh: give a hosts file too")
    binds = parse_binds(bind) if bind else ()
    if binds and (cluster or ssh):
        raise ConfigError(
            f"--bind sets this machine's source addresses; a fleet worker sends from its own "
            f"machine's address, or from ${config.BIND_ENV} set where it runs"
        )
    if local_workers is None and len(binds) > 1:
        local_workers = len(binds)  # several addresses: one local worker for each
    if local_workers is not None and binds and len(binds) != local_workers:
        raise ConfigError(
            f"--bind gives {len(binds)} addresses for {local_workers} local workers: "
            "give one address per worker"
        )
    if cluster is None and ssh is None and local_workers is None:
        return None, binds[0] if binds else None
    fleet = Fleet(
        cluster=check_scheduler_address(cluster) if cluster is not None else None,
        ssh_hosts=read_hosts_file(ssh) if ssh is not None else (),
        local_workers=local_workers or 0,
        binds=binds,
        chunk_size=chunk_size,
        remote_python=remote_python,
        ssh_config=check_ssh_config(ssh_config) if ssh_config is not None else None,
        timeout=timeout,
    )
    return fleet, None


def check_scheduler_address(address: str) -> str:
    """`address` if it looks like a Dask scheduler's (tcp:// or tls://, a host and a port)."""
    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or port is None:
        raise ConfigError(
            f"--cluster wants a Dask scheduler's address like "
            f"tcp://HOST:{config.FLEET_SCHEDULER_PORT} (or tls://...), not {address!r}"
        )
    return address


def parse_binds(text: str) -> tuple[str, ...]:
    """The comma-separated source addresses of --bind, each checked to be this machine's."""
    addresses = tuple(part.strip() for part in text.split(",") if part.strip())
    if not addresses:
        raise ConfigError("--bind wants one or more IPv4 addresses, comma-separated")
    for address in addresses:
        check_bind(address, "--bind")
        if addresses.count(address) > 1:
            raise ConfigError(
                f"--bind names {address} twice: each worker needs an address of its own "
                "(two workers on one address would each spend its whole budget)"
            )
    return addresses


def check_bind(address: str, what: str) -> str:
    """`address` if requests can be sent from it here (an IPv4 address of this machine)."""
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise ConfigError(f"{what} {address!r}: not an IPv4 address") from None
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError as exc:
            raise ConfigError(
                f"{what} {address}: not an address of this machine ({exc.strerror})"
            ) from None
    return address


def check_ssh_config(path: Path) -> Path:
    """`path` if it is a readable file (an OpenSSH client configuration, read by asyncssh)."""
    try:
        path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the ssh config {path}: {exc.strerror}") from None
    return path.resolve()


def read_hosts_file(path: Path) -> tuple[SshHost, ...]:
    """The machines of a hosts file (like the old ips.txt): one `host` or `user@host` a line,
    optionally with `:port`, `#` comments and blank lines ignored; the first also runs the
    scheduler."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
        raise ConfigError(f"cannot read the hosts file {path}: {reason}") from None
    hosts: list[SshHost] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = HOST.fullmatch(line)
        if match is None:
            raise ConfigError(f"{path}, line {number}: {line!r} is not a host ([user@]host[:port])")
        port = int(match["port"]) if match["port"] else None
        if port is not None and not 0 < port < 65536:
            raise ConfigError(f"{path}, line {number}: {port} is not a port (1-65535)")
        host = SshHost(match["host"].strip("[]"), match["user"], port)
        if any((known.host, known.port) == (host.host, host.port) for known in hosts):
            raise ConfigError(
                f"{path}, line {number}: {host.host} is listed twice (one worker per machine)"
            )
        hosts.append(host)
    if not hosts:
        raise ConfigError(f"{path} lists no host: one per line, the first also runs the scheduler")
    return tuple(hosts)


def chunk_size(rate: float, workers: int, left: int, fixed: int | None = None) -> int:
    """Ids in the next chunk: about FLEET_CHUNK_SECONDS of one worker's requests at `rate`
    (or `fixed`), but near the end of a pass a share of the `left` ids, so that the workers
    finish together rather than one fetching a whole chunk alone."""
    full = fixed or round(rate * config.FLEET_CHUNK_SECONDS)
    full = max(1, min(config.FLEET_CHUNK_MAX, full if fixed else max(config.FLEET_CHUNK_MIN, full)))
    share = -(-left // (config.FLEET_TAIL_SPLIT * max(1, workers)))
    return min(full, max(share, config.FLEET_CHUNK_MIN))


@dataclass
class Chunk:
    """What a worker sends back for a chunk of ids: each id's outcome and its own counters."""

    worker: str  # its egress: the source address, or the worker's own address
    outcomes: list[Outcome]
    tally: Tally
    seconds: float

    def __repr__(self) -> str:  # a chunk of documents is no thing to print whole
        return f"Chunk({self.worker}, {len(self.outcomes)} outcomes, {self.seconds:.1f} s)"


def record_chunk(chunk: Chunk, writer: Writer, tally: Tally) -> None:
    """What the driver does with each chunk that comes back: its outcomes to the store's
    writer thread (committed together, in one transaction) and into the tally."""
    writer.add(chunk.outcomes)
    for outcome in chunk.outcomes:
        tally.count(outcome)
    tally.add_requests(chunk.tally, chunk.worker, chunk.seconds)
