"""The source side of the server over real sockets (issue 3, points 1 and 8).

Stat Server connects as a client to a fake T-Server and two fake Interaction Servers
(tests/service/fakes.py) speaking the event-link protocol of docs/event-link.md
"Transport"; file (JSON Lines, replayed or followed) and NATS JetStream sources are fed by
the test.  Values are observed the way a client sees them: through a WebSocket client.
"""

from __future__ import annotations

import asyncio
import json
import time
import types
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from fakes import (
    FakeInteractionServer,
    FakeTServer,
    WsClient,
    get_json,
    get_text,
    metric,
    service_config,
    wait_until,
)

from helpers import T0, service_missing
from statserver.config import load_config_text
from statserver.service import sources as sources_module
from statserver.service.app import StatServer
from statserver.service.runner import running

pytestmark = pytest.mark.asyncio

SW1_DNS = ["8000", "8001", "9000", "7001", "7002", "7003"]


def tcp(name: str, kind: str, port: int) -> dict[str, Any]:
    return {"name": name, "kind": kind, "tenants": ["Resources"], "host": "127.0.0.1", "port": port}


def fast_backoff(server: StatServer) -> None:
    """Reconnect within 0.1-0.4 s instead of 0.5-30 s (the default) to keep tests short."""
    for source in server.sources.values():
        if hasattr(source, "backoff"):
            source.backoff = (0.1, 0.4)


@pytest_asyncio.fixture
async def links() -> AsyncIterator[
    tuple[FakeTServer, FakeInteractionServer, FakeInteractionServer]
]:
    async with (
        FakeTServer("TS1") as ts,
        FakeInteractionServer("IXN1") as ixn1,
        FakeInteractionServer("IXN2") as ixn2,
    ):
        yield ts, ixn1, ixn2


def link_config(
    ts: FakeTServer, ixn1: FakeInteractionServer, ixn2: FakeInteractionServer, **options: Any
) -> Any:
    text = service_config(
        [
            tcp("TS1", "tserver", ts.port),
            tcp("IXN1", "interaction", ixn1.port),
            tcp("IXN2", "interaction", ixn2.port),
        ],
        options,
    )
    return load_config_text(text, source="<links>")


async def connected(server: StatServer, *names: str) -> None:
    await wait_until(
        lambda: all(server.sources[n].status.connected for n in names), 10, f"{names} connected"
    )


# ============================================================================ T-Server link
async def test_registration_snapshot_gives_the_state_at_connect(links: Any) -> None:
    """Stat Server registers every DN of the switch; the T-Server answers each with
    EventRegistered carrying the DN's state, so an agent who was already logged in and ready
    before Stat Server connected (and a call already waiting) shows as such right away."""
    ts, ixn1, ixn2 = links
    # before Stat Server connects: a1 logs in on 7001 into queue 8000 and goes ready,
    # a call waits in 8000
    await ts.send("EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000")
    await ts.send("EventAgentReady", thisDN="7001", agentID="5001")
    await ts.send("EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    assert ts.state_of("7001")["workMode"] == "ManualIn"
    async with running(link_config(ts, ixn1, ixn2)) as (_server, url):
        await wait_until(
            lambda: all(ts.registered(dn) for dn in SW1_DNS), 10, "every DN registered"
        )
        requests = [r for r in ts.requests if r.get("request")]
        assert requests[0] == {"request": "RegisterClient", "client": "statserver"}
        assert sorted(r["thisDN"] for r in requests[1:]) == sorted(SW1_DNS)
        async with WsClient(url) as ws:
            state = await ws.open("Agent", "a1", "AgentState")
            ready = await ws.open("GroupAgents", "Team", "ReadyNow")
            waiting = await ws.open("Queue", "8000@SW1", "CallsWaiting")
            assert (await ws.wait_value(state, lambda v: v["status"] == "WaitForNextCall"))[
                "loginId"
            ] == "5001"
            assert await ws.wait_value(ready, lambda v: v == 1) == 1  # a1 only
            assert await ws.wait_value(waiting, lambda v: v == 1) == 1  # c1


async def test_link_drop_invalidates_and_reconnect_resynchronises(links: Any) -> None:
    """Losing the T-Server link: the statistics of objects on its DNs get StatisticInvalid,
    the DNs become NotMonitored; Stat Server reconnects, registers again, takes the state from
    the registration snapshot (what happened meanwhile: a1 went not ready, a call arrived)
    and sends StatisticValid."""
    ts, ixn1, ixn2 = links
    await ts.send(
        "EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000", workMode="ManualIn"
    )
    async with running(link_config(ts, ixn1, ixn2)) as (server, url):
        fast_backoff(server)
        await wait_until(lambda: all(ts.registered(dn) for dn in SW1_DNS), 10, "registration")
        async with WsClient(url) as ws:
            waiting = await ws.open("Queue", "8000@SW1", "CallsWaiting")
            place_ready = await ws.open("AgentPlace", "P1", "ReadyTime")
            dn_state = await ws.open("RegularDN", "7002@SW1", "DNState")
            agent = await ws.open("Agent", "a1", "AgentState")
            await ws.wait_value(agent, lambda v: v["status"] == "WaitForNextCall")
            await ws.wait_value(dn_state, lambda v: v["status"] == "OnHook")
            before = len(ws.events)

            await ts.stop_listening()  # the link is lost and cannot be made again for now
            for ref in (waiting, place_ready):
                await ws.wait_for(
                    lambda e, r=ref: e == {"event": "StatisticInvalid", "referenceId": r},
                    after=before,
                )
            await ws.wait_value(dn_state, lambda v: v["status"] == "NotMonitored")
            await ws.wait_value(
                agent, lambda v: v["status"] == "LoggedOut"
            )  # actions on the DN ended
            assert not ws.of(dn_state, "StatisticInvalid")  # structures carry no validity
            # meanwhile at the T-Server: a1 goes not ready, a call is queued
            await ts.send("EventAgentNotReady", thisDN="7001", workMode="AuxWork")
            await ts.send("EventQueued", thisDN="8000", connID="c7")
            assert not ws.of(waiting, "StatisticValid")

            down = len(ws.events)
            await ts.start()  # the same port accepts again
            for ref in (waiting, place_ready):
                await ws.wait_for(
                    lambda e, r=ref: e == {"event": "StatisticValid", "referenceId": r}, after=down
                )
            assert await ws.wait_value(waiting, lambda v: v == 1) == 1  # c7, from the snapshot
            await ws.wait_value(agent, lambda v: v["status"] == "NotReadyForNextCall")
            await ws.wait_value(dn_state, lambda v: v["status"] != "NotMonitored")
        assert ts.connections == 2
        assert [r["request"] for r in ts.requests].count("RegisterClient") == 2
        assert server.sources["TS1"].status.reconnects >= 1


async def test_validity_events_can_be_switched_off(links: Any) -> None:
    """With ``generate-stat-validity-events: no`` a link loss sends no StatisticInvalid and
    its return no StatisticValid; values still follow (the queue empties on the loss)."""
    ts, ixn1, ixn2 = links
    await ts.send("EventQueued", thisDN="8000", connID="c1")
    async with running(link_config(ts, ixn1, ixn2, **{"generate-stat-validity-events": "no"})) as (
        server,
        url,
    ):
        fast_backoff(server)
        await wait_until(lambda: ts.registered("8000"), 10, "registration")
        async with WsClient(url) as ws:
            waiting = await ws.open("Queue", "8000@SW1", "CallsWaiting")
            await ws.wait_value(waiting, lambda v: v == 1)
            ts.drop_connection()
            await ws.wait_value(waiting, lambda v: v == 0)  # the link loss ends the wait
            await wait_until(
                lambda: ts.connections == 2 and ts.registered("8000"), 10, "reconnection"
            )
            await ws.wait_value(waiting, lambda v: v == 1)  # back from the snapshot
            assert not [
                e for e in ws.events if e["event"] in ("StatisticValid", "StatisticInvalid")
            ]


async def test_reconnection_backs_off_exponentially(monkeypatch: pytest.MonkeyPatch) -> None:
    """While a T-Server refuses connections, the delay between attempts doubles from the
    first backoff value up to the cap, with ±20 % jitter (docs/event-link.md: 0.5 s doubling
    to 30 s); a connection made resets it."""
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def record(delay: float) -> None:
        delays.append(delay)
        await real_sleep(0)

    fake_asyncio = types.SimpleNamespace(**{**vars(asyncio), "sleep": record})
    monkeypatch.setattr(sources_module, "asyncio", fake_asyncio)  # only the sources' sleeps
    ts = FakeTServer("TS1")
    await ts.start()
    port = ts.port
    await ts.stop_listening()  # nothing listens on the port: every attempt is refused
    config = load_config_text(service_config([tcp("TS1", "tserver", port)]), source="<t>")
    link_source = sources_module.TcpLinkSource(
        config.sources["TS1"], _link(config), backoff=(0.5, 30.0)
    )
    events: list[Any] = []

    async def sink(event: Any) -> None:
        events.append(event)

    task = asyncio.create_task(link_source.run(sink))
    await wait_until(lambda: len(delays) >= 9, 10, "nine attempts")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    nominal = [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    for got, want in zip(delays, nominal, strict=False):
        assert want * 0.8 <= got <= want * 1.2, (delays, nominal)
    assert not events  # no link, no EventLinkConnected


def _link(config: Any) -> Any:
    from statserver.link.protocol import Link

    return Link("TS1", "tserver", dns=SW1_DNS)


async def test_malformed_lines_are_counted_and_skipped(links: Any) -> None:
    """Lines that are not valid event records are counted by reason (source status and
    /metrics) and skipped; the link stays up and the next good line is applied."""
    ts, ixn1, ixn2 = links
    async with running(link_config(ts, ixn1, ixn2)) as (server, url):
        await wait_until(lambda: ts.registered("7001"), 10, "registration")
        async with WsClient(url) as ws:
            ready = await ws.open("Agent", "a1", "ReadyNow")
            bad = (
                b"this is not json\n"
                b"[1, 2]\n"
                b'{"event": "EventAgentReady", "source": "TS1", "thisDN": "7001"}\n'  # no time
                b'{"event": "EventAgentReady", "time": "2026-11-25T10:00:00", "source": "TS1", "thisDN": "7001"}\n'
                b'{"event": "EventNoSuchThing", "time": 1795600800, "source": "TS1", "thisDN": "7001"}\n'
                b'{"event": "EventAgentReady", "time": 1795600800, "source": "TS1", "thisDN": 7001}\n'
            )
            await ts.send_raw(bad)
            await ts.send("EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn")
            await ws.wait_value(ready, lambda v: v == 1)
            rejected = server.sources["TS1"].status.rejected
            assert rejected == {
                "malformed-json": 1,
                "not-an-object": 1,
                "missing-field": 1,
                "bad-time": 1,
                "unknown-event": 1,
                "bad-field": 1,
            }
            assert server.sources["TS1"].status.connected
            assert ts.connections == 1  # never dropped
            text = await get_text(url, "/metrics")
            assert metric(text, "statserver_events_rejected_total", reason="malformed-json") == 1
            assert metric(text, "statserver_events_rejected_total", reason="bad-time") == 1
            health = await get_json(url, "/api/v1/health")
            assert health["sources"]["TS1"]["rejected"]["unknown-event"] == 1


async def test_a_line_too_long_drops_the_link_and_it_comes_back(links: Any) -> None:
    """A line longer than 1 MiB is a protocol error: the connection is dropped and made
    again (counted as line-too-long); nothing else is lost."""
    ts, ixn1, ixn2 = links
    async with running(link_config(ts, ixn1, ixn2)) as (server, _url):
        fast_backoff(server)
        await wait_until(lambda: ts.registered("7001"), 10, "registration")
        await ts.send_raw(b"x" * ((1 << 20) + 10))
        await wait_until(lambda: ts.connections == 2 and ts.registered("7001"), 10, "reconnection")
        assert server.sources["TS1"].status.rejected.get("line-too-long") == 1


# ============================================================================ Interaction Servers
async def test_two_interaction_servers_compose_the_agent(links: Any) -> None:
    """a1 handles chat on IXN1 and email on IXN2.  Each Interaction Server answers the
    reporting start with the agent's current state.  Losing IXN2 drops only the email part
    (and invalidates statistics on non-voice media); the agent stays logged in with chat;
    when IXN2 is back its snapshot gives the email channel again."""
    ts, ixn1, ixn2 = links
    await ixn1.send("EventAgentLogin", agentID="a1", place="P1", mediaType="chat")
    await ixn1.send("EventReadyForMedia", agentID="a1", mediaType="chat")
    await ixn1.send("EventAgentInvited", agentID="a1", mediaType="chat", interactionID="chat-1")
    await ixn1.send("EventPartyAdded", agentID="a1", mediaType="chat", interactionID="chat-1")
    await ixn2.send("EventAgentLogin", agentID="a1", place="P1", mediaType="email")
    await ixn2.send("EventNotReadyForMedia", agentID="a1", mediaType="email")
    async with running(link_config(ts, ixn1, ixn2)) as (server, url):
        fast_backoff(server)
        await connected(server, "IXN1", "IXN2")
        assert ixn1.requests == [
            {
                "request": "StartPlaceAgentStateReportingAll",
                "client": "statserver",
                "tenants": ["Resources"],
            }
        ]
        async with WsClient(url) as ws:
            chat = await ws.open("Agent", "a1", "ChatLoggedIn")
            email = await ws.open("Agent", "a1", "EmailLoggedIn")
            media = await ws.open("Agent", "a1", "AgentMedia")

            def channels(v: Any) -> dict[str, str]:
                return {m["mediaType"]: f"{m['source']}:{m['status']}" for m in v.get("media", [])}

            await ws.wait_value(chat, lambda v: v == 1)
            await ws.wait_value(email, lambda v: v == 1)
            value = await ws.wait_value(media, lambda v: len(channels(v)) == 2)
            # chat-1 in hand (HandlingInbound has the status of CallInbound); email not ready
            assert channels(value) == {
                "chat": "IXN1:CallInbound",
                "email": "IXN2:NotReadyForNextCall",
            }
            before = len(ws.events)

            await ixn2.stop_listening()
            await ws.wait_value(email, lambda v: v == 0)
            await ws.wait_for(
                lambda e: e == {"event": "StatisticInvalid", "referenceId": email}, after=before
            )
            assert ws.last_value(chat) == 1  # IXN1's part is untouched
            value = await ws.wait_value(media, lambda v: len(channels(v)) == 1)
            assert channels(value) == {"chat": "IXN1:CallInbound"}
            assert value["status"] == "CallInbound"  # still logged in, through chat

            await ixn2.send("EventReadyForMedia", agentID="a1", mediaType="email")  # missed
            down = len(ws.events)
            await ixn2.start()
            await ws.wait_value(email, lambda v: v == 1)
            await ws.wait_for(
                lambda e: e == {"event": "StatisticValid", "referenceId": email}, after=down
            )
            value = await ws.wait_value(media, lambda v: len(channels(v)) == 2)
            assert channels(value)["email"] == "IXN2:WaitForNextCall"
            assert ws.last_value(chat) == 1


# ============================================================================ file sources
def write_lines(path: Path, records: list[dict[str, Any]], mode: str = "a") -> None:
    with path.open(mode, encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")


def ev(t: float, event: str, **attrs: Any) -> dict[str, Any]:
    return {"event": event, "time": T0 + t, "source": "TS1", **attrs}


async def test_file_source_replays_a_recorded_file(tmp_path: Path) -> None:
    """A JSON Lines file source (``follow: false``) is read once from start to end; its bad
    lines are counted and skipped.  Source times drive the engine clock."""
    events = tmp_path / "day.jsonl"
    write_lines(
        events,
        [
            ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn"),
            ev(30, "EventAgentNotReady", thisDN="7001", workMode="AuxWork"),
            ev(50, "EventAgentReady", thisDN="7001"),
            ev(80, "EventAgentLogin", thisDN="7002", agentID="5002", workMode="ManualIn"),
        ],
        "w",
    )
    with events.open("a") as fh:
        fh.write("garbage\n\n")
    config = load_config_text(
        service_config(
            [
                {
                    "name": "TS1",
                    "kind": "tserver",
                    "tenants": ["Resources"],
                    "transport": "file",
                    "file": str(events),
                }
            ]
        ),
        source="<file>",
    )
    async with running(config) as (server, url):
        await wait_until(lambda: server.sources["TS1"].finished.is_set(), 10, "end of file")
        await wait_until(lambda: server.engine.counters.received == 4, 10, "4 events applied")
        assert server.sources["TS1"].status.rejected == {"malformed-json": 1}
        health = await get_json(url, "/api/v1/health")
        assert health["tenants"]["Resources"]["clock"] == T0 + 80
        async with WsClient(url) as ws:
            state = await ws.open("Agent", "a1", "AgentState")
            ready = await ws.open("GroupAgents", "Team", "ReadyNow")
            value = await ws.wait_value(state, lambda v: True)
            assert (value["status"], value["startTime"]) == ("WaitForNextCall", T0 + 50)
            assert await ws.wait_value(ready, lambda v: True) == 2  # a1 and a2


async def test_file_source_follows_a_growing_file(tmp_path: Path) -> None:
    """``follow: true`` reads the file like ``tail -f``: lines appended later are applied as
    they come; a line is taken only once its newline is written."""
    events = tmp_path / "live.jsonl"
    events.write_text("")
    config = load_config_text(
        service_config(
            [
                {
                    "name": "TS1",
                    "kind": "tserver",
                    "tenants": ["Resources"],
                    "transport": "file",
                    "file": str(events),
                    "follow": True,
                }
            ]
        ),
        source="<follow>",
    )
    async with running(config) as (server, url):
        server.sources["TS1"].poll = 0.02
        write_lines(
            events, [ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn")]
        )
        async with WsClient(url) as ws:
            await wait_until(lambda: server.engine.counters.received == 1, 10, "first line")
            ready = await ws.open("Agent", "a1", "ReadyNow")
            await ws.wait_value(ready, lambda v: v == 1)
            line = json.dumps(ev(10, "EventAgentNotReady", thisDN="7001", workMode="AuxWork"))
            with events.open("a") as fh:
                fh.write(line[:20])  # half a line: not taken yet
                fh.flush()
                await asyncio.sleep(0.2)
                assert server.engine.counters.received == 1
                fh.write(line[20:] + "\n")
            await ws.wait_value(ready, lambda v: v == 0)
            assert server.positions["TS1"] == events.stat().st_size


# ============================================================================ NATS JetStream
NATS_URL = "nats://127.0.0.1:4222"


async def _jetstream(stream: str, subject: str) -> Any:
    nats = pytest.importorskip("nats")
    try:
        nc = await asyncio.wait_for(
            nats.connect(NATS_URL, connect_timeout=2, max_reconnect_attempts=0), 5
        )
    except Exception as exc:  # pragma: no cover - depends on the machine
        service_missing(f"NATS with JetStream is not running on {NATS_URL}: {exc}")
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[subject])
    return nc, js


@pytest_asyncio.fixture
async def nats_stream() -> AsyncIterator[tuple[Any, str, str]]:
    tag = uuid.uuid4().hex[:10]
    stream, subject = f"STATSERVER_TEST_{tag}", f"statserver.test.{tag}.sw1"
    nc, js = await _jetstream(stream, subject)
    try:
        yield js, stream, subject
    finally:
        try:
            await js.delete_stream(stream)
        finally:
            await nc.close()


async def test_nats_source_resumes_after_a_restart(nats_stream: Any, tmp_path: Path) -> None:
    """A NATS JetStream source applies the messages of its subject; after a restart (the
    same backup) it resumes after the last stream sequence it journaled: nothing is applied
    twice, nothing is lost, and a bad message is counted and skipped."""
    js, stream, subject = nats_stream
    source = {
        "name": "TS1",
        "kind": "tserver",
        "tenants": ["Resources"],
        "transport": "nats",
        "url": NATS_URL,
        "subject": subject,
        "stream": stream,
    }
    config = load_config_text(service_config([source]), source="<nats>")
    backup = str(tmp_path / "backup.sqlite")

    async def publish(record: dict[str, Any] | bytes) -> None:
        await js.publish(
            subject, record if isinstance(record, bytes) else json.dumps(record).encode()
        )

    await publish(ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn"))
    await publish(ev(40, "EventAgentNotReady", thisDN="7001", workMode="AuxWork"))
    async with running(config, storage=backup) as (server, url):
        await wait_until(lambda: server.engine.counters.received == 2, 10, "two messages")
        await publish(b"not json")
        await publish(ev(60, "EventAgentReady", thisDN="7001"))
        await wait_until(lambda: server.engine.counters.received == 3, 10, "the third message")
        assert server.positions["TS1"] == 4  # stream sequence of the last one applied
        assert server.sources["TS1"].status.rejected == {"malformed-json": 1}
        async with WsClient(url) as ws:
            ready = await ws.open("Agent", "a1", "ReadyTime")
    # while the server is down
    await publish(ev(100, "EventAgentNotReady", thisDN="7001", workMode="AuxWork"))
    await publish(ev(130, "EventAgentReady", thisDN="7001"))
    async with running(config, storage=backup) as (server, url):
        assert server.restored.positions["TS1"] == 4  # restored from the backup
        # the engine's counters are restored too: 3 events before the restart
        await wait_until(
            lambda: server.engine.counters.received >= 3 + 2, 10, "the missed messages"
        )
        await asyncio.sleep(0.3)
        assert server.engine.counters.received == 3 + 2  # only those: nothing twice
        assert server.positions["TS1"] == 6
        stat = next(s for s in server.engine.statistics() if s.object_id == "a1")
        # opened at T0+60 (the engine's time then), ready 60-100, ready again since 130
        assert server.engine.value(stat, T0 + 150) == (100 - 60) + (150 - 130)
    del ready


async def test_health_reports_each_source(links: Any) -> None:
    """/api/v1/health lists every source with its transport, link state, events and
    reconnections."""
    ts, ixn1, ixn2 = links
    async with running(link_config(ts, ixn1, ixn2)) as (server, url):
        await connected(server, "TS1", "IXN1", "IXN2")
        await ts.send("EventAgentLogin", thisDN="7001", agentID="5001")
        await wait_until(lambda: server.sources["TS1"].status.events >= 7, 10, "events")
        health = await get_json(url, "/api/v1/health")
        ts1 = health["sources"]["TS1"]
        assert ts1["transport"] == "tcp"
        assert ts1["connected"] is True
        assert ts1["events"] == len(SW1_DNS) + 1  # six EventRegistered + the login
        assert health["sources"]["IXN1"]["kind"] == "interaction"
        assert time.time() - 60 < ts1["lastEventTime"] <= time.time()
