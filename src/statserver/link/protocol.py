"""The event link: how Stat Server talks to a T-Server or an Interaction Server.  Sans-I/O.

Framing: one JSON object per line (UTF-8, ``\\n``-terminated) in both directions.  Stat
Server is the client:

* to a **T-Server** it sends ``{"request": "RegisterClient", "client": "<name>"}`` and then
  ``{"request": "RegisterAddress", "thisDN": "<number>"}`` for every DN of the switches the
  source reports; the T-Server answers each with an ``EventRegistered`` record that may carry
  the DN's current state in ``extensions`` (docs/event-link.md), then streams events;
* to an **Interaction Server** it sends ``{"request": "StartPlaceAgentStateReportingAll",
  "tenants": [...]}``; the server answers with the current state of every logged-in agent
  (``EventAgentLogin``/``EventMediaAdded``/``EventReadyForMedia``/... records) and of every
  interaction in a queue, then streams events.

The link object turns a TCP connection's life into records for the engine: a synthetic
``EventLinkConnected`` when the connection is made (the DNs become Monitored until
registered) and ``EventLinkDisconnected`` when it is lost (actions end, statistics become
invalid).  Lines that are not valid event records are rejected and counted, never fatal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import msgspec

from statserver.errors import EventRejected
from statserver.events.record import EventRecord, decode_event

__all__ = ["MAX_LINE", "LineFramer", "Link"]

#: a line longer than this is a protocol error (the connection is dropped)
MAX_LINE: Final = 1 << 20

_encoder: Final = msgspec.json.Encoder()


class LineFramer:
    """Bytes in, complete lines out."""

    __slots__ = ("_buf", "max_line")

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._buf = bytearray()
        self.max_line = max_line

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        if b"\n" not in data:
            if len(self._buf) > self.max_line:
                msg = f"a line longer than {self.max_line} bytes"
                raise ValueError(msg)
            return []
        *lines, rest = self._buf.split(b"\n")
        self._buf = bytearray(rest)
        if len(self._buf) > self.max_line:
            msg = f"a line longer than {self.max_line} bytes"
            raise ValueError(msg)
        return [bytes(line) for line in lines if line.strip()]


class Link:
    """One source's connection: what to send when connected, how to read what comes."""

    def __init__(
        self,
        source: str,
        kind: str,
        *,
        dns: Iterable[str] = (),
        tenants: Iterable[str] = (),
        client_name: str = "statserver",
    ) -> None:
        self.source = source
        self.kind = kind
        self.dns = tuple(dns)
        self.tenants = tuple(tenants)
        self.client_name = client_name
        self.framer = LineFramer()
        self.connected = False
        self.announce = False
        self.rejected: dict[str, int] = {}
        #: link-state records (EventLinkConnected / EventLinkDisconnected) given out so far
        self.link_records = 0

    def connected_at(self, now: float) -> list[bytes]:
        """The connection is up: the requests to send.

        The engine hears of the link (``EventLinkConnected``) with the first record the source
        sends, stamped with that record's time: the source's clock, not ours, so a source
        whose clock differs from the server's never moves the tenant's clock ahead of it.
        """
        self.connected = False
        self.announce = True
        self.framer = LineFramer()
        if self.kind == "interaction":
            out = [
                {
                    "request": "StartPlaceAgentStateReportingAll",
                    "client": self.client_name,
                    "tenants": list(self.tenants),
                },
            ]
        else:
            out = [{"request": "RegisterClient", "client": self.client_name}]
            out.extend({"request": "RegisterAddress", "thisDN": dn} for dn in self.dns)
        return [_encoder.encode(m) + b"\n" for m in out]

    def disconnected_at(self, now: float) -> EventRecord | None:
        """The connection is lost: the record to give the engine (once, and only if the
        engine heard the link was up)."""
        self.announce = False
        if not self.connected:
            return None
        self.connected = False
        self.link_records += 1
        return EventRecord(event="EventLinkDisconnected", time=now, source=self.source)

    def receive(self, data: bytes) -> tuple[list[tuple[EventRecord, bytes]], bool]:
        """Records decoded from ``data`` (with their raw line), and whether the stream is
        broken (a line too long: the connection must be dropped)."""
        try:
            lines = self.framer.feed(data)
        except ValueError:
            self.rejected["line-too-long"] = self.rejected.get("line-too-long", 0) + 1
            return [], True
        out: list[tuple[EventRecord, bytes]] = []
        for line in lines:
            try:
                record = decode_event(line)
            except EventRejected as exc:
                self.rejected[exc.reason] = self.rejected.get(exc.reason, 0) + 1
                continue
            if record.source != self.source:
                # a source reports under its configured name; fix it rather than lose it
                record = msgspec.structs.replace(record, source=self.source)
            if self.announce:
                self.announce = False
                self.connected = True
                self.link_records += 1
                up = EventRecord(event="EventLinkConnected", time=record.time, source=self.source)
                out.append((up, b""))
            out.append((record, line))
        return out, False
