"""One error tree: every failure a caller can act on is a subclass of TmdbCollectorError."""

__all__ = [
    "ChangeListError",
    "ConfigError",
    "CredentialsError",
    "StorageError",
    "StoreBusyError",
    "TmdbCollectorError",
]


class TmdbCollectorError(Exception):
    """Base of every error this package raises on purpose; its message is one line for a user."""

    exit_code = 1


class ConfigError(TmdbCollectorError):
    """A bad option, environment variable or argument value (exit code 2)."""

    exit_code = 2


class CredentialsError(ConfigError):
    """TMDb refused the API key or token: the run stops at once (exit code 2)."""


class ChangeListError(TmdbCollectorError):
    """A day's change list could not be read in full: a sync stops before that day (exit 1)."""


class StoreBusyError(ConfigError):
    """Another command is writing the store (it holds the data directory's lock): exit 2."""


class StorageError(TmdbCollectorError):
    """Reading or writing a file failed (a full disk, an I/O error): the message names the
    path, what happened and what to do; what could be saved was saved (exit 2)."""

    exit_code = 2
