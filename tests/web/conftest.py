"""Fixtures for the REST API, wallboard and ``watch`` tests.

``Served`` is a server (not started: no sources, no ticker) with a clock the test moves,
its ASGI app, and helpers to feed events at ``T0 + t`` through the server's own pipeline
(journal, engine, pool, client sessions) and to talk to it as a protocol client.
"""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
import pytest_asyncio

from helpers import T0
from statserver.config import load_config_text
from statserver.events import decode_event_obj
from statserver.protocol.session import ClientSession
from statserver.service.app import StatServer
from statserver.service.sources import SourceEvent
from statserver.service.web import create_app

CONFIG = """
tenants:
  - name: Resources
switches:
  - {name: SW1, tenant: Resources, source: TS1}
sources:
  - {name: TS1, kind: tserver, tenants: [Resources]}
dns:
  - {number: "8000", switch: SW1, type: ACDQueue}
  - {number: "9000", switch: SW1, type: RoutingPoint}
  - {number: "7001", switch: SW1, type: Extension}
  - {number: "7002", switch: SW1, type: Extension}
places:
  - {name: P1, dns: ["7001@SW1"]}
  - {name: P2, dns: ["7002@SW1"]}
agents:
  - {employeeId: a1, userName: ann, loginIds: {SW1: "5001"}, skills: {Spanish: 7}}
  - {employeeId: a2, userName: bob, loginIds: {SW1: "5002"}}
agentGroups:
  - {name: Team, agents: [a1, a2]}
  - {name: Spanish, script: 'Skill("Spanish")>=5'}
placeGroups:
  - {name: Floor, places: [P1, P2]}
dnGroups:
  - {name: Queues, dns: ["8000@SW1"]}
timeProfiles:
  Default: {type: Growing, value: "00:00"}
  LastHour: {type: Sliding, value: "3600:60"}
timeRanges:
  SL20: "0-20"
filters:
  Gold: 'PairExists("Segment","Gold")'
options:
  auto-backup-interval: 0
"""

STAT_TYPES = """
statTypes:
  CallsWaiting:
    {Objects: "Queue,GroupQueues", Category: CurrentNumber, Subject: DNAction, MainMask: CallWait,
     Description: "Calls waiting now"}
  AgentState: {Objects: Agent, Category: CurrentState, Subject: AgentStatus, MainMask: "*"}
"""


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class Served:
    """A server at ``T0 + clock`` with its app; events and requests by hand."""

    def __init__(self, extra: str = STAT_TYPES, base: str = CONFIG) -> None:
        self.config = load_config_text(
            textwrap.dedent(base) + textwrap.dedent(extra), source="<test>"
        )
        self.clock = Clock(float(T0))
        self.server = StatServer(self.config, storage=":memory:", clock=self.clock)
        self.app = create_app(self.server, manage_server=False)

    def at(self, t: float) -> None:
        self.clock.t = T0 + t

    def ev(self, t: float, event: str, **attrs: Any) -> None:
        """Feed one event at ``T0 + t`` (received then too) and push what changed."""
        self.at(t)
        record = decode_event_obj({"event": event, "time": T0 + t, "source": "TS1", **attrs})
        self.server.process([SourceEvent("TS1", record, b"", T0 + t)])

    def session(self) -> ClientSession:
        return self.server.new_session("test")

    def send(self, session: ClientSession, request: dict[str, Any]) -> list[dict[str, Any]]:
        session.receive(msgspec.json.encode(request), self.clock())
        return session.take()

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://test"
        )


@pytest.fixture
def served() -> Served:
    return Served()


@pytest_asyncio.fixture
async def api(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with served.client() as client:
        yield client
