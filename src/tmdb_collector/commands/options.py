"""Options and helpers that several commands share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from tmdb_collector import config
from tmdb_collector.crawl.store import Store
from tmdb_collector.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])


def parse_day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-25") from None


def data_dir_option(
    about: str = "Where the store is",
    default: str = config.DATA_DIR,
    envvar: str | None = config.DATA_DIR_ENV,
) -> Callable[[F], F]:
    """--data-dir, also $TMDB_DATA_DIR (unless `envvar` is None: the demo's is its own)."""
    return click.option(
        "--data-dir",
        envvar=envvar,
        default=default,
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help=f"{about} (${envvar})." if envvar else f"{about}.",
    )


def open_collection(data_dir: Path) -> Store:
    """The store of an existing collection; a one-line error when there is none."""
    if not (data_dir / config.STORE_FILE).exists():
        raise ConfigError(f"no collection in {data_dir}: run 'tmdb-collector crawl movies' first")
    return Store.open(data_dir)
