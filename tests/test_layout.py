"""The package's shape, read from its source with `ast`: arrows point down (the library never
imports the fleet that runs it), the event loop belongs to the command line, and no module
grows past the size at which it should be split by concept."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tmdb_collector"
MAX_LINES = 400

LIBRARY = ("crawl", "client", "export", "network")
"""Parts that the fleet (`distributed`) runs, and so must not import it."""

LOOP_OWNERS = ("commands", "cli.py", "__main__.py", "simulator")
"""Where an event loop may be started: the command line, and the simulator's own server."""


def modules() -> list[Path]:
    found = sorted(PACKAGE.rglob("*.py"))
    assert len(found) > 40, PACKAGE  # the package was really found
    return found


def name_of(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def imported(tree: ast.AST) -> Iterator[str]:
    """Every module an import statement names, anywhere (inside functions too), and every
    `package.name` a `from package import name` could mean."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def starts_a_loop(tree: ast.AST) -> Iterator[int]:
    """Lines that call `asyncio.run` (or make an `asyncio.Runner`), however it was imported."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "asyncio"
            and any(alias.name in ("run", "Runner") for alias in node.names)
        ):
            yield node.lineno
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "asyncio"
            and node.attr in ("run", "Runner")
        ):
            yield node.lineno


@pytest.mark.parametrize(
    "path", [p for p in modules() if name_of(p).startswith(LIBRARY)], ids=name_of
)
def test_the_library_never_imports_the_fleet(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [name for name in imported(tree) if name.startswith("tmdb_collector.distributed")]
    assert not found, f"{name_of(path)} imports {found}: the command passes a runner instead"


@pytest.mark.parametrize("path", modules(), ids=name_of)
def test_only_the_command_line_runs_an_event_loop(path: Path) -> None:
    if name_of(path).startswith(LOOP_OWNERS):
        return
    lines = list(starts_a_loop(ast.parse(path.read_text(encoding="utf-8"))))
    assert not lines, (
        f"{name_of(path)}:{lines}: library entry points are async; the caller runs them"
    )


@pytest.mark.parametrize("path", modules(), ids=name_of)
def test_no_module_is_over_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name_of(path)} has {lines} lines: split it by concept"


def test_the_checks_see_what_they_look_for() -> None:
    """The two detectors find each form they are meant to, inside functions too."""
    source = """
def later():
    from tmdb_collector import distributed
    import tmdb_collector.distributed as fleet
    from asyncio import run
    asyncio.run(main())
"""
    tree = ast.parse(source)
    names = [n for n in imported(tree) if n.startswith("tmdb_collector.distributed")]
    assert names == ["tmdb_collector.distributed", "tmdb_collector.distributed"]
    assert list(starts_a_loop(tree)) == [5, 6]
