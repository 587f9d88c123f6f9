"""Event sources: T-Server and Interaction Server links over TCP, JSON Lines files, NATS.

Each source runs as a task that puts :class:`SourceEvent` objects into the server's bounded
input queue (so a slow engine slows the sources down instead of filling memory).  A source
that can resume (a file: byte offset; NATS JetStream: stream sequence) reports a position
with each event; after a restart the server asks it to resume after the last position it
journaled, which makes a restore exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from statserver.config.schema import SourceCfg
from statserver.errors import EventRejected
from statserver.events.record import EventRecord, decode_event, parse_time
from statserver.link.protocol import Link

__all__ = [
    "FileSource",
    "NatsSource",
    "SourceEvent",
    "SourceStatus",
    "TcpLinkSource",
    "make_source",
]

log = logging.getLogger("statserver.sources")

Sink = Callable[["SourceEvent"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SourceEvent:
    source: str
    record: EventRecord
    raw: bytes
    received_at: float
    position: Any = None


@dataclass
class SourceStatus:
    name: str
    kind: str
    transport: str
    connected: bool = False
    events: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    last_event_time: float | None = None
    last_received: float | None = None
    reconnects: int = 0
    detail: str = ""

    def reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1


class TcpLinkSource:
    """A T-Server or Interaction Server reached over TCP (the event-link protocol)."""

    def __init__(
        self,
        cfg: SourceCfg,
        link: Link,
        *,
        clock: Callable[[], float] = time.time,
        backoff: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self.cfg = cfg
        self.name = str(cfg.name)
        self.link = link
        self.clock = clock
        self.backoff = backoff
        self.status = SourceStatus(self.name, cfg.kind, "tcp", detail=f"{cfg.host}:{cfg.port}")
        self._writer: asyncio.StreamWriter | None = None

    async def run(self, sink: Sink, resume: Any = None) -> None:
        delay = self.backoff[0]
        while True:
            try:
                reader, writer = await asyncio.open_connection(self.cfg.host, self.cfg.port)
            except OSError as exc:
                log.info("source %s: cannot connect to %s: %s", self.name, self.status.detail, exc)
                await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
                delay = min(delay * 2, self.backoff[1])
                continue
            delay = self.backoff[0]
            self._writer = writer
            reason = "stopped"
            try:
                reason = await self._session(reader, writer, sink)
            except (OSError, asyncio.IncompleteReadError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                self._writer = None
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
                self.status.connected = False
                lost = self.link.disconnected_at(self.clock())
                if lost is not None:
                    level = logging.INFO if reason == "stopped" else logging.WARNING
                    log.log(level, "source %s: link down (%s)", self.name, reason)
                    await self._emit(sink, lost, b"")
            self.status.reconnects += 1
            await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))

    def register(self, dns: list[str]) -> None:
        """Register DNs added by a configuration reload (if connected)."""
        writer = self._writer
        if writer is None:
            return
        writer.writelines(
            msgspec.json.encode({"request": "RegisterAddress", "thisDN": dn}) + b"\n" for dn in dns
        )

    async def _emit(self, sink: Sink, record: EventRecord, raw: bytes) -> None:
        now = self.clock()
        await sink(SourceEvent(self.name, record, raw, now))
        self.status.last_received = now

    async def _session(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sink: Sink
    ) -> str:
        """Serve one connection; returns why it ended."""
        lines = self.link.connected_at(self.clock())
        self.status.connected = True
        log.info("source %s: connected to %s", self.name, self.status.detail)
        writer.writelines(lines)
        await writer.drain()
        while True:
            data = await reader.read(65536)
            if not data:
                return "closed by the peer"
            records, broken = self.link.receive(data)
            self.status.rejected = dict(self.link.rejected)
            for record, raw in records:
                if raw:  # not the link-state record the link adds before the first one
                    self.status.events += 1
                    with contextlib.suppress(ValueError):
                        self.status.last_event_time = parse_time(record.time)
                await self._emit(sink, record, raw)
            if broken:
                log.error("source %s: protocol error (line too long), reconnecting", self.name)
                return "protocol error"


class FileSource:
    """A JSON Lines file: replayed once (optionally paced), or followed like ``tail -f``."""

    def __init__(
        self,
        cfg: SourceCfg,
        *,
        clock: Callable[[], float] = time.time,
        speed: float = 0.0,
        poll: float = 0.2,
    ) -> None:
        self.cfg = cfg
        self.name = str(cfg.name)
        self.path = Path(cfg.file or "")
        self.follow = cfg.follow
        self.speed = speed
        self.poll = poll
        self.clock = clock
        self.status = SourceStatus(self.name, cfg.kind, "file", detail=str(self.path))
        self.finished = asyncio.Event()

    async def run(self, sink: Sink, resume: Any = None) -> None:
        # ``offset`` is where unprocessed data starts; a line counts once its "\n" is read
        # (or, when not following, at the end of the file)
        offset = int(resume) if resume is not None else 0
        pace: tuple[float, float] | None = None
        while True:
            try:
                with self.path.open("rb") as fh:
                    fh.seek(offset)
                    chunk = fh.read(1 << 20)
            except OSError as exc:
                self.status.connected = False
                self.status.detail = f"{self.path}: {exc.strerror}"
                if not self.follow:
                    log.error("source %s: cannot read %s: %s", self.name, self.path, exc)
                    self.finished.set()
                    return
                await asyncio.sleep(self.poll)
                continue
            self.status.connected = True
            end = chunk.rfind(b"\n") + 1
            if end == 0 and chunk and not self.follow and len(chunk) < (1 << 20):
                end = len(chunk)  # last line without a newline
            if end == 0:
                if not self.follow:
                    self.finished.set()
                    return
                await asyncio.sleep(self.poll)
                continue
            position = offset
            for line in chunk[:end].split(b"\n"):
                position += len(line) + 1
                if not line.strip():
                    continue
                try:
                    record = decode_event(line)
                except EventRejected as exc:
                    self.status.reject(exc.reason)
                    continue
                t = parse_time(record.time)
                if self.speed > 0:
                    if pace is None:
                        pace = (t, time.monotonic())
                    wait = (t - pace[0]) / self.speed - (time.monotonic() - pace[1])
                    if wait > 0:
                        await asyncio.sleep(wait)
                self.status.events += 1
                self.status.last_event_time = t
                now = self.clock()
                self.status.last_received = now
                await sink(SourceEvent(self.name, record, line, now, min(position, offset + end)))
            offset += end


class NatsSource:
    """A NATS JetStream subject (one per switch); resumes after the last stream sequence."""

    def __init__(self, cfg: SourceCfg, *, clock: Callable[[], float] = time.time) -> None:
        self.cfg = cfg
        self.name = str(cfg.name)
        self.clock = clock
        self.url = cfg.url or "nats://127.0.0.1:4222"
        self.subject = cfg.subject or f"statserver.{self.name}"
        self.stream = cfg.stream
        self.status = SourceStatus(self.name, cfg.kind, "nats", detail=f"{self.url} {self.subject}")

    async def run(self, sink: Sink, resume: Any = None) -> None:
        import nats
        from nats.js.api import ConsumerConfig, DeliverPolicy

        start = int(resume) + 1 if resume is not None else None
        delay = 0.5
        while True:
            try:
                nc = await nats.connect(self.url, max_reconnect_attempts=-1)
            except Exception as exc:
                log.info("source %s: cannot connect to %s: %s", self.name, self.url, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            try:
                js = nc.jetstream()
                config = ConsumerConfig(
                    deliver_policy=DeliverPolicy.BY_START_SEQUENCE if start else DeliverPolicy.ALL,
                    opt_start_seq=start,
                )
                sub = await js.subscribe(
                    self.subject, stream=self.stream, ordered_consumer=True, config=config
                )
                self.status.connected = True
                async for msg in sub.messages:
                    seq = msg.metadata.sequence.stream
                    try:
                        record = decode_event(msg.data)
                    except EventRejected as exc:
                        self.status.reject(exc.reason)
                        start = seq + 1
                        continue
                    if record.source != self.name:
                        record = msgspec.structs.replace(record, source=self.name)
                    self.status.events += 1
                    self.status.last_event_time = parse_time(record.time)
                    now = self.clock()
                    self.status.last_received = now
                    await sink(SourceEvent(self.name, record, msg.data, now, seq))
                    start = seq + 1
            except Exception as exc:
                log.warning("source %s: %s", self.name, exc)
                self.status.connected = False
                await asyncio.sleep(delay)
            finally:
                with contextlib.suppress(Exception):
                    await nc.close()


def make_source(
    cfg: SourceCfg, link: Link, *, clock: Callable[[], float] = time.time
) -> TcpLinkSource | FileSource | NatsSource | None:
    transport = cfg.transport or ("file" if cfg.file else "nats" if cfg.url else "tcp")
    if transport == "file":
        return FileSource(cfg, clock=clock)
    if transport == "nats":
        return NatsSource(cfg, clock=clock)
    if cfg.host and cfg.port:
        return TcpLinkSource(cfg, link, clock=clock)
    return None
