"""The persistent statistic pool seen by clients: identical statistics are shared, kept
computing after they are closed, and removed once unused for old-stats-removal-interval.

CallsEntered (TotalNumber of CallEntered on queue 8000) counts the calls queued since the
statistic was opened, so every value below is a count of the EventQueued fed after it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

pytestmark = pytest.mark.asyncio

QUEUE = {"objectId": "8000@SW1", "objectType": "Queue", "tenant": "Resources"}
ENTERED = {"statisticType": "CallsEntered"}


def open_req(ref: Any, metric: dict[str, Any] = ENTERED) -> dict[str, Any]:
    return {"request": "OpenStatistic", "referenceId": ref, "object": QUEUE, "metric": metric}


def queued(conn: str) -> dict[str, Any]:
    return {"event": "EventQueued", "thisDN": "8000", "connID": conn, "callType": "Inbound"}


async def test_two_clients_share_one_statistic(serve, peer, feed):
    """Two clients opening the same statistic (with their own referenceIds) share one
    statistic: equal values, both accumulating."""
    async with serve() as (server, url), peer(url) as a, peer(url) as b:
        assert (await a.request(open_req(1), "Info"))["value"] == 0
        feed(server, queued("c1"))
        assert (await a.recv())["value"] == 1
        assert (await b.request(open_req(70), "Info"))[
            "value"
        ] == 1  # c1, counted by the shared one
        assert len(server.engine.statistics()) == 1
        for n in range(2, 5):
            feed(server, queued(f"c{n}"))
            got_a, got_b = await a.recv(), await b.recv()
            assert (got_a["referenceId"], got_b["referenceId"]) == (1, 70)
            assert got_a["value"] == got_b["value"] == n  # c1 … cn


async def test_a_closed_statistic_keeps_computing_and_is_found_again(serve, peer, feed):
    """Closing the last subscription keeps the statistic in the pool, computing; opening it
    again later (even from another connection) sees everything since the first open."""
    async with serve() as (server, url):
        async with peer(url) as a:
            await a.request(open_req(1), "Info")
            feed(server, queued("c1"), queued("c2"))
            assert (await a.recv())["value"] == 2
            await a.request({"request": "CloseStatistic", "referenceId": 1}, "StatisticClosed")
        (stat,) = server.engine.statistics()
        assert server.pool.subs == {}
        feed(server, queued("c3"))
        feed(server, queued("c4"))
        async with peer(url) as b:
            info = await b.request(open_req(5), "Info")
            assert info["value"] == 4  # c1, c2 while open + c3, c4 while nobody had it
        assert server.engine.statistics() == [stat]


async def test_the_sweep_removes_statistics_unused_for_the_removal_interval(serve, peer, feed):
    """With old-stats-removal-interval 30 s the sweep keeps a closed statistic for 30 s, then
    removes it (a later open starts from zero); an open statistic is never removed."""
    async with serve(options={"old-stats-removal-interval": 30}) as (server, url), peer(url) as p:
        await p.request(open_req(1), "Info")
        await p.request(open_req(2, {"statisticType": "CallsWaiting"}), "Info")
        feed(server, queued("c1"))
        await p.request({"request": "CloseStatistic", "referenceId": 1}, "StatisticClosed")
        closed_at = time.time()
        assert server.pool.sweep(closed_at + 20) == []  # unused for 20 s < 30 s
        removed = server.pool.sweep(closed_at + 31)
        assert [s.definition.name for s in removed] == ["CallsEntered"]
        assert [s.definition.name for s in server.engine.statistics()] == ["CallsWaiting"]
        assert server.pool.sweep(closed_at + 10_000) == []  # CallsWaiting is still subscribed
        info = await p.request(open_req(3), "Info")
        assert info["value"] == 0  # a new statistic: c1 came before it


async def test_a_tick_looks_only_at_what_is_due(serve, peer, feed):
    """The once-a-second tick walks neither the pool nor every subscription: only the
    Periodical subscriptions due by then and the Changes subscriptions whose value moves
    with time (a total time), grouped by statistic.  A subscription due at
    T + 5 is absent at T + 4, present at T + 5, filed again for T + 10; a closed one is
    gone; a Changes subscription on a count is never in it."""
    async with serve(options={"auto-backup-interval": 0}) as (server, url), peer(url) as p:
        pool = server.pool
        await p.request(open_req(1), "Info")  # Changes on a count: never ticked
        ready_time = {
            **open_req(2, {"statisticType": "ReadyTime"}),
            "object": {"objectId": "a1", "objectType": "Agent", "tenant": "Resources"},
        }
        await p.request(ready_time, "Info")  # Changes on a time: every tick
        periodical = {**open_req(3, {"statisticType": "CallsWaiting"})}
        periodical.update(notification={"mode": "Periodical", "frequency": 5})
        await p.request(periodical, "Info")
        (sub3,) = [s for subs in pool.subs.values() for s in subs if s.ref == 3]
        due = sub3.due

        def refs(work: list[list[Any]]) -> list[list[Any]]:
            return sorted(sorted(s.ref for s in group) for group in work)

        assert refs(pool.tick_work(due - 1)) == [[2]]
        assert refs(pool.tick_work(due)) == [[2], [3]]  # taken out of its bucket ...
        assert refs(pool.tick_work(due)) == [[2]]  # ... once
        pool._schedule(sub3)  # what tick() does with what it took
        pool.tick(due, pool.tick_work(due))  # sent, and filed for due + 5
        assert sub3.due == due + 5
        assert refs(pool.tick_work(due + 4)) == [[2]]
        await p.request({"request": "CloseStatistic", "referenceId": 3}, "StatisticClosed")
        await p.request({"request": "CloseStatistic", "referenceId": 2}, "StatisticClosed")
        assert pool.tick_work(due + 100) == []
        assert pool.subscription_count == 1


async def test_only_statistics_with_changes_subscriptions_are_watched(serve, peer, feed):
    """A Periodical subscription does not make the engine collect a statistic's changes; a
    Changes one does, until the last Changes subscription to it closes.  Client a opens
    CallsEntered in Changes mode and CallsWaiting Periodical; b opens CallsEntered in
    Changes mode too.  Each EventQueued reaches both Changes subscribers (1, then 2 calls);
    after b closes, a is still told (3); after a closes too, nobody watches and the
    statistic keeps counting (4 with c4, seen by a new open)."""
    periodic = {"statisticType": "CallsWaiting"}
    async with serve() as (server, url), peer(url) as a, peer(url) as b:
        await a.request(open_req(1), "Info")
        waiting_req = {**open_req(2, periodic), "notification": {"mode": "Periodical"}}
        await a.request(waiting_req, "Info")
        await b.request(open_req(3), "Info")
        entered, waiting = (
            next(s for s in server.engine.statistics() if s.definition.name == name)
            for name in ("CallsEntered", "CallsWaiting")
        )
        assert entered.main.watched == (entered,)
        assert waiting.main.watched == ()
        for n in (1, 2):
            feed(server, queued(f"c{n}"))
            assert (await a.recv())["value"] == (await b.recv())["value"] == n
        await b.request({"request": "CloseStatistic", "referenceId": 3}, "StatisticClosed")
        assert entered.main.watched == (entered,)
        feed(server, queued("c3"))
        assert (await a.recv())["value"] == 3
        await a.request({"request": "CloseStatistic", "referenceId": 1}, "StatisticClosed")
        assert entered.main.watched == ()
        feed(server, queued("c4"))
        assert server.engine.take_changes() == set()
        assert (await b.request(open_req(4), "Info"))["value"] == 4
