"""A small live contact center for the web tests: a configuration whose T-Server is a JSON
Lines file followed by the server, and a writer that appends events stamped *now*.

    center = Center(tmp_path)                  # writes config.yaml and an empty events file
    center.login("a1"); center.ready("a1")     # events appended with the current time
    center.queue("8000", "c1")                 # a call waits on queue 8000
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

#: agents a1..a12 (logins 50001.., extensions 20001..), queues 8000-8002, group Team
AGENTS = 12


def config_text(events: Path, *, agents: int = AGENTS, wallboard: str | None = None) -> str:
    lines = [
        "tenants:",
        "  - name: Resources",
        "switches:",
        "  - {name: SW1, tenant: Resources, source: TS1}",
        "sources:",
        f"  - {{name: TS1, kind: tserver, tenants: [Resources], transport: file, file: {json.dumps(str(events))}, follow: true}}",
        "dns:",
        '  - {number: "8000", switch: SW1, type: ACDQueue}',
        '  - {number: "8001", switch: SW1, type: ACDQueue}',
        '  - {number: "8002", switch: SW1, type: ACDQueue}',
    ]
    lines += [
        f'  - {{number: "{20000 + i}", switch: SW1, type: Extension}}' for i in range(1, agents + 1)
    ]
    lines.append("places:")
    lines += [f'  - {{name: P{i}, dns: ["{20000 + i}@SW1"]}}' for i in range(1, agents + 1)]
    names = ["ann", "bob", "cid", "dee", "eve", "fay", "gus", "hal", "ivy", "jon", "kim", "lou"]
    lines.append("agents:")
    lines += [
        f'  - {{employeeId: a{i}, userName: {names[(i - 1) % len(names)]}{"" if i <= len(names) else i}, loginIds: {{SW1: "{50000 + i}"}}}}'
        for i in range(1, agents + 1)
    ]
    half = agents // 2
    lines += [
        "agentGroups:",
        f"  - {{name: Sales, agents: [{', '.join(f'a{i}' for i in range(1, half + 1))}]}}",
        f"  - {{name: Support, agents: [{', '.join(f'a{i}' for i in range(half + 1, agents + 1))}]}}",
        "dnGroups:",
        '  - {name: AllQueues, dns: ["8000@SW1", "8001@SW1", "8002@SW1"]}',
        "options:",
        "  auto-backup-interval: 0",
    ]
    text = "\n".join(lines) + "\n"
    if wallboard is not None:
        text += wallboard
    return text


class Center:
    def __init__(self, folder: Path, *, agents: int = AGENTS, wallboard: str | None = None) -> None:
        self.events = folder / "events.jsonl"
        self.events.write_text("", encoding="utf-8")
        self.config = folder / "config.yaml"
        self.config.write_text(
            config_text(self.events, agents=agents, wallboard=wallboard), encoding="utf-8"
        )
        self.agents = agents

    def emit(self, event: str, at: float | None = None, **attrs: Any) -> None:
        record = {
            "event": event,
            "time": round(time.time() if at is None else at, 3),
            "source": "TS1",
            **attrs,
        }
        with self.events.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    @staticmethod
    def dn(agent: str) -> str:
        return str(20000 + int(agent[1:]))

    @staticmethod
    def login_id(agent: str) -> str:
        return str(50000 + int(agent[1:]))

    def login(self, agent: str, queue: str = "8000", at: float | None = None) -> None:
        self.emit(
            "EventAgentLogin",
            at,
            thisDN=self.dn(agent),
            agentID=self.login_id(agent),
            thisQueue=queue,
        )

    def ready(self, agent: str, at: float | None = None) -> None:
        self.emit("EventAgentReady", at, thisDN=self.dn(agent), agentID=self.login_id(agent))

    def not_ready(
        self, agent: str, reason: str | None = None, *, acw: bool = False, at: float | None = None
    ) -> None:
        attrs: dict[str, Any] = {"thisDN": self.dn(agent), "agentID": self.login_id(agent)}
        if acw:
            attrs["workMode"] = "AfterCallWork"
        if reason:
            attrs["reasons"] = {"ReasonCode": reason}
        self.emit("EventAgentNotReady", at, **attrs)

    def queue(self, queue: str, conn: str, at: float | None = None) -> None:
        self.emit(
            "EventQueued", at, thisDN=queue, connID=conn, callType="Inbound", otherDN="+15550100"
        )

    def answer(self, queue: str, conn: str, agent: str, at: float | None = None) -> None:
        """The call leaves the queue for the agent, rings and is answered."""
        dn = self.dn(agent)
        self.emit("EventDiverted", at, thisDN=queue, connID=conn, otherDN=dn)
        self.emit(
            "EventRinging",
            at,
            thisDN=dn,
            connID=conn,
            callType="Inbound",
            thisQueue=queue,
            otherDN="+15550100",
        )
        self.emit(
            "EventEstablished",
            at,
            thisDN=dn,
            connID=conn,
            callType="Inbound",
            thisQueue=queue,
            otherDN="+15550100",
        )

    def release(self, agent: str, conn: str, at: float | None = None) -> None:
        self.emit("EventReleased", at, thisDN=self.dn(agent), connID=conn, callType="Inbound")

    def abandon(self, queue: str, conn: str, at: float | None = None) -> None:
        self.emit("EventAbandoned", at, thisDN=queue, connID=conn, callType="Inbound")
