"""Shared fixtures for the service tests (a real server on a free port, raw WebSocket peers,
events fed into the server, a minimal fake T-Server).  Keep it small: helpers that only one
file needs live in that file; tests/service/fakes.py holds the richer fakes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import textwrap
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
import websockets
from websockets.asyncio.client import ClientConnection

from statserver.config import load_config_text
from statserver.config.load import LoadedConfig
from statserver.events import decode_event_obj
from statserver.service.app import StatServer
from statserver.service.runner import running
from statserver.service.sources import SourceEvent

# One tenant, one switch reported by TS1, a queue, three agents.  ``Minute`` resets every
# minute (Reset mode tests); ``OnSales`` is the virtual group of agents logged in on 8000.
SERVICE_CONFIG = """
tenants:
  - name: Resources
switches:
  - {name: SW1, tenant: Resources, source: TS1}
sources:
  - {name: TS1, kind: tserver, tenants: [Resources]<TS1>}
dns:
  - {number: "8000", switch: SW1, type: ACDQueue}
  - {number: "8001", switch: SW1, type: ACDQueue}
  - {number: "7001", switch: SW1, type: Extension}
  - {number: "7002", switch: SW1, type: Extension}
  - {number: "7003", switch: SW1, type: Extension}
places:
  - {name: P1, dns: ["7001@SW1"]}
  - {name: P2, dns: ["7002@SW1"]}
  - {name: P3, dns: ["7003@SW1"]}
agents:
  - {employeeId: a1, userName: ann, loginIds: {SW1: "5001"}}
  - {employeeId: a2, userName: bob, loginIds: {SW1: "5002"}}
  - {employeeId: a3, userName: cid, loginIds: {SW1: "5003"}}
agentGroups:
  - {name: Team, agents: [a1, a2, a3]}
  - {name: OnSales, script: 'LoggedIn("8000@SW1")'}
statTypes:
  CallsWaiting: {Objects: "Queue,GroupQueues", Category: CurrentNumber, Subject: DNAction, MainMask: CallWait}
  CallsEntered: {Objects: "Queue,GroupQueues", Category: TotalNumber, Subject: DNAction, MainMask: CallEntered}
  AnsweredIn: {Objects: "Queue,GroupQueues", Category: TotalNumberInTimeRange, Subject: DNAction, MainMask: CallDistributed}
  ReadyTime: {Objects: "Agent,GroupAgents", Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  AgentState: {Objects: "Agent", Category: CurrentState, Subject: AgentStatus}
  Targets: {Objects: "Agent,GroupAgents", Category: CurrentTargetState, Subject: AgentStatus}
timeProfiles:
  Default: {type: Growing, value: "00:00"}
  Minute: {type: Growing, value: "00:00+00:01"}
  Last10Min: {type: Sliding, value: "600:60"}
timeRanges:
  SL20: "0-20"
filters:
  Gold: 'PairExists("Segment","Gold")'
"""


def service_config(
    extra: str = "", *, options: dict[str, Any] | None = None, tserver_port: int | None = None
) -> LoadedConfig:
    """The service test configuration, plus ``extra`` YAML, ``options`` and (optionally) a
    TCP T-Server link for TS1 on ``tserver_port``."""
    link = f", host: 127.0.0.1, port: {tserver_port}" if tserver_port else ""
    text = SERVICE_CONFIG.replace("<TS1>", link) + textwrap.dedent(extra)
    if options:
        text += "options:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in options.items())
    return load_config_text(text, source="<service-test>")


def _feed(server: StatServer, *events: dict[str, Any]) -> None:
    """Give events to the server as a source would (journal, engine, pushes).  Each event
    defaults to ``source: TS1`` and ``time``: now."""
    now = time.time()
    batch = [
        SourceEvent(
            ev.get("source", "TS1"),
            decode_event_obj({"source": "TS1", "time": now, **ev}),
            b"",
            now,
        )
        for ev in events
    ]
    server.process(batch)


@pytest.fixture(scope="session")
def make_config() -> Callable[..., LoadedConfig]:
    """``make_config(extra, options=..., tserver_port=...)``: the service test configuration."""
    return service_config


@pytest.fixture
def feed() -> Callable[..., None]:
    """``feed(server, *events)``: events given to the server as a source would give them
    (journal, engine, pushes); each defaults to ``source: TS1`` and ``time``: now."""
    return _feed


class Peer:
    """A raw WebSocket client speaking the JSON protocol (no client library)."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    async def recv(self, timeout: float = 2.0) -> dict[str, Any]:
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        event = json.loads(data)
        assert isinstance(event, dict)
        return event

    async def until(
        self, event: str, ref: Any = ..., timeout: float = 2.0
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Read until ``event`` (for ``ref``) comes: (it, the events before it)."""
        before: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            got = await self.recv(max(0.01, deadline - time.monotonic()))
            if got.get("event") == event and (ref is ... or got.get("referenceId") == ref):
                return got, before
            before.append(got)

    async def silent(self, seconds: float) -> list[dict[str, Any]]:
        """Everything received during ``seconds`` (expected empty by most callers)."""
        out: list[dict[str, Any]] = []
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError):
            while (left := deadline - time.monotonic()) > 0:
                out.append(await self.recv(left))
        return out

    async def request(self, message: dict[str, Any], reply: str) -> dict[str, Any]:
        """Send a request and return its reply (``reply`` or ``Error``) for the referenceId."""
        await self.send(message)
        ref = message.get("referenceId")
        while True:
            got = await self.recv()
            if got.get("referenceId") == ref and got.get("event") in (reply, "Error"):
                return got


@pytest.fixture
def serve() -> Callable[..., contextlib.AbstractAsyncContextManager[tuple[StatServer, str]]]:
    """``async with serve(extra, options=..., storage=...) as (server, ws_url)``: a server on
    a free port; ``ws_url`` is ``ws://127.0.0.1:PORT/ws``."""

    @contextlib.asynccontextmanager
    async def start(
        extra: str = "",
        *,
        options: dict[str, Any] | None = None,
        tserver_port: int | None = None,
        storage: str = ":memory:",
        port: int = 0,
    ) -> AsyncIterator[tuple[StatServer, str]]:
        opts = {"auto-backup-interval": 0, **(options or {})}
        config = service_config(extra, options=opts, tserver_port=tserver_port)
        async with running(config, storage=storage, port=port) as (server, url):
            yield server, url.replace("http://", "ws://") + "/ws"

    return start


@pytest.fixture
def peer() -> Callable[..., contextlib.AbstractAsyncContextManager[Peer]]:
    """``async with peer(ws_url) as p``: a raw WebSocket client; the ServerMode event that
    opens every connection is read and checked."""

    @contextlib.asynccontextmanager
    async def connect(url: str, **kwargs: Any) -> AsyncIterator[Peer]:
        async with websockets.connect(url, proxy=None, **kwargs) as ws:
            p = Peer(ws)
            first = await p.recv()
            assert first == {"event": "ServerMode", "mode": "Primary"}
            yield p

    return connect


class FakeTServer:
    """A minimal T-Server for one Stat Server link: answers RegisterAddress with
    EventRegistered, then sends the events the test gives it (one JSON object per line)."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writer: asyncio.StreamWriter | None = None
        self.requests: list[dict[str, Any]] = []
        self.registered: set[str] = set()
        self.ready = asyncio.Event()
        self.dns: set[str] = set()

    async def start(self, dns: set[str]) -> None:
        self.dns = dns
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.registered = set()
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while line := await reader.readline():
                request = json.loads(line)
                self.requests.append(request)
                if request.get("request") == "RegisterAddress":
                    dn = request["thisDN"]
                    self.registered.add(dn)
                    self.send({"event": "EventRegistered", "thisDN": dn})
                    if self.registered >= self.dns:
                        self.ready.set()

    def send(self, event: dict[str, Any]) -> None:
        assert self.writer is not None, "Stat Server is not connected"
        record = {"source": "TS1", "time": time.time(), **event}
        self.writer.write(json.dumps(record).encode() + b"\n")

    def drop(self) -> None:
        """Close the connection (Stat Server sees the link lost and reconnects)."""
        self.ready.clear()
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    async def stop(self) -> None:
        self.drop()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest_asyncio.fixture
async def tserver() -> AsyncIterator[FakeTServer]:
    """A fake T-Server for SW1's DNs on a free port (``tserver.port``)."""
    fake = FakeTServer()
    await fake.start({"8000", "8001", "7001", "7002", "7003"})
    try:
        yield fake
    finally:
        await fake.stop()
