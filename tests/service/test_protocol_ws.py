"""The client protocol over real WebSocket connections (contracts.md §3, docs/protocol.md).

A raw WebSocket peer speaks the JSON protocol to a server running in-process on a free
port; events are fed into the server as a source would give them, or come through a real
TCP T-Server link (a fake T-Server).  Expected values are counted by hand from the events.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import websockets
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from statserver.errors import ErrorCode
from statserver.protocol.messages import REQUESTS
from statserver.protocol.session import ClientSession
from statserver.service import runner
from statserver.service.app import StatServer
from statserver.service.runner import running
from statserver.service.ws_protocol import FramesWebSocketProtocol

T0 = 1795600800  # 2026-11-25T10:00:00+00:00, a minute boundary
QUEUE = {"objectId": "8000@SW1", "objectType": "Queue", "tenant": "Resources"}
AGENT = {"objectId": "a1", "objectType": "Agent", "tenant": "Resources"}
ON_SALES = {"objectId": "OnSales", "objectType": "GroupAgents", "tenant": "Resources"}
WAITING = {"statisticType": "CallsWaiting"}


def open_req(
    ref: Any, obj: dict[str, Any] = QUEUE, metric: dict[str, Any] = WAITING, **notification: Any
) -> dict[str, Any]:
    req: dict[str, Any] = {
        "request": "OpenStatistic",
        "referenceId": ref,
        "object": obj,
        "metric": metric,
    }
    if notification:
        req["notification"] = notification
    return req


def queued(conn: str, **attrs: Any) -> dict[str, Any]:
    """A call entering queue 8000."""
    return {
        "event": "EventQueued",
        "thisDN": "8000",
        "connID": conn,
        "callType": "Inbound",
        **attrs,
    }


def infos(events: list[dict[str, Any]], ref: Any) -> list[Any]:
    return [e["value"] for e in events if e.get("event") == "Info" and e.get("referenceId") == ref]


# Tests that only check answers to requests share one server (a server costs ~0.2 s to stop).
shared_loop = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(make_config) -> AsyncIterator[tuple[StatServer, str]]:
    """A server for the tests that feed no events."""
    config = make_config(options={"auto-backup-interval": 0})
    async with running(config) as (server, url):
        yield server, url.replace("http://", "ws://") + "/ws"


def session_of(server: StatServer, client: str) -> ClientSession:
    """The server side of the connection made with ``?client=<client>``."""
    return next(c.session for c in server.sessions if c.name == client)


# --------------------------------------------------------------------------------------------
# requests and events


@pytest.mark.asyncio
async def test_open_statistic_answers_opened_then_the_current_value(serve, peer, feed):
    """OpenStatistic → StatisticOpened, then an Info with the current value and the server
    time; every change is pushed after that (Changes is the default mode)."""
    async with serve() as (server, url), peer(url) as p:
        feed(server, queued("c1"))  # one call waits before the open
        await p.send(open_req(7))
        assert await p.recv() == {"event": "StatisticOpened", "referenceId": 7}
        info = await p.recv()
        assert info["event"] == "Info"
        assert info["referenceId"] == 7
        assert info["value"] == 1  # c1
        assert abs(info["time"] - time.time()) <= 2
        feed(server, queued("c2"))
        assert (await p.recv())["value"] == 2  # c1 + c2
        feed(server, {"event": "EventAbandoned", "thisDN": "8000", "connID": "c1"})
        assert (await p.recv())["value"] == 1  # c2


@pytest.mark.asyncio
async def test_open_statistic_ex_takes_an_inline_definition(serve, peer, feed):
    """OpenStatisticEx carries the definition (category, masks, subject, interval) itself."""
    metric = {
        "category": "TotalNumber",
        "subject": "DNAction",
        "mainMask": ["CallEntered"],
        "intervalType": "GrowingWindow",
        "timeProfile": "00:00",
    }
    async with serve() as (server, url), peer(url) as p:
        await p.send(
            {"request": "OpenStatisticEx", "referenceId": "ex", "object": QUEUE, "metric": metric}
        )
        assert await p.recv() == {"event": "StatisticOpened", "referenceId": "ex"}
        assert (await p.recv())["value"] == 0  # nothing entered since the open
        feed(server, queued("c1"), queued("c2"))
        assert (await p.recv())["value"] == 2  # c1 and c2 entered (one batch: one push)


@pytest.mark.asyncio
async def test_close_statistic_stops_the_pushes(serve, peer, feed):
    """CloseStatistic → StatisticClosed; no Info for that referenceId after it."""
    async with serve() as (server, url), peer(url) as p:
        await p.send(open_req(1))
        await p.until("Info", 1)
        closed = await p.request({"request": "CloseStatistic", "referenceId": 1}, "StatisticClosed")
        assert closed == {"event": "StatisticClosed", "referenceId": 1}
        feed(server, queued("c1"))
        assert await p.silent(0.2) == []


@pytest.mark.asyncio
async def test_peek_statistic_returns_the_value_now(serve, peer, feed):
    """PeekStatistic answers with an Info carrying the current value."""
    async with serve() as (server, url), peer(url) as p:
        await p.send(open_req(1, mode="None"))
        await p.until("StatisticOpened", 1)
        feed(server, queued("c1"), queued("c2"), queued("c3"))
        info = await p.request({"request": "PeekStatistic", "referenceId": 1}, "Info")
        assert info["value"] == 3  # c1, c2, c3 waiting


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("request_name", "metric"),
    [
        ("GetStatistic", {"statisticType": "CallsWaiting"}),
        (
            "GetStatisticEx",
            {"category": "CurrentNumber", "subject": "DNAction", "mainMask": "CallWait"},
        ),
    ],
    ids=["named", "inline"],
)
async def test_get_statistic_answers_once_without_subscribing(
    serve, peer, feed, request_name, metric
):
    """GetStatistic / GetStatisticEx: one Info with the value; nothing is pushed later."""
    async with serve() as (server, url), peer(url) as p:
        feed(server, queued("c1"), queued("c2"))
        info = await p.request(
            {"request": request_name, "referenceId": 5, "object": QUEUE, "metric": metric}, "Info"
        )
        assert info["value"] == 2  # c1, c2
        assert info["referenceId"] == 5
        feed(server, queued("c3"))
        assert await p.silent(0.2) == []
        assert server.pool.subs == {}


@pytest.mark.asyncio
async def test_suspend_and_resume_notification(serve, peer, feed):
    """SuspendNotification stops the pushes; ResumeNotification sends the current value at
    once and pushes changes again."""
    async with serve() as (server, url), peer(url) as p:
        await p.send(open_req(1))
        await p.until("Info", 1)
        await p.send({"request": "SuspendNotification", "referenceId": 1})
        await asyncio.sleep(0.05)
        feed(server, queued("c1"))
        feed(server, queued("c2"))
        assert await p.silent(0.2) == []
        await p.send({"request": "ResumeNotification", "referenceId": 1})
        assert (await p.recv())["value"] == 2  # c1 + c2, queued while suspended
        feed(server, queued("c3"))
        assert (await p.recv())["value"] == 3


@pytest.mark.parametrize(
    ("part", "keys"),
    [
        ("StatTypes", {"statTypes"}),
        ("TimeProfiles", {"timeProfiles"}),
        ("TimeRanges", {"timeRanges"}),
        ("Filters", {"filters"}),
        (None, {"statTypes", "timeProfiles", "timeRanges", "filters"}),
    ],
    ids=["stat-types", "time-profiles", "time-ranges", "filters", "all"],
)
@shared_loop
async def test_get_statistic_profile_lists_the_configuration(shared, peer, part, keys):
    """GetStatisticProfile → StatisticProfile with the part asked for (all without one)."""
    _, url = shared
    async with peer(url) as p:
        req: dict[str, Any] = {"request": "GetStatisticProfile", "referenceId": 9}
        if part:
            req["profile"] = part
        event = await p.request(req, "StatisticProfile")
        assert set(event) - {"event", "referenceId"} == keys
        if "timeRanges" in keys:
            assert event["timeRanges"] == {"SL20": "0-20"}
        if "filters" in keys:
            assert event["filters"] == {"Gold": 'PairExists("Segment","Gold")'}
        if "statTypes" in keys:
            waiting = event["statTypes"]["CallsWaiting"]
            assert (waiting["Category"], waiting["Subject"], waiting["MainMask"]) == (
                "CurrentNumber",
                "DNAction",
                "CallWait",
            )
        if "timeProfiles" in keys:
            assert event["timeProfiles"]["Minute"]["type"] == "Growing"
            assert event["timeProfiles"]["Last10Min"]["type"] == "Sliding"


@pytest.mark.asyncio
async def test_validity_events_follow_the_link_state(serve, peer, feed):
    """StatisticInvalid when the T-Server link of the object's DN is lost, StatisticValid once
    the DN is registered again; none for CurrentState (as in Genesys)."""
    async with serve() as (server, url), peer(url) as p:
        await p.send(open_req(1))
        await p.send(open_req(2, AGENT, {"statisticType": "AgentState"}))
        await p.until("Info", 2)
        feed(server, {"event": "EventLinkDisconnected"})
        invalid, _ = await p.until("StatisticInvalid")
        assert invalid == {"event": "StatisticInvalid", "referenceId": 1}
        feed(server, {"event": "EventLinkConnected"})
        feed(server, {"event": "EventRegistered", "thisDN": "8000"})
        valid, before = await p.until("StatisticValid")
        assert valid == {"event": "StatisticValid", "referenceId": 1}
        validity = [e for e in before if e["event"].startswith("Statistic")]
        assert validity == []  # still invalid while 8000 was only Monitored; none for ref 2


@pytest.mark.asyncio
async def test_current_target_state_snapshot_then_deltas(serve, peer, feed):
    """CurrentTargetState on the virtual group OnSales = LoggedIn("8000@SW1"): a snapshot at
    the open, TargetAdded when an agent logs in on queue 8000, TargetUpdated when its state
    changes, TargetRemoved when it logs out."""
    async with serve() as (server, url), peer(url) as p:
        await p.send(open_req(3, ON_SALES, {"statisticType": "Targets"}))
        await p.until("StatisticOpened", 3)
        snapshot = await p.recv()
        assert snapshot["event"] == "CurrentTargetStateSnapshot"
        assert snapshot["targets"] == []  # nobody is logged in on 8000
        feed(
            server,
            {
                "event": "EventAgentLogin",
                "thisDN": "7001",
                "agentID": "5001",
                "thisQueue": "8000",
                "workMode": "AuxWork",
            },
        )
        added = await p.recv()
        assert added["event"] == "CurrentTargetStateTargetAdded"
        assert added["referenceId"] == 3
        assert added["target"]["agentId"] == "a1"
        assert added["target"]["placeId"] == "P1"
        feed(
            server,
            {"event": "EventAgentReady", "thisDN": "7001", "agentID": "5001", "thisQueue": "8000"},
        )
        updated = await p.recv()
        assert updated["event"] == "CurrentTargetStateTargetUpdated"
        assert updated["target"]["agentId"] == "a1"
        assert updated["target"] != added["target"]  # ready now
        voice = next(c for c in updated["target"]["capacity"] if c["mediaType"] == "voice")
        assert voice["state"] == "Ready"
        feed(
            server,
            {"event": "EventAgentLogout", "thisDN": "7001", "agentID": "5001", "thisQueue": "8000"},
        )
        removed = await p.recv()
        assert removed["event"] == "CurrentTargetStateTargetRemoved"
        assert removed["target"]["agentId"] == "a1"


# --------------------------------------------------------------------------------------------
# notification modes


@pytest.mark.asyncio
async def test_changes_are_pushed_within_100ms_through_a_tcp_tserver_link(serve, peer, tserver):
    """An event a T-Server sends on its TCP link reaches a Changes-mode client within ~100 ms;
    losing the link makes the statistic invalid (and ends the waiting calls), the reconnected
    and re-registered link makes it valid again."""
    async with serve(tserver_port=tserver.port) as (_, url), peer(url) as p:
        await asyncio.wait_for(tserver.ready.wait(), 5)
        await p.send(open_req(1))
        assert (await p.until("Info", 1))[0]["value"] == 0
        delays = []
        for n in range(1, 6):
            start = time.perf_counter()
            tserver.send(queued(f"c{n}"))
            info = await p.recv()
            delays.append(time.perf_counter() - start)
            assert info["value"] == n  # c1 … cn waiting
        assert max(delays) < 0.1, delays
        tserver.drop()
        valid, events = await p.until("StatisticValid", 1, timeout=5)
        assert valid == {"event": "StatisticValid", "referenceId": 1}
        assert tserver.ready.is_set()  # Stat Server reconnected and registered every DN
        assert [e["event"] for e in events if e["event"] != "Info"] == ["StatisticInvalid"]
        assert infos(events, 1) == [0]  # the link loss ended the 5 waits


@pytest.mark.asyncio
@pytest.mark.parametrize("interval", [0, 0.5])
async def test_engine_batch_interval_applies_the_events_of_an_interval_together(
    serve, peer, tserver, interval: float
):
    """``engine-batch-interval``: an event that finds the engine idle is applied and pushed
    at once; the two sent right after it (c2, then c3 50 ms later) wait for the interval
    since that batch's start and are applied together, so the statistic is pushed once,
    with its last value.  With 0 each is applied and pushed as it comes."""
    options = {"engine-batch-interval": interval}
    async with serve(options=options, tserver_port=tserver.port) as (_, url), peer(url) as p:
        await asyncio.wait_for(tserver.ready.wait(), 5)
        await p.send(open_req(1))
        assert (await p.until("Info", 1))[0]["value"] == 0
        await asyncio.sleep(interval)  # the engine is idle again
        start = time.perf_counter()
        tserver.send(queued("c1"))
        assert (await p.recv())["value"] == 1
        first = time.perf_counter() - start
        tserver.send(queued("c2"))
        await asyncio.sleep(0.05)
        tserver.send(queued("c3"))
        values = [(await p.recv())["value"]]
        if values[-1] != 3:
            values.append((await p.recv())["value"])
        waited = time.perf_counter() - start
        assert first < 0.1, first
        if interval:
            assert values == [3]
            assert waited >= interval - 0.05, waited
        else:
            assert values == [2, 3]
            assert waited < 0.3, waited
        assert await p.silent(0.1) == []


@pytest.mark.asyncio
async def test_insensitivity_suppresses_small_changes(serve, peer, feed):
    """Changes with insensitivity 2: a value is pushed only when it differs from the last one
    pushed by at least 2 (absolute, docs/decisions.md Q4)."""
    async with serve() as (server, url), peer(url) as p:
        await p.send(open_req(1, mode="Changes", insensitivity=2))
        assert (await p.until("Info", 1))[0]["value"] == 0
        pushed = []
        for n in range(1, 6):
            feed(server, queued(f"c{n}"))
            pushed += infos(await p.silent(0.05), 1)
        # 1: |1-0| < 2 no; 2: yes; 3: |3-2| < 2 no; 4: yes; 5: no
        assert pushed == [2, 4]
        feed(server, {"event": "EventAbandoned", "thisDN": "8000", "connID": "c1"})
        assert infos(await p.silent(0.05), 1) == []  # 4 waiting: |4-4| = 0
        feed(server, {"event": "EventAbandoned", "thisDN": "8000", "connID": "c2"})
        assert infos(await p.silent(0.05), 1) == []  # 3 waiting: |3-4| = 1 < 2
        feed(server, {"event": "EventAbandoned", "thisDN": "8000", "connID": "c3"})
        assert infos(await p.silent(0.05), 1) == [2]  # 2 waiting: |2-4| = 2


@pytest.mark.asyncio
async def test_periodical_respects_the_frequency(serve, peer, feed):
    """Periodical: the value is sent every `frequency` seconds whether it changed or not
    (insensitivity 0); with an insensitivity, only when it moved that much since the last one
    sent.  The server stamps the periodic values exactly `frequency` seconds apart; they
    arrive that far apart within ±0.4 s (the machine may be busy)."""
    async with serve() as (server, url), peer(url) as p:
        await p.send(open_req(1, mode="Periodical", frequency=1))
        await p.send(open_req(2, mode="Periodical", frequency=2))
        await p.send(open_req(3, mode="Periodical", frequency=1, insensitivity=1))
        start = time.monotonic()
        asyncio.get_running_loop().call_later(2.5, feed, server, queued("c1"))
        arrivals: dict[int, list[tuple[float, int, Any]]] = {1: [], 2: [], 3: []}
        while (left := start + 5.3 - time.monotonic()) > 0:
            try:
                event = await p.recv(timeout=left)
            except TimeoutError:
                break
            if event["event"] == "Info":
                arrival = (time.monotonic() - start, event["time"], event["value"])
                arrivals[event["referenceId"]].append(arrival)
        for ref, frequency in ((1, 1), (2, 2)):
            got = arrivals[ref]
            assert got[0][0] < 0.3, got  # the value at the open, at once
            assert got[1][0] <= frequency + 1.4, got  # the first tick `frequency` s after it
            periodic = got[1:]
            assert len(periodic) >= 2, got
            stamps = [b[1] - a[1] for a, b in itertools.pairwise(periodic)]
            assert stamps == [frequency] * len(stamps), got
            gaps = [b[0] - a[0] for a, b in itertools.pairwise(periodic)]
            assert all(abs(g - frequency) <= 0.4 for g in gaps), got
        assert len(arrivals[1]) >= 5  # the open + a tick every second for ≥4 s
        values = [v for _, _, v in arrivals[1]]
        assert values[0] == 0
        assert values[-1] == 1  # c1 (fed at 2.5 s) shows on the next periodic values
        # insensitivity 1: the open's 0, then only the tick that saw c1
        assert [v for _, _, v in arrivals[3]] == [0, 1]


@pytest.mark.asyncio
async def test_reset_mode_sends_the_final_value_of_each_interval(serve, peer, feed):
    """Reset: nothing at the open or on changes; when the Growing profile "00:00+00:01"
    resets (every minute), the value of the interval that ended is pushed, with
    `intervalEnd` = the reset time.  Event times are source times just before T0+60."""
    async with serve() as (server, url), peer(url) as p:
        feed(
            server,
            {"event": "EventAgentLogin", "thisDN": "7001", "agentID": "5001", "time": T0 + 50},
            {
                "event": "EventAgentNotReady",
                "thisDN": "7001",
                "agentID": "5001",
                "workMode": "AuxWork",
                "time": T0 + 50,
            },
        )
        metric = {"statisticType": "ReadyTime", "timeProfile": "Minute"}
        await p.send(open_req(1, AGENT, metric, mode="Reset"))
        await p.send(open_req(2, AGENT, metric, mode="Changes"))
        await p.until("Info", 2)
        feed(
            server,
            {"event": "EventAgentReady", "thisDN": "7001", "agentID": "5001", "time": T0 + 52},
            {
                "event": "EventAgentNotReady",
                "thisDN": "7001",
                "agentID": "5001",
                "workMode": "AuxWork",
                "time": T0 + 56,
            },
            {"event": "EventAgentReady", "thisDN": "7001", "agentID": "5001", "time": T0 + 58},
        )
        fed = time.monotonic()
        # the engine clock follows the source clock (T0+58 at `fed`) with 1 s of grace: the
        # reset at T0+60 is seen by the first tick at least 3 s later
        event, before = await p.until("Info", 1, timeout=6)
        assert 2.9 <= time.monotonic() - fed <= 4.5
        assert [e for e in before if e.get("referenceId") == 1] == []  # nothing before the reset
        assert event["value"] == (56 - 52) + (60 - 58)  # ready 52–56, then 58 until the reset
        assert event["intervalEnd"] == T0 + 60
        assert event["time"] == T0 + 60


@pytest.mark.asyncio
async def test_none_mode_pushes_nothing_and_peek_works(serve, peer, feed):
    """None: no Info at the open nor on changes; PeekStatistic reads the value."""
    async with serve() as (server, url), peer(url) as p:
        await p.send(open_req(1, mode="None"))
        assert await p.recv() == {"event": "StatisticOpened", "referenceId": 1}
        feed(server, queued("c1"))
        feed(server, queued("c2"))
        assert await p.silent(1.05) == []  # a tick went by too
        info = await p.request({"request": "PeekStatistic", "referenceId": 1}, "Info")
        assert info["value"] == 2  # c1, c2


# --------------------------------------------------------------------------------------------
# errors


@shared_loop
async def test_malformed_json_is_answered_and_the_connection_stays_usable(shared, peer):
    """Text that is not JSON, or JSON that is not an object, gets Error malformed-request
    (referenceId null); the next request on the same connection works."""
    _, url = shared
    async with peer(url) as p:
        await p.send("{not json")
        error = await p.recv()
        assert (error["event"], error["code"], error["referenceId"]) == (
            "Error",
            ErrorCode.MALFORMED_REQUEST,
            None,
        )
        await p.send("[1, 2]")
        assert (await p.recv())["code"] == ErrorCode.MALFORMED_REQUEST
        await p.send(open_req(1))
        assert await p.recv() == {"event": "StatisticOpened", "referenceId": 1}


@shared_loop
async def test_unknown_request_names_the_accepted_ones(shared, peer):
    """A request name that does not exist: Error unknown-request listing the accepted ones."""
    _, url = shared
    async with peer(url) as p:
        error = await p.request({"request": "RequestOpenStatistic", "referenceId": 4}, "Error")
        assert (error["code"], error["referenceId"]) == (ErrorCode.UNKNOWN_REQUEST, 4)
        assert "OpenStatistic" in error["message"]
        assert "GetStatisticProfile" in error["message"]


@pytest.mark.parametrize(
    ("obj", "metric", "notification", "code"),
    [
        ({**QUEUE, "objectId": "9999@SW1"}, WAITING, None, ErrorCode.UNKNOWN_OBJECT),
        ({**QUEUE, "objectType": "Planet"}, WAITING, None, ErrorCode.UNKNOWN_OBJECT_TYPE),
        ({**QUEUE, "tenant": "Nobody"}, WAITING, None, ErrorCode.UNKNOWN_TENANT),
        (AGENT, WAITING, None, ErrorCode.OBJECT_TYPE_NOT_ALLOWED),
        (QUEUE, {"statisticType": "NoSuchStat"}, None, ErrorCode.UNKNOWN_STAT_TYPE),
        (QUEUE, {**WAITING, "timeProfile": "Fortnight"}, None, ErrorCode.UNKNOWN_TIME_PROFILE),
        (
            QUEUE,
            {"statisticType": "AnsweredIn", "timeRange": "NoRange"},
            None,
            ErrorCode.UNKNOWN_TIME_RANGE,
        ),
        (QUEUE, {**WAITING, "filter": "Platinum"}, None, ErrorCode.UNKNOWN_FILTER),
        (QUEUE, {}, None, ErrorCode.MALFORMED_REQUEST),
        (QUEUE, WAITING, {"mode": "Sometimes"}, ErrorCode.MALFORMED_REQUEST),
        (QUEUE, WAITING, {"mode": "Reset"}, ErrorCode.INVALID_DEFINITION),
    ],
    ids=[
        "unknown-object",
        "unknown-object-type",
        "unknown-tenant",
        "object-type-not-allowed",
        "unknown-stat-type",
        "unknown-time-profile",
        "unknown-time-range",
        "unknown-filter",
        "no-stat-type",
        "unknown-notification-mode",
        "reset-on-current-category",
    ],
)
@shared_loop
async def test_open_errors_carry_stable_codes(shared, peer, obj, metric, notification, code):
    """A statistic that cannot be opened: Error with the request's referenceId, a stable code
    and a message; nothing is left open (the referenceId can be used again)."""
    server, url = shared
    async with peer(url + f"?client={code}") as p:
        req = {"request": "OpenStatistic", "referenceId": 11, "object": obj, "metric": metric}
        if notification:
            req["notification"] = notification
        error = await p.request(req, "StatisticOpened")
        assert error["event"] == "Error"
        assert (error["referenceId"], error["code"]) == (11, code)
        assert error["message"]
        assert session_of(server, code).subs == {}
        again = await p.request(open_req(11), "StatisticOpened")
        assert again == {"event": "StatisticOpened", "referenceId": 11}


@pytest.mark.asyncio
async def test_duplicate_reference_id_is_refused(serve, peer, feed):
    """A second open with a referenceId already open on the connection: Error
    duplicate-reference-id; the first subscription goes on.  Another connection may use it."""
    async with serve() as (server, url), peer(url) as p, peer(url) as other:
        await p.send(open_req(1))
        await p.until("Info", 1)
        error = await p.request(
            open_req(1, AGENT, {"statisticType": "ReadyTime"}), "StatisticOpened"
        )
        assert (error["event"], error["code"], error["referenceId"]) == (
            "Error",
            ErrorCode.DUPLICATE_REFERENCE_ID,
            1,
        )
        assert (await other.request(open_req(1), "StatisticOpened"))["event"] == "StatisticOpened"
        feed(server, queued("c1"))
        assert (await p.recv())["value"] == 1


@pytest.mark.asyncio
async def test_a_server_failure_is_an_internal_error_and_the_connection_goes_on(
    serve, peer, monkeypatch
):
    """An unexpected failure while handling a request is answered with Error internal-error;
    the connection stays usable."""
    async with serve() as (server, url), peer(url) as p:
        real_open = server.pool.open

        def broken(*args: Any) -> Any:
            monkeypatch.setattr(server.pool, "open", real_open)
            raise ZeroDivisionError("boom")

        monkeypatch.setattr(server.pool, "open", broken)
        error = await p.request(open_req(1), "StatisticOpened")
        assert (error["event"], error["code"], error["referenceId"]) == (
            "Error",
            ErrorCode.INTERNAL,
            1,
        )
        assert "ZeroDivisionError" in error["message"]
        assert (await p.request(open_req(1), "StatisticOpened"))["event"] == "StatisticOpened"


@pytest.mark.parametrize(
    "request_name", ["CloseStatistic", "PeekStatistic", "SuspendNotification", "ResumeNotification"]
)
@shared_loop
async def test_unknown_reference_id(shared, peer, request_name):
    """A request naming a referenceId that is not open on this connection: Error
    unknown-reference-id."""
    _, url = shared
    async with peer(url) as p:
        error = await p.request({"request": request_name, "referenceId": 42}, "-")
        assert (error["event"], error["code"], error["referenceId"]) == (
            "Error",
            ErrorCode.UNKNOWN_REFERENCE_ID,
            42,
        )


@shared_loop
async def test_peek_on_current_target_state_is_not_supported(shared, peer):
    """PeekStatistic on CurrentTargetState: Error not-supported (as in Genesys)."""
    _, url = shared
    async with peer(url) as p:
        await p.send(open_req(3, ON_SALES, {"statisticType": "Targets"}))
        await p.until("CurrentTargetStateSnapshot", 3)
        error = await p.request({"request": "PeekStatistic", "referenceId": 3}, "Info")
        assert (error["event"], error["code"]) == ("Error", ErrorCode.NOT_SUPPORTED)


# --------------------------------------------------------------------------------------------
# slow clients


@pytest.mark.asyncio
async def test_a_stuck_client_is_cut_off_and_the_others_keep_up(serve, peer, feed):
    """A client that stops reading while values are pushed is disconnected with close code
    1008 once its queue (max-output-queue-size) overflows; a client that reads gets every
    value, each within a few milliseconds, before, during and after."""
    async with serve(options={"max-output-queue-size": 300}) as (server, url), peer(url) as good:
        # the stuck client: a small receive window, no compression, reads nothing
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        host, port = url.removeprefix("ws://").split("/")[0].split(":")
        sock.connect((host, int(port)))
        sock.setblocking(False)
        stuck = await websockets.connect(url, sock=sock, max_queue=1, compression=None, proxy=None)
        for ref in range(1, 101):  # 100 subscriptions: 100 Info per change
            await stuck.send(json.dumps(open_req(ref)))
        await good.send(open_req(1))
        assert (await good.until("Info", 1))[0]["value"] == 0
        while len(server.pool.subs[next(iter(server.pool.subs))]) < 101:
            await asyncio.sleep(0.01)
        delays = []
        n = 0
        while len(server.sessions) == 2:
            n += 1
            assert n < 5000, "the stuck client was never cut off"
            start = time.perf_counter()
            feed(server, queued(f"c{n}"))
            info = await good.recv()
            delays.append(time.perf_counter() - start)
            assert info["value"] == n  # every value, in order
            await asyncio.sleep(0)
        for extra in range(n + 1, n + 51):  # and after the cut-off
            start = time.perf_counter()
            feed(server, queued(f"c{extra}"))
            assert (await good.recv())["value"] == extra
            delays.append(time.perf_counter() - start)
        delays.sort()
        assert delays[int(len(delays) * 0.99)] < 0.05, delays[-10:]  # 99 % within 50 ms
        assert delays[-1] < 0.25, delays[-10:]  # and none late (even on a busy machine)
        assert sum(len(s) for s in server.pool.subs.values()) == 1  # the stuck one's are gone
        # the stuck client reads again: what was queued, then the close frame

        async def read_all() -> None:
            while True:
                await asyncio.wait_for(stuck.recv(), 5)

        with pytest.raises(websockets.ConnectionClosed):
            await read_all()
        assert stuck.close_code == 1008
        assert "output queue full (300 messages)" in (stuck.close_reason or "")


# --------------------------------------------------------------------------------------------
# the documentation

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
CONTRACT_EVENTS = (
    "StatisticOpened",
    "StatisticClosed",
    "Info",
    "Error",
    "StatisticValid",
    "StatisticInvalid",
    "StatisticProfile",
    "ServerMode",
    "CurrentTargetStateSnapshot",
    "CurrentTargetStateTargetUpdated",
    "CurrentTargetStateTargetAdded",
    "CurrentTargetStateTargetRemoved",
)


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_protocol_doc_examples_are_valid():
    """Every JSON example of docs/protocol.md parses and names a real request or event;
    every Python example compiles."""
    decoder = json.JSONDecoder()
    seen: list[dict[str, Any]] = []
    for block in doc_blocks("json"):
        text = block.strip()
        while text:
            obj, end = decoder.raw_decode(text)
            seen.append(obj)
            text = text[end:].strip()
    assert seen
    for obj in seen:
        assert obj.get("request") in REQUESTS or obj.get("event") in CONTRACT_EVENTS, obj
    for block in doc_blocks("python"):
        compile(block, str(DOC), "exec")


def test_protocol_doc_names_every_request_event_and_error_code():
    """docs/protocol.md documents every request and event of contracts.md §3 and every
    stable error code."""
    text = DOC.read_text(encoding="utf-8")
    for name in (*REQUESTS, *CONTRACT_EVENTS):
        assert f"`{name}`" in text or f"### {name}" in text, name
    errors = text[text.index("## Errors") :].split("\n## ")[0]
    for code in (v for k, v in vars(ErrorCode).items() if k.isupper()):
        assert f"`{code}`" in errors, code


@shared_loop
async def test_protocol_doc_requests_are_served(shared, peer):
    """Every request example of docs/protocol.md is served without an Error by a server
    with the objects and stat types it names (requests about an open statistic are sent
    after opening one under their referenceId)."""
    decoder = json.JSONDecoder()
    requests = []
    for block in doc_blocks("json"):
        text = block.strip()
        while text:
            obj, end = decoder.raw_decode(text)
            text = text[end:].strip()
            if "request" in obj:
                requests.append(obj)
    assert {r["request"] for r in requests} == set(REQUESTS)
    _, url = shared
    for req in requests:
        async with peer(url) as p:
            if req["request"] in (
                "CloseStatistic",
                "PeekStatistic",
                "SuspendNotification",
                "ResumeNotification",
            ):
                await p.request(open_req(req["referenceId"], mode="None"), "StatisticOpened")
            await p.send(req)
            await p.send(
                {"request": "GetStatisticProfile", "referenceId": "barrier", "profile": "Filters"}
            )
            _, replies = await p.until("StatisticProfile", "barrier")  # handled in order
            assert [e for e in replies if e["event"] == "Error"] == [], (req, replies)


@pytest.mark.asyncio
async def test_batched_frames_carry_every_event_ready_at_once(serve, feed):
    """With ``?batch=1`` each WebSocket message is a JSON array of the events that were
    ready together (the same events, in the same order, fewer frames)."""
    async with serve() as (server, url), websockets.connect(url + "?batch=1", proxy=None) as ws:
        assert json.loads(await ws.recv()) == [{"event": "ServerMode", "mode": "Primary"}]
        feed(server, queued("c1"))
        await ws.send(json.dumps(open_req(7)))
        frames: list[Any] = []
        while sum(len(f) for f in frames) < 2:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        events = [e for f in frames for e in f]
        assert all(isinstance(f, list) for f in frames)
        assert events[0] == {"event": "StatisticOpened", "referenceId": 7}
        assert events[1]["event"] == "Info"
        assert events[1]["value"] == 1  # c1 waiting


@pytest.mark.asyncio
@pytest.mark.parametrize(("interval", "frames"), [(0, 2), (0.4, 1)])
async def test_batch_frame_interval_gathers_the_values_of_a_batched_client(
    serve, feed, interval: float, frames: int
):
    """``batch-frame-interval``: after a frame, a batched client's next one waits for the
    interval, so the two changes fed 0.1 s apart right after it (c2, then c3 waiting) go
    out in one frame no sooner than the interval; without it, in two frames at once."""
    options = {"batch-frame-interval": interval}
    async with (
        serve(options=options) as (server, url),
        websockets.connect(url + "?batch=1", proxy=None) as ws,
    ):
        assert json.loads(await ws.recv()) == [{"event": "ServerMode", "mode": "Primary"}]
        await ws.send(json.dumps(open_req(7)))
        got: list[dict[str, Any]] = []
        while not any(e["event"] == "Info" for e in got):
            got += json.loads(await asyncio.wait_for(ws.recv(), 5))
        last = time.monotonic()
        feed(server, queued("c2"))
        await asyncio.sleep(0.1)
        feed(server, queued("c3"))
        received: list[list[dict[str, Any]]] = []
        while sum(len(f) for f in received) < 2:
            received.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        waited = time.monotonic() - last
        assert [e["value"] for f in received for e in f] == [1, 2]
        assert len(received) == frames
        if interval:
            assert waited >= interval - 0.05


@pytest.mark.asyncio
@pytest.mark.parametrize("option", [None, "no", "yes"])
async def test_websocket_compression_is_negotiated_only_when_enabled(
    make_config, option: str | None
) -> None:
    """A client offering permessage-deflate (the ``websockets`` library does by default) gets
    it only with ``websocket-compression: yes``; the default spares the server's CPU."""
    options: dict[str, Any] = {"auto-backup-interval": 0}
    if option is not None:
        options["websocket-compression"] = option
    async with (
        running(make_config(options=options)) as (_server, url),
        websockets.connect(url.replace("http://", "ws://") + "/ws") as ws,
    ):
        extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
        assert ("permessage-deflate" in extensions) is (option == "yes"), extensions
        assert json.loads(await ws.recv())["event"] == "ServerMode"  # and it works


# -- the WebSocket protocol under uvicorn (service/ws_protocol.py): the frames a client's writer
# has ready at once go in one ASGI message and leave in one write to the socket, each still a
# frame of its own.  The server runs the shipped protocol class; a counting wrapper sits between
# it and its real transport (every call forwarded) to see how the bytes were written.


def text_frames(data: bytes) -> list[bytes]:
    """The payloads of the unmasked text frames (server to client) that ``data`` holds
    whole, read by hand from RFC 6455 §5.2."""
    out, i = [], 0
    while i + 2 <= len(data):
        opcode, n = data[i] & 0x0F, data[i + 1] & 0x7F
        i += 2
        if n == 126:
            n, i = int.from_bytes(data[i : i + 2], "big"), i + 2
        elif n == 127:
            n, i = int.from_bytes(data[i : i + 8], "big"), i + 8
        if opcode == 1:
            out.append(data[i : i + n])
        i += n
    return out


class _CountingTransport:
    """The real transport, with every ``write`` recorded."""

    def __init__(self, transport: Any, writes: list[bytes]) -> None:
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _counting(base: type[WebSocketsSansIOProtocol], writes: list[bytes]) -> type[Any]:
    class Counting(base):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(_CountingTransport(transport, writes))

    return Counting


async def _three_values_at_once(serve, feed, writes: list[bytes]) -> list[dict[str, Any]]:
    """Three statistics of one client changed by one event: the events the client reads;
    ``writes`` is emptied before the event."""
    async with serve() as (server, url), websockets.connect(url, proxy=None) as ws:
        assert json.loads(await ws.recv()) == {"event": "ServerMode", "mode": "Primary"}
        for ref in (1, 2, 3):
            await ws.send(json.dumps(open_req(ref, QUEUE)))
        seen: list[dict[str, Any]] = []
        while sum(e["event"] == "Info" for e in seen) < 3:  # the values at opening: 0 waiting
            seen.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        writes.clear()
        feed(server, queued("c1"))
        got = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(3)]
        assert sorted((e["event"], e["referenceId"], e["value"]) for e in got) == [
            ("Info", 1, 1),
            ("Info", 2, 1),
            ("Info", 3, 1),
        ]
        return got


@pytest.mark.asyncio
async def test_the_frames_ready_at_once_go_out_in_one_write(serve, feed, monkeypatch):
    """The three Info events are three text frames, in one write; the client reads three
    messages, in the order of the frames."""
    written: list[bytes] = []
    monkeypatch.setattr(
        runner, "FramesWebSocketProtocol", _counting(FramesWebSocketProtocol, written)
    )
    got = await _three_values_at_once(serve, feed, written)
    writes = [w for w in written if text_frames(w)]
    assert len(writes) == 1, [len(text_frames(w)) for w in writes]
    assert [json.loads(f) for f in text_frames(writes[0])] == got


@pytest.mark.asyncio
async def test_without_the_extension_each_frame_is_a_message_of_its_own(serve, feed, monkeypatch):
    """Under a protocol that does not advertise ``statserver.frames`` (uvicorn's own, as any
    other ASGI server) the application sends one message per frame: the same events."""
    written: list[bytes] = []
    monkeypatch.setattr(
        runner, "FramesWebSocketProtocol", _counting(WebSocketsSansIOProtocol, written)
    )
    got = await _three_values_at_once(serve, feed, written)
    writes = [w for w in written if text_frames(w)]
    assert [len(text_frames(w)) for w in writes] == [1, 1, 1]
    assert [json.loads(text_frames(w)[0]) for w in writes] == got


# -- the frames written at once (``write_now`` of the extension): right after the server has
# applied a batch of events, not by each client's writer task on a later turn of the loop;
# the writer task is left for what cannot be written at once.


def _keeping(base: type[Any], writes: list[bytes], protocols: list[Any]) -> type[Any]:
    """The counting protocol, each instance kept in ``protocols``."""

    class Keeping(_counting(base, writes)):  # type: ignore[misc]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            protocols.append(self)

    return Keeping


async def _open_three(ws: Any) -> None:
    for ref in (1, 2, 3):
        await ws.send(json.dumps(open_req(ref, QUEUE)))
    seen = 0
    while seen < 3:  # the values at opening: 0 waiting
        got = json.loads(await asyncio.wait_for(ws.recv(), 5))
        seen += sum(e["event"] == "Info" for e in (got if isinstance(got, list) else [got]))


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("options", "at_once"), [({}, True), ({"batch-frame-interval": 0.2}, False)]
)
async def test_the_values_of_a_batch_are_written_before_the_server_returns_to_its_loop(
    serve, feed, monkeypatch, options: dict[str, Any], at_once: bool
):
    """When ``feed`` (the server applying a batch) returns, the three values it changed are
    already written to the socket, in one write; with ``batch-frame-interval`` the writer
    task keeps the interval and writes them on a later turn (the client reads the same
    values either way)."""
    written: list[bytes] = []
    monkeypatch.setattr(
        runner, "FramesWebSocketProtocol", _counting(FramesWebSocketProtocol, written)
    )
    async with (
        serve(options=options) as (server, url),
        websockets.connect(url + "?batch=1", proxy=None) as ws,
    ):
        assert json.loads(await ws.recv()) == [{"event": "ServerMode", "mode": "Primary"}]
        await _open_three(ws)
        await asyncio.sleep(0.25)  # past the interval of the frames at opening
        written.clear()
        feed(server, queued("c1"))
        now = [f for w in written for f in text_frames(w)]
        frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert sorted((e["referenceId"], e["value"]) for e in frame) == [(1, 1), (2, 1), (3, 1)]
        if at_once:
            assert len(written) == 1
            assert [json.loads(f) for f in now] == [frame]
        else:
            assert now == []


@pytest.mark.asyncio
async def test_values_wait_in_order_while_the_connection_cannot_take_more(serve, feed, monkeypatch):
    """While the transport's buffer is above its high-water mark (``pause_writing``) nothing
    is written at once: the values of two batches wait in the client's queue and go, in the
    order they changed, when the transport can take them again; then writing at once
    resumes."""
    written: list[bytes] = []
    protocols: list[Any] = []
    monkeypatch.setattr(
        runner, "FramesWebSocketProtocol", _keeping(FramesWebSocketProtocol, written, protocols)
    )
    async with serve() as (server, url), websockets.connect(url, proxy=None) as ws:
        assert json.loads(await ws.recv()) == {"event": "ServerMode", "mode": "Primary"}
        await _open_three(ws)
        (protocol,) = [p for p in protocols if getattr(p, "handshake_complete", False)]
        written.clear()
        protocol.pause_writing()
        feed(server, queued("c1"))
        await asyncio.sleep(0.05)  # the writer task runs, and waits for the transport
        feed(server, queued("c2"))
        await asyncio.sleep(0.05)
        assert written == []
        protocol.resume_writing()
        got = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(6)]
        assert [e["value"] for e in got] == [1, 1, 1, 2, 2, 2]
        written.clear()
        feed(server, queued("c3"))
        assert [json.loads(f)["value"] for w in written for f in text_frames(w)] == [3, 3, 3]


@pytest.mark.asyncio
async def test_a_connection_that_fails_a_write_is_cut_off_and_the_server_goes_on(
    serve, feed, monkeypatch, caplog
):
    """A write that raises while the server applies a batch (a broken transport) cuts that
    client off with code 1008, counted as ``write-failed``; the batch is applied and the
    other client gets its value."""
    armed: list[bool] = []

    class Failing(FramesWebSocketProtocol):  # type: ignore[misc]
        def write_now(self, take: Any) -> bool:
            if armed and self.scope.get("query_string") == b"client=broken":
                raise OSError("the transport broke")
            return bool(super().write_now(take))

    monkeypatch.setattr(runner, "FramesWebSocketProtocol", Failing)
    async with (
        serve() as (server, url),
        websockets.connect(url + "?client=broken", proxy=None) as broken,
        websockets.connect(url + "?client=calm", proxy=None) as calm,
    ):
        for ws in (broken, calm):
            assert json.loads(await ws.recv()) == {"event": "ServerMode", "mode": "Primary"}
            await ws.send(json.dumps(open_req(1, QUEUE)))
            assert json.loads(await ws.recv())["event"] == "StatisticOpened"
            assert json.loads(await ws.recv())["value"] == 0
        armed.append(True)
        feed(server, queued("c1"))  # returns: the failure stays with the broken client
        assert json.loads(await asyncio.wait_for(calm.recv(), 5))["value"] == 1
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(broken.recv(), 5)
        assert broken.close_code == 1008
        assert broken.close_reason == "writing failed: OSError"
        registry = server.metrics.registry
        sample = ("statserver_client_disconnects_total", {"reason": "write-failed"})
        assert registry.get_sample_value(*sample) == 1
    assert any("client broken cut off" in r.getMessage() for r in caplog.records)
