"""Serving a simulation over the network: one TCP server per T-Server / Interaction Server.

The wire protocol is the event link of docs/event-link.md ("Transport"): JSON objects, one
per line, in both directions; Stat Server connects.

* **T-Server link.**  ``RegisterClient`` is accepted; each ``RegisterAddress`` (``thisDN``)
  is answered at once with ``EventRegistered`` carrying the DN's current state (agent logged
  in, work mode, reason, calls; the calls waiting on a queue), and from then on the client
  receives every event of that DN.  ``UnregisterAddress`` stops them.
* **Interaction Server link.**  ``StartPlaceAgentStateReportingAll`` (``tenants``: the
  tenants wanted, all of the server's when empty) is answered with the state of every
  logged-in agent and every waiting interaction, then the client receives every event of
  those tenants.

The simulation runs whether clients are connected or not, like a real switch: a client that
connects late, or reconnects, is brought up to date by these snapshots.  Time is paced by
:meth:`SimService.run` (``speed`` simulated seconds per second), or driven step by step with
:meth:`SimService.advance_to` (tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from typing import IO, Any

import msgspec

from statserver.sim.center import SourceSpec
from statserver.sim.core import Emitted, Simulation
from statserver.sim.output import encode_record

__all__ = ["LinkServer", "SimService"]

log = logging.getLogger("statserver.sim")

#: a client that lets this much output pile up is disconnected (it is not reading)
MAX_BACKLOG = 64 << 20


class _Client:
    def __init__(self, writer: asyncio.StreamWriter, kind: str) -> None:
        self.writer = writer
        self.kind = kind
        self.registered: set[str] = set()
        #: Interaction Server: the tenants subscribed to (None: not yet)
        self.tenants: set[str] | None = None
        self.closed = False
        self.peer = str(writer.get_extra_info("peername"))

    def wants(self, e: Emitted) -> bool:
        if self.kind == "tserver":
            return e.record.get("thisDN") in self.registered
        return self.tenants is not None and e.tenant in self.tenants


class LinkServer:
    """The TCP server of one source (T-Server or Interaction Server)."""

    def __init__(self, service: SimService, spec: SourceSpec, host: str, port: int) -> None:
        self.service = service
        self.spec = spec
        self.name = spec.name
        self.host = host
        self.port = port
        self.clients: list[_Client] = []
        self.lines = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._handle, self.host, self.port, limit=1 << 20)
        sock = self._server.sockets[0]
        self.port = int(sock.getsockname()[1])
        return self.host, self.port

    async def close(self) -> None:
        for client in list(self.clients):
            self._drop(client)
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    def _drop(self, client: _Client) -> None:
        if client in self.clients:
            self.clients.remove(client)
        if not client.closed:
            client.closed = True
            client.writer.close()

    def _write(self, client: _Client, lines: Iterable[bytes]) -> None:
        if client.closed:
            return
        n = 0
        for line in lines:
            client.writer.write(line)
            n += 1
        self.lines += n
        self.service.lines_sent += n
        if client.writer.transport.get_write_buffer_size() > MAX_BACKLOG:
            log.warning("link %s: client %s does not read; disconnected", self.name, client.peer)
            self._drop(client)

    def send(self, e: Emitted, line: bytes) -> None:
        for client in list(self.clients):
            if client.writer.is_closing():
                self._drop(client)
            elif client.wants(e):
                self._write(client, (line,))

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = _Client(writer, self.spec.kind)
        self.clients.append(client)
        log.info("link %s: client %s connected", self.name, client.peer)
        try:
            while not client.closed:
                line = await reader.readline()
                if not line:
                    break
                if line.strip():
                    self._request(client, line)
        except (ConnectionError, asyncio.LimitOverrunError, ValueError) as exc:
            log.info("link %s: client %s: %s", self.name, client.peer, exc)
        finally:
            log.info("link %s: client %s disconnected", self.name, client.peer)
            self._drop(client)

    def _request(self, client: _Client, line: bytes) -> None:
        try:
            req = msgspec.json.decode(line)
        except msgspec.DecodeError:
            log.info("link %s: not JSON from %s: %.80r", self.name, client.peer, line)
            return
        if not isinstance(req, dict):
            return
        name = req.get("request")
        sim = self.service.sim
        if self.spec.kind == "tserver":
            if name == "RegisterAddress" and isinstance(req.get("thisDN"), str):
                self.service.catch_up()
                dn = req["thisDN"]
                snapshot = sim.registration(self.name, dn)
                if snapshot:
                    client.registered.add(dn)
                    self._write(client, (encode_record(e.record) for e in snapshot))
            elif name == "UnregisterAddress" and isinstance(req.get("thisDN"), str):
                client.registered.discard(req["thisDN"])
        elif name == "StartPlaceAgentStateReportingAll":
            self.service.catch_up()
            wanted = [str(t) for t in req.get("tenants") or []]
            tenants = {t for t in wanted if t in self.spec.tenants} or set(self.spec.tenants)
            snapshot = sim.reporting_snapshot(self.name, tenants)
            client.tenants = tenants
            self._write(client, (encode_record(e.record) for e in snapshot))


class SimService:
    """A simulation and the links it serves."""

    def __init__(
        self,
        sim: Simulation,
        *,
        host: str | None = None,
        ports: dict[str, int] | None = None,
        speed: float = 1.0,
        record: IO[bytes] | None = None,
        sources: Iterable[str] | None = None,
    ) -> None:
        self.sim = sim
        self.speed = speed
        self.record = record
        self.lines_sent = 0
        self.links: dict[str, LinkServer] = {}
        wanted = set(sources) if sources is not None else None
        for name, spec in sim.center.sources.items():
            if wanted is not None and name not in wanted:
                continue
            port = (ports or {}).get(name, spec.port)
            if port is None:
                log.warning("source %s has no port: not served", name)
                continue
            self.links[name] = LinkServer(self, spec, host or spec.host or "127.0.0.1", int(port))
        self._pace: tuple[float, int] | None = None

    async def start(self) -> dict[str, tuple[str, int]]:
        """Listen on every link; returns where each listens (ports 0 get a free port)."""
        return {name: await link.start() for name, link in self.links.items()}

    async def close(self) -> None:
        for link in self.links.values():
            await link.close()

    @property
    def clients(self) -> int:
        return sum(len(link.clients) for link in self.links.values())

    def advance_to(self, t: int) -> int:
        """Run the simulation to ``t`` (ms) and send what happened; returns the number of
        events."""
        events = self.sim.advance(t)
        links = self.links
        record = self.record
        for e in events:
            line = encode_record(e.record)
            link = links.get(e.record["source"])
            if link is not None:
                link.send(e, line)
            if record is not None:
                record.write(line)
        return len(events)

    async def drain(self) -> None:
        """Wait until what was sent is handed to the network."""
        for link in self.links.values():
            for client in list(link.clients):
                try:
                    await client.writer.drain()
                except (ConnectionError, RuntimeError):
                    link._drop(client)

    def target_time(self) -> int | None:
        """Where the paced simulation should be now (ms), or None when not paced."""
        if self._pace is None:
            return None
        w0, s0 = self._pace
        return s0 + int((time.monotonic() - w0) * self.speed * 1000)

    def catch_up(self) -> None:
        """Bring a paced simulation to the present (before a snapshot is taken)."""
        target = self.target_time()
        if target is not None and target > self.sim.now:
            self.advance_to(target)

    async def run(self, until: int | None = None) -> None:
        """Run paced by the wall clock (``speed`` simulated seconds per second) until the
        simulated time ``until`` (ms; forever when None)."""
        sim = self.sim
        wall = int(time.time() * 1000)
        if self.speed >= 1 and 0 < wall - sim.now < 5000:
            self.advance_to(wall)  # a simulation of "now" starts at the present
        self._pace = (time.monotonic(), sim.now)
        try:
            while until is None or sim.now < until:
                target = self.target_time()
                assert target is not None
                if until is not None:
                    target = min(target, until)
                if target > sim.now:
                    self.advance_to(target)
                await self.drain()
                nxt = sim.next_time()
                w0, s0 = self._pace
                wait = (
                    0.2 if nxt is None else (nxt - s0) / 1000 / self.speed - (time.monotonic() - w0)
                )
                await asyncio.sleep(min(0.2, max(0.0, wait)))
        finally:
            self._pace = None

    def describe(self) -> dict[str, Any]:
        return {name: f"{link.host}:{link.port}" for name, link in self.links.items()}
