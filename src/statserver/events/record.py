"""The frozen event record and its validation at the edge.

One event is one JSON object (contracts.md §1).  :func:`decode_event` turns bytes into an
:class:`EventRecord` or raises :class:`~statserver.errors.EventRejected` with a stable reason
(``malformed-json``, ``not-an-object``, ``missing-field``, ``bad-field``, ``bad-time``,
``unknown-event``), so an adapter can count rejections by reason and go on.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Final

import msgspec

from statserver.errors import EventRejected

__all__ = [
    "EVENT_NAMES",
    "EventRecord",
    "decode_event",
    "decode_event_obj",
    "encode_event",
    "parse_time",
]

#: Every event name the engine understands.  Others are rejected as ``unknown-event``.
EVENT_NAMES: Final[frozenset[str]] = frozenset(
    {
        # T-Library
        "EventAgentLogin",
        "EventAgentLogout",
        "EventAgentReady",
        "EventAgentNotReady",
        "EventRinging",
        "EventDialing",
        "EventEstablished",
        "EventReleased",
        "EventAbandoned",
        "EventHeld",
        "EventRetrieved",
        "EventQueued",
        "EventDiverted",
        "EventRouteRequest",
        "EventRouteUsed",
        "EventPartyChanged",
        "EventPartyAdded",
        "EventPartyDeleted",
        "EventAttachedDataChanged",
        "EventUserEvent",
        "EventOffHook",
        "EventOnHook",
        "EventDNDOn",
        "EventDNDOff",
        "EventRegistered",
        "EventLinkDisconnected",
        "EventLinkConnected",
        "EventTreatmentApplied",
        "EventTreatmentEnd",
        "EventTreatmentNotApplied",
        # Interaction Server (reporting engine)
        "EventMediaAdded",
        "EventMediaRemoved",
        "EventReadyForMedia",
        "EventNotReadyForMedia",
        "EventDoNotDisturbOn",
        "EventDoNotDisturbOff",
        "EventPlacedInQueue",
        "EventTakenFromQueue",
        "EventAgentInvited",
        "EventPartyRemoved",
        "EventRevoked",
        "EventRejected",
        "EventProcessingStopped",
        "EventPropertiesChanged",
        "EventExternalServiceRequested",
        "EventExternalServiceResponded",
    }
)


class EventRecord(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One event reported by a T-Server or an Interaction Server (contracts.md §1).

    Attribute names are the T-Library names in lower camel case; ``None`` means unknown.
    Unknown keys in the input are ignored, so sources may send more than this.
    """

    event: str
    time: str | float
    source: str
    this_dn: str | None = msgspec.field(default=None, name="thisDN")
    this_dn_role: str | None = msgspec.field(default=None, name="thisDNRole")
    other_dn: str | None = msgspec.field(default=None, name="otherDN")
    other_dn_role: str | None = msgspec.field(default=None, name="otherDNRole")
    third_party_dn: str | None = msgspec.field(default=None, name="thirdPartyDN")
    this_queue: str | None = msgspec.field(default=None, name="thisQueue")
    other_queue: str | None = msgspec.field(default=None, name="otherQueue")
    conn_id: str | None = msgspec.field(default=None, name="connID")
    previous_conn_id: str | None = msgspec.field(default=None, name="previousConnID")
    call_type: str | None = msgspec.field(default=None, name="callType")
    agent_id: str | None = msgspec.field(default=None, name="agentID")
    work_mode: str | None = msgspec.field(default=None, name="workMode")
    reasons: dict[str, Any] | None = None
    user_data: dict[str, Any] | None = msgspec.field(default=None, name="userData")
    ani: str | None = None
    dnis: str | None = None
    customer_id: str | None = msgspec.field(default=None, name="customerID")
    treatment_type: str | None = msgspec.field(default=None, name="treatmentType")
    extensions: dict[str, Any] | None = None
    # multimedia
    interaction_id: str | None = msgspec.field(default=None, name="interactionID")
    media_type: str | None = msgspec.field(default=None, name="mediaType")
    place: str | None = None
    queue: str | None = None
    party_type: str | None = msgspec.field(default=None, name="partyType")
    old_queue: str | None = msgspec.field(default=None, name="oldQueue")
    # project extensions (documented in docs/event-link.md)
    tenant: str | None = None
    interaction_type: str | None = msgspec.field(default=None, name="interactionType")


_decoder: Final = msgspec.json.Decoder(EventRecord)
_encoder: Final = msgspec.json.Encoder()


def parse_time(value: str | float) -> float:
    """Seconds since the Unix epoch from an ISO-8601 timestamp with offset or a number.

    Raises :class:`ValueError` for a timestamp without offset, an unparsable string or a
    number that is not finite.
    """
    if isinstance(value, (int, float)):
        t = float(value)
        if not math.isfinite(t):
            msg = f"time {value!r} is not a finite number"
            raise ValueError(msg)
        return t
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        msg = (
            f"time {value!r} is not ISO-8601; expected e.g. '2026-11-25T10:00:12.250+00:00' "
            "or a number of seconds since the Unix epoch"
        )
        raise ValueError(msg) from None
    if dt.tzinfo is None:
        msg = f"time {value!r} has no UTC offset; add one, e.g. '+00:00'"
        raise ValueError(msg)
    return dt.timestamp()


def _check(record: EventRecord) -> EventRecord:
    if record.event not in EVENT_NAMES:
        raise EventRejected(
            "unknown-event",
            f"event {record.event!r} is not a T-Library or Interaction Server reporting event "
            "this server understands (see docs/event-link.md for the list)",
        )
    try:
        parse_time(record.time)
    except ValueError as exc:
        raise EventRejected("bad-time", str(exc)) from None
    return record


def _rejection(exc: msgspec.ValidationError) -> EventRejected:
    text = str(exc)
    if text.startswith("Expected `object`, got") and " - at `$" not in text:
        return EventRejected("not-an-object", f"an event is a JSON object: {text}")
    reason = "missing-field" if text.startswith("Object missing required field") else "bad-field"
    return EventRejected(reason, f"event record rejected: {text}")


def decode_event(data: bytes | str) -> EventRecord:
    """Decode and validate one JSON event; raises :class:`EventRejected` when it is bad."""
    try:
        record = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise _rejection(exc) from None
    except msgspec.DecodeError as exc:
        raise EventRejected("malformed-json", f"not a JSON object: {exc}") from None
    return _check(record)


def decode_event_obj(obj: Any) -> EventRecord:
    """Validate an already-parsed JSON object (a ``dict``) as an event record."""
    try:
        record = msgspec.convert(obj, EventRecord)
    except msgspec.ValidationError as exc:
        raise _rejection(exc) from None
    return _check(record)


def encode_event(record: EventRecord) -> bytes:
    """The JSON form of a record (unknown attributes are not kept)."""
    return _encoder.encode(record)
