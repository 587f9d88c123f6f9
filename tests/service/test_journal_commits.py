"""When the journal is committed, as the clients see it (docs/operations.md, "Backups").

Nothing leaves the server before the inputs it reflects are committed: an answer to an
OpenStatistic is written only after the opening's journal entry is in the backup.  The
requests handled in one turn of the event loop share one commit, so a client that opens
hundreds of statistics in a row costs a few commits, not one per request (each a round
trip to PostgreSQL).  The server runs in-process with a real SQLite backup; its storage's
``append`` and the connection's ``take_encoded`` are wrapped to log, in order, every commit
and every write to the client.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import websockets

from statserver.events import decode_event_obj
from statserver.service.app import StatServer
from statserver.service.persistence import Journal
from statserver.service.sources import SourceEvent
from statserver.service.storage import SqliteStorage

QUEUES = ("8000@SW1", "8001@SW1")
TYPES = ("CallsWaiting", "CallsEntered")
PROFILES = ("Default", "Minute", "Last10Min")


def _requests(n: int) -> list[dict[str, Any]]:
    """``n`` OpenStatistic requests (the pool journals every one, new statistic or not)."""
    out = []
    for i in range(n):
        out.append(
            {
                "request": "OpenStatistic",
                "referenceId": i,
                "object": {
                    "objectId": QUEUES[i % 2],
                    "objectType": "Queue",
                    "tenant": "Resources",
                },
                "metric": {
                    "statisticType": TYPES[(i // 2) % 2],
                    "timeProfile": PROFILES[(i // 4) % 3],
                },
            }
        )
    return out


def _log_commits_and_writes(server: StatServer, client: str) -> list[tuple[str, int]]:
    """("commit", openings committed so far) and ("write", StatisticOpened written so far),
    in the order they happen in the server."""
    log: list[tuple[str, int]] = []
    counts = {"committed": 0, "written": 0}
    append = server.storage.append

    def logged_append(entries: list[Any]) -> None:
        append(entries)
        counts["committed"] += sum(1 for e in entries if e[1] == "o")
        log.append(("commit", counts["committed"]))

    server.storage.append = logged_append  # type: ignore[method-assign]
    conn = next(c for c in server.sessions if c.name == client)
    take = conn.session.take_encoded

    def logged_take() -> list[bytes]:
        events = take()
        opened = sum(b'"event":"StatisticOpened"' in e for e in events)
        if opened:
            counts["written"] += opened
            log.append(("write", counts["written"]))
        return events

    conn.session.take_encoded = logged_take  # type: ignore[method-assign]
    return log


@pytest.mark.asyncio
@pytest.mark.parametrize("batch", [False, True], ids=["frame-per-event", "batched-frames"])
async def test_answers_leave_after_their_commit_and_requests_share_commits(
    serve, tmp_path: Path, batch: bool
) -> None:
    n = 120
    query = "?client=opener" + ("&batch=1" if batch else "")
    async with (
        serve(storage=str(tmp_path / "backup.sqlite")) as (server, url),
        websockets.connect(url + query, proxy=None) as ws,
    ):
        assert "ServerMode" in await asyncio.wait_for(ws.recv(), 5)
        log = _log_commits_and_writes(server, "opener")
        for req in _requests(n):  # back to back, without waiting for the answers
            await ws.send(json.dumps(req))
        opened: set[int] = set()
        while len(opened) < n:
            data = json.loads(await asyncio.wait_for(ws.recv(), 5))
            for event in data if isinstance(data, list) else [data]:
                if event["event"] == "StatisticOpened":
                    opened.add(event["referenceId"])
                assert event["event"] != "Error", event
        assert opened == set(range(n))
        committed = max(k for what, k in log if what == "commit")
        assert committed == n  # every opening is in the backup
        # no answer was written before its opening was committed
        last_commit = 0
        for what, k in log:
            if what == "commit":
                last_commit = k
            else:
                assert k <= last_commit, log
        commits = sum(1 for what, _ in log if what == "commit")
        # the requests that arrived together were committed together (one commit per request
        # before; how many arrive per turn of the loop depends on the network's chunking)
        assert commits <= n // 4, commits


@pytest.mark.asyncio
async def test_pushed_values_leave_after_their_events_are_committed(serve, tmp_path: Path) -> None:
    """Events given to the server as a source gives them (its input queue, the engine task,
    the journal's writer thread): every value pushed counts only committed events."""
    n = 300
    async with (
        serve(storage=str(tmp_path / "backup.sqlite")) as (server, url),
        websockets.connect(url + "?client=watcher&batch=1", proxy=None) as ws,
    ):
        assert "ServerMode" in await asyncio.wait_for(ws.recv(), 5)
        await ws.send(json.dumps(_requests(4)[3]))  # CallsEntered on 8001
        log: list[tuple[str, int]] = []
        counts = {"committed": 0}
        append = server.storage.append

        def logged_append(entries: list[Any]) -> None:
            append(entries)
            counts["committed"] += sum(1 for e in entries if e[1] == "e")
            log.append(("commit", counts["committed"]))

        conn = next(c for c in server.sessions if c.name == "watcher")
        take = conn.session.take_encoded

        def logged_take() -> list[bytes]:
            events = take()
            for e in events:
                for m in re.finditer(rb'"event":"Info","referenceId":3,"value":(\d+)', e):
                    log.append(("write", int(m.group(1))))
            return events

        values = await _values_until(ws, 0)  # the opening's answers
        assert values == [0]
        server.storage.append = logged_append  # type: ignore[method-assign]
        conn.session.take_encoded = logged_take  # type: ignore[method-assign]
        await _calls_queued(server, 0, n)
        values += await _values_until(ws, n)
        assert values == sorted(values)
        assert counts["committed"] == n
        written = [v for what, v in log if what == "write"]
        assert written[-1] == n
        committed = 0
        for what, k in log:
            if what == "commit":
                committed = k
            else:  # a value counting k calls left only after k events were committed
                assert k <= committed, log
        assert sum(1 for what, _ in log if what == "commit") > 1  # several batches


@pytest.mark.asyncio
async def test_the_writer_thread_commits_in_order_and_flush_waits_for_it(tmp_path: Path) -> None:
    path = tmp_path / "backup.sqlite"
    journal = Journal(SqliteStorage(path), 0)
    journal.start(asyncio.get_running_loop())
    try:
        for k in range(20):  # handed over without waiting: the thread groups them
            for i in range(50):
                journal.add("e", float(k), [k, i])
            seq = journal.commit()
        assert seq == 1000
        await journal.committed(seq)
        assert journal.committed_seq == 1000
        other = SqliteStorage(path)  # what another process would read after a crash
        assert [e[0] for e in other.entries_after(0)] == list(range(1, 1001))
        journal.add("c", 1.0, "text")
        journal.flush()  # returns once committed
        assert other.last_seq() == 1001
        other.close()
    finally:
        journal.stop()


@pytest.mark.asyncio
async def test_a_failing_storage_is_retried_and_nothing_waits_for_it_meanwhile(
    tmp_path: Path,
) -> None:
    """SQLite's table gone: the commit fails, the writer retries with the entries kept,
    nobody waits for the commit meanwhile, and once the table is back every entry is
    written exactly once, in order."""
    path = tmp_path / "backup.sqlite"
    journal = Journal(SqliteStorage(path), 0)
    journal.start(asyncio.get_running_loop())
    try:
        journal.add("e", 1.0, ["before"])
        journal.flush()
        with sqlite3.connect(path) as db:  # the table gone under the server's feet
            db.execute("DROP TABLE journal")
        for k in range(5):
            journal.add("e", 2.0, [k])
            await asyncio.wait_for(journal.committed(journal.commit()), 5)  # not held
        assert "no such table: journal" in str(journal.failing)
        assert journal.failures >= 1
        journal.flush()  # returns while it fails
        assert journal.committed_seq == 1
        with sqlite3.connect(path) as db:
            db.execute(
                "CREATE TABLE journal (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
                "t REAL NOT NULL, data BLOB NOT NULL)"
            )
        for _ in range(200):  # the writer's pauses are at most 2 s
            if journal.failing is None and journal.committed_seq == 6:
                break
            await asyncio.sleep(0.05)
        assert journal.failing is None
        journal.add("e", 3.0, ["after"])
        journal.flush()
        other = SqliteStorage(path)
        assert [e[0] for e in other.entries_after(0)] == [2, 3, 4, 5, 6, 7]
        other.close()
    finally:
        journal.stop()


@pytest.mark.asyncio
async def test_a_lost_postgresql_connection_is_made_again_without_losing_an_entry(
    serve, pg_database: str
) -> None:
    """The server's connection to PostgreSQL killed (as a restart of PostgreSQL would):
    the values go on being pushed, the writer connects again, and the journal holds every
    event exactly once."""
    import psycopg

    async with (
        serve(storage=pg_database) as (server, url),
        websockets.connect(url + "?client=watcher&batch=1", proxy=None) as ws,
    ):
        assert "ServerMode" in await asyncio.wait_for(ws.recv(), 5)
        await ws.send(json.dumps(_requests(4)[3]))  # CallsEntered on 8001
        values = await _values_until(ws, 0)
        await _calls_queued(server, 0, 50)
        values += await _values_until(ws, 50)
        with psycopg.connect(pg_database, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        await _calls_queued(server, 50, 50)
        values += await _values_until(ws, 100)  # pushed, whatever the backup does
        for _ in range(200):
            if (
                server.journal.failing is None
                and server.journal.committed_seq == server.journal.seq
            ):
                break
            await asyncio.sleep(0.05)
        assert server.journal.failing is None
        assert server.journal.failures >= 1  # the connection was lost, and made again
        assert server.journal.committed_seq == server.journal.seq
        with psycopg.connect(pg_database) as db:
            seqs = [r[0] for r in db.execute("SELECT seq FROM statserver_journal ORDER BY seq")]
            kinds = dict(db.execute("SELECT kind, count(*) FROM statserver_journal GROUP BY kind"))
        assert seqs == list(range(1, server.journal.seq + 1))  # every entry, once
        assert kinds["e"] == 100
        assert values == sorted(values)


async def _values_until(ws: Any, last: int) -> list[int]:
    """The values of referenceId 3 received until ``last`` comes."""
    values: list[int] = []
    while not values or values[-1] < last:
        data = json.loads(await asyncio.wait_for(ws.recv(), 10))
        values += [e["value"] for e in data if e["event"] == "Info" and e["referenceId"] == 3]
    return values


async def _calls_queued(server: StatServer, first: int, n: int) -> None:
    """Calls ``c<first>`` ... entering queue 8001, given to the server as a source gives
    its events (the input queue, then the engine task), a few at a time."""
    now = time.time()
    for k in range(first, first + n):
        record = decode_event_obj(
            {
                "event": "EventQueued",
                "time": now,
                "source": "TS1",
                "thisDN": "8001",
                "connID": f"c{k}",
                "callType": "Inbound",
            }
        )
        await server.queue.put(SourceEvent("TS1", record, b"", now))
        if k % 7 == 0:
            await asyncio.sleep(0)
