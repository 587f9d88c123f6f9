"""What the client library sends and raises: request parts, errors, the server address.

The request parts mirror the Platform SDK classes (``StatisticObject``, ``StatisticMetric``,
``StatisticMetricEx``, ``Notification``); every method that takes one also takes a plain
mapping with the JSON keys of docs/protocol.md (``{"objectId": ..., "objectType": ...}``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from statserver.errors import ErrorCode, RequestError, StatServerError

__all__ = [
    "ErrorCode",
    "Notification",
    "StatServerConnectionError",
    "StatServerRequestError",
    "StatisticMetric",
    "StatisticMetricEx",
    "StatisticObject",
    "SubscriptionClosed",
    "to_json",
    "ws_url",
]


class StatServerRequestError(RequestError):
    """The server answered a request with an ``Error`` event.

    ``code`` is one of :class:`~statserver.errors.ErrorCode` (``unknown-stat-type``, ...),
    ``message`` the server's explanation, ``reference_id`` the request's referenceId.
    """

    def __init__(self, code: str, message: str, reference_id: Any = None) -> None:
        super().__init__(code, message)
        self.reference_id = reference_id


class StatServerConnectionError(StatServerError, ConnectionError):
    """The server cannot be reached, or the connection was lost and is not coming back
    (the client was closed, or it was created with ``reconnect=False``)."""


class SubscriptionClosed(StatServerError):
    """The statistic was closed (``close_statistic``, or the client was closed): no more
    values will come.  ``async for`` ends quietly instead of raising it."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class _Part:
    """JSON form of a request part: camelCase keys, ``None`` fields left out."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, (list, tuple)):
                value = list(value)
            out[_camel(f.name)] = value
        return out


@dataclass(frozen=True)
class StatisticObject(_Part):
    """PSDK ``StatisticObject``: what the statistic is about.

    ``object_type``: ``Agent``, ``AgentPlace``, ``GroupAgents``, ``GroupPlaces``,
    ``RegularDN``, ``Queue``, ``RoutePoint``, ``GroupQueues``, ``Tenant``, ``StagingArea``.
    DNs are named ``number@switch``.  ``tenant`` may be left out when the server has one.
    """

    object_id: str
    object_type: str
    tenant: str | None = None
    tenant_password: str | None = None


@dataclass(frozen=True)
class StatisticMetric(_Part):
    """PSDK ``StatisticMetric``: a stat type configured on the server (``OpenStatistic``)."""

    statistic_type: str
    time_profile: str | None = None
    time_range: str | None = None
    time_range2: str | None = None
    filter: str | None = None


@dataclass(frozen=True)
class StatisticMetricEx(_Part):
    """PSDK ``StatisticMetricEx``: a statistic defined in the request (``OpenStatisticEx``).

    ``interval_type`` is ``GrowingWindow`` (with ``time_profile`` such as ``"00:00+00:15"``),
    ``SlidingWindow`` (``interval_length`` seconds), ``SlidingSelection`` (``interval_length``
    occurrences) or ``SinceLogin``; without it ``time_profile`` names a configured profile.
    """

    category: str
    subject: str | None = None
    main_mask: str | Sequence[str] | None = None
    rel_mask: str | Sequence[str] | None = None
    objects: str | None = None
    media_type: str | None = None
    formula: str | None = None
    expression: str | None = None
    interval_type: str | None = None
    interval_length: int | None = None
    interval_step: int | None = None
    time_profile: str | None = None
    time_range: str | None = None
    time_range2: str | None = None
    filter: str | None = None
    use_source_time_stamps: bool | None = None


@dataclass(frozen=True)
class Notification(_Part):
    """PSDK ``Notification``: ``mode`` ``Changes`` (PSDK ``Immediate``), ``Periodical``,
    ``Reset`` or ``None`` (PSDK ``NoNotification``); ``frequency`` in seconds for
    Periodical; ``insensitivity`` in the value's units (absolute, docs/decisions.md Q4)."""

    mode: str = "Changes"
    frequency: float | None = None
    insensitivity: float | None = None


def to_json(part: _Part | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A request part as the JSON object sent on the wire."""
    if part is None:
        return None
    if isinstance(part, _Part):
        return part.to_json()
    if isinstance(part, Mapping):
        return dict(part)
    msg = f"expected a mapping or a statserver.client request part, not {type(part).__name__}"
    raise TypeError(msg)


def ws_url(url: str, client_name: str | None = None) -> str:
    """The WebSocket address of a server given as ``ws://host:7100/ws``, ``http://host:7100``
    or ``host:7100``; ``client_name`` is added as ``?client=``."""
    if "://" not in url:
        url = "ws://" + url
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss"):
        msg = f"cannot connect to {url!r}: expected ws://host:port/ws (or http://host:port)"
        raise ValueError(msg)
    path = parts.path if parts.path not in ("", "/") else "/ws"
    query = parse_qsl(parts.query)
    if client_name and not any(key == "client" for key, _ in query):
        query.append(("client", client_name))
    return urlunsplit((scheme, parts.netloc, path, urlencode(query), ""))
