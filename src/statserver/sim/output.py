"""Writing simulated events as JSON Lines (the replay format, contracts.md §1)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Final

import msgspec

from statserver.sim.core import Emitted, Simulation

__all__ = ["encode_record", "write_events", "write_records"]

_encoder: Final = msgspec.json.Encoder()


def encode_record(record: dict[str, object]) -> bytes:
    """One record as a line: compact JSON, keys in the order they were set, then ``\\n``."""
    return _encoder.encode(record) + b"\n"


def write_records(out: IO[bytes], events: Iterable[Emitted]) -> int:
    n = 0
    for e in events:
        out.write(encode_record(e.record))
        n += 1
    return n


def write_events(sim: Simulation, out: IO[bytes], until: int, *, chunk: int = 60_000) -> int:
    """Run ``sim`` to ``until`` (ms) as fast as possible, writing every event to ``out``;
    returns the number of events written."""
    n = 0
    while sim.now < until:
        n += write_records(out, sim.advance(min(until, sim.now + chunk)))
    return n
