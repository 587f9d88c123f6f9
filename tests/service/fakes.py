"""Test doubles and drivers for the service tests (links, restore, reload, metrics).

* :class:`FakeTServer` and :class:`FakeInteractionServer`: asyncio TCP servers speaking the
  event-link protocol of docs/event-link.md "Transport".  They keep the state their events
  describe, so that when Stat Server (re)connects they answer ``RegisterAddress`` with an
  ``EventRegistered`` carrying the DN's state (T-Server), or
  ``StartPlaceAgentStateReportingAll`` with the current agent state (Interaction Server),
  exactly like the real servers.  Events sent while Stat Server is not connected only change
  that state::

      async with FakeTServer("TS1") as ts:
          await ts.send("EventAgentLogin", thisDN="7001", agentID="5001")
          ts.drop_connection()
          ts.state_of("7001")  # {"agentID": "5001", "workMode": ..., "calls": [...]}

* :class:`WsClient`: a client of the ``/ws`` protocol that records every event it receives.
* :class:`ServerProcess`: ``python -m statserver.cli run`` as a real process (kill -9 ...).
* :func:`service_config`: the ``tests/helpers.py`` center with sources of the test's choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect

from helpers import BASE_CONFIG

__all__ = [
    "STAT_TYPES",
    "FakeInteractionServer",
    "FakeTServer",
    "ServerProcess",
    "WsClient",
    "free_port",
    "service_config",
    "wait_until",
]

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until(
    check: Callable[[], Any], timeout: float = 10.0, what: str = "condition"
) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            msg = f"timed out after {timeout} s waiting for {what}"
            raise AssertionError(msg)
        await asyncio.sleep(0.02)


# ================================================================================ config
#: stat types the service tests use (on top of the helpers center)
STAT_TYPES = """
statTypes:
  AgentState: {Objects: "Agent,AgentPlace", Category: CurrentState, Subject: AgentStatus}
  AgentMedia: {Objects: "Agent", Category: CurrentState, Subject: DNAction}
  DNState: {Objects: "RegularDN,Queue", Category: CurrentState, Subject: DNStatus}
  ReadyNow: {Objects: "Agent,GroupAgents,GroupPlaces", Category: CurrentNumber, Subject: AgentStatus, MainMask: WaitForNextCall}
  ReadyTime: {Objects: "Agent,GroupAgents,AgentPlace", Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  LoggedInTime: {Objects: "Agent,GroupAgents", Category: TotalTime, Subject: AgentStatus, MainMask: "*,~LoggedOut,~NotMonitored"}
  TalkTime: {Objects: "Agent,GroupAgents,Queue,GroupQueues", Category: TotalTime, Subject: DNAction, MainMask: "CallInbound,CallOutbound,CallInternal"}
  CallsAnswered: {Objects: "Agent,GroupAgents,Queue,GroupQueues,Tenant", Category: TotalNumber, Subject: DNAction, MainMask: CallAnswered}
  CallsEntered: {Objects: "Queue,GroupQueues,Tenant", Category: TotalNumber, Subject: DNAction, MainMask: CallEntered}
  CallsAbandoned: {Objects: "Queue,GroupQueues,Tenant", Category: TotalNumber, Subject: DNAction, MainMask: CallAbandoned}
  CallsWaiting: {Objects: "Queue,GroupQueues", Category: CurrentNumber, Subject: DNAction, MainMask: CallWait}
  OldestWaiting: {Objects: "Queue,GroupQueues", Category: CurrentMaxTime, Subject: DNAction, MainMask: CallWait}
  ServiceLevel: {Objects: "Queue,GroupQueues", Category: ServiceFactor1, Subject: DNAction}
  AnsweredInRange: {Objects: "Queue,GroupQueues", Category: TotalNumberInTimeRange, Subject: DNAction, MainMask: CallAnswered}
  AvgWaitCalls: {Objects: "Queue,GroupQueues", Category: AverageOfCurrentNumber, Subject: DNAction, MainMask: CallWait}
  MaxWaiting: {Objects: "Queue,GroupQueues", Category: MaxNumber, Subject: DNAction, MainMask: CallWait}
  NotReadyTime: {Objects: "Agent,GroupAgents", Category: TotalTime, Subject: AgentStatus, MainMask: NotReadyForNextCall}
  AvgHandle: {Objects: "Agent,GroupAgents", Category: AverageTime, Subject: DNAction, MainMask: "CallInbound"}
  Occupancy: {Objects: "Agent,GroupAgents", Category: RelativeTimePercentage, Subject: AgentStatus, MainMask: "CallInbound,CallOutbound,CallInternal,CallOnHold,AfterCallWork", RelMask: "*,~LoggedOut,~NotMonitored"}
  ChatsHandled: {Objects: "Agent,GroupAgents", Category: TotalNumber, Subject: DNAction, MainMask: Handling, MediaType: chat}
  ChatLoggedIn: {Objects: "Agent,GroupAgents", Category: CurrentNumber, Subject: DNAction, MainMask: LoggedIn, MediaType: chat}
  EmailLoggedIn: {Objects: "Agent,GroupAgents", Category: CurrentNumber, Subject: DNAction, MainMask: LoggedIn, MediaType: email}
  Errors: {Objects: "Agent,RegularDN,Queue", Category: TotalNumberErrors, Subject: DNAction}
"""


def service_config(
    sources: Iterable[dict[str, Any]],
    options: dict[str, Any] | None = None,
    *,
    base: str = BASE_CONFIG,
    extra: str = "",
    stat_types: str = STAT_TYPES,
) -> str:
    """YAML text: the helpers center (tenant Resources, switch SW1 reported by TS1, queues
    8000/8001, routing point 9000, extensions 7001-7003 at places P1-P3, agents a1-a3 with
    login ids 5001-5003) with ``sources`` instead of its own, the service stat types and
    ``options``."""
    lines = base.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("sources:"))
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    block = ["sources:"] + [f"  - {json.dumps(s)}" for s in sources]
    text = "\n".join([*lines[:start], *block, *lines[end:]]) + "\n"
    text += stat_types + extra
    if options:
        text += "options:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in options.items())
    return text


# ================================================================================ fake links
class _FakeLinkServer:
    """What both fakes share: the listener, the connections, the request log."""

    def __init__(self, name: str, *, port: int = 0, clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.port = port
        self.clock = clock
        self._server: asyncio.Server | None = None
        #: open connections (writer -> whether Stat Server has asked for events yet)
        self.writers: dict[asyncio.StreamWriter, set[str] | None] = {}
        #: every request received, in order
        self.requests: list[dict[str, Any]] = []
        #: connections accepted so far
        self.connections = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> _FakeLinkServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop_listening(self) -> None:
        """Stop accepting connections (the port refuses them) and drop the current ones."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.drop_connection()

    async def close(self) -> None:
        await self.stop_listening()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def __aenter__(self) -> Any:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def drop_connection(self) -> None:
        """Close every connection now (Stat Server sees the link go down)."""
        for writer in list(self.writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        self.writers.clear()

    @property
    def connected(self) -> int:
        return len(self.writers)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.connections += 1
        self.writers[writer] = None
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                if not line.strip():
                    continue
                request = json.loads(line)
                self.requests.append(request)
                self._on_request(writer, request)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.writers.pop(writer, None)
            with contextlib.suppress(Exception):
                writer.close()
            if task is not None:
                self._tasks.discard(task)

    def _on_request(self, writer: asyncio.StreamWriter, request: dict[str, Any]) -> None:
        raise NotImplementedError

    def _record(self, event: str, at: float | None, attrs: dict[str, Any]) -> dict[str, Any]:
        rec: dict[str, Any] = {"event": event, "time": self.clock() if at is None else at}
        rec["source"] = self.name
        rec.update({k: v for k, v in attrs.items() if v is not None})
        return rec

    @staticmethod
    def _write(writer: asyncio.StreamWriter, rec: dict[str, Any]) -> None:
        if not writer.is_closing():
            writer.write(msgspec.json.encode(rec) + b"\n")

    async def send_raw(self, data: bytes) -> None:
        """Write bytes as they are to every connection (malformed lines, huge lines...)."""
        for writer in list(self.writers):
            if not writer.is_closing():
                writer.write(data)
                with contextlib.suppress(ConnectionError):
                    await writer.drain()

    async def _broadcast(self, rec: dict[str, Any], wants: Callable[[set[str]], bool]) -> None:
        for writer, registered in list(self.writers.items()):
            if registered is not None and wants(registered):
                self._write(writer, rec)
                with contextlib.suppress(ConnectionError):
                    await writer.drain()


class FakeTServer(_FakeLinkServer):
    """A T-Server: keeps each DN's state (agent, mode, hook, DND, calls) from the events
    it sends, and reports it in ``EventRegistered`` when Stat Server registers the DN.
    Events go only to connections that registered their DN (as a T-Server does)."""

    def __init__(self, name: str = "TS1", **kw: Any) -> None:
        super().__init__(name, **kw)
        self.dns: dict[str, dict[str, Any]] = {}

    def _dn(self, dn: str) -> dict[str, Any]:
        return self.dns.setdefault(
            dn,
            {
                "agentID": None,
                "workMode": None,
                "queue": None,
                "offHook": False,
                "dnd": False,
                "calls": {},
            },
        )

    def state_of(self, dn: str) -> dict[str, Any]:
        """The registration snapshot of ``dn`` (the ``extensions`` of its EventRegistered)."""
        s = self._dn(dn)
        return {
            "agentID": s["agentID"],
            "workMode": s["workMode"],
            "offHook": s["offHook"],
            "dnd": s["dnd"],
            "calls": [dict(c) for c in s["calls"].values()],
        }

    def registered(self, dn: str) -> bool:
        """Whether some connection has registered ``dn``."""
        return any(r is not None and dn in r for r in self.writers.values())

    def _on_request(self, writer: asyncio.StreamWriter, request: dict[str, Any]) -> None:
        kind = request.get("request")
        if kind == "RegisterClient":
            self.writers[writer] = set()
        elif kind == "RegisterAddress":
            dn = str(request["thisDN"])
            registered = self.writers.get(writer)
            if registered is None:
                registered = self.writers[writer] = set()
            registered.add(dn)
            s = self._dn(dn)
            rec = self._record(
                "EventRegistered",
                None,
                {"thisDN": dn, "thisQueue": s["queue"], "extensions": self.state_of(dn)},
            )
            self._write(writer, rec)

    async def send(self, event: str, *, at: float | None = None, **attrs: Any) -> dict[str, Any]:
        """Report an event (time: now unless ``at``): updates the DN's state and sends it to
        the connections that registered the DN."""
        rec = self._record(event, at, attrs)
        dn = attrs.get("thisDN")
        if dn is not None:
            self._apply(self._dn(str(dn)), event, attrs)
            await self._broadcast(rec, lambda registered: str(dn) in registered)
        else:
            await self._broadcast(rec, lambda registered: True)
        return rec

    @staticmethod
    def _apply(s: dict[str, Any], event: str, a: dict[str, Any]) -> None:
        calls: dict[str, dict[str, Any]] = s["calls"]
        conn = a.get("connID")
        if event == "EventAgentLogin":
            s["agentID"], s["queue"] = a.get("agentID"), a.get("thisQueue")
            s["workMode"] = a.get("workMode") or "AuxWork"
        elif event == "EventAgentLogout":
            s["agentID"] = s["workMode"] = s["queue"] = None
        elif event == "EventAgentReady":
            s["agentID"] = s["agentID"] or a.get("agentID")
            s["workMode"] = a.get("workMode") or "ManualIn"
        elif event == "EventAgentNotReady":
            s["agentID"] = s["agentID"] or a.get("agentID")
            s["workMode"] = a.get("workMode") or "AuxWork"
        elif event in ("EventDNDOn", "EventDNDOff"):
            s["dnd"] = event == "EventDNDOn"
        elif event in ("EventOffHook", "EventOnHook"):
            s["offHook"] = event == "EventOffHook"
        elif conn is None:
            return
        elif event == "EventQueued":
            calls[conn] = {"connID": conn, "callType": a.get("callType", "Inbound")}
        elif event in ("EventRinging", "EventDialing"):
            state = "Ringing" if event == "EventRinging" else "Dialing"
            calls[conn] = {"connID": conn, "callType": a.get("callType", "Inbound"), "state": state}
        elif event in ("EventEstablished", "EventRetrieved", "EventHeld"):
            call = calls.setdefault(
                conn, {"connID": conn, "callType": a.get("callType", "Inbound")}
            )
            call["state"] = "Held" if event == "EventHeld" else "Established"
        elif event in ("EventReleased", "EventAbandoned", "EventDiverted"):
            calls.pop(conn, None)


class FakeInteractionServer(_FakeLinkServer):
    """An Interaction Server: keeps each agent's media, modes and interactions, and the
    interactions waiting in queues; answers ``StartPlaceAgentStateReportingAll`` with them
    and then streams events to that connection."""

    def __init__(self, name: str = "IXN1", **kw: Any) -> None:
        super().__init__(name, **kw)
        #: agentID -> {"place": ..., "media": {media: {"ready": bool, "dnd": bool}},
        #:             "interactions": {id: {"mediaType": ..., "handling": bool}}}
        self.agents: dict[str, dict[str, Any]] = {}
        #: interactionID -> the EventPlacedInQueue attributes
        self.queued: dict[str, dict[str, Any]] = {}

    def state_of(self, agent: str) -> dict[str, Any] | None:
        return self.agents.get(agent)

    def _on_request(self, writer: asyncio.StreamWriter, request: dict[str, Any]) -> None:
        if request.get("request") != "StartPlaceAgentStateReportingAll":
            return
        self.writers[writer] = {"*"}
        for rec in self.snapshot():
            self._write(writer, rec)

    def snapshot(self) -> list[dict[str, Any]]:
        """The current state as the records a reporting start answers with."""
        out: list[dict[str, Any]] = []
        for agent, s in self.agents.items():
            out.append(
                self._record("EventAgentLogin", None, {"agentID": agent, "place": s["place"]})
            )
            for media, m in s["media"].items():
                base = {"agentID": agent, "mediaType": media, "place": s["place"]}
                out.append(self._record("EventMediaAdded", None, base))
                ready = "EventReadyForMedia" if m["ready"] else "EventNotReadyForMedia"
                out.append(self._record(ready, None, base))
                if m["dnd"]:
                    out.append(self._record("EventDoNotDisturbOn", None, base))
            for ixn, i in s["interactions"].items():
                attrs = {"agentID": agent, "mediaType": i["mediaType"], "interactionID": ixn}
                out.append(self._record("EventAgentInvited", None, attrs))
                if i["handling"]:
                    out.append(self._record("EventPartyAdded", None, attrs))
        for attrs in self.queued.values():
            out.append(self._record("EventPlacedInQueue", None, attrs))
        return out

    async def send(self, event: str, *, at: float | None = None, **attrs: Any) -> dict[str, Any]:
        rec = self._record(event, at, attrs)
        self._apply(event, attrs)
        await self._broadcast(rec, lambda registered: True)
        return rec

    def _apply(self, event: str, a: dict[str, Any]) -> None:
        agent_id = a.get("agentID")
        media = a.get("mediaType")
        ixn = a.get("interactionID")
        if event == "EventPlacedInQueue":
            self.queued[ixn] = {k: v for k, v in a.items() if k != "oldQueue"}
            return
        if event == "EventTakenFromQueue":
            self.queued.pop(ixn, None)
            return
        if event == "EventProcessingStopped":
            self.queued.pop(ixn, None)
            for s in self.agents.values():
                s["interactions"].pop(ixn, None)
            return
        if agent_id is None:
            return
        if event in ("EventAgentLogin", "EventMediaAdded"):
            s = self.agents.setdefault(
                agent_id, {"place": a.get("place"), "media": {}, "interactions": {}}
            )
            if media:
                s["media"].setdefault(
                    media, {"ready": a.get("workMode") in ("ManualIn", "AutoIn"), "dnd": False}
                )
            return
        s = self.agents.get(agent_id)
        if s is None:
            return
        chosen = [m for m in s["media"] if not media or m == media]
        if event in ("EventAgentLogout", "EventMediaRemoved"):
            for m in chosen:
                del s["media"][m]
            if not media:
                del self.agents[agent_id]
        elif event in ("EventReadyForMedia", "EventNotReadyForMedia"):
            for m in chosen:
                s["media"][m]["ready"] = event == "EventReadyForMedia"
        elif event in ("EventDoNotDisturbOn", "EventDoNotDisturbOff"):
            for m in chosen:
                s["media"][m]["dnd"] = event == "EventDoNotDisturbOn"
        elif event == "EventAgentInvited":
            s["interactions"][ixn] = {"mediaType": media, "handling": False}
        elif event == "EventPartyAdded":
            s["interactions"][ixn] = {"mediaType": media, "handling": True}
        elif event in ("EventPartyRemoved", "EventRejected", "EventRevoked"):
            s["interactions"].pop(ixn, None)


# ================================================================================ clients
class WsClient:
    """A ``/ws`` client: sends requests, records every event it receives."""

    def __init__(self, url: str, name: str = "test") -> None:
        self.url = url.replace("http://", "ws://") + f"/ws?client={name}"
        self.events: list[dict[str, Any]] = []
        self.closed: tuple[int | None, str] | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._next_ref = 0

    async def __aenter__(self) -> WsClient:
        self._ws = await connect(self.url, max_size=None)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                self.events.append(json.loads(message))
        except Exception:
            pass
        self.closed = (self._ws.close_code, self._ws.close_reason or "")

    async def send(self, request: dict[str, Any]) -> None:
        assert self._ws is not None
        await self._ws.send(json.dumps(request))

    async def open(
        self,
        otype: str,
        oid: str,
        stat_type: str,
        *,
        ref: Any = None,
        mode: str = "Changes",
        tenant: str = "Resources",
        **metric: Any,
    ) -> Any:
        """OpenStatistic; waits for StatisticOpened and returns the referenceId."""
        if ref is None:
            self._next_ref += 1
            ref = self._next_ref
        await self.send(
            {
                "request": "OpenStatistic",
                "referenceId": ref,
                "object": {"objectId": oid, "objectType": otype, "tenant": tenant},
                "metric": {"statisticType": stat_type, **metric},
                "notification": {"mode": mode, "frequency": 1},
            }
        )
        await self.wait_for(
            lambda e: e.get("referenceId") == ref and e["event"] in ("StatisticOpened", "Error")
        )
        errors = self.of(ref, "Error")
        assert not errors, errors
        return ref

    def of(self, ref: Any, event: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.events
            if e.get("referenceId") == ref and (event is None or e["event"] == event)
        ]

    def last_value(self, ref: Any) -> Any:
        infos = self.of(ref, "Info")
        assert infos, f"no Info for {ref}"
        return infos[-1]["value"]

    async def wait_for(
        self, pred: Callable[[dict[str, Any]], bool], timeout: float = 10.0, *, after: int = 0
    ) -> dict[str, Any]:
        """The first event (at index ``after`` or later) that satisfies ``pred``."""

        def found() -> dict[str, Any] | None:
            return next((e for e in self.events[after:] if pred(e)), None)

        result: dict[str, Any] = await wait_until(found, timeout, "a WebSocket event")
        return result

    async def wait_value(self, ref: Any, pred: Callable[[Any], bool], timeout: float = 10.0) -> Any:
        """Wait until the last Info value of ``ref`` satisfies ``pred``; returns it."""

        def check() -> Any:
            infos = self.of(ref, "Info")
            return infos and pred(infos[-1]["value"]) and (infos[-1]["value"],)

        return (await wait_until(check, timeout, f"a value of {ref}"))[0]


async def get_json(url: str, path: str, **params: Any) -> Any:
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.get(url + path, params=params)
        r.raise_for_status()
        return r.json()


async def get_text(url: str, path: str) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.get(url + path)
        r.raise_for_status()
        return r.text


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition (0 if absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _, value = line.rpartition(" ")
        if "{" in key:
            mname, _, rest = key.partition("{")
            lab = ",".join(sorted(rest.rstrip("}").split(",")))
        else:
            mname, lab = key, ""
        if mname == name and lab == want:
            return float(value)
    return 0.0


# ================================================================================ processes
#: the Python of the other build (the interpreted one when the tests run compiled, see
#: scripts/test-compiled), for the restore tests that write a snapshot with one build and
#: restore it with the other; without it both lives of a server run this build
OTHER_BUILD_PYTHON = os.environ.get("STATSERVER_OTHER_BUILD_PYTHON") or sys.executable


class ServerProcess:
    """``python -m statserver.cli run -c CONFIG --port P --backup BACKUP`` in its own process."""

    def __init__(
        self,
        config: Path,
        backup: str,
        log: Path,
        *,
        port: int | None = None,
        log_level: str = "info",
        loop: str = "uvloop",
        python: str = sys.executable,
    ) -> None:
        self.log_level = log_level
        self.loop = loop
        #: the interpreter, so the build, the server runs on (see OTHER_BUILD_PYTHON)
        self.python = python
        self.config = config
        self.backup = backup
        self.log = log
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServerProcess:
        env = dict(os.environ, COLUMNS="250", PYTHONUNBUFFERED="1")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    self.python,
                    "-m",
                    "statserver.cli",
                    "run",
                    "-c",
                    str(self.config),
                    "--port",
                    str(self.port),
                    "--backup",
                    self.backup,
                    "--log-level",
                    self.log_level,
                    "--loop",
                    self.loop,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.log.parent,
                env=env,
            )
        return self

    async def ready(self, timeout: float = 20.0) -> dict[str, Any]:
        async def up() -> Any:
            assert self.proc is not None
            if self.proc.poll() is not None:
                msg = f"server exited with {self.proc.returncode}:\n{self.log.read_text()}"
                raise AssertionError(msg)
            try:
                return await self.health()
            except httpx.HTTPError:
                return None

        result: dict[str, Any] = await wait_until(up, timeout, f"server on port {self.port}")
        return result

    async def health(self) -> Any:
        return await get_json(self.url, "/api/v1/health")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")
