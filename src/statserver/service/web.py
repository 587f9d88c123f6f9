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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from statserver.service.app import StatServer

__all__ = ["WsConnection", "create_app"]

log = logging.getLogger("statserver.clients")
_encoder: Final = msgspec.json.Encoder()


class WsConnection:
    """One WebSocket client."""

    def __init__(self, server: StatServer, websocket: WebSocket, name: str) -> None:
        self.server = server
        self.websocket = websocket
        self.session = server.new_session(name)
        self.name = name
        self._wake = asyncio.Event()
        self.cut_off: str | None = None
        self.writer: asyncio.Task[None] | None = None

    def wake(self) -> None:
        if self.session.overflowed and self.cut_off is None:
            self.cut_off = f"output queue full ({self.session.max_queue} messages): client too slow"
            log.warning("client %s cut off: %s", self.name, self.cut_off)
            self.server.metrics.disconnects.labels("slow-client").inc()
            if self.writer is not None:
                self.writer.cancel()
            asyncio.get_running_loop().create_task(self._close())
            return
        if self.session.outbox:
            self._wake.set()

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.websocket.close(code=1008, reason=(self.cut_off or "")[:120]), 2.0
            )

    async def write_loop(self) -> None:
        ws = self.websocket
        while True:
            await self._wake.wait()
            self._wake.clear()
            for event in self.session.take():
                await ws.send_text(_encoder.encode(event).decode())

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
                data = message.get("text") or message.get("bytes") or b""
                self.session.receive(data, self.server.clock())
                self.server.journal.flush()
                self.wake()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.server.sessions.discard(self)
            self.session.close(self.server.clock())
            if self.writer is not None:
                self.writer.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self.writer


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
        await WsConnection(server, websocket, name).serve()

    async def metrics(request: Request) -> Response:
        return Response(server.metrics.render(), media_type="text/plain; version=0.0.4")

    async def health(request: Request) -> Response:
        return JSONResponse(health_report(server))

    async def index(request: Request) -> Response:
        return PlainTextResponse(
            "Stat Server is running.\n"
            "  client protocol: ws://<host>:<port>/ws\n"
            "  metrics:         /metrics\n"
            "  health:          /api/v1/health\n"
        )

    routes: list[Any] = [
        WebSocketRoute("/ws", websocket_endpoint),
        Route("/metrics", metrics),
        Route("/api/v1/health", health),
        Route("/", index),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def health_report(server: StatServer) -> dict[str, Any]:
    engine = server.engine
    now = server.clock()
    return {
        "status": "ok",
        "mode": server.mode,
        "uptime": round(now - server.started_at, 3),
        "statistics": len(engine.statistics()),
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
            "lastBackup": server.last_backup,
        },
    }
