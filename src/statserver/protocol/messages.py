"""Client protocol messages (contracts.md §3): decoding requests, building events.

Requests and events mirror the Platform SDK names without the ``Request``/``Event`` prefix.
A malformed message is answered with an ``Error`` event whose ``code`` is stable
(:class:`~statserver.errors.ErrorCode`) and whose message says what is accepted.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from statserver.errors import ErrorCode, RequestError
from statserver.protocol.requests import Metric, Notification, StatObject

__all__ = [
    "NOTIFICATION_MODES",
    "REQUESTS",
    "Request",
    "decode_request",
    "error_event",
    "info_body",
    "info_prefix",
]

REQUESTS: Final = (
    "OpenStatistic",
    "OpenStatisticEx",
    "CloseStatistic",
    "PeekStatistic",
    "GetStatistic",
    "GetStatisticEx",
    "SuspendNotification",
    "ResumeNotification",
    "GetStatisticProfile",
)

#: notification mode names accepted (Genesys protocol and PSDK spellings)
NOTIFICATION_MODES: Final[dict[str, str]] = {
    "changes": "Changes",
    "changesbased": "Changes",
    "changesbasednotification": "Changes",
    "immediate": "Changes",
    "periodical": "Periodical",
    "timebased": "Periodical",
    "timebasednotification": "Periodical",
    "reset": "Reset",
    "resetbased": "Reset",
    "resetbasednotification": "Reset",
    "none": "None",
    "nonotification": "None",
}


class Request(msgspec.Struct, rename="camel"):
    request: str
    reference_id: int | str | None = None
    object: StatObject | None = None
    metric: Metric | None = None
    notification: Notification | None = None
    #: GetStatisticProfile: which part (StatTypes, TimeProfiles, TimeRanges, Filters); all if None
    profile: str | None = None


_decoder: Final = msgspec.json.Decoder()


def decode_request(data: bytes | str) -> Request:
    """Parse one client message; raises :class:`RequestError` with a helpful message."""
    try:
        raw = _decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise RequestError(ErrorCode.MALFORMED_REQUEST, f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise RequestError(
            ErrorCode.MALFORMED_REQUEST, 'a request is a JSON object such as {"request": ...}'
        )
    name = raw.get("request")
    if name not in REQUESTS:
        accepted = ", ".join(REQUESTS)
        raise RequestError(
            ErrorCode.UNKNOWN_REQUEST, f"unknown request {name!r}; accepted: {accepted}"
        )
    try:
        req = msgspec.convert(raw, Request)
    except msgspec.ValidationError as exc:
        raise RequestError(ErrorCode.MALFORMED_REQUEST, f"{name}: {exc}") from None
    if req.notification is not None:
        mode = NOTIFICATION_MODES.get(req.notification.mode.replace("_", "").lower())
        if mode is None:
            raise RequestError(
                ErrorCode.MALFORMED_REQUEST,
                f"notification mode {req.notification.mode!r}; accepted: Changes, Periodical, "
                "Reset, None",
            )
        req.notification.mode = mode
    return req


_encoder: Final = msgspec.json.Encoder()


def info_prefix(reference_id: Any) -> bytes:
    """The start of a subscription's ``Info`` events, up to the value: encoded once when
    the subscription is made."""
    return b'{"event":"Info","referenceId":' + _encoder.encode(reference_id) + b',"value":'


def info_body(value: Any, now: float, interval_start: int | None) -> bytes:
    """The rest of an ``Info`` event after :func:`info_prefix`: the value, the time and the
    interval start.  Encoded once per statistic and pushed to every subscriber of it."""
    start = b"" if interval_start is None else b',"intervalStart":%d' % interval_start
    return b'%b,"time":%d%b}' % (_encoder.encode(value), int(now), start)


def error_event(reference_id: Any, code: str, message: str) -> dict[str, Any]:
    return {"event": "Error", "referenceId": reference_id, "code": code, "message": message}
