"""The one error hierarchy of Stat Server.

::

    StatServerError
    ├── ConfigError            the configuration file is wrong (names file, path, what was expected)
    ├── RequestError           a client request cannot be served (carries a stable ``code``)
    ├── EventRejected          an input event record is malformed or inconsistent (``reason``)
    └── BackupError            a backup cannot be written or restored

Errors that are the *user's* doing (configuration, requests) say what was wrong and what is
accepted.  Errors caused by a *peer* (an event source sending a bad record) never stop the
engine: the record is rejected, counted by reason, and the engine goes on.
"""

from __future__ import annotations

__all__ = [
    "BackupError",
    "ConfigError",
    "ErrorCode",
    "EventRejected",
    "RequestError",
    "StatServerError",
]


class StatServerError(Exception):
    """Root of every error raised on purpose by Stat Server."""


class ConfigError(StatServerError):
    """The configuration is invalid.

    ``source`` is the file (or a description of where the text came from), ``path`` the
    location inside it (``statTypes.CallsWaiting.Category``), ``problem`` what is wrong and
    what is accepted.
    """

    def __init__(self, problem: str, *, source: str = "<config>", path: str = "") -> None:
        self.source = source
        self.path = path
        self.problem = problem
        where = f"{source}: {path}: " if path else f"{source}: "
        super().__init__(where + problem)

    def at(self, source: str | None = None, prefix: str = "") -> ConfigError:
        """The same error located in ``source`` and under ``prefix`` (outer path first)."""
        path = ".".join(p for p in (prefix, self.path) if p)
        return ConfigError(self.problem, source=source or self.source, path=path)


class ErrorCode:
    """Stable, machine-readable codes carried by ``Error`` events and replay output."""

    MALFORMED_REQUEST = "malformed-request"
    UNKNOWN_REQUEST = "unknown-request"
    UNKNOWN_TENANT = "unknown-tenant"
    UNKNOWN_OBJECT = "unknown-object"
    UNKNOWN_OBJECT_TYPE = "unknown-object-type"
    OBJECT_TYPE_NOT_ALLOWED = "object-type-not-allowed"
    UNKNOWN_STAT_TYPE = "unknown-stat-type"
    UNKNOWN_TIME_PROFILE = "unknown-time-profile"
    UNKNOWN_TIME_RANGE = "unknown-time-range"
    UNKNOWN_FILTER = "unknown-filter"
    INVALID_DEFINITION = "invalid-definition"
    UNSUPPORTED_CATEGORY = "unsupported-category"
    DUPLICATE_REFERENCE_ID = "duplicate-reference-id"
    UNKNOWN_REFERENCE_ID = "unknown-reference-id"
    NOT_SUPPORTED = "not-supported"
    INVALID_TIME = "invalid-time"
    OVERLOADED = "overloaded"
    INTERNAL = "internal-error"


class RequestError(StatServerError):
    """A request cannot be served; ``code`` is one of :class:`ErrorCode`."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"[{code}] {message}")


class EventRejected(StatServerError):
    """An input event record was rejected; ``reason`` is a short stable key used in counters."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        self.message = message
        super().__init__(f"[{reason}] {message}")


class BackupError(StatServerError):
    """A backup could not be written, or a backup could not be restored."""
