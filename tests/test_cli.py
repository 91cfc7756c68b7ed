"""The command line: documented options, and one clear line for each bad input."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tmdb_collector.cli import cli


def run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tmdb_collector", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def all_commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if isinstance(command, click.Group):
            found |= all_commands(command, f"{prefix}{name} ")
    return found


def test_every_command_and_option_has_help_text() -> None:
    commands = all_commands(cli)
    assert {"simulate", "crawl movies", "crawl people", "status", "demo"} <= set(commands)
    for name, command in commands.items():
        assert command.help, f"command {name} has no help"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts} has no help"


def test_simulate_help_lists_every_option() -> None:
    result = run("simulate", "--help")
    assert result.returncode == 0
    for param in cli.commands["simulate"].params:
        for opt in param.opts:
            assert opt in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--faults", "chaos"], "unknown fault profile 'chaos'"),
        (["--faults", "reset=2"], "between 0 and 1"),
        (["--day", "2026-13-01"], "is not a date"),
        (["--movies", "0"], "--movies"),
        (["--rate-limit", "-1"], "--rate-limit"),
        (["--port", "70000"], "--port"),
        (["--workers", "2", "--rate-limit", "5"], "cannot apply --rate-limit or --faults"),
        (["--workers", "2", "--faults", "flaky"], "cannot apply --rate-limit or --faults"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = run("simulate", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("simulate", "--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_the_readme_shows_exists_with_its_options() -> None:
    """README commands are what users copy: each names a real command and real options."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    commands = all_commands(cli)
    shown = [
        line.split("tmdb-collector ", 1)[1].split("#")[0].split()
        for line in readme.splitlines()
        if "tmdb-collector " in line and line.lstrip().startswith((".venv/bin/", "tmdb-collector"))
    ]
    assert len(shown) >= 5
    for words in shown:
        name = " ".join(w for w in words[:2] if not w.startswith("-"))
        name = name if name in commands else words[0]
        assert name in commands, f"README shows an unknown command: {' '.join(words)}"
        known = {opt for p in commands[name].params for opt in p.opts} | {"--help"}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in known, f"README: {name} has no option {word}"
