"""Input event records: what T-Servers and Interaction Servers report (contracts.md §1)."""

from statserver.events.record import (
    EVENT_NAMES,
    EventRecord,
    decode_event,
    decode_event_obj,
    encode_event,
    parse_time,
)

__all__ = [
    "EVENT_NAMES",
    "EventRecord",
    "decode_event",
    "decode_event_obj",
    "encode_event",
    "parse_time",
]
