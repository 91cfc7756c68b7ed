"""The console script's entry point, kept light so that a Ctrl-C at any moment, even while
Python is still loading the command line, ends in one line and exit code 130."""

from __future__ import annotations

import sys

INTERRUPTED = 130


def main() -> None:
    """Load the command line and run it; a Ctrl-C while loading is one line, not a traceback."""
    try:
        from tmdb_collector.cli import main as run  # ~0.5 s of imports: Ctrl-C may land here

        run()
    except KeyboardInterrupt:
        sys.stderr.write("tmdb-collector: interrupted\n")
        sys.exit(INTERRUPTED)
