"""Running the server: under uvicorn, from the command line or inside tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn

from statserver.config.load import LoadedConfig, load_config
from statserver.service.app import StatServer
from statserver.service.storage import Storage
from statserver.service.web import create_app
from statserver.service.ws_protocol import FramesWebSocketProtocol

__all__ = ["bind", "running", "serve"]


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _uvicorn(server: StatServer, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(server),
        lifespan="on",
        log_level=log_level,
        # uvicorn's websockets-sansio protocol, able to send several frames in one message
        # and one system call (service/ws_protocol.py)
        ws=FramesWebSocketProtocol,
        ws_ping_interval=20,
        ws_ping_timeout=20,
        # permessage-deflate costs CPU on every frame: off unless the option asks for it
        ws_per_message_deflate=server.options.websocket_compression,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


async def serve(
    config_path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 7100,
    storage: Storage | str | None = None,
    log_level: str = "info",
    announce: Any = None,
) -> None:
    """Run the server until SIGINT/SIGTERM (then a final snapshot is written)."""
    config = load_config(config_path)
    server = StatServer(config, config_path=config_path, storage=storage)
    sock = bind(host, port)
    uv = _uvicorn(server, log_level)
    if announce is not None:
        asyncio.get_running_loop().call_soon(announce, server, sock.getsockname()[1])
    await uv.serve(sockets=[sock])


@contextlib.asynccontextmanager
async def running(
    config: LoadedConfig,
    *,
    config_path: str | Path | None = None,
    storage: Storage | str | None = ":memory:",
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str = "warning",
) -> AsyncIterator[tuple[StatServer, str]]:
    """Run a server inside the current event loop: yields it and its base URL."""
    server = StatServer(config, config_path=config_path, storage=storage)
    sock = bind(host, port)
    uv = _uvicorn(server, log_level)
    uv.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(uv.serve(sockets=[sock]))
    while not uv.started:
        if task.done():
            await task
            msg = "the server did not start"
            raise RuntimeError(msg)
        await asyncio.sleep(0.01)
    real_port = sock.getsockname()[1]
    try:
        yield server, f"http://{host}:{real_port}"
    finally:
        uv.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        logging.getLogger("statserver").debug("test server on port %s stopped", real_port)
