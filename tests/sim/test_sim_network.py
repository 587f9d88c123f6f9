"""The simulator serving its links to the REAL server (statserver.service, in-process):
registration snapshots, streamed events, reconnection, pacing; the server's statistics
equal the simulator's ground truth.

The simulation is driven second by second (``advance_to``) and each simulated second is
left to reach the engine before the next one is sent: the links are separate TCP
connections, so without this an event of the next second on one link could overtake an
event of this second on another one and move the tenant's clock (durations would then be
off by the reordering, which a paced real-time run tolerates but an exact test cannot)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sim_support import STATUS_STATS, config_from, expected_count, groups, sample_doc

from statserver.core.engine import StatisticRequest
from statserver.service.app import StatServer
from statserver.service.runner import running
from statserver.sim.center import Center
from statserver.sim.core import Simulation
from statserver.sim.options import FLAT_PROFILE, SimOptions
from statserver.sim.service import SimService


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.002)


def delivered(server: StatServer) -> int:
    return sum(s.status.events for s in server.sources.values())


def link_events(server: StatServer) -> int:
    """EventLinkConnected / EventLinkDisconnected records the sources gave the engine."""
    return sum(link.link_records for link in server.links.values())


async def settle(server: StatServer, service: SimService) -> None:
    """Everything the simulator sent has been applied by the server's engine."""
    await service.drain()
    await wait_for(
        lambda: (
            delivered(server) >= service.lines_sent
            and server.engine.counters.received >= delivered(server) + link_events(server)
        ),
        "the server to apply what was sent",
    )


def registered(service: SimService, server: StatServer) -> bool:
    d = server.engine.directory
    for name, link in service.links.items():
        if len(link.clients) != 1:
            return False
        client = link.clients[0]
        if link.spec.kind == "tserver":
            if len(client.registered) != len(d.dns_of_source(name)):
                return False
        elif client.tenants is None:
            return False
    return all(s.status.connected for s in server.sources.values())


@contextlib.asynccontextmanager
async def served(
    seed: int, start: int, warmup: int = 0, **options: Any
) -> AsyncIterator[tuple[SimService, Any]]:
    """The sample center simulated from ``start - warmup``, its links on free ports, and the
    sample configuration pointing at them."""
    # the flat profile: with the day profile the traffic would depend on the hour the tests
    # run at (at 23:00 UTC it is quiet, and the checks that the traffic did something fail)
    options.setdefault("profile", FLAT_PROFILE)
    doc = sample_doc()
    config = config_from(doc)
    sim = Simulation(
        Center.from_config(config), SimOptions(seed=seed, start=start - warmup, **options)
    )
    service = SimService(sim, host="127.0.0.1", ports=dict.fromkeys(sim.center.sources, 0))
    if warmup:
        service.advance_to(start * 1000)
    where = await service.start()
    for source in doc["sources"]:
        source["host"], source["port"] = where[source["name"]]
    try:
        yield service, config_from(doc)
    finally:
        await service.close()


def check_current_state(server: StatServer, sim: Simulation, config: Any) -> int:
    """Group counts, agent statuses, calls and interactions waiting: server == simulator.
    Returns the number of comparisons."""
    engine = server.engine
    t = sim.now / 1000
    n = 0
    for tenant, kind, name in groups(config):
        for st in STATUS_STATS:
            stat = engine.open(StatisticRequest(tenant, kind, name, st))
            assert engine.value(stat, t) == expected_count(config, sim, tenant, kind, name, st), (
                tenant,
                name,
                st,
            )
            n += 1
    for a in sim.agents():
        stat = engine.open(StatisticRequest(a.spec.tenant, "Agent", a.id, "AgentState"))
        assert engine.value(stat, t)["status"] == a.status(), a.id
        n += 1
    for q in sim.queues():
        stat = engine.open(
            StatisticRequest(
                q.spec.tenant, "Queue", f"{q.spec.number}@{q.spec.switch}", "CallsWaiting"
            )
        )
        assert engine.value(stat, t) == len(q.waiting)
        n += 1
    for tname, tenant in sim.tenants.items():
        for mq in tenant.media.values():
            stat = engine.open(
                StatisticRequest(tname, "StagingArea", mq.spec.name, "InteractionsWaiting")
            )
            assert engine.value(stat, t) == len(mq.waiting)
    return n


@pytest.mark.asyncio
async def test_server_statistics_equal_the_simulator_ground_truth() -> None:
    """Fifteen simulated minutes through the six links: the server rejects nothing, its
    group counts equal the members' states every minute, and at the end each queue's
    offered / answered / abandoned / missed / waiting counts and each agent's talk times
    equal the simulator's own records."""
    start = int(time.time()) + 5  # the simulator runs slightly ahead of the server
    async with served(seed=9, start=start, login_ramp=60.0) as (service, config):
        sim = service.sim
        async with running(config) as (server, _url):
            await wait_for(lambda: registered(service, server), "the registrations")
            await settle(server, service)
            engine = server.engine
            at = sim.now / 1000
            talk = {
                (a.spec.tenant, a.id, kind): engine.open(
                    StatisticRequest(a.spec.tenant, "Agent", a.id, st, time_profile="Forever"),
                    at=at,
                )
                for a in sim.agents()
                for kind, st in (
                    ("Inbound", "InboundTalkTime"),
                    ("Outbound", "OutboundTalkTime"),
                    ("Consult", "ConsultTime"),
                )
            }
            names = (
                "CallsOffered",
                "CallsAnswered",
                "CallsAbandoned",
                "CallsAbandonedRinging",
                "CallsMissed",
            )
            queues = {
                (q.spec.tenant, q.spec.number, st): engine.open(
                    StatisticRequest(
                        q.spec.tenant,
                        "Queue",
                        f"{q.spec.number}@{q.spec.switch}",
                        st,
                        time_profile="Forever",
                    ),
                    at=at,
                )
                for q in sim.queues()
                for st in names
            }
            checks = 0
            for second in range(1, 15 * 60 + 1):
                service.advance_to(sim.now + 1000)
                await settle(server, service)
                if second % 60 == 0:
                    checks += check_current_state(server, sim, config)
            t = sim.now / 1000
            assert engine.counters.rejected == {}
            assert engine.counters.warnings == {}
            # The T-Server and the Interaction Servers are separate connections: within one
            # simulated second their events may reach the engine out of time order, which the
            # engine handles by its documented rule (applied at the tenant's clock, counted as
            # clock_went_back).  That shifts only the media events concerned by less than a
            # second, and none of the values compared below.
            assert all(s.status.rejected == {} for s in server.sources.values())
            for (tenant, emp, kind), stat in talk.items():
                assert engine.value(stat, t) == sim.agent(tenant, emp).talk[kind], (emp, kind)
            for q in sim.queues():
                tr = q.truth
                got = [engine.value(queues[(q.spec.tenant, q.spec.number, st)], t) for st in names]
                assert got == [
                    tr.entered,
                    tr.answered,
                    tr.abandoned,
                    tr.abandoned_ringing,
                    tr.missed,
                ], q.spec.number
                assert got[0] == sum(got[1:]) + len(q.waiting) + q.ringing()
            assert sum(q.truth.answered for q in sim.queues()) > 15
            assert sum(a.talk["Inbound"] for a in sim.agents()) > 0
            assert checks > 1000


@pytest.mark.asyncio
async def test_registration_and_reconnection_give_the_current_state() -> None:
    """A server that connects after 30 simulated minutes gets, with EventRegistered and the
    Interaction Servers' agent-state report, what is going on (agents logged in, modes,
    calls, chats in hand, calls and chats waiting).  When links are lost the server
    reconnects, registers again and is back in step."""
    start = int(time.time()) + 5
    async with served(seed=4, start=start, warmup=1800) as (service, config):
        sim = service.sim
        assert sum(1 for a in sim.agents() if a.voice) > 10
        async with running(config) as (server, _url):
            await wait_for(lambda: registered(service, server), "the registrations")
            await settle(server, service)
            assert check_current_state(server, sim, config) > 80
            for _ in range(90):
                service.advance_to(sim.now + 1000)
                await settle(server, service)
            check_current_state(server, sim, config)
            # the links of one tenant drop; the server reconnects and registers again
            for name in ("TS1", "IXN1", "IXN2"):
                link = service.links[name]
                for client in list(link.clients):
                    link._drop(client)
            await wait_for(
                lambda: (
                    all(server.sources[n].status.reconnects >= 1 for n in ("TS1", "IXN1", "IXN2"))
                    and registered(service, server)
                ),
                "the reconnection",
            )
            await settle(server, service)
            check_current_state(server, sim, config)
            for _ in range(30):
                service.advance_to(sim.now + 1000)
                await settle(server, service)
            check_current_state(server, sim, config)
            assert server.engine.counters.rejected == {}


async def _lines(reader: asyncio.StreamReader, n: int) -> list[dict[str, Any]]:
    return [json.loads(await asyncio.wait_for(reader.readline(), 5)) for _ in range(n)]


@pytest.mark.asyncio
async def test_tserver_link_protocol() -> None:
    """A raw client of a T-Server link: RegisterAddress is answered by EventRegistered for
    that DN (with the agent's state in extensions); then only the events of registered DNs
    arrive, one JSON object per line, in time order."""
    start = int(time.time()) + 5
    async with served(seed=3, start=start, warmup=1200) as (service, _config):
        sim = service.sim
        host, port = service.links["TS1"].host, service.links["TS1"].port
        reader, writer = await asyncio.open_connection(host, port)
        agent = next(a for a in sim.agents("Acme") if a.voice)
        writer.write(b'{"request": "RegisterClient", "client": "test"}\n')
        writer.write(
            json.dumps({"request": "RegisterAddress", "thisDN": agent.spec.dn}).encode() + b"\n"
        )
        for queue in ("8101", "8102", "8103"):
            writer.write(
                json.dumps({"request": "RegisterAddress", "thisDN": queue}).encode() + b"\n"
            )
        await writer.drain()
        reg_agent, reg_queue, *_ = await _lines(reader, 4)
        assert reg_agent["event"] == reg_queue["event"] == "EventRegistered"
        assert reg_agent["source"] == "TS1"
        assert reg_agent["thisDN"] == agent.spec.dn
        assert reg_agent["extensions"]["agentID"] == agent.spec.login_id
        assert reg_agent["extensions"]["workMode"] in ("ManualIn", "AuxWork", "AfterCallWork")
        assert reg_queue["thisDN"] == "8101"
        assert [c["connID"] for c in reg_queue["extensions"]["calls"]] == [
            c.conn for c in sim.queue("Acme", "8101").waiting
        ]
        capture = io.BytesIO()
        service.record = capture
        for _ in range(20 * 60):
            service.advance_to(sim.now + 1000)
        await service.drain()
        await service.close()  # the end of the stream
        streamed = []
        while line := await asyncio.wait_for(reader.readline(), 5):
            streamed.append(json.loads(line))
        writer.close()
        mine = {agent.spec.dn, "8101", "8102", "8103"}
        emitted = [json.loads(line) for line in capture.getvalue().splitlines()]
        assert streamed == [r for r in emitted if r["source"] == "TS1" and r["thisDN"] in mine]
        assert len(streamed) > 10
        assert [r["time"] for r in streamed] == sorted(r["time"] for r in streamed)


@pytest.mark.asyncio
async def test_paced_run_streams_in_time_order() -> None:
    """``run`` paces the simulation by the wall clock times ``speed``; a client of an
    Interaction Server link gets the agent-state report then the tenant's events, in
    time order."""
    start = int(time.time()) + 5
    async with served(seed=6, start=start, warmup=1800) as (service, _config):
        sim = service.sim
        link = service.links["IXN1"]
        reader, writer = await asyncio.open_connection(link.host, link.port)
        writer.write(
            b'{"request": "StartPlaceAgentStateReportingAll", "client": "t", "tenants": ["Acme"]}\n'
        )
        await writer.drain()
        await wait_for(
            lambda: link.clients and link.clients[0].tenants is not None, "the subscription"
        )
        report = link.lines
        assert report > 0  # logged-in chat agents
        began, t0 = time.monotonic(), sim.now
        service.speed = 300.0
        await service.run(until=t0 + 600_000)
        elapsed = time.monotonic() - began
        assert 1.0 < elapsed < 8.0  # 600 simulated seconds at 300x: about 2 s
        await service.close()  # the end of the stream
        records = []
        while line := await asyncio.wait_for(reader.readline(), 5):
            records.append(json.loads(line))
        writer.close()
        assert len(records) == link.lines
        first = records[:report]
        assert {r["event"] for r in first} <= {
            "EventAgentLogin",
            "EventAgentInvited",
            "EventPartyAdded",
            "EventPlacedInQueue",
        }
        assert {r["source"] for r in records} == {"IXN1"}
        assert {r.get("mediaType") for r in records} == {"chat"}
        times = [r["time"] for r in records]
        assert times == sorted(times)
        assert len(records) > report  # events streamed after the report
