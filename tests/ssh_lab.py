"""A lab of machines for the `--ssh` fleet tests: network namespaces, each with its own address
and a real OpenSSH server, on a bridge the lab creates.

Each machine is a network namespace with one end of a veth pair (10.213.S.N/24); the other end
is on a bridge in this namespace (10.213.S.1, where the simulator listens), so the machines
reach each other, the driver and the simulator, and nothing else (no forwarding, no NAT). Each
runs `sshd -D` with a host key, a config and a log of its own, accepting only a key pair the
lab makes. The driver reaches them through an ssh config file (--ssh-config) and a hosts file
of `address:port` lines. Everything is removed when the lab closes: the processes in the
namespaces are killed by PID, then the namespaces and the bridge deleted.
"""

from __future__ import annotations

import contextlib
import getpass
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

SSH_PORT = 2222  # not 22: the hosts file's `host:port` is part of what is tested
SUBNETS = range(120, 250)  # 10.213.S.0/24: the first not routed here already is taken
PRIVSEP_DIR = Path("/run/sshd")  # sshd refuses to start without it (a service creates it)


def missing() -> str | None:
    """Why the lab cannot run here (None: it can)."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, sshd)"
    for tool in ("sshd", "ssh-keygen", "ip"):
        if shutil.which(tool) is None:
            return f"needs {tool} (apt-get install openssh-server iproute2)"
    probe = f"tmdb-probe-{secrets.token_hex(3)}"
    if ip("netns", "add", probe, check=False).returncode != 0:
        return "cannot create network namespaces here"
    ip("netns", "del", probe, check=False)
    return None


def require_lab() -> None:
    """Skip with the reason when the lab cannot run here, but fail on CI, which must run it."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the ssh fleet tests must run on CI: {reason}")
    pytest.skip(reason)


def ip(
    *args: str, check: bool = True, netns: str | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = ["ip", *(["-n", netns] if netns else []), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: {result.stderr.strip()}")
    return result


@dataclass
class Machine:
    """One machine of the lab: a namespace, its address, its sshd."""

    name: str  # the network namespace
    address: str
    veth: str  # this namespace's end of its link: down cuts the machine off
    home: Path  # its sshd's config, host key, pid file and log
    sshd: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.home / "sshd.log"

    def processes(self) -> list[psutil.Process]:
        """Every process running on this machine but its sshd: sessions, shells, Dask
        processes, and any that outlived the session that started them."""
        found = []
        for pid in ip("netns", "pids", self.name, check=False).stdout.split():
            with contextlib.suppress(psutil.NoSuchProcess):
                proc = psutil.Process(int(pid))
                if (self.sshd is None or proc.pid != self.sshd.pid) and is_running(proc):
                    found.append(proc)
        return found

    def dask(self, role: str) -> list[psutil.Process]:
        """The Dask processes on this machine: role 'worker' (the process that fetches, spawned
        by its nanny), 'nanny' or 'scheduler'."""
        found = []
        for proc in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                line = " ".join(proc.cmdline())
                if "distributed.cli.dask_spec" in line:
                    is_role = (
                        "distributed.Scheduler" in line
                        if role == "scheduler"
                        else (role == "nanny" and "distributed.Nanny" in line)
                    )
                else:
                    is_role = role == "worker" and "spawn_main" in line
                if is_role:
                    found.append(proc)
        return found


@dataclass
class Lab:
    """`count` machines with sshd, a key pair they accept, and the driver's files to reach them."""

    root: Path
    count: int
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    machines: list[Machine] = field(default_factory=list)
    bridge: str = ""
    gateway: str = ""  # the bridge's address: the driver's, and where the simulator listens

    @property
    def hosts_file(self) -> Path:
        return self.root / "hosts.txt"

    @property
    def ssh_config(self) -> Path:
        return self.root / "ssh_config"

    def __enter__(self) -> Lab:
        try:
            self._network()
            self._keys()
            for machine in self.machines:
                self._start_sshd(machine)
            for machine in self.machines:
                wait_for_port(machine.address, SSH_PORT, machine)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _network(self) -> None:
        subnet = free_subnet()
        self.bridge, self.gateway = f"tmb{self.tag}", str(subnet[1])
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for n in range(self.count):
            name, outside, inside = f"tmdb-lab-{self.tag}-{n}", f"tmv{self.tag}{n}", "eth0"
            machine = Machine(name, str(subnet[n + 2]), inside, self.root / f"machine-{n}")
            machine.home.mkdir(parents=True)
            self.machines.append(machine)
            ip("netns", "add", name)
            ip("link", "add", outside, "type", "veth", "peer", "name", f"tmp{self.tag}{n}")
            ip("link", "set", outside, "master", self.bridge, "up")
            ip("link", "set", f"tmp{self.tag}{n}", "netns", name)
            ip("link", "set", f"tmp{self.tag}{n}", "name", inside, netns=name)
            ip("addr", "add", f"{machine.address}/24", "dev", inside, netns=name)
            ip("link", "set", inside, "up", netns=name)
            ip("link", "set", "lo", "up", netns=name)
            # Dask finds a machine's own address from its default route (no packet is sent).
            ip("route", "add", "default", "via", self.gateway, netns=name)

    def _keys(self) -> None:
        keygen("id_ed25519", self.root)
        (self.root / "authorized_keys").write_bytes((self.root / "id_ed25519.pub").read_bytes())
        known = []
        for machine in self.machines:
            public = keygen("host_ed25519", machine.home)
            known.append(f"[{machine.address}]:{SSH_PORT} {public}")
        (self.root / "known_hosts").write_text("".join(line + "\n" for line in known))
        self.ssh_config.write_text(
            f"Host *\n  User {getpass.getuser()}\n  IdentityFile {self.root / 'id_ed25519'}\n"
            f"  UserKnownHostsFile {self.root / 'known_hosts'}\n"
        )
        self.hosts_file.write_text(
            "# the first also runs the scheduler\n"
            + "".join(f"{m.address}:{SSH_PORT}\n" for m in self.machines)
        )

    def _start_sshd(self, machine: Machine) -> None:
        scratch = machine.home / "tmp"
        scratch.mkdir()
        config = machine.home / "sshd_config"
        config.write_text(
            f"ListenAddress {machine.address}:{SSH_PORT}\n"
            f"HostKey {machine.home / 'host_ed25519'}\n"
            f"PidFile {machine.home / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.root / 'authorized_keys'}\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
            # DEBUG3 writes every command a session runs: where a key would show if sent.
            "LogLevel DEBUG3\n"
            # Dask's scratch space (and any temporary file) stays in the test's directory.
            f"SetEnv TMPDIR={scratch}\n"
        )
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        sshd = shutil.which("sshd")
        assert sshd is not None
        cmd = ["ip", "netns", "exec", machine.name, sshd, "-D", "-f", str(config)]
        machine.sshd = subprocess.Popen([*cmd, "-E", str(machine.log)])

    def cut(self, machine: Machine) -> None:
        """Cut `machine` off the network: its link goes down, its connections hang."""
        ip("link", "set", machine.veth, "down", netns=machine.name)

    def close(self) -> None:
        """Kill every process in the lab's namespaces (by PID), then delete them and the
        bridge."""
        for n, machine in enumerate(self.machines):
            stop_namespace(machine)
            # A namespace may outlive its deletion for a while (its cut connections): the
            # pair of links goes with its end here.
            ip("link", "del", f"tmv{self.tag}{n}", check=False)
        if self.bridge:
            ip("link", "del", self.bridge, check=False)


def stop_namespace(machine: Machine) -> None:
    listed = ip("netns", "pids", machine.name, check=False).stdout.split()
    procs = []
    for pid in {int(p) for p in listed} | ({machine.sshd.pid} if machine.sshd else set()):
        with contextlib.suppress(psutil.NoSuchProcess):
            proc = psutil.Process(pid)
            proc.send_signal(signal.SIGKILL)
            procs.append(proc)
    deadline = time.monotonic() + 10  # dead is enough: the container's init reaps slowly
    while any(is_running(proc) for proc in procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    if machine.sshd is not None:
        machine.sshd.wait(timeout=10)
    ip("netns", "del", machine.name, check=False)


def is_running(proc: psutil.Process) -> bool:
    with contextlib.suppress(psutil.NoSuchProcess):
        return proc.status() != psutil.STATUS_ZOMBIE
    return False


def keygen(name: str, where: Path) -> str:
    """A new ed25519 key pair in `where`; its public line's type and key."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tmdb-lab", "-f", str(where / name)],
        check=True,
        timeout=30,
    )
    return " ".join((where / f"{name}.pub").read_text().split()[:2])


def free_subnet() -> ipaddress.IPv4Network:
    """A 10.213.S.0/24 that no address or route of this machine is in."""
    used = ip("-4", "route", "show", "table", "all").stdout + ip("-4", "addr").stdout
    for s in SUBNETS:
        if f"10.213.{s}." not in used:
            return ipaddress.IPv4Network(f"10.213.{s}.0/24")
    raise AssertionError("no free 10.213.S.0/24 for the lab")


def wait_for_port(address: str, port: int, machine: Machine, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert machine.sshd is not None and machine.sshd.poll() is None, machine.log.read_text()
        with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=1):
            return
        time.sleep(0.05)
    raise AssertionError(f"sshd of {machine.name} not listening in {seconds} s")


@contextlib.contextmanager
def lab(root: Path, count: int) -> Iterator[Lab]:
    require_lab()
    with Lab(root, count) as started:
        yield started
