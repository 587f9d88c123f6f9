"""Exact restore (issue 3, point 4): a server killed with ``kill -9`` and restarted from its
backup computes exactly what an uninterrupted server computes.

Two real server processes (``python -m statserver.cli run``) follow the same JSON Lines
files (``follow: true``): A runs without interruption, B is killed with SIGKILL in the middle
of the traffic and restarted with the same backup (a snapshot every second plus the journal
written after it; the file sources resume after the last position journaled).  Both have the
same broad set of statistics open, opened at the same engine time (after the first event).
When both have consumed everything, every statistic of the pool is read on both at the same
explicit engine time (``GET /api/v1/statistics/{id}?at=...``) and must be equal.

The traffic comes from two sources, a T-Server (tests/trafficgen.py: logins, queues,
ready/not ready with reasons, calls queued, diverted, answered, held, abandoned...) and an
Interaction Server (chats and emails, a staging area).  Events of two sources read
concurrently may interleave differently in two servers, so the test appends to the files in
lockstep: one run of events of one source at a time, both servers having consumed it before
the next is written (a real deployment has no such order between sources; within a source it
is exact).

Snapshot format checks (a damaged blob, another format, another major.minor version) and
portability are at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import pytest_asyncio
from fakes import (
    OTHER_BUILD_PYTHON,
    STAT_TYPES,
    ServerProcess,
    WsClient,
    get_json,
    service_config,
    wait_until,
)

from helpers import T0
from statserver.config import load_config_text
from statserver.errors import BackupError
from statserver.service import snapshot as snapshot_module
from statserver.service.app import StatServer
from statserver.service.snapshot import FORMAT, MAGIC, decode_snapshot, encode_snapshot
from statserver.service.storage import MemoryStorage, SqliteStorage, open_storage
from trafficgen import random_traffic

# ============================================================================ the traffic
RESTORE_TYPES = """
  ChatsWaiting: {Objects: "StagingArea", Category: CurrentNumber, Subject: DNAction, MainMask: InteractionWaiting}
  ChatsEntered: {Objects: "StagingArea", Category: TotalNumber, Subject: DNAction, MainMask: InteractionEntered}
  HandlingTime: {Objects: "Agent,GroupAgents,Tenant", Category: TotalTime, Subject: DNAction, MainMask: Handling}
  ChatAvgHandle: {Objects: "Agent,GroupAgents", Category: AverageTime, Subject: DNAction, MainMask: Handling, MediaType: chat}
  AgentStateReasons: {Objects: "Agent", Category: CurrentStateReasons, Subject: AgentStatus}
  GroupState: {Objects: "GroupAgents,GroupPlaces", Category: CurrentState, Subject: GroupStatus}
  QueueActions: {Objects: "Queue", Category: CurrentState, Subject: DNAction}
  LongestCall: {Objects: "Agent,Queue", Category: MaxTime, Subject: DNAction, MainMask: "CallInbound,CallOutbound"}
  CallsPerHour: {Objects: "Agent,GroupAgents", Category: AverageNumberPerRelativeHour, Subject: AgentStatus, MainMask: "CallInbound,CallOutbound", RelMask: "*,~LoggedOut,~NotMonitored"}
  Continuous: {Objects: "Agent", Category: CurrentContinuousTime, Subject: AgentStatus, MainMask: "*,~LoggedOut,~NotMonitored"}
  Distinct: {Objects: "Queue,GroupQueues", Category: CurrentDistinctNumber, Subject: DNAction, MainMask: CallWait}
"""

OBJECTS = {
    "Agent": ["a1", "a2", "a3"],
    "GroupAgents": ["Team", "Spanish", "OnSales"],
    "AgentPlace": ["P1", "P2"],
    "GroupPlaces": ["Floor"],
    "Queue": ["8000@SW1", "8001@SW1"],
    "GroupQueues": ["Queues"],
    "RegularDN": ["7001@SW1", "7002@SW1"],
    "Tenant": ["Resources"],
    "StagingArea": ["ChatQ"],
}
HISTORICAL_PROFILES = ["Default", "Hourly", "Last10Min", "Last3", "Login"]


def stat_requests() -> list[dict[str, Any]]:
    """Every (object, stat type, time profile) the configuration allows, plus filters and
    time ranges: a few hundred statistics, current and historical, Growing, Sliding,
    Selection and SinceLogin."""
    types: dict[str, dict[str, str]] = {}
    for line in (STAT_TYPES + RESTORE_TYPES).splitlines():
        name, _, body = line.strip().partition(": ")
        if not body.startswith("{"):
            continue
        fields = dict(part.split(": ", 1) for part in body.strip("{}").split(", ") if ": " in part)
        types[name] = {k: v.strip('"') for k, v in fields.items()}
    out: list[dict[str, Any]] = []
    for name, keys in types.items():
        current = keys["Category"].startswith("Current")
        for otype in keys["Objects"].split(","):
            for oid in OBJECTS.get(otype, []):
                for profile in ["Default"] if current else HISTORICAL_PROFILES:
                    out.append(
                        {"otype": otype, "oid": oid, "statisticType": name, "timeProfile": profile}
                    )
    extra = [
        ("Queue", "8000@SW1", "CallsAnswered", {"filter": "Gold"}),
        ("GroupQueues", "Queues", "CallsEntered", {"filter": "Gold", "timeProfile": "Hourly"}),
        ("Queue", "8000@SW1", "AnsweredInRange", {"timeRange": "Short5"}),
        ("Queue", "8001@SW1", "AnsweredInRange", {"timeRange": "0-30", "timeProfile": "Last10Min"}),
        ("Queue", "8000@SW1", "ServiceLevel", {"timeRange": "SL20", "timeRange2": "Short5"}),
        (
            "GroupQueues",
            "Queues",
            "ServiceLevel",
            {"timeRange": "0-30", "timeProfile": "Last10Min"},
        ),
        ("Agent", "a1", "NotReadyTime", {"filter": "Break"}),
        ("GroupAgents", "Team", "NotReadyTime", {"filter": "Break", "timeProfile": "Hourly"}),
    ]
    for otype, oid, name, metric in extra:
        out.append({"otype": otype, "oid": oid, "statisticType": name, **metric})
    return out


@dataclass
class _Media:
    """A small model of an Interaction Server: a1 (chat and email) and a2 (chat) log in and
    out, go ready and not ready, chats wait in the staging area ChatQ and are offered,
    accepted or rejected, handled and ended."""

    rng: random.Random
    logged: dict[str, set[str]] = field(default_factory=dict)
    queued: list[str] = field(default_factory=list)
    handling: dict[str, tuple[str, str]] = field(default_factory=dict)
    invited: dict[str, tuple[str, str]] = field(default_factory=dict)
    next_id: int = 1

    MEDIA: ClassVar[dict[str, tuple[str, ...]]] = {"a1": ("chat", "email"), "a2": ("chat",)}

    def step(self) -> list[dict[str, Any]]:
        r = self.rng
        options: list[list[dict[str, Any]]] = []
        for agent, medias in self.MEDIA.items():
            for media in medias:
                base = {"agentID": agent, "mediaType": media}
                if media not in self.logged.get(agent, set()):
                    options.append(
                        self._do(
                            "login",
                            agent,
                            media,
                            [
                                {
                                    "event": "EventAgentLogin",
                                    **base,
                                    "place": "P1" if agent == "a1" else "P2",
                                }
                            ],
                        )
                    )
                    continue
                mode = r.choice(["EventReadyForMedia", "EventNotReadyForMedia"])
                options.append(self._do("mode", agent, media, [{"event": mode, **base}]))
                busy = [
                    i
                    for i, (a, m) in {**self.handling, **self.invited}.items()
                    if a == agent and m == media
                ]
                if not busy:
                    options.append(
                        self._do("logout", agent, media, [{"event": "EventAgentLogout", **base}])
                    )
                if self.queued and media == "chat":
                    ixn = self.queued[0]
                    options.append(
                        self._do(
                            "invite",
                            agent,
                            media,
                            [
                                {
                                    "event": "EventTakenFromQueue",
                                    "interactionID": ixn,
                                    "queue": "ChatQ",
                                    "partyType": "Agent",
                                },
                                {"event": "EventAgentInvited", **base, "interactionID": ixn},
                            ],
                            ixn,
                        )
                    )
        for ixn, (agent, media) in self.invited.items():
            base = {"agentID": agent, "mediaType": media, "interactionID": ixn}
            options.append(
                self._do("accept", agent, media, [{"event": "EventPartyAdded", **base}], ixn)
            )
            options.append(
                self._do("reject", agent, media, [{"event": "EventRejected", **base}], ixn)
            )
        for ixn, (agent, media) in self.handling.items():
            base = {"agentID": agent, "mediaType": media, "interactionID": ixn}
            options.append(
                self._do(
                    "end",
                    agent,
                    media,
                    [
                        {"event": "EventPartyRemoved", **base},
                        {"event": "EventProcessingStopped", "interactionID": ixn},
                    ],
                    ixn,
                )
            )
        options.append(
            self._do(
                "arrive",
                "",
                "chat",
                [
                    {
                        "event": "EventPlacedInQueue",
                        "interactionID": f"i{self.next_id}",
                        "queue": "ChatQ",
                        "mediaType": "chat",
                        "userData": {"Segment": r.choice(["Gold", "Silver"])},
                    }
                ],
                f"i{self.next_id}",
            )
        )
        return r.choice(options)

    def _do(
        self, op: str, agent: str, media: str, events: list[dict[str, Any]], ixn: str = ""
    ) -> list[dict[str, Any]]:
        # the model changes only when the option is chosen: events carry a hidden "_op"
        return [{**e, "_op": (op, agent, media, ixn)} for e in events]

    def apply(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        op, agent, media, ixn = events[0]["_op"]
        if op == "login":
            self.logged.setdefault(agent, set()).add(media)
        elif op == "logout":
            self.logged[agent].discard(media)
        elif op == "invite":
            self.queued.remove(ixn)
            self.invited[ixn] = (agent, media)
        elif op == "accept":
            self.handling[ixn] = self.invited.pop(ixn)
        elif op == "reject":
            del self.invited[ixn]
            self.queued.insert(0, ixn)
            events = [
                *events,
                {
                    "event": "EventPlacedInQueue",
                    "interactionID": ixn,
                    "queue": "ChatQ",
                    "mediaType": "chat",
                    "_op": None,
                },
            ]
        elif op == "end":
            del self.handling[ixn]
        elif op == "arrive":
            self.queued.append(ixn)
            self.next_id += 1
        return [{k: v for k, v in e.items() if k != "_op"} for e in events]


def traffic(seed: int, voice_steps: int, media_every: int = 6) -> list[tuple[str, list[str]]]:
    """The day as runs of lines of one source: ``[(source, [json line, ...]), ...]``, in
    time order.  Voice from tests/trafficgen.py; every ``media_every`` voice steps a burst
    of 1-4 Interaction Server events inside the gap before the next voice step."""
    steps = random_traffic(seed, voice_steps)
    media = _Media(random.Random(seed + 1))
    rng = random.Random(seed + 2)
    runs: list[tuple[str, list[str]]] = []

    def add(source: str, rec: dict[str, Any], t: float) -> None:
        line = json.dumps(
            {"event": rec.pop("event"), "time": round(T0 + t, 3), "source": source, **rec}
        )
        if runs and runs[-1][0] == source:
            runs[-1][1].append(line)
        else:
            runs.append((source, [line]))

    for i, step in enumerate(steps):
        for e in step.events:
            add("TS1", {"event": e.event, **e.attrs}, step.t)
        if i % media_every == media_every - 1 and i + 1 < len(steps):
            gap = steps[i + 1].t - step.t
            burst = rng.randint(1, 4)
            for k in range(burst):
                t = step.t + gap * (k + 1) / (burst + 1)
                for rec in media.apply(media.step()):
                    add("IXN1", rec, t)
    return runs


# ============================================================================ the servers
def restore_config(tmp: Path, backup_interval: float = 1.0) -> Path:
    sources = [
        {
            "name": "TS1",
            "kind": "tserver",
            "tenants": ["Resources"],
            "transport": "file",
            "file": str(tmp / "ts1.jsonl"),
            "follow": True,
        },
        {
            "name": "IXN1",
            "kind": "interaction",
            "tenants": ["Resources"],
            "transport": "file",
            "file": str(tmp / "ixn1.jsonl"),
            "follow": True,
        },
    ]
    text = service_config(
        sources,
        {"auto-backup-interval": backup_interval, "config-reload-poll-interval": 3600},
        stat_types=STAT_TYPES + RESTORE_TYPES,
    )
    path = tmp / "center.yaml"
    path.write_text(text)
    (tmp / "ts1.jsonl").write_text("")
    (tmp / "ixn1.jsonl").write_text("")
    return path


async def received(server: ServerProcess) -> int:
    try:
        health = await server.health()
    except httpx.HTTPError:
        return -1
    return int(health["events"]["received"])


async def open_everything(server: ServerProcess, requests: list[dict[str, Any]]) -> WsClient:
    """Open every statistic on one WebSocket connection; an Error (a combination the stat
    type does not allow) is expected to be the same on both servers."""
    ws = WsClient(server.url, "restore")
    await ws.__aenter__()
    for ref, r in enumerate(requests, 1):
        metric = {k: v for k, v in r.items() if k not in ("otype", "oid")}
        await ws.send(
            {
                "request": "OpenStatistic",
                "referenceId": ref,
                "object": {"objectId": r["oid"], "objectType": r["otype"], "tenant": "Resources"},
                "metric": metric,
                "notification": {"mode": "Changes"},
            }
        )
    done = {"StatisticOpened", "Error"}
    await wait_until(
        lambda: len({e["referenceId"] for e in ws.events if e["event"] in done}) == len(requests),
        30,
        "every statistic opened",
    )
    return ws


async def read_all(server: ServerProcess, at: float) -> dict[tuple[Any, ...], Any]:
    """Every statistic of the pool, read at engine time ``at``."""
    stats = await get_json(server.url, "/api/v1/statistics")
    out: dict[tuple[Any, ...], Any] = {}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

        async def one(s: dict[str, Any]) -> None:
            key = (
                s["tenant"],
                s["objectType"],
                s["objectId"],
                s["statisticType"],
                s["timeProfile"],
                tuple(s.get("timeRanges", [])),
                s.get("filter"),
            )
            r = await client.get(f"/api/v1/statistics/{s['id']}", params={"at": str(at)})
            r.raise_for_status()
            assert key not in out
            out[key] = r.json()["value"]

        for s in stats:
            await one(s)
    return out


class Feeder:
    """Appends runs of lines to the source files; waits for the servers to take each."""

    def __init__(self, tmp: Path) -> None:
        self.files = {"TS1": tmp / "ts1.jsonl", "IXN1": tmp / "ixn1.jsonl"}
        self.written = 0

    def append(self, source: str, lines: list[str]) -> None:
        with self.files[source].open("a") as fh:
            fh.write("".join(line + "\n" for line in lines))
        self.written += len(lines)

    async def settle(self, *servers: ServerProcess, timeout: float = 60) -> None:
        for server in servers:
            await wait_until(
                lambda s=server: _at_least(s, self.written),
                timeout,
                f"{server.url} at {self.written} events",
            )


async def _at_least(server: ServerProcess, n: int) -> bool:
    got = await received(server)
    assert got <= n, f"{server.url} received {got} events of {n}: some twice"
    return got == n


@pytest_asyncio.fixture
async def processes(tmp_path: Path) -> AsyncIterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for p in started:
        p.stop()


async def kill_and_compare(
    tmp_path: Path,
    processes: list[ServerProcess],
    *,
    seed: int,
    voice_steps: int,
    media_every: int = 6,
    backup_b: str | None = None,
    b_builds: tuple[str, str] = (sys.executable, sys.executable),
) -> dict[str, Any]:
    """Run A and B over the same traffic; kill -9 B in the middle; compare everything.
    A runs on asyncio's own event loop and B on uvloop (``statserver run --loop``): the
    values must not depend on the loop either.  ``b_builds``: the Python B runs on before
    and after the kill (with OTHER_BUILD_PYTHON, one interpreted and one compiled build)."""
    config = restore_config(tmp_path)
    runs = traffic(seed, voice_steps, media_every)
    last_time = max(json.loads(lines[-1])["time"] for _, lines in runs)
    a = ServerProcess(
        config, str(tmp_path / "a.sqlite"), tmp_path / "a.log", log_level="warning", loop="asyncio"
    )
    b_backup = backup_b or str(tmp_path / "b.sqlite")
    b = ServerProcess(config, b_backup, tmp_path / "b.log", log_level="warning", python=b_builds[0])
    processes.extend([a, b])
    a.start()
    b.start()
    await asyncio.gather(a.ready(), b.ready())
    feed = Feeder(tmp_path)
    first_source, first_lines = runs[0]
    feed.append(first_source, first_lines[:1])
    await feed.settle(a, b)
    # the same statistics, opened at the same engine time (the first event's) on both
    requests = stat_requests()
    clients = await asyncio.gather(open_everything(a, requests), open_everything(b, requests))
    errors = [sorted(e["referenceId"] for e in c.events if e["event"] == "Error") for c in clients]
    assert errors[0] == errors[1]
    opened = len(requests) - len(errors[0])
    assert opened > 200
    remaining = [(first_source, first_lines[1:]), *runs[1:]]
    remaining = [(s, lines) for s, lines in remaining if lines]
    # B dies inside the biggest T-Server run of the middle third
    middle = remaining[len(remaining) // 3 : 2 * len(remaining) // 3]
    victim = max((r for r in middle if r[0] == "TS1"), key=lambda r: len(r[1]))
    kill_at = remaining.index(victim)
    # while B is down, A goes on with T-Server runs only: B, when back, reads one file
    # with news in it, so both see the same order
    restart_at = next(
        (i for i in range(kill_at + 1, len(remaining)) if remaining[i][0] != "TS1"), len(remaining)
    )
    backup_at_restart: tuple[int, int] | None = None

    async def restart_b() -> tuple[int, int]:
        found = backup_state(b_backup)
        b.python = b_builds[1]
        b.start()
        await b.ready()
        await feed.settle(a, b)
        return found

    for i, (source, lines) in enumerate(remaining):
        if i == kill_at:
            # B has just written a snapshot (auto-backup-interval 1 s) that covers all it
            # journaled: the next one is a second away, so what B journals from now on is
            # after the snapshot it restores.  (An idle B writes no snapshot with a higher
            # seq: one with nothing journaled after it will do.)
            seq0 = backup_state(b_backup)[0]

            def snapshot_covers_all(s0: int = seq0) -> bool:
                seq, after = backup_state(b_backup)
                return seq > s0 or (seq > 0 and after == 0)

            await wait_until(snapshot_covers_all, 10, "a snapshot of B covering its journal")
            before = feed.written
            half = len(lines) // 2
            feed.append(source, lines[:half])
            await wait_until(lambda n=before + half // 2: _progress(b, n), 30, "B halfway")
            b.kill9()  # somewhere in the middle of the run: its last events are not journaled
            feed.append(source, lines[half:])
            await feed.settle(a)
            continue
        if i == restart_at:
            backup_at_restart = await restart_b()
        feed.append(source, lines)
        await feed.settle(a) if b.proc is None or b.proc.poll() is not None else await feed.settle(
            a, b
        )
    if restart_at == len(remaining):
        backup_at_restart = await restart_b()
    await feed.settle(a, b)
    # every statistic, read on both at the same engine time
    values_a, values_b = await asyncio.gather(read_all(a, last_time), read_all(b, last_time))
    for c in clients:
        await c.close()
    assert len(values_a) == opened  # one statistic per request that opened
    assert values_a.keys() == values_b.keys()
    differences = {k: (values_a[k], values_b[k]) for k in values_a if values_a[k] != values_b[k]}
    assert not differences, "\n".join(
        f"{k}: A={va!r} B={vb!r}" for k, (va, vb) in differences.items()
    )
    health_a, health_b = await asyncio.gather(a.health(), b.health())
    assert health_a["events"] == health_b["events"]  # the engine's counters are restored too
    return {
        "opened": opened,
        "events": feed.written,
        "backup_at_restart": backup_at_restart,
        "values": values_a,
        "b_log": b.log_text(),
    }


def backup_state(spec: str) -> tuple[int, int]:
    """(journal seq of the last snapshot, journal entries after it) of a backup."""
    storage = open_storage(spec)
    try:
        snap = storage.latest_snapshot()
        seq = snap[0] if snap else 0
        return seq, sum(1 for _ in storage.entries_after(seq))
    finally:
        storage.close()


async def _progress(server: ServerProcess, n: int) -> bool:
    return await received(server) >= n


# ============================================================================ exact restore
@pytest.mark.asyncio
async def test_kill9_and_restart_gives_exactly_the_uninterrupted_values(
    tmp_path: Path, processes: list[ServerProcess]
) -> None:
    """Small traffic (~1 hour of a small center, voice and chat): after kill -9 and a restart
    from snapshot + journal, every open statistic equals the uninterrupted server's.  Run
    compiled, B writes its backup on the interpreted build and restores it compiled."""
    result = await kill_and_compare(
        tmp_path,
        processes,
        seed=7,
        voice_steps=160,
        media_every=20,
        b_builds=(OTHER_BUILD_PYTHON, sys.executable),
    )
    snapshot_seq, journal_after = result["backup_at_restart"]
    assert snapshot_seq > 0  # B restored from a snapshot ...
    assert journal_after > 0  # ... plus the journal written after it
    # the comparison is not vacuous: the traffic moved the statistics
    values = result["values"]
    assert values[("Resources", "Tenant", "Resources", "CallsEntered", "Default", (), None)] > 10
    assert values[("Resources", "StagingArea", "ChatQ", "ChatsEntered", "Default", (), None)] > 0


@pytest.mark.slow
@pytest.mark.asyncio
async def test_kill9_in_a_replayed_day(tmp_path: Path, processes: list[ServerProcess]) -> None:
    """A whole day of traffic (4000 voice steps, ~22 hours of source time, with chats):
    kill -9 in the middle, restart, zero differences."""
    result = await kill_and_compare(
        tmp_path, processes, seed=2026, voice_steps=4000, media_every=25
    )
    snapshot_seq, journal_after = result["backup_at_restart"]
    assert snapshot_seq > 0
    assert journal_after > 0
    assert result["events"] > 4000  # a busy day: thousands of events


@pytest.mark.asyncio
async def test_kill9_with_a_postgresql_backup(
    tmp_path: Path, processes: list[ServerProcess], pg_database: str
) -> None:
    """The same with B's backup in PostgreSQL (``--backup postgresql://...``); run compiled,
    B writes it compiled and restores it on the interpreted build."""
    result = await kill_and_compare(
        tmp_path,
        processes,
        seed=11,
        voice_steps=60,
        media_every=20,
        backup_b=pg_database,
        b_builds=(sys.executable, OTHER_BUILD_PYTHON),
    )
    snapshot_seq, journal_after = result["backup_at_restart"]
    assert snapshot_seq > 0
    assert journal_after > 0


# ============================================================================ snapshot format
CONFIG_TEXT = service_config([{"name": "TS1", "kind": "tserver", "tenants": ["Resources"]}])


def _server(storage: Any) -> StatServer:
    return StatServer(load_config_text(CONFIG_TEXT, source="<snap>"), storage=storage)


def _busy_server(storage: Any) -> StatServer:
    """A server (not started) with a1 ready since T0 and ReadyTime open."""
    from statserver.events import decode_event_obj
    from statserver.service.sources import SourceEvent

    server = _server(storage)
    record = decode_event_obj(
        {
            "event": "EventAgentLogin",
            "time": T0,
            "source": "TS1",
            "thisDN": "7001",
            "agentID": "5001",
            "workMode": "ManualIn",
        }
    )
    server.process([SourceEvent("TS1", record, b"", T0)])
    from statserver.core.engine import StatisticRequest

    server.pool.open(StatisticRequest("Resources", "Agent", "a1", "ReadyTime"), T0)
    server.journal.flush()
    return server


def _ready_time(server: StatServer, t: float) -> Any:
    stat = next(s for s in server.engine.statistics() if s.definition.name == "ReadyTime")
    return server.engine.value(stat, t)


def _rewrite_header(blob: bytes, **changes: Any) -> bytes:
    """The blob with header fields changed (the payload and its checksum kept)."""
    start = len(MAGIC) + 4
    (hlen,) = __import__("struct").unpack(">I", blob[len(MAGIC) : start])
    header = json.loads(blob[start : start + hlen])
    header.update(changes)
    head = json.dumps(header, sort_keys=True).encode()
    return MAGIC + __import__("struct").pack(">I", len(head)) + head + blob[start + hlen :]


def test_snapshot_round_trip() -> None:
    """encode_snapshot/decode_snapshot give the state back with a header that says the
    format, the version, the journal seq and the payload's checksum."""
    header, blob = encode_snapshot({"x": [1, 2, 3]}, 42)
    assert blob.startswith(MAGIC)
    got_header, state = decode_snapshot(blob)
    assert state == {"x": [1, 2, 3]}
    assert got_header == header
    assert (header.format, header.seq, header.size) == (
        FORMAT,
        42,
        len(blob) - len(MAGIC) - 4 - len(json.dumps(header.__dict__, sort_keys=True)),
    )


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        pytest.param(lambda b: b"NOTABACKUP" + b, "bad magic number", id="not-a-backup"),
        pytest.param(lambda b: b[:-10], "checksum mismatch", id="truncated"),
        pytest.param(
            lambda b: b[:-5] + bytes(x ^ 0xFF for x in b[-5:]), "checksum mismatch", id="bit-flips"
        ),
        pytest.param(
            lambda b: _rewrite_header(b, format=FORMAT + 1),
            f"backup format {FORMAT + 1} is not supported",
            id="other-format",
        ),
        pytest.param(
            lambda b: _rewrite_header(b, statserver="99.7.0"),
            "written by Stat Server 99.7.0",
            id="other-major",
        ),
        pytest.param(
            lambda b: _rewrite_header(b, statserver=_other_minor()),
            "restore it with the same major.minor",
            id="other-minor",
        ),
        pytest.param(
            lambda b: b[: len(MAGIC) + 4] + b"{not json" + b[len(MAGIC) + 4 + 9 :],
            "header is damaged",
            id="bad-header",
        ),
    ],
)
def test_a_bad_snapshot_is_a_clear_backup_error(damage: Any, message: str) -> None:
    """Each way a snapshot can be unusable gives a BackupError saying what is wrong."""
    _, blob = encode_snapshot({"x": 1}, 1)
    with pytest.raises(BackupError, match=message):
        decode_snapshot(damage(blob))


def _other_minor() -> str:
    major, minor, *_ = snapshot_module.server_version().split(".")
    return f"{major}.{int(minor) + 1}.0"


def test_a_snapshot_of_0_2_is_refused_with_a_clear_error() -> None:
    """0.2.x wrote formats 2 and 3, whose windows hold an accumulator object (0.3.0 keeps the
    counters in the window): both the format and the version refuse such a snapshot, each
    with a message that says what this version reads."""
    assert FORMAT == 6
    _, blob = encode_snapshot({"x": 1}, 1)
    with pytest.raises(
        BackupError, match=r"backup format 3 is not supported.*reads formats 4, 5 and 6\)"
    ):
        decode_snapshot(_rewrite_header(blob, format=3))
    with pytest.raises(BackupError, match=r"written by Stat Server 0\.2\.1; this is 0\.3\."):
        decode_snapshot(_rewrite_header(blob, statserver="0.2.1"))


def test_a_patch_release_reads_the_snapshot() -> None:
    """Only major.minor must match: a snapshot from another patch release loads."""
    major, minor, *_ = snapshot_module.server_version().split(".")
    _, blob = encode_snapshot({"x": 1}, 1)
    _, state = decode_snapshot(_rewrite_header(blob, statserver=f"{major}.{minor}.99"))
    assert state == {"x": 1}


@pytest.mark.parametrize("journal_kept", [True, False], ids=["journal-kept", "journal-truncated"])
def test_an_unusable_snapshot_falls_back_without_crashing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, journal_kept: bool
) -> None:
    """The server starts even when its last snapshot is damaged: it logs a clear error and
    replays the journal from the beginning when the journal still has it (exact), or starts
    afresh when the snapshot had already covered part of it."""
    path = tmp_path / "backup.sqlite"
    server = _busy_server(str(path))
    assert _ready_time(server, T0 + 100) == 100
    if journal_kept:
        # a snapshot that covers nothing the journal dropped (written, not truncated)
        _, blob = encode_snapshot(server._state(), server.journal.seq)
        server.storage.write_snapshot(server.journal.seq, blob)
    else:
        server.snapshot_now()  # writes and drops the journal it covers
    server.storage.close()
    storage = SqliteStorage(path)
    seq, blob = storage.latest_snapshot() or (0, b"")
    storage.db.execute("UPDATE snapshots SET data = ? WHERE seq = ?", (blob[:-20], seq))
    storage.close()
    caplog.set_level("ERROR")
    again = _server(str(path))
    assert any("checksum mismatch" in r.getMessage() for r in caplog.records)
    assert again.restored.from_snapshot is False
    if journal_kept:
        assert again.restored.replayed > 0
        assert _ready_time(again, T0 + 100) == 100  # exact: the journal had everything
    else:
        assert any("starting afresh" in p for p in again.restored.problems)
        assert again.engine.statistics() == []
    again.storage.close()


def test_a_snapshot_of_another_version_is_refused_and_the_server_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A snapshot written by another major.minor version is not loaded (BackupError logged);
    the server starts from the journal."""
    path = tmp_path / "backup.sqlite"
    server = _busy_server(str(path))
    _, blob = encode_snapshot(server._state(), server.journal.seq)
    server.storage.write_snapshot(server.journal.seq, _rewrite_header(blob, statserver="99.0.0"))
    server.storage.close()
    caplog.set_level("ERROR")
    again = _server(str(path))
    assert any("written by Stat Server 99.0.0" in r.getMessage() for r in caplog.records)
    assert _ready_time(again, T0 + 30) == 30  # from the journal
    again.storage.close()


def test_snapshot_is_portable(tmp_path: Path) -> None:
    """A snapshot holds no absolute path, no process id and no host name, and another
    Python process (a "machine" that never saw the server) decodes it and reads the same
    value."""
    storage = MemoryStorage()
    server = _busy_server(storage)
    seq = server.snapshot_now()
    _, blob = storage.latest_snapshot() or (0, b"")
    assert seq > 0
    _, state = decode_snapshot(blob)
    raw = pickle.dumps(state, protocol=5)
    for local in {
        str(tmp_path),
        str(Path.cwd()),
        str(Path.home()),
        os.uname().nodename,
        f"pid={os.getpid()}",
    }:
        assert local.encode() not in raw, local
    assert str(os.getpid()).encode() not in blob[: len(MAGIC) + 200]  # not in the header
    (tmp_path / "snap.bin").write_bytes(blob)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from statserver.service.snapshot import decode_snapshot
        header, state = decode_snapshot(Path(sys.argv[1]).read_bytes())
        engine = state["engine"]
        stat = next(s for s in engine.statistics() if s.definition.name == "ReadyTime")
        print(header.seq, engine.value(stat, {T0} + 100))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "snap.bin")],
        capture_output=True,
        text=True,
        cwd="/",
        check=True,
    )
    assert out.stdout.split() == [str(seq), "100"]  # ready since T0, read at T0+100


def test_a_killed_snapshot_child_keeps_the_journal(tmp_path: Path) -> None:
    """When the process that writes a snapshot dies, the journal is kept: the previous
    snapshot plus the whole journal still restore exactly."""
    path = tmp_path / "backup.sqlite"
    server = _busy_server(str(path))

    async def failing_backup() -> bool:
        from statserver.service import persistence

        original = persistence.encode_snapshot

        def boom(state: Any, seq: int) -> Any:
            os.kill(os.getpid(), signal.SIGKILL)  # the forked child dies
            return original(state, seq)

        persistence.encode_snapshot = boom
        try:
            return await server.backup()
        finally:
            persistence.encode_snapshot = original

    assert asyncio.run(failing_backup()) is False
    assert server.storage.latest_snapshot() is None
    server.storage.close()
    again = _server(str(path))
    assert _ready_time(again, T0 + 70) == 70
    again.storage.close()


# ============================================================================ garbage collector
def test_frozen_objects_are_out_of_the_collectors_reach_and_values_unchanged() -> None:
    """``gc-freeze-interval``: after ``freeze_objects`` the engine's objects are in the
    permanent generation (``gc.get_freeze_count`` counts them) and values go on as before:
    a1 ready since T0 reads 30 s at T0 + 30."""
    import gc

    server = _busy_server(":memory:")
    assert server.options.gc_freeze_interval == 0.2
    before = gc.get_freeze_count()
    try:
        server.freeze_objects()
        assert gc.get_freeze_count() > before
        assert _ready_time(server, T0 + 30) == 30
    finally:
        gc.unfreeze()
    text = service_config(
        [{"name": "TS1", "kind": "tserver", "tenants": ["Resources"]}],
        {"gc-freeze-interval": 0},
    )
    off = StatServer(load_config_text(text, source="<snap>"), storage=":memory:")
    assert off.options.gc_freeze_interval == 0.0


class _Cyclic:
    """An object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.mark.asyncio
async def test_the_periodic_freeze_collects_old_cyclic_garbage_before_freezing() -> None:
    """Every ``gc-freeze-interval`` the running server collects everything that is not
    frozen yet, then freezes what lives.  A cycle that became garbage after it reached the
    oldest generation is reclaimed, not frozen for good; a live object created after the
    start ends in the permanent generation.  The automatic collector is off during the
    test, so only the server's freezer can do either."""
    import gc
    import weakref

    text = service_config(
        [{"name": "TS1", "kind": "tserver", "tenants": ["Resources"]}],
        {"gc-freeze-interval": 0.05},
    )
    server = StatServer(load_config_text(text, source="<freeze>"), storage=":memory:")
    gc.disable()
    try:
        await server.start()
        garbage = _Cyclic()
        alive = _Cyclic()
        gc.collect()  # both survive a full collection: they are in the oldest generation
        dead = weakref.ref(garbage)
        del garbage
        frozen_before = gc.get_freeze_count()
        await asyncio.sleep(0.3)
        assert dead() is None, "cyclic garbage of the oldest generation was not collected"
        assert gc.get_freeze_count() > frozen_before
        assert not any(o is alive for o in gc.get_objects()), "a live object was not frozen"
        await server.stop()
    finally:
        gc.enable()
        gc.unfreeze()


def _server_from_release(tmp_path: Path, version: str, backup_format: int) -> StatServer:
    """A server (not started) restored from the snapshot that release ``version`` wrote
    (tests/service/data/snapshot-<version>.bin), in backup format ``backup_format``."""
    blob = (Path(__file__).parent / "data" / f"snapshot-{version}.bin").read_bytes()
    header, _ = decode_snapshot(blob)
    assert (header.format, header.statserver) == (backup_format, version)
    path = tmp_path / "backup.sqlite"
    storage = SqliteStorage(path)
    storage.write_snapshot(header.seq, blob)
    storage.close()
    server = _server(str(path))
    assert server.restored.from_snapshot
    return server


def test_a_snapshot_written_by_0_3_0_itself_loads_and_goes_on(
    tmp_path: Path, feed: Callable[..., None]
) -> None:
    """A snapshot that Stat Server 0.3.0 wrote (tests/service/data/make_snapshot_0_3_0.py,
    run with 0.3.0 installed), not one this checkout made: every 0.3.x release must load it
    and go on exactly (when a release changes the backup format, this says whether it still
    reads format 4).  a1 was ready from 10:00, not ready 10:10-10:14 and ready again when
    it was taken, with ReadyTime open under Default, an hourly and a quarter-hourly
    profile.  a1 is not ready from 10:20: at 10:25 ReadyTime is 600 + 360 = 960 s under
    Default and the hourly profile, 300 s (10:15-10:20) in the quarter hour.  The longest
    ready time (MaxTime) opened after the restart (10:20:50) on the same track, a1 ready
    again at 10:21:40: the episode in progress, 200 s at 10:25.

    0.3.1 writes format 5, whose tracks key their open segments by item, and keys those of
    a format 4 snapshot anew on loading: without that, the ready episode open at the
    snapshot would never end, and ReadyTime would read 600 + 660 = 1,260 s at 10:25."""
    from statserver.core.engine import StatisticRequest

    server = _server_from_release(tmp_path, "0.3.0", 4)
    feed(server, {"event": "EventAgentNotReady", "time": T0 + 1200, "thisDN": "7001"})
    old = server.engine.statistics()
    resets = {1: "Default", 24: "hourly", 96: "quarter"}
    got = {resets[len(s.profile.minutes)]: server.engine.value(s, T0 + 1500) for s in old}
    assert got == {"Default": 960, "hourly": 960, "quarter": 300}
    longest = {"Category": "MaxTime", "Subject": "AgentStatus", "MainMask": "WaitForNextCall"}
    request = StatisticRequest("Resources", "Agent", "a1", inline=longest)
    stat = server.pool.open(request, T0 + 1250)
    feed(server, {"event": "EventAgentReady", "time": T0 + 1300, "thisDN": "7001"})
    assert server.engine.value(stat, T0 + 1500) == 200
    server.storage.close()


def test_a_snapshot_written_by_0_3_1_itself_loads_and_goes_on(
    tmp_path: Path, feed: Callable[..., None]
) -> None:
    """A snapshot that Stat Server 0.3.1 wrote (backup format 5,
    tests/service/data/make_snapshot_0_3_1.py): its statistics hold 24 fields, its Sliding
    windows a ring each, and this version loads and goes on exactly.  a1 was ready from
    10:00, not ready 10:05-10:07 and ready again when it was taken; ReadyTime of a1 and of
    a2 (never logged in) open under Sliding 600:60, and a1's CurrentState.  a1 is not ready
    from 10:08.  ReadyTime of a1 at 10:08:20 covers 10:00-10:08:20 (the window would start
    at 08:00 - 10:00, before the opening): 300 + 60 = 360 s; at 10:16:40 the window starts
    at 10:06 (16:00 - 10:00): 60 s (10:07-10:08); at 10:18:20 at 10:08: 0 s."""
    from statserver.core.engine import StatisticRequest

    server = _server_from_release(tmp_path, "0.3.1", 5)
    feed(server, {"event": "EventAgentNotReady", "time": T0 + 480, "thisDN": "7001"})
    old = {(s.object_id, s.definition.category.name): s for s in server.engine.statistics()}
    assert set(old) == {("a1", "TotalTime"), ("a2", "TotalTime"), ("a1", "CurrentState")}
    ready, idle, state = old["a1", "TotalTime"], old["a2", "TotalTime"], old["a1", "CurrentState"]
    assert (ready.object_type, ready.ranges, ready.filter_name) == ("Agent", (), "")
    value = server.engine.value
    assert [value(ready, T0 + t) for t in (500, 1000, 1100)] == [360, 60, 0]
    assert [value(idle, T0 + t) for t in (500, 1000, 1100)] == [0, 0, 0]
    assert state.structure_fn is not None
    got = value(state, T0 + 500)
    assert isinstance(got, dict)
    assert (got["status"], got["startTime"], got["placeId"]) == (
        "NotReadyForNextCall",
        T0 + 480,
        "P1",
    )
    # 0.3.1 kept the times of the last requests beside the engine; each statistic holds its
    # own now, and the removal timer goes on from them
    assert [s.last_request for s in (ready, idle, state)] == [T0, T0, T0]
    # the same statistics asked for again are the restored ones (the pool's keys)
    again = StatisticRequest(
        "Resources", "Agent", "a2", "ReadyTime", inline_profile=("Sliding", "600:60")
    )
    assert server.pool.open(again, T0 + 60) is idle
    interval = server.pool.options.old_stats_removal_interval
    assert server.pool.sweep(T0 + interval - 1) == []
    assert server.pool.sweep(T0 + interval) == [ready, state]
    assert server.pool.sweep(T0 + 60 + interval) == [idle]
    server.storage.close()


def test_the_journal_replays_openings_and_removals_in_order(tmp_path: Path) -> None:
    """No snapshot: the journal alone gives the pool back, removals included.  ReadyTime of
    a1, a2 and a3 opened; a2 removed; a2 opened again (a new statistic, a new id) and
    removed; a1 removed.  After the restart only a3's is open, with the id it had (the
    replay finds what each removal names by id, among statistics opened before the first
    removal and after it)."""
    from statserver.core.engine import StatisticRequest

    path = tmp_path / "backup.sqlite"
    server = _server(str(path))
    wall = 1_000_000.0

    def ready_time(agent: str) -> Any:
        return server.pool.open(StatisticRequest("Resources", "Agent", agent, "ReadyTime"), wall)

    def remove(stat: Any) -> None:
        assert server.pool.sweep(wall + 10**6, [stat]) == [stat]

    a1, a2, a3 = ready_time("a1"), ready_time("a2"), ready_time("a3")
    remove(a2)
    again = ready_time("a2")
    assert again is not a2
    assert again.id > a3.id
    remove(again)
    remove(a1)
    assert server.engine.statistics() == [a3]
    server.journal.flush()
    server.storage.close()
    restored = _server(str(path))
    assert not restored.restored.from_snapshot
    assert [(s.id, s.object_id) for s in restored.engine.statistics()] == [(a3.id, "a3")]
    restored.storage.close()
