"""Configuration reload (issue 3, point 5): on SIGHUP and when the file changes.

The new file is applied at the tenant's current time without resetting what did not
change: agents added and removed, a static group's members changed, skills changed (the
virtual group is evaluated again), a stat type added.  An invalid file is refused with a
logged error and the server keeps running with the old configuration.

Events come from a JSON Lines file the test appends to (source times: the values are exact).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeTServer, ServerProcess, WsClient, get_json, service_config, wait_until

from helpers import BASE_CONFIG, T0
from statserver.config import load_config
from statserver.service.app import StatServer
from statserver.service.runner import running

pytestmark = pytest.mark.asyncio

NEW_TYPE = """
  NotReadyNow: {Objects: "Agent,GroupAgents", Category: CurrentNumber, Subject: AgentStatus, MainMask: NotReadyForNextCall}
"""


def center(tmp: Path, *, version: int, poll: float) -> str:
    """Version 1: the helpers center.  Version 2: a3 removed, a4 added (login 5004), Team is
    now a1 and a4, a2's Spanish skill goes from 3 to 8 (the virtual group Spanish =
    Skill("Spanish")>=5 takes a2 in), the stat type NotReadyNow added."""
    base = BASE_CONFIG
    extra = ""
    stat_types_extra = ""
    if version == 2:
        base = base.replace(
            '  - {employeeId: a2, userName: bob, loginIds: {SW1: "5002"}, skills: {Spanish: 3}, capacity: {voice: 1, chat: 2}}\n'
            '  - {employeeId: a3, userName: cid, loginIds: {SW1: "5003"}}\n',
            '  - {employeeId: a2, userName: bob, loginIds: {SW1: "5002"}, skills: {Spanish: 8}, capacity: {voice: 1, chat: 2}}\n'
            '  - {employeeId: a4, userName: dan, loginIds: {SW1: "5004"}}\n',
        )
        base = base.replace("{name: Team, agents: [a1, a2, a3]}", "{name: Team, agents: [a1, a4]}")
        assert "a4" in base
        assert "Spanish: 8" in base
        assert "agents: [a1, a4]" in base
        stat_types_extra = NEW_TYPE
    source = {
        "name": "TS1",
        "kind": "tserver",
        "tenants": ["Resources"],
        "transport": "file",
        "file": str(tmp / "events.jsonl"),
        "follow": True,
    }
    from fakes import STAT_TYPES

    return service_config(
        [source],
        {"config-reload-poll-interval": poll, "auto-backup-interval": 0},
        base=base,
        stat_types=STAT_TYPES + stat_types_extra,
        extra=extra,
    )


def ev(t: float, event: str, **attrs: Any) -> str:
    return json.dumps({"event": event, "time": T0 + t, "source": "TS1", **attrs}) + "\n"


START = [
    ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn"),
    ev(10, "EventAgentLogin", thisDN="7002", agentID="5002", workMode="ManualIn"),
    ev(20, "EventAgentLogin", thisDN="7003", agentID="5003", workMode="ManualIn"),
]


def append(path: Path, *lines: str) -> None:
    with path.open("a") as fh:
        fh.write("".join(lines))


def stat(server: StatServer, otype: str, oid: str, name: str) -> Any:
    return next(
        s
        for s in server.engine.statistics()
        if (s.object_type, s.object_id, s.definition.name) == (otype, oid, name)
    )


async def test_file_change_is_applied_without_resetting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The file is rewritten (mtime poll, 0.1 s): the new agents, members, skills and stat
    type take effect at once; statistics that did not change keep counting (a1's ReadyTime
    opened at T0+20 is 100 - 20 at T0+100, across the reload)."""
    caplog.set_level(logging.INFO, logger="statserver")
    path = tmp_path / "center.yaml"
    path.write_text(center(tmp_path, version=1, poll=0.1))
    events = tmp_path / "events.jsonl"
    events.write_text("".join(START))
    async with running(load_config(path), config_path=path) as (server, url):
        server.sources["TS1"].poll = 0.02
        await wait_until(lambda: server.engine.counters.received == 3, 10, "the logins")
        async with WsClient(url) as ws:
            ready_a1 = await ws.open("Agent", "a1", "ReadyTime")
            team = await ws.open("GroupAgents", "Team", "ReadyNow")
            spanish = await ws.open("GroupAgents", "Spanish", "ReadyNow")
            assert await ws.wait_value(team, lambda v: v == 3) == 3  # a1, a2, a3 ready
            assert await ws.wait_value(spanish, lambda v: v == 1) == 1  # a1 (7); a2 has 3
            await ws.send(
                {
                    "request": "OpenStatistic",
                    "referenceId": "nr",
                    "object": {"objectId": "a2", "objectType": "Agent", "tenant": "Resources"},
                    "metric": {"statisticType": "NotReadyNow"},
                }
            )
            error = await ws.wait_for(lambda e: e.get("referenceId") == "nr")
            assert (error["event"], error["code"]) == ("Error", "unknown-stat-type")

            path.write_text(center(tmp_path, version=2, poll=0.1))
            await wait_until(
                lambda: "a4" in server.engine.directory.tenants["Resources"].agents,
                10,
                "the reload",
            )
            assert await ws.wait_value(team, lambda v: v == 1) == 1  # a1 (a4 is logged out)
            assert await ws.wait_value(spanish, lambda v: v == 2) == 2  # a1 and a2 (now 8)
            not_ready = await ws.open("Agent", "a2", "NotReadyNow")  # the new stat type
            assert await ws.wait_value(not_ready, lambda v: True) == 0
            append(events, ev(50, "EventAgentNotReady", thisDN="7002", workMode="AuxWork"))
            assert await ws.wait_value(not_ready, lambda v: v == 1) == 1
            assert await ws.wait_value(spanish, lambda v: v == 1) == 1
            # a4 logs in where a3 was logged in: an agent of the new configuration
            append(
                events,
                ev(60, "EventAgentLogout", thisDN="7003"),
                ev(61, "EventAgentLogin", thisDN="7003", agentID="5004", workMode="ManualIn"),
            )
            assert await ws.wait_value(team, lambda v: v == 2) == 2  # a1 and a4
            await ws.send(
                {
                    "request": "GetStatistic",
                    "referenceId": "a3",
                    "object": {"objectId": "a3", "objectType": "Agent", "tenant": "Resources"},
                    "metric": {"statisticType": "ReadyNow"},
                }
            )
            gone = await ws.wait_for(lambda e: e.get("referenceId") == "a3")
            assert gone["event"] == "Error"  # a3 is no longer configured
            # a1's statistic was not reset: opened at T0+20 (engine time), ready throughout
            assert (
                server.engine.value(stat(server, "Agent", "a1", "ReadyTime"), T0 + 100) == 100 - 20
            )
            assert ws.of(ready_a1, "Info")[-1]["value"] >= 0
    assert any("configuration reloaded" in r.getMessage() for r in caplog.records)


async def test_an_invalid_file_is_refused_and_the_old_one_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file that does not load (bad YAML, then a valid YAML with an error inside) is
    refused with a logged error naming the problem; the server goes on with the old
    configuration and takes the next valid file."""
    caplog.set_level(logging.INFO, logger="statserver")
    path = tmp_path / "center.yaml"
    good = center(tmp_path, version=1, poll=0.1)
    path.write_text(good)
    (tmp_path / "events.jsonl").write_text("".join(START))
    async with running(load_config(path), config_path=path) as (server, url):
        await wait_until(lambda: server.engine.counters.received == 3, 10, "the logins")
        before = server.config
        path.write_text("tenants: [oops\n")
        await wait_until(
            lambda: any("configuration reload refused" in r.getMessage() for r in caplog.records),
            10,
            "a refusal",
        )
        path.write_text(good.replace("MainMask: WaitForNextCall}", "MainMask: NoSuchAction}", 1))
        await wait_until(
            lambda: (
                sum("configuration reload refused" in r.getMessage() for r in caplog.records) == 2
            ),
            10,
            "a second refusal",
        )
        refusals = [r for r in caplog.records if "configuration reload refused" in r.getMessage()]
        assert all(r.levelno == logging.ERROR for r in refusals)
        assert "NoSuchAction" in refusals[1].getMessage()
        assert server.config is before
        health = await get_json(url, "/api/v1/health")
        assert health["status"] == "ok"
        async with WsClient(url) as ws:
            team = await ws.open("GroupAgents", "Team", "ReadyNow")  # the old definitions
            assert await ws.wait_value(team, lambda v: True) == 3
            path.write_text(center(tmp_path, version=2, poll=0.1))
            assert await ws.wait_value(team, lambda v: v == 1) == 1  # the next valid file


async def test_reload_is_journaled_and_survives_a_restart(tmp_path: Path) -> None:
    """A reloaded configuration is part of the backup: after a restart (even with the old
    file gone back) the journal replays the change at the time it happened."""
    path = tmp_path / "center.yaml"
    path.write_text(center(tmp_path, version=1, poll=3600))
    (tmp_path / "events.jsonl").write_text("".join(START))
    backup = str(tmp_path / "backup.sqlite")
    async with running(load_config(path), config_path=path, storage=backup) as (server, url):
        await wait_until(lambda: server.engine.counters.received == 3, 10, "the logins")
        async with WsClient(url) as ws:
            await ws.open("GroupAgents", "Team", "ReadyNow")
        path.write_text(center(tmp_path, version=2, poll=3600))
        assert server.reload() is True
        team = stat(server, "GroupAgents", "Team", "ReadyNow")
        assert server.engine.value(team) == 1
    async with running(load_config(path), config_path=path, storage=backup) as (server, url):
        team = stat(server, "GroupAgents", "Team", "ReadyNow")
        assert server.engine.value(team) == 1  # a1 (a4 logged out)
        assert "a4" in server.engine.tenants["Resources"].agents


async def test_a_dn_added_is_registered_at_once_on_the_link(tmp_path: Path) -> None:
    """A DN added by a reload is registered on the connected T-Server link right away (no
    reconnection), and its registration snapshot gives its state; the DNs already
    registered are not registered again."""
    async with FakeTServer("TS1") as ts:
        source = {
            "name": "TS1",
            "kind": "tserver",
            "tenants": ["Resources"],
            "host": "127.0.0.1",
            "port": ts.port,
        }
        options = {"config-reload-poll-interval": 0.1, "auto-backup-interval": 0}
        text = service_config([source], options)
        path = tmp_path / "center.yaml"
        path.write_text(text)
        await ts.send("EventAgentLogin", thisDN="7004", agentID="5003", workMode="ManualIn")
        async with running(load_config(path), config_path=path) as (_server, url):
            await wait_until(lambda: ts.registered("7003"), 10, "registration")
            assert not ts.registered("7004")
            added = text.replace(
                '  - {number: "7003", switch: SW1, type: Extension}\n',
                '  - {number: "7003", switch: SW1, type: Extension}\n  - {number: "7004", switch: SW1, type: Extension}\n',
            ).replace(
                '{name: P3, dns: ["7003@SW1"]}',
                '{name: P3, dns: ["7003@SW1"]}\n  - {name: P4, dns: ["7004@SW1"]}',
            )
            assert "7004" in added
            path.write_text(added)
            await wait_until(lambda: ts.registered("7004"), 10, "7004 registered")
            registrations = [
                r.get("thisDN") for r in ts.requests if r.get("request") == "RegisterAddress"
            ]
            assert registrations.count("7003") == 1
            assert registrations.count("7004") == 1
            assert ts.connections == 1
            async with WsClient(url) as ws:
                state = await ws.open("Agent", "a3", "AgentState")
                value = await ws.wait_value(state, lambda v: v["status"] == "WaitForNextCall")
                assert value["placeId"] == "P4"


async def test_sighup_reloads_a_running_server(tmp_path: Path) -> None:
    """``kill -HUP`` makes a running ``statserver run`` read its file again (the poll is
    off: 3600 s); an open TotalTime keeps its value; an invalid file is refused with a
    logged error and the server keeps serving."""
    path = tmp_path / "center.yaml"
    path.write_text(center(tmp_path, version=1, poll=3600))
    (tmp_path / "events.jsonl").write_text("".join(START))
    server = ServerProcess(path, str(tmp_path / "backup.sqlite"), tmp_path / "server.log").start()
    try:
        await server.ready()
        await wait_until(lambda: _received(server, 3), 10, "the logins")
        async with WsClient(server.url) as ws:
            team = await ws.open("GroupAgents", "Team", "ReadyNow")
            ready = await ws.open("Agent", "a1", "ReadyTime")
            assert await ws.wait_value(team, lambda v: v == 3) == 3
            path.write_text(center(tmp_path, version=2, poll=3600))
            await asyncio.sleep(0.3)
            assert ws.last_value(team) == 3  # nothing until the signal
            server.signal(signal.SIGHUP)
            assert await ws.wait_value(team, lambda v: v == 1) == 1
            path.write_text("statTypes: [1, 2\n")
            server.signal(signal.SIGHUP)
            await wait_until(
                lambda: "configuration reload refused" in server.log_text(),
                10,
                "the refusal in the log",
            )
            nr = await ws.open("Agent", "a2", "NotReadyNow")  # version 2 still applies
            assert await ws.wait_value(nr, lambda v: True) == 0
            append(
                tmp_path / "events.jsonl",
                ev(100, "EventAgentNotReady", thisDN="7002", workMode="AuxWork"),
            )
            await wait_until(lambda: _received(server, 4), 10, "the event at T0+100")
            stats = await get_json(server.url, "/api/v1/statistics")
            ready_id = next(
                s["id"]
                for s in stats
                if s["objectId"] == "a1" and s["statisticType"] == "ReadyTime"
            )
            value = await get_json(server.url, f"/api/v1/statistics/{ready_id}", at=str(T0 + 100))
            assert value["value"] == 100 - 20  # opened at T0+20 (engine time), never reset
            del ready
        assert "configuration reloaded" in server.log_text()
    finally:
        server.stop()


async def _received(server: ServerProcess, n: int) -> bool:
    return int((await server.health())["events"]["received"]) >= n
