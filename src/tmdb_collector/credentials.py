"""TMDb credentials from the environment or a `.env` file, never from a command line."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tmdb_collector import config
from tmdb_collector.client.protocol import Credentials
from tmdb_collector.errors import ConfigError


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments, blank lines, `export` and quotes allowed)."""
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def environment(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> dict[str, str]:
    """The process environment over the working directory's .env (the environment wins)."""
    merged = read_dotenv((cwd or Path.cwd()) / ".env")
    merged.update(os.environ if environ is None else environ)
    return merged


def load_credentials(env: Mapping[str, str]) -> Credentials:
    """The token if one is set (it keeps the key out of URLs), else the API key."""
    token = env.get(config.TOKEN_ENV, "").strip() or None
    key = env.get(config.API_KEY_ENV, "").strip() or None
    return Credentials(token=token, api_key=None if token else key)
