"""The WebSocket protocol under uvicorn, with an ASGI extension to send several frames in
one message and one system call, and to write them without a task switch.

uvicorn's ``websockets-sansio`` protocol writes every frame to the socket as the application
sends it: a client that takes one frame per value (``/ws`` without ``?batch=1``) cost a
``send`` system call per value, a third of the server's time at 5,000 events/s with 100
such clients, and each frame went through Starlette's and uvicorn's ``send`` (bench/README.md,
"Several frames in one write").  This subclass advertises the ASGI extension
:data:`FRAMES` in the connection's scope; a ``websocket.send`` message that carries it
holds a (non-empty) list of UTF-8 payloads, each sent as a text frame of its own, in order,
and all of them written to the socket at once.  The application uses it only when the
scope advertises it, so under another ASGI server it sends one message per frame, as
before.

The extension's value in the scope (a dictionary) also holds ``"write_now"``: a function
that takes a function returning such a list of payloads, and, when the connection can take
a write at once, calls it, frames what it returns and writes it to the socket, all without
awaiting anything, and returns True; otherwise (handshake not done, closing or closed,
or the transport's buffer above its high-water mark, where uvicorn's ``send`` would wait)
it returns False without calling it.  The server drains each client's queue with it right
after it has applied a batch of events, instead of waking a writer task per client: at
5,000 events/s with 100 clients that is ~30,000 task switches and ASGI sends a second
(14 µs each, a third of the server's core; bench/README.md, thirteenth session).

Everything else (handshake, close, ping and pong, flow control, messages without the key)
is uvicorn's: its ``send`` frames the last payload and writes what the connection has
framed (``data_to_send``), the earlier payloads with it.  The subclass relies on uvicorn's
attributes ``conn``, ``scope`` and ``handshake_complete``; the WebSocket tests run
through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState
from websockets.http11 import Request
from websockets.protocol import State

__all__ = ["FRAMES", "FramesWebSocketProtocol"]

#: the ASGI extension (a key of ``scope["extensions"]``) and the key of a ``websocket.send``
#: message that uses it: a non-empty list of UTF-8 payloads, one text frame each, written
#: at once
FRAMES: Final = "statserver.frames"


class FramesWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, with the :data:`FRAMES` extension."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope: Any = getattr(self, "scope", None)  # none when the handshake was refused
        if scope is not None:
            scope["extensions"][FRAMES] = {"write_now": self.write_now}

    def write_now(self, take: Callable[[], list[bytes]]) -> bool:
        """Frame the payloads ``take()`` returns (one text frame each) and write them at
        once, if the connection can take a write now; False, and ``take`` not called, if it
        cannot (the caller then goes through ``send``, which waits when it must)."""
        if (
            not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or self.initial_response is not None
            or not self.writable.is_set()
            or self.transport.is_closing()
            or self.conn.state is not State.OPEN
        ):
            return False
        frames = take()
        if frames:
            conn = self.conn
            for payload in frames:
                conn.send_text(payload)
            self.transport.write(b"".join(conn.data_to_send()))
        return True

    async def send(self, message: Any) -> None:
        frames = message.get(FRAMES)
        if frames is None or message["type"] != "websocket.send" or not self.handshake_complete:
            await super().send(message)
            return
        # every payload but the last is framed now; uvicorn's own send frames the last one
        # (flow control, disconnection, closing state) and writes all that is framed at once
        *head, last = frames
        try:
            for payload in head:
                self.conn.send_text(payload)
        except InvalidState:
            raise ClientDisconnected() from None
        await super().send({"type": "websocket.send", "text": last.decode()})
