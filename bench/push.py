"""Push benchmark: values pushed to 100 WebSocket clients, and event-to-client latency.

The real server (:func:`statserver.service.runner.running`: uvicorn, the ``/ws`` endpoint,
a SQLite backup journaling every event and request) runs in this process.  A second process
(``--role load``) plays the rest of the world, so that it does not take the server's core
(the machine has 2 cores: one for the server, one for the load):

* a fake **T-Server** (the event link of docs/event-link.md, over TCP): it answers the
  server's ``RegisterAddress`` requests with ``EventRegistered`` and then sends the events of
  the generated day, each with its ``time`` rewritten to the moment it is sent;
* **100 WebSocket clients** (the ``websockets`` library, one asyncio loop), each opening
  ``--stats-per-client`` statistics in Changes mode (default 200: 5 on the tenant, 3 on each
  of 20 queues of its region, 3 on each of 5 agent groups, 3 on each of 40 agents; regions
  overlap, so a queue is watched by ~10 clients and the tenant by all), and one *probe*
  statistic: CallsEntered on a probe queue that the fake T-Server feeds with an
  ``EventQueued`` every ``--probe-every`` events.  The probe's value k tells the client that
  the k-th probe event reached it; the fake T-Server stamped that event with its send time,
  so ``receipt - event time`` is the event-to-client latency (same clock, same process).

Two phases, each with the per-event framing and with batched frames (``/ws?batch=1``):

1. **latency**: events at ``--rate`` per second (5,000) for ``--seconds``, sent every
   millisecond; latency percentiles of the probe values at the 100 clients;
2. **throughput**: events as fast as the server takes them (TCP back-pressure) for
   ``--seconds``; the values (``Info`` events) received by all clients per second.

The server's output queues are raised (``max-output-queue-size``) so that no client is cut
off, and periodic backups are off (``auto-backup-interval: 0``) so that no snapshot falls in
a phase.  The targets of issue 6: at least 100,000 value pushes per second, and a p99
latency of at most 20 ms at 5,000 events per second.

Usage::

    python -m bench.push                               # full center, both framings (~2 min)
    python -m bench.push --framing batch --seconds 5
    python -m bench.push --smoke                       # tiny (CI)
    python -m bench.push --profile 25                  # cProfile of the server, throughput
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import json
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    DEFAULT_CACHE,
    add_size_arguments,
    machine,
    machine_line,
    parse_with_size,
    printer,
    write_json,
)
from bench.generate import (
    SOURCE,
    SWITCH,
    TENANT,
    Center,
    build_center,
    config_data,
    generate,
    load_data,
)
from statserver.cli import LOOPS, run_async
from statserver.service.app import ServerOptions

__all__ = ["main", "subscriptions"]

PROBE_QUEUE = "99999"
TARGET_PUSHES = 100_000
TARGET_P99_MS = 20.0


# ------------------------------------------------------------------------------ what to open
def _stat(otype: str, oid: str, stat_type: str, **metric: str) -> dict[str, Any]:
    return {
        "object": {"objectType": otype, "objectId": oid, "tenant": TENANT},
        "metric": {"statisticType": stat_type, **metric},
        "notification": {"mode": "Changes"},
    }


def subscriptions(center: Center, client: int, per_client: int) -> list[dict[str, Any]]:
    """The statistics client ``client`` opens (Changes mode), ``per_client`` of them."""
    out = [
        _stat("Tenant", TENANT, t)
        for t in ("CallsWaiting", "CallsEntered", "CallsAnswered", "ReadyAgents", "BusyAgents")
    ]
    queues, groups, agents = center.queues, center.active_groups, center.agents
    q0, g0, a0 = client * 10, client * 5, client * 40
    for j in range(20):
        q = f"{queues[(q0 + j) % len(queues)]}@{SWITCH}"
        out.append(_stat("Queue", q, "CallsWaiting"))
        out.append(_stat("Queue", q, "CallsAnswered"))
        out.append(_stat("Queue", q, "ServiceLevel", timeRange="SL20", timeRange2="Short5"))
    for j in range(5):
        g = groups[(g0 + j) % len(groups)]
        out.extend(
            _stat("GroupAgents", g, t) for t in ("ReadyAgents", "NotReadyAgents", "BusyAgents")
        )
    for j in range(40):
        a = agents[(a0 + j) % len(agents)]
        out.extend(_stat("Agent", a, t) for t in ("BusyAgents", "ReadyAgents", "CallsHandled"))
    seen: set[str] = set()
    unique = []
    for s in out:
        key = json.dumps(s, sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append(s)
    return unique[:per_client]


# ------------------------------------------------------------------------------ load process
_TIME = re.compile(rb'"time":[^,]*')
_PROBE = re.compile(r'"referenceId":0,"value":(\d+)')


class _GcClock:
    """Time a process spends in the cyclic garbage collector, by generation (a
    ``gc.callbacks`` entry)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.reset()

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
            return
        took = time.perf_counter() - self.started
        gen = info["generation"]
        self.seconds[gen] += took
        self.count[gen] += 1
        self.longest = max(self.longest, took)

    def reset(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self.longest = 0.0


class _Client:
    def __init__(self, n: int) -> None:
        self.n = n
        self.events = 0
        self.messages = 0
        self.last = 0.0
        self.latencies: list[float] = []
        self.record = False
        self.opened = 0
        self.max_probe = 0
        self.max_probe_at = 0.0
        self.ws: Any = None


async def _client(
    c: _Client,
    url: str,
    requests: list[dict[str, Any]],
    probe_sent: dict[int, float],
    ready: asyncio.Event,
    batch: bool,
) -> None:
    import websockets

    ws_url = url.replace("http://", "ws://") + f"/ws?client=bench{c.n}"
    if batch:
        ws_url += "&batch=1"
    async with websockets.connect(ws_url, max_size=None, ping_interval=None) as ws:
        c.ws = ws
        probe = {
            "request": "OpenStatistic",
            "referenceId": 0,
            **_stat("Queue", f"{PROBE_QUEUE}@{SWITCH}", "CallsEntered"),
        }
        await ws.send(json.dumps(probe))
        for i, r in enumerate(requests, 1):
            await ws.send(json.dumps({"request": "OpenStatistic", "referenceId": i, **r}))
        want = len(requests) + 1
        clock = time.time
        async for msg in ws:
            now = clock()
            text = msg if isinstance(msg, str) else msg.decode()
            k = text.count('"event":')
            c.events += k
            c.messages += 1
            c.last = now
            if c.opened < want:
                c.opened += text.count('"event":"StatisticOpened"')
                if c.opened >= want:
                    ready.set()
            if '"referenceId":0,"value"' in text:
                for m in _PROBE.finditer(text):
                    value = int(m.group(1))
                    if value > c.max_probe:
                        c.max_probe = value
                        c.max_probe_at = now
                    sent = probe_sent.get(value)
                    if c.record and sent is not None:
                        c.latencies.append(now - sent)


def _probe_lines(k: int, now: float) -> list[bytes]:
    t = f"{now:.6f}"
    out = []
    if k > 1:
        out.append(
            f'{{"event":"EventAbandoned","time":{t},"source":"{SOURCE}","thisDN":"{PROBE_QUEUE}",'
            f'"connID":"probe{k - 1}","callType":"Inbound"}}\n'.encode()
        )
    out.append(
        f'{{"event":"EventQueued","time":{t},"source":"{SOURCE}","thisDN":"{PROBE_QUEUE}",'
        f'"connID":"probe{k}","callType":"Inbound","otherDN":"+15550000000"}}\n'.encode()
    )
    return out


class _Feeder:
    def __init__(self, lines: list[bytes], probe_every: int) -> None:
        self.lines = lines
        self.pos = 0
        self.probe_every = probe_every
        self.probes = 0
        self.probe_sent: dict[int, float] = {}
        self.sent = 0

    def probe(self, now: float) -> bytes:
        """One more probe event now (it marks the end of a phase)."""
        self.probes += 1
        self.probe_sent[self.probes] = now
        return b"".join(_probe_lines(self.probes, now))

    def take(self, n: int, now: float) -> bytes:
        t = b'"time":' + f"{now:.6f}".encode()
        out = []
        lines = self.lines
        for _ in range(n):
            if self.pos >= len(lines):
                break
            out.append(_TIME.sub(t, lines[self.pos], count=1))
            self.pos += 1
            self.sent += 1
            if self.probe_every and self.sent % self.probe_every == 0:
                self.probes += 1
                self.probe_sent[self.probes] = now
                out.extend(_probe_lines(self.probes, now))
        return b"".join(out)

    @property
    def exhausted(self) -> bool:
        return self.pos >= len(self.lines)


async def _feed(
    writer: asyncio.StreamWriter, feeder: _Feeder, rate: float, seconds: float
) -> tuple[int, float]:
    """Send events for ``seconds`` (``rate`` per second, or unpaced when 0)."""
    start = time.time()
    first = feeder.sent
    while not feeder.exhausted:
        now = time.time()
        elapsed = now - start
        if elapsed >= seconds:
            break
        if rate > 0:
            due = int(elapsed * rate) - (feeder.sent - first)
            if due > 0:
                writer.write(feeder.take(due, now))
                await writer.drain()
            await asyncio.sleep(0.001)
        else:
            writer.write(feeder.take(200, now))
            await writer.drain()
    return feeder.sent - first, time.time() - start


async def _drained(
    writer: asyncio.StreamWriter, feeder: _Feeder, clients: list[_Client], limit: float = 300.0
) -> float:
    """Send a probe event and wait until every client has its value: everything sent before
    it has then been applied and pushed.  Returns when the last client received it."""
    writer.write(feeder.probe(time.time()))
    await writer.drain()
    k = feeder.probes
    start = time.time()
    while any(c.max_probe < k for c in clients):
        if time.time() - start > limit:
            msg = f"the clients did not receive probe {k} within {limit:g} s"
            raise SystemExit(msg)
        await asyncio.sleep(0.005)
    return max(c.max_probe_at for c in clients)


def _say(text: str) -> None:
    print(text, flush=True)


async def _load_main(args: argparse.Namespace) -> None:
    spec = _spec(args)
    center = build_center(spec)
    files = generate(spec, Path(args.cache_dir) / spec.cache_key(), reuse=True)
    lines = files.events.read_bytes().splitlines(keepends=True)
    conn: asyncio.Future[asyncio.StreamWriter] = asyncio.get_running_loop().create_future()
    registered = 0

    async def tserver(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal registered
        if not conn.done():
            conn.set_result(writer)
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await _registrations(reader, writer)

    async def _registrations(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal registered
        while line := await reader.readline():
            with contextlib.suppress(ValueError):
                req = json.loads(line)
                if req.get("request") == "RegisterAddress":
                    dn = req["thisDN"]
                    writer.write(
                        f'{{"event":"EventRegistered","time":{time.time():.6f},'
                        f'"source":"{SOURCE}","thisDN":"{dn}"}}\n'.encode()
                    )
                    registered += 1

    srv = await asyncio.start_server(tserver, "127.0.0.1", 0)
    _say(f"PORT {srv.sockets[0].getsockname()[1]}")
    line = await asyncio.to_thread(sys.stdin.readline)
    url = line.split()[1]
    writer = await asyncio.wait_for(conn, 30)
    expected = len(center.queues) + len(center.extensions) + 1
    deadline = time.time() + 30
    while registered < expected and time.time() < deadline:
        await asyncio.sleep(0.05)
    await writer.drain()
    feeder = _Feeder(lines, args.probe_every)
    # the load's own long-lived data out of its collector's reach: a full collection here
    # would delay the receipts and count as server latency
    gc.collect()
    gc.freeze()
    # the load's own pauses: a receipt that waits for them counts as server latency
    load_gc = _GcClock()
    gc.callbacks.append(load_gc)
    lag = {"max": 0.0}

    async def watch(period: float = 0.005) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            await asyncio.sleep(period)
            lag["max"] = max(lag["max"], loop.time() - t - period)

    watcher = asyncio.create_task(watch())
    results: dict[str, Any] = {"registered": registered}
    framings = ("single", "batch") if args.framing == "both" else (args.framing,)
    for framing in framings:
        clients = [_Client(i) for i in range(args.clients)]
        readies = [asyncio.Event() for _ in clients]
        t = time.time()
        tasks = [
            asyncio.create_task(
                _client(
                    c,
                    url,
                    subscriptions(center, c.n, args.stats_per_client),
                    feeder.probe_sent,
                    readies[c.n],
                    framing == "batch",
                )
            )
            for c in clients
        ]
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 300)
        await _drained(writer, feeder, clients)
        opened = time.time() - t
        res: dict[str, Any] = {"open_seconds": round(opened, 2)}
        for phase, rate in (("latency", args.rate), ("throughput", 0.0)):
            for c in clients:
                c.latencies.clear()
                c.record = phase == "latency"
            e0 = sum(c.events for c in clients)
            m0 = sum(c.messages for c in clients)
            p0 = feeder.probes
            cpu0 = time.process_time()
            load_gc.reset()
            lag["max"] = 0.0
            _say(f"PHASE {framing} {phase} start")
            t0 = time.time()
            sent, took = await _feed(writer, feeder, rate, args.seconds)
            last = await _drained(writer, feeder, clients)
            cpu = time.process_time() - cpu0
            _say(f"PHASE {framing} {phase} end")
            span = max(last - t0, 1e-9)
            events = sum(c.events for c in clients) - e0
            lat = sorted(x for c in clients for x in c.latencies)
            probes = feeder.probes - p0
            res[phase] = {
                "events_sent": sent,
                "send_seconds": round(took, 3),
                "send_rate": round(sent / max(took, 1e-9)),
                "span_seconds": round(span, 3),
                "received": events,
                "messages": sum(c.messages for c in clients) - m0,
                "received_per_second": round(events / span),
                "load_cpu_share": round(cpu / span, 3),
                "load_longest_stall_ms": round(1000 * lag["max"], 1),
                "load_gc_longest_ms": round(1000 * load_gc.longest, 1),
                "probes": probes,
                "latency_samples": len(lat),
                "expected_samples": probes * len(clients),
            }
            if lat:
                res[phase]["latency_ms"] = {
                    "p50": round(1000 * lat[len(lat) // 2], 2),
                    "p90": round(1000 * lat[int(len(lat) * 0.9)], 2),
                    "p99": round(1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2),
                    "max": round(1000 * lat[-1], 2),
                    "mean": round(1000 * statistics.fmean(lat), 2),
                }
            if feeder.exhausted:
                res[phase]["exhausted"] = True
        for c in clients:
            with contextlib.suppress(Exception):
                await c.ws.close()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        results[framing] = res
        await asyncio.sleep(0.5)
    watcher.cancel()
    _say("RESULT " + json.dumps(results))
    writer.close()
    srv.close()


# ------------------------------------------------------------------------------ server process
def _spec(args: argparse.Namespace) -> Any:
    size = args.size
    return size.spec(events=args.events, time_format="epoch")


async def _server_main(args: argparse.Namespace, say: Any) -> dict[str, Any]:
    from statserver.service.runner import running

    spec = _spec(args)
    center = build_center(spec)
    generate(spec, Path(args.cache_dir) / spec.cache_key(), reuse=True)
    argv = [sys.executable, "-m", "bench.push", "--role", "load", *args.passthrough]
    child = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=str(Path(__file__).resolve().parents[1]),
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert child.stdin is not None
    assert child.stdout is not None
    line = (await child.stdout.readline()).decode()
    if not line.startswith("PORT "):
        msg = f"the load process did not start: {line!r}"
        raise SystemExit(msg)
    port = int(line.split()[1])
    source = {
        "name": SOURCE,
        "kind": "tserver",
        "tenants": [TENANT],
        "host": "127.0.0.1",
        "port": port,
    }
    data = config_data(spec, center, source=source)
    data["dns"].append({"number": PROBE_QUEUE, "switch": SWITCH, "type": "ACDQueue"})
    data["options"] = {
        "auto-backup-interval": 0,
        "max-output-queue-size": 10_000_000,
        **server_options(args),
    }
    config = load_data(data)
    tmp = Path(tempfile.mkdtemp(prefix="statserver-push-"))
    phases: dict[str, Any] = {}
    profiles: dict[str, str] = {}
    result: dict[str, Any] = {}
    gc_clock = _GcClock()
    gc.callbacks.append(gc_clock)
    try:
        storage = str(tmp / "backup.sqlite") if args.backup == "sqlite" else args.backup
        if storage.startswith(("postgresql://", "postgres://")):
            clear_postgres(storage)
        async with running(config, storage=storage) as (server, url):
            child.stdin.write(f"GO {url}\n".encode())
            await child.stdin.drain()
            profiler: cProfile.Profile | None = None
            marks: dict[str, Any] = {}
            while True:
                raw = await child.stdout.readline()
                if not raw:
                    msg = "the load process ended without a result"
                    raise SystemExit(msg)
                text = raw.decode().strip()
                if text.startswith("PHASE "):
                    _, framing, phase, edge = text.split()
                    name = f"{framing} {phase}"
                    now = (
                        time.perf_counter(),
                        time.process_time(),
                        server.pool.pushes,
                        server.engine.counters.applied,
                    )
                    if edge == "start":
                        marks[name] = now
                        server.loop_lag_max = 0.0
                        gc_clock.reset()
                        if args.profile and phase == args.profile_phase:
                            profiler = cProfile.Profile()
                            profiler.enable()
                    else:
                        if profiler is not None:
                            profiler.disable()
                            out = io.StringIO()
                            st = pstats.Stats(profiler, stream=out)
                            st.sort_stats("tottime").print_stats(args.profile)
                            profiles[name] = out.getvalue()
                            profiler = None
                        w0, c0, p0, a0 = marks[name]
                        span = max(now[0] - w0, 1e-9)
                        cpu = now[1] - c0
                        gc_seconds = gc_clock.seconds
                        phases[name] = {
                            "server_pushes": now[2] - p0,
                            "server_pushes_per_second": round((now[2] - p0) / span),
                            "events_applied": now[3] - a0,
                            "events_applied_per_second": round((now[3] - a0) / span),
                            "server_cpu_share": round(cpu / span, 3),
                            "server_us_per_push": round(1e6 * cpu / max(1, now[2] - p0), 2),
                            "server_longest_stall_ms": round(1000 * server.loop_lag_max, 1),
                            "server_gc_share": round(sum(gc_seconds) / span, 3),
                            "server_gc_collections": list(gc_clock.count),
                            "server_gc_ms_by_generation": [round(1e3 * x) for x in gc_seconds],
                            "server_gc_longest_ms": round(1000 * gc_clock.longest, 1),
                        }
                elif text.startswith("RESULT "):
                    result = json.loads(text[7:])
                    break
            result["server"] = {
                "statistics": len(server.engine.statistics()),
                "rejected": dict(server.engine.counters.rejected),
                "sessions_left": len(server.sessions),
                "phases": phases,
            }
    finally:
        gc.callbacks.remove(gc_clock)
    await child.wait()
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()
    result["profiles"] = profiles
    return result


def clear_postgres(conninfo: str) -> None:
    """Empty the backup tables, so that the server starts afresh as it does on a new file."""
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as db:
        for table in ("statserver_journal", "statserver_snapshots"):
            db.execute(f"DROP TABLE IF EXISTS {table}")


def server_options(args: argparse.Namespace) -> dict[str, float]:
    """The server's timing options in this run: those given on the command line, the
    server's own defaults for the others."""
    defaults = ServerOptions()
    return {
        "engine-batch-interval": defaults.engine_batch_interval
        if args.engine_batch_interval is None
        else args.engine_batch_interval,
        "batch-frame-interval": args.batch_frame_interval,
        "gc-freeze-interval": defaults.gc_freeze_interval
        if args.gc_freeze_interval is None
        else args.gc_freeze_interval,
    }


def run(args: argparse.Namespace, out: Any = None) -> dict[str, Any]:
    say = printer(out)
    mach = machine()
    say("Stat Server -- value pushes to WebSocket clients, event-to-client latency")
    say(machine_line(mach))
    size = args.size
    say(
        f"center: {size.agents:,} agents, {size.groups:,} agent groups, {size.queues:,} "
        f"queues; {args.clients} clients x {args.stats_per_client} statistics (Changes) + "
        f"a probe; events at {args.rate:,.0f}/s then unpaced, {args.seconds:g} s each; a "
        f"probe event every {args.probe_every} events"
    )
    say(
        f"processes: the server in this one (one core, {args.loop} event loop), the fake "
        "T-Server and the clients in another (the other core)"
    )
    options = server_options(args)
    say("server options: " + ", ".join(f"{name} {value:g} s" for name, value in options.items()))
    say(f"backup: {args.backup}")
    # on the event loop `statserver run --loop` uses (uvloop by default); the load on uvloop
    result = run_async(_server_main(args, say), args.loop)
    server = result["server"]
    say(
        f"server: {server['statistics']:,} statistics open, rejected {server['rejected'] or 0}, "
        f"{result.get('registered', 0):,} DNs registered"
    )
    rows = []
    for framing in ("single", "batch"):
        res = result.get(framing)
        if res is None:
            continue
        for phase in ("latency", "throughput"):
            r = res[phase]
            s = server["phases"].get(f"{framing} {phase}", {})
            lat = r.get("latency_ms", {})
            rows.append((framing, phase, r, s, lat))
            say(
                f"{framing:6} {phase:10}: sent {r['events_sent']:,} events at "
                f"{r['send_rate']:,}/s, applied {s.get('events_applied_per_second', 0):,}/s; "
                f"clients received {r['received']:,} values in {r['messages']:,} messages = "
                f"{r['received_per_second']:,}/s (server pushes "
                f"{s.get('server_pushes_per_second', 0):,}/s, "
                f"{s.get('server_us_per_push', 0)} us CPU each); CPU: server "
                f"{s.get('server_cpu_share', 0):.0%}, load process {r['load_cpu_share']:.0%}; "
                f"longest server event-loop stall {s.get('server_longest_stall_ms', 0)} ms; "
                f"server in the garbage collector {s.get('server_gc_share', 0):.1%} "
                f"(collections by generation {s.get('server_gc_collections')}, "
                f"{s.get('server_gc_ms_by_generation')} ms, longest "
                f"{s.get('server_gc_longest_ms')} ms); load process: longest stall "
                f"{r.get('load_longest_stall_ms')} ms, longest collection "
                f"{r.get('load_gc_longest_ms')} ms"
            )
            if lat:
                say(
                    f"{'':19} latency p50 {lat['p50']} ms, p90 {lat['p90']} ms, p99 {lat['p99']} "
                    f"ms, max {lat['max']} ms over {r['latency_samples']:,} samples "
                    f"({r['expected_samples']:,} expected: {r['probes']} probes x clients)"
                )
    # the most values delivered per second in any phase (as bench.all reports it): paced
    # events give each change its own push, unpaced ones get coalesced by the batching
    best_tp, best_at = max(
        ((r["received_per_second"], f"{f} {p}") for f, p, r, _, _ in rows), default=(0, "-")
    )
    p99s = [lat["p99"] for _, p, _, _, lat in rows if p == "latency" and lat]
    say(
        f"target pushes: {TARGET_PUSHES:,}/s -> best {best_tp:,}/s ({best_at}) "
        f"({'met' if best_tp >= TARGET_PUSHES else 'NOT met'}, {best_tp / TARGET_PUSHES:.2f} x)"
    )
    if p99s:
        say(
            f"target latency: p99 <= {TARGET_P99_MS:g} ms at {args.rate:,.0f} events/s -> "
            f"{min(p99s)} ms ({'met' if min(p99s) <= TARGET_P99_MS else 'NOT met'})"
        )
    for name, text in result.get("profiles", {}).items():
        say()
        say(f"cProfile of the server during '{name}', top {args.profile} by own time:")
        say(text)
    say(f"load average now: {machine()['load_average']}")
    result["machine"] = mach
    result["loop"] = args.loop
    result["options"] = options
    result["backup"] = args.backup
    result["clients"] = args.clients
    result["stats_per_client"] = args.stats_per_client
    return result


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.push", description=__doc__.split("\n")[0])
    add_size_arguments(p, events=False)
    p.add_argument("--clients", type=int, default=None, help="WebSocket clients (100)")
    p.add_argument("--stats-per-client", type=int, default=200, help="statistics each (200)")
    p.add_argument("--rate", type=float, default=5000.0, help="events/s of the latency phase")
    p.add_argument("--seconds", type=float, default=None, help="length of each phase (10)")
    p.add_argument("--probe-every", type=int, default=25, help="a probe event every N events")
    p.add_argument(
        "--batch-frame-interval",
        type=float,
        default=0.0,
        help="the server option batch-frame-interval, seconds (0: the default)",
    )
    p.add_argument(
        "--gc-freeze-interval",
        type=float,
        default=None,
        help="the server option gc-freeze-interval, seconds (default: the server's)",
    )
    p.add_argument(
        "--engine-batch-interval",
        type=float,
        default=None,
        help="the server option engine-batch-interval, seconds (default: the server's)",
    )
    p.add_argument(
        "--loop",
        choices=LOOPS,
        default="uvloop",
        help="the server's event loop, as `statserver run --loop` (uvloop)",
    )
    p.add_argument(
        "--backup",
        default="sqlite",
        help="the server's backup: sqlite (a file in a temporary directory, the default), "
        "a postgresql:// URL (its statserver_* tables are emptied first) or :memory: (none)",
    )
    p.add_argument("--events", type=int, default=None, help="events generated (1,000,000)")
    p.add_argument(
        "--framing", choices=("single", "batch", "both"), default="both", help="WebSocket framing"
    )
    p.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile the server")
    p.add_argument(
        "--profile-phase",
        choices=("latency", "throughput"),
        default="throughput",
        help="the phase profiled with --profile (throughput)",
    )
    p.add_argument("--cache-dir", default=str(DEFAULT_CACHE))
    p.add_argument("--json", help="write the results to this JSON file")
    p.add_argument("--role", choices=("server", "load"), default="server", help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None, out: Any = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_with_size(parser(), argv)
    if args.clients is None:
        args.clients = 5 if args.smoke else 100
    if args.seconds is None:
        args.seconds = 1.0 if args.smoke else 10.0
    if args.events is None:
        args.events = 60_000 if args.smoke else 1_000_000
    if args.smoke and args.rate == 5000.0:
        args.rate = 1000.0
    if args.role == "load":
        run_async(_load_main(args))
        return 0
    size = args.size
    args.passthrough = [
        *("--agents", str(size.agents), "--groups", str(size.groups)),
        *("--queues", str(size.queues), "--statistics", str(size.statistics)),
        *("--clients", str(args.clients), "--stats-per-client", str(args.stats_per_client)),
        *("--rate", str(args.rate), "--seconds", str(args.seconds)),
        *("--probe-every", str(args.probe_every), "--events", str(args.events)),
        *("--framing", args.framing, "--cache-dir", args.cache_dir),
    ]
    result = run(args, out)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
