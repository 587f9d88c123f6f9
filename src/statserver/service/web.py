"""HTTP and WebSocket endpoints (Starlette): ``/ws`` client protocol, ``/metrics``,
``/api/v1`` and the wallboard at ``/``.

The WebSocket loop only moves bytes: messages go to the client's sans-I/O session, and a
writer task drains the session's bounded outbox.  When the outbox overflows (a slow or stuck
client) the connection is closed with code 1008 and the reason is logged; other clients
are not affected because the engine never waits for a socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from statserver.core.portable import COMPILED
from statserver.service import rest
from statserver.service.app import StatServer
from statserver.service.ws_protocol import FRAMES

__all__ = ["WsConnection", "create_app"]

log = logging.getLogger("statserver.clients")


class WsConnection:
    """One WebSocket client."""

    #: seconds a cut-off client is given to read what is queued and take the close frame
    CLOSE_GRACE: Final = 10.0

    def __init__(
        self, server: StatServer, websocket: WebSocket, name: str, *, batch: bool = False
    ) -> None:
        self.server = server
        self.websocket = websocket
        #: send every event ready at once as one JSON array per message (``?batch=1``)
        self.batch = batch
        self.session = server.new_session(name)
        self.name = name
        self._wake = asyncio.Event()
        self.cut_off: str | None = None
        self.writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        #: the writer task has taken events it has not finished sending
        self._sending = False
        # ``batch-frame-interval``: the values that change meanwhile wait and go together,
        # fewer frames and system calls for a little latency
        self.interval = server.options.batch_frame_interval if batch else 0.0
        # under uvicorn (service/ws_protocol.py) the frames ready at once go in one message
        # and one write, as UTF-8 payloads, and without an interval they are written as
        # soon as they are queued, without waking the writer task; elsewhere the writer
        # task sends one ASGI message per frame
        extension = (websocket.scope.get("extensions") or {}).get(FRAMES)
        self.many = extension is not None
        self._write_now: Callable[[Callable[[], list[bytes]]], bool] | None = (
            extension.get("write_now") if extension and not self.interval else None
        )

    def wake(self) -> None:
        """Called whenever events may have been queued for the client: written at once when
        the connection can take them (the writer task is left for when it cannot)."""
        if self.session.overflowed and self.cut_off is None:
            self._cut_off(
                f"output queue full ({self.session.max_queue} messages): client too slow",
                "slow-client",
            )
            return
        if not self.session.outbox:
            return
        write_now = self._write_now
        if write_now is not None and not self._sending and self.cut_off is None:
            try:
                if write_now(self._frames):
                    return
            except Exception as exc:  # the server's loop must go on whatever one socket does
                log.exception("client %s: writing to its connection failed", self.name)
                self._cut_off(f"writing failed: {type(exc).__name__}", "write-failed")
                return
        self._wake.set()

    def _cut_off(self, reason: str, label: str) -> None:
        self.cut_off = reason
        log.warning("client %s cut off: %s", self.name, reason)
        self.server.metrics.disconnects.labels(label).inc()
        if self.writer is not None:
            self.writer.cancel()
        self._closer = asyncio.get_running_loop().create_task(self._close())

    def _frames(self) -> list[bytes]:
        """The queued events as the payloads of frames; the queue is emptied."""
        events = self.session.take_encoded()
        if self.batch and events:
            return [b"[" + b",".join(events) + b"]"]
        return events

    def _detach(self) -> None:
        """The client gets nothing more: its statistics stay in the pool without it."""
        self.server.sessions.discard(self)
        if not self.session.closed:
            self.session.close(self.server.clock())

    async def _close(self) -> None:
        # not in wake(): the server is iterating its sessions there
        self._detach()
        # the close frame goes out once the client has read what the network already holds
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.websocket.close(code=1008, reason=(self.cut_off or "")[:120]),
                self.CLOSE_GRACE,
            )

    async def write_loop(self) -> None:
        """Sends what :meth:`wake` could not write at once: with ``batch-frame-interval``,
        under another ASGI server, or while the connection's buffer is full."""
        ws = self.websocket
        interval = self.interval
        loop = asyncio.get_running_loop()
        next_frame = 0.0
        while True:
            await self._wake.wait()
            if interval:
                wait = next_frame - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                next_frame = loop.time() + interval
            self._wake.clear()
            self._sending = True
            try:
                events = self._frames()
                if not events:
                    continue
                if self.many:
                    await ws.send({"type": "websocket.send", FRAMES: events})
                    continue
                for event in events:
                    await ws.send_text(event.decode())
            finally:
                self._sending = False

    async def serve(self) -> None:
        ws = self.websocket
        await ws.accept()
        self.server.sessions.add(self)
        self.session._put({"event": "ServerMode", "mode": self.server.mode})
        self.writer = asyncio.get_running_loop().create_task(self.write_loop())
        self.wake()
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if self.cut_off is not None:
                    continue  # cut off: requests are no longer served
                data = message.get("text") or message.get("bytes") or b""
                self.session.receive(data, self.server.clock())
                # its answers leave once what it journaled is committed
                self.server.answer_after_commit(self)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self._detach()
            for task in (self.writer, self._closer):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task


def create_app(server: StatServer, *, manage_server: bool = True) -> Starlette:
    """The ASGI application.  With ``manage_server`` its lifespan starts and stops the
    server's tasks (sources, engine, ticker, backups)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_server:
            await server.start()
        try:
            yield
        finally:
            if manage_server:
                await server.stop()

    async def websocket_endpoint(websocket: WebSocket) -> None:
        client = websocket.client
        name = websocket.query_params.get("client") or (
            f"{client.host}:{client.port}" if client else "client"
        )
        batch = websocket.query_params.get("batch", "") in ("1", "true", "yes")
        await WsConnection(server, websocket, name, batch=batch).serve()

    async def metrics(request: Request) -> Response:
        return Response(server.metrics.render(), media_type="text/plain; version=0.0.4")

    async def health(request: Request) -> Response:
        return JSONResponse(health_report(server))

    routes: list[Any] = [
        WebSocketRoute("/ws", websocket_endpoint),
        Route("/metrics", metrics),
        Route("/api/v1/health", health),
        *rest.routes(server),  # REST API, OpenAPI document, wallboard at /
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def health_report(server: StatServer) -> dict[str, Any]:
    engine = server.engine
    now = server.clock()
    return {
        "status": "ok",
        "mode": server.mode,
        "uptime": round(now - server.started_at, 3),
        "engine": "compiled" if COMPILED else "interpreted",
        "statistics": engine.statistic_count(),
        "clients": len(server.sessions),
        "events": {
            "received": engine.counters.received,
            "applied": engine.counters.applied,
            "rejected": dict(engine.counters.rejected),
        },
        "sources": {
            name: {
                "kind": src.status.kind,
                "transport": src.status.transport,
                "connected": src.status.connected,
                "events": src.status.events,
                "rejected": dict(src.status.rejected),
                "lastEventTime": src.status.last_event_time,
                "reconnects": src.status.reconnects,
            }
            for name, src in server.sources.items()
        },
        "tenants": {
            name: {"clock": t.ts if t.started else None} for name, t in engine.tenants.items()
        },
        "backup": {
            "storage": server.storage.description,
            "journalSeq": server.journal.seq,
            "journalCommitted": server.journal.committed_seq,
            "journalFailing": None
            if server.journal.failing is None
            else str(server.journal.failing),
            "lastBackup": server.last_backup,
        },
    }
