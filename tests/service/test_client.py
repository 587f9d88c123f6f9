"""The Python client library (statserver.client) against a real server: the asyncio client,
its automatic reconnection and re-opening after a server restart, and the blocking client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from statserver.client import (
    AsyncStatClient,
    Notification,
    StatClient,
    StatisticMetric,
    StatisticObject,
    StatServerConnectionError,
    StatServerRequestError,
    SubscriptionClosed,
)
from statserver.client.model import ws_url
from statserver.errors import ErrorCode

QUEUE = {"objectId": "8000@SW1", "objectType": "Queue", "tenant": "Resources"}
ON_SALES = {"objectId": "OnSales", "objectType": "GroupAgents", "tenant": "Resources"}
WAITING = {"statisticType": "CallsWaiting"}
ENTERED = {"statisticType": "CallsEntered"}


def queued(conn: str) -> dict[str, Any]:
    return {"event": "EventQueued", "thisDN": "8000", "connID": conn, "callType": "Inbound"}


async def until(check: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("url", "name", "expected"),
    [
        ("ws://h:7100/ws", None, "ws://h:7100/ws"),
        ("http://h:7100", None, "ws://h:7100/ws"),
        ("https://h:7100/", None, "wss://h:7100/ws"),
        ("h:7100", "board", "ws://h:7100/ws?client=board"),
        ("ws://h:7100/ws?client=x", "board", "ws://h:7100/ws?client=x"),
    ],
    ids=["ws", "http", "https", "bare", "name-given"],
)
def test_server_address_forms(url, name, expected):
    """The client accepts ws://, http:// and bare host:port addresses; the client name goes
    in ?client= unless the address has one."""
    assert ws_url(url, name) == expected


@pytest.mark.asyncio
async def test_open_and_iterate_values(serve, feed):
    """open_statistic returns a subscription once StatisticOpened came; its values arrive in
    order (the one at the open first) through next() and async for; referenceIds are chosen
    by the client, increasing."""
    async with serve() as (server, url), AsyncStatClient(url, client_name="t") as client:
        assert client.server_mode == "Primary"
        sub = await client.open_statistic(object=QUEUE, metric=WAITING)
        other = await client.open_statistic(
            object=StatisticObject("8000@SW1", "Queue", tenant="Resources"),
            metric=StatisticMetric("CallsEntered"),
            notification=Notification("Changes"),
        )
        assert other.reference_id > sub.reference_id
        assert await sub.next(timeout=2) == 0
        assert await other.next(timeout=2) == 0
        feed(server, queued("c1"))
        feed(server, queued("c2"))
        got = []
        async for value in sub:
            got.append(value)
            if len(got) == 2:
                break
        assert got == [1, 2]  # c1, then c1 + c2
        assert sub.latest == 2
        assert sub.last_event is not None
        assert sub.last_event["referenceId"] == sub.reference_id
        assert sub.valid
        assert [s.reference_id for s in client.subscriptions] == [
            sub.reference_id,
            other.reference_id,
        ]


@pytest.mark.asyncio
async def test_requests(serve, feed):
    """open_statistic_ex, peek, get_statistic(_ex), get_profile, suspend/resume and
    close_statistic, which ends the iteration."""
    async with serve() as (server, url), AsyncStatClient(url) as client:
        inline = {"category": "CurrentNumber", "subject": "DNAction", "mainMask": "CallWait"}
        sub = await client.open_statistic_ex(
            object=QUEUE, metric=inline, notification={"mode": "None"}
        )
        feed(server, queued("c1"), queued("c2"))
        assert await client.peek(sub) == 2  # c1, c2
        assert await client.get_statistic(QUEUE, WAITING) == 2
        assert await client.get_statistic_ex(QUEUE, inline) == 2
        assert await client.get_profile("TimeRanges") == {"timeRanges": {"SL20": "0-20"}}
        assert set(await client.get_profile()) == {
            "statTypes",
            "timeProfiles",
            "timeRanges",
            "filters",
        }

        changes = await client.open_statistic(QUEUE, WAITING)
        assert await changes.next(timeout=2) == 2
        await client.suspend(changes)
        feed(server, queued("c3"))
        await asyncio.sleep(0.1)
        assert changes.pending() == 0  # nothing while suspended
        await client.resume(changes)
        assert await changes.next(timeout=2) == 3  # the value at the resume

        await client.close_statistic(changes)
        assert changes.closed
        with pytest.raises(SubscriptionClosed):
            await changes.next(timeout=1)
        assert [v async for v in changes] == []
        assert [s.reference_id for s in client.subscriptions] == [sub.reference_id]


@pytest.mark.asyncio
async def test_errors_are_raised_with_their_code(serve):
    """An Error event is raised from the awaited call as StatServerRequestError(code,
    message); the client goes on working."""
    async with serve() as (_, url), AsyncStatClient(url) as client:
        with pytest.raises(StatServerRequestError) as caught:
            await client.open_statistic(QUEUE, {"statisticType": "NoSuchStat"})
        assert caught.value.code == ErrorCode.UNKNOWN_STAT_TYPE
        assert "NoSuchStat" in caught.value.message
        assert client.subscriptions == []
        targets = await client.open_statistic(ON_SALES, {"statisticType": "Targets"})
        with pytest.raises(StatServerRequestError) as caught:
            await client.peek(targets)
        assert caught.value.code == ErrorCode.NOT_SUPPORTED
        assert caught.value.reference_id == targets.reference_id
        assert await client.get_statistic(QUEUE, WAITING) == 0


@pytest.mark.asyncio
async def test_current_target_state_targets_follow_snapshot_and_deltas(serve, feed):
    """For CurrentTargetState the subscription keeps `targets` (by agent id) from the
    snapshot and the Added/Updated/Removed deltas; each update yields the whole mapping."""
    async with serve() as (server, url), AsyncStatClient(url) as client:
        sub = await client.open_statistic(ON_SALES, {"statisticType": "Targets"})
        assert await sub.next(timeout=2) == {}  # the snapshot: nobody on 8000
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
        added = await sub.next(timeout=2)
        assert list(added) == ["a1"]
        feed(
            server,
            {
                "event": "EventAgentLogin",
                "thisDN": "7002",
                "agentID": "5002",
                "thisQueue": "8000",
                "workMode": "AuxWork",
            },
        )
        assert sorted(await sub.next(timeout=2)) == ["a1", "a2"]
        feed(server, {"event": "EventAgentReady", "thisDN": "7001", "agentID": "5001"})
        updated = await sub.next(timeout=2)
        assert updated["a1"] != added["a1"]
        assert updated["a2"] == sub.targets["a2"]  # type: ignore[index]
        feed(server, {"event": "EventAgentLogout", "thisDN": "7001", "agentID": "5001"})
        assert list(await sub.next(timeout=2)) == ["a2"]
        assert list(sub.targets or {}) == ["a2"]


@pytest.mark.asyncio
async def test_validity_is_tracked(serve, feed):
    """StatisticInvalid / StatisticValid set `valid`."""
    async with serve() as (server, url), AsyncStatClient(url) as client:
        sub = await client.open_statistic(QUEUE, WAITING)
        feed(server, {"event": "EventLinkDisconnected"})
        await until(lambda: not sub.valid)
        feed(
            server, {"event": "EventLinkConnected"}, {"event": "EventRegistered", "thisDN": "8000"}
        )
        await until(lambda: sub.valid)


@pytest.mark.asyncio
async def test_reconnects_and_reopens_after_a_server_restart(serve, feed, tmp_path):
    """When the server restarts (same port, same SQLite backup) the client reconnects by
    itself and opens its statistics again with the same referenceIds: an `async for` just
    goes on, with the value the restored statistic kept."""
    backup = str(tmp_path / "backup.sqlite")
    values: list[Any] = []

    async def consume(sub: Any) -> None:
        async for value in sub:
            values.append(value)

    async with serve(storage=backup) as (server, url):
        port = int(url.split(":")[2].split("/")[0])
        client = AsyncStatClient(url, client_name="restart", backoff=(0.05, 0.2))
        await client.connect()
        entered = await client.open_statistic(QUEUE, ENTERED)
        waiting = await client.open_statistic(QUEUE, WAITING, {"mode": "None"})
        consumer = asyncio.create_task(consume(entered))
        feed(server, queued("c1"), queued("c2"))
        await until(lambda: values == [0, 2])
    await until(lambda: not client.connected)
    assert not entered.valid  # stale while the server is away
    async with serve(storage=backup, port=port) as (server, _):
        await until(lambda: client.connected and values == [0, 2, 2])  # re-opened: c1 + c2 kept
        assert client.reconnects == 1
        (conn,) = server.sessions
        assert conn.name == "restart"
        assert sorted(conn.session.subs) == [entered.reference_id, waiting.reference_id]
        assert entered.valid
        feed(server, queued("c3"))
        await until(lambda: values == [0, 2, 2, 3])
        assert await client.peek(waiting) == 3  # c1, c2 restored + c3
        await client.close()
    await asyncio.wait_for(consumer, 2)  # closing the client ended the iteration
    assert entered.closed


@pytest.mark.asyncio
async def test_without_reconnect_a_lost_connection_ends_with_an_error(serve):
    """reconnect=False: when the connection drops, iterating raises
    StatServerConnectionError and requests fail the same way."""
    async with serve() as (_, url):
        client = AsyncStatClient(url, reconnect=False)
        await client.connect()
        sub = await client.open_statistic(QUEUE, WAITING)
        assert await sub.next(timeout=2) == 0
    with pytest.raises(StatServerConnectionError):
        await sub.next(timeout=2)
    with pytest.raises(StatServerConnectionError):
        await client.get_statistic(QUEUE, WAITING)
    await client.close()


@pytest.mark.asyncio
async def test_connect_fails_clearly_when_nobody_listens():
    """Connecting to a port where no server listens raises StatServerConnectionError."""
    client = AsyncStatClient("ws://127.0.0.1:9/ws", reconnect=False)
    with pytest.raises(StatServerConnectionError, match="cannot connect"):
        await client.connect()


@pytest.mark.asyncio
async def test_blocking_client(serve, feed):
    """StatClient: the same API, blocking, from a thread that has no event loop; values()
    iterates values as they come."""
    async with serve() as (server, url):
        loop = asyncio.get_running_loop()

        def script() -> tuple[list[Any], Any, Any]:
            with StatClient(url, client_name="script") as client:
                sub = client.open_statistic(QUEUE, WAITING)
                seen = []
                for value in client.values(sub, timeout=2):
                    seen.append(value)
                    if value < 2:
                        loop.call_soon_threadsafe(feed, server, queued(f"c{value + 1}"))
                    else:
                        break
                got = client.get_statistic(QUEUE, ENTERED)
                profile = client.get_profile("Filters")
                client.close_statistic(sub)
                assert list(client.values(sub)) == []
                return seen, got, profile

        seen, got, profile = await asyncio.to_thread(script)
        assert seen == [0, 1, 2]  # at the open, after c1, after c2
        assert got == 0  # CallsEntered opened after c1 and c2
        assert profile == {"filters": {"Gold": 'PairExists("Segment","Gold")'}}
