"""Engine ingest benchmark: events per second with many open statistics, next to the floor.

One run measures, on the same generated event file (see ``bench/generate.py``):

0. *read*: iterating over the lines of the file (the I/O floor, included in every figure);
a. *decode*: :func:`statserver.events.decode_event` on every line -- the floor of the design,
   since every event must at least be decoded and validated;
a'. *engine, no statistics*: decode + :meth:`Engine.feed` with no statistic open (the state
   machine and the statuses alone);
b. *engine, S*: decode + :meth:`Engine.feed` with S statistics open on the objects the events
   touch (per agent, per group, per queue, per queue group and on the tenant; the mix is
   :data:`AGENT_MIX`, :data:`GROUP_MIX`, :data:`QUEUE_MIX`, :data:`DN_GROUP_MIX`,
   :data:`TENANT_MIX`);
c. *engine, S + K*: the same with K = ``idle-factor`` x S more statistics open on objects that
   exist in the configuration but never appear in the events (idle agents, groups, queues).
   The ratio (c)/(b) should stay near 1.0: the cost of an event is proportional to the
   statistics it touches, not to the statistics open.

Each measurement is repeated (interleaved: read, decode, a', b, c, read, ...), each engine run
on a fresh engine, and reported as best / median / spread of the wall-clock time
(``time.perf_counter``) and best CPU time (``time.process_time``, steadier on a busy machine).
Statistics are opened at the time of the first event, outside the timed loop (their opening
rate is reported separately).  As in the server, the engines collect the statistics that
change among those watched for changes (``--watched``, by default all of them: a server
watches the statistics with Changes-mode subscribers), taken every ``--batch`` events.

Checks (the run fails when one does not hold): no event rejected, no warning, no idle
statistic touched by any event, and the values of the S statistics identical in (b) and (c).

Usage::

    python -m bench.engine_ingest --agents 1000 --events 500000 --stats-per-agent 8
    python -m bench.engine_ingest --agents 20 --events 2000 --repeat 1      # a quick look
    python -m bench.engine_ingest ... --profile 25                          # cProfile top 25

Files are generated once into ``--cache-dir`` (default ``/tmp/statserver-bench``), in a
directory named after the generator parameters, and reused by later runs.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import itertools
import os
import pstats
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import DEFAULT_CACHE, FULL, SMOKE, machine, machine_line, printer, write_json
from bench.generate import (
    SWITCH,
    TENANT,
    TIME_PROFILES,
    Center,
    add_spec_arguments,
    build_center,
    generate,
    load_center,
    spec_from_args,
)
from bench.mix import StatClass, Variant, full_plan
from statserver.config import LoadedConfig, load_config
from statserver.core.engine import Engine
from statserver.events import decode_event, parse_time
from statserver.service.app import ServerOptions

__all__ = [
    "AGENT_MIX",
    "DN_GROUP_MIX",
    "GROUP_MIX",
    "QUEUE_MIX",
    "TENANT_MIX",
    "Variant",
    "main",
    "run",
]


# ------------------------------------------------------------------------------ the mix
V = Variant
#: Per working agent, in this order (``--stats-per-agent`` takes the first N).
AGENT_MIX: tuple[Variant, ...] = (
    V("AgentState"),
    V("ReadyTime"),
    V("TalkTime"),
    V("CallsHandled"),
    V("AverageHandleTime"),
    V("NotReadyTime"),
    V("ACWTime"),
    V("NotReadyTime", filter="Break"),
    V("CallsHandled", profile="LastHour"),
    V("HoldTime"),
    V("LoggedInTime"),
    V("Occupancy"),
    V("ReadyAgents"),
)
#: Per agent group (teams, skills, sites, the virtual group).
GROUP_MIX: tuple[Variant, ...] = (
    V("ReadyAgents"),
    V("NotReadyAgents"),
    V("BusyAgents"),
    V("TalkTime"),
    V("CallsHandled"),
    V("AverageHandleTime"),
    V("CallsHandled", profile="LastHour"),
    V("Occupancy"),
)
#: Per ACD queue.
QUEUE_MIX: tuple[Variant, ...] = (
    V("CallsWaiting"),
    V("OldestCallWaiting"),
    V("CallsEntered"),
    V("CallsAnswered"),
    V("CallsAbandoned"),
    V("AverageSpeedOfAnswer"),
    V("ServiceLevel", time_range="SL20", time_range2="Short5"),
    V("CallsAnswered", profile="LastHour"),
    V("CallsAbandoned", profile="LastHour"),
    V("AgentsReadyOnQueue"),
)
#: Per queue group.
DN_GROUP_MIX: tuple[Variant, ...] = (
    V("CallsWaiting"),
    V("OldestCallWaiting"),
    V("CallsAnswered"),
    V("ServiceLevel", time_range="SL20", time_range2="Short5"),
)
#: On the tenant.
TENANT_MIX: tuple[Variant, ...] = (
    V("CallsWaiting"),
    V("CallsEntered"),
    V("CallsAnswered"),
    V("CallsAbandoned"),
    V("ReadyAgents"),
    V("NotReadyAgents"),
    V("BusyAgents"),
    V("CallsHandled"),
)


def variants(mix: Sequence[Variant]) -> list[Variant]:
    """The mix, then the mix again under each other time profile (distinct statistics)."""
    out: list[Variant] = []
    seen: set[Variant] = set()
    for profile in (None, *(p for p in TIME_PROFILES if p != "Default")):
        for v in mix:
            w = v if profile is None else v.with_profile(profile)
            if w not in seen:
                seen.add(w)
                out.append(w)
    return out


@dataclass
class Plan:
    touched: list[StatClass]
    idle: list[StatClass]

    @property
    def s(self) -> int:
        return sum(c.count for c in self.touched)

    @property
    def k(self) -> int:
        return sum(c.count for c in self.idle)

    def describe(self, classes: list[StatClass]) -> str:
        return ", ".join(
            f"{c.name} {c.count:,} on {min(len(c.objects), c.count):,}" for c in classes if c.count
        )


def _dns(numbers: list[str]) -> list[str]:
    return [f"{n}@{SWITCH}" for n in numbers]


def plan_statistics(
    center: Center, stats_per_agent: int, idle_factor: float, statistics: int = 0
) -> Plan:
    """S statistics on the working objects, K = ``idle_factor`` x S on the idle ones.

    With ``statistics``, S is that many statistics of the mix of ``bench/mix.py``; otherwise
    the legacy mix (``stats_per_agent`` per agent and the group, queue and tenant mixes)."""
    agent_variants = variants(AGENT_MIX)
    if not 0 <= stats_per_agent <= len(agent_variants):
        msg = f"--stats-per-agent must be 0..{len(agent_variants)}"
        raise SystemExit(msg)
    if statistics:
        mixed = full_plan(center, statistics).classes
        by_type = {c.object_type: c.count for c in mixed}
        touched: list[Any] = list(mixed)
        # the idle classes below take idle_factor x the touched count of their kind
        counts = [by_type.get(k, 0) for k in ("Agent", "GroupAgents", "Queue", "GroupQueues")]
        counts[0] += by_type.get("Tenant", 0)
        return _with_idle(center, touched, counts, idle_factor, agent_variants)
    touched = [
        StatClass("per agent", "Agent", center.agents, agent_variants[:stats_per_agent]),
        StatClass("per group", "GroupAgents", center.active_groups, list(GROUP_MIX)),
        StatClass("per queue", "Queue", _dns(center.queues), list(QUEUE_MIX)),
        StatClass("per queue group", "GroupQueues", list(center.dn_groups), list(DN_GROUP_MIX)),
        StatClass("on the tenant", "Tenant", [TENANT], list(TENANT_MIX)),
    ]
    for c in touched:
        c.count = c.capacity
    counts = [c.count for c in touched[:4]]
    counts[0] += touched[4].count
    return _with_idle(center, touched, counts, idle_factor, agent_variants)


def _with_idle(
    center: Center,
    touched: list[Any],
    counts: list[int],
    idle_factor: float,
    agent_variants: list[Variant],
) -> Plan:
    idle = [
        StatClass("idle agents", "Agent", center.idle_agents, agent_variants),
        StatClass("idle groups", "GroupAgents", list(center.idle_groups), variants(GROUP_MIX)),
        StatClass("idle queues", "Queue", _dns(center.idle_queues), variants(QUEUE_MIX)),
        StatClass(
            "idle queue groups",
            "GroupQueues",
            list(center.idle_dn_groups),
            variants(DN_GROUP_MIX),
        ),
    ]
    # each idle class gets idle_factor x its touched counterpart (the tenant's share goes to
    # the agents); what a class cannot hold spills over to the others
    wanted = [round(idle_factor * c) for c in counts]
    left = 0
    for c, w in zip(idle, wanted, strict=True):
        c.count = min(w, c.capacity)
        left += w - c.count
    for c in idle:
        extra = min(left, c.capacity - c.count)
        c.count += extra
        left -= extra
    if left:
        msg = (
            f"cannot open {left:,} more idle statistics: raise --idle-agents (or lower "
            "--idle-factor)"
        )
        raise SystemExit(msg)
    return Plan(touched, idle)


# ------------------------------------------------------------------------------ measuring
@dataclass
class Series:
    """Repeated timings of one measurement over ``events`` events: wall-clock seconds
    (``time.perf_counter``) and CPU seconds of this process (``time.process_time``)."""

    name: str
    events: int
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return self.events / min(self.seconds)

    @property
    def median(self) -> float:
        return self.events / statistics.median(self.seconds)

    @property
    def spread(self) -> float:
        """(slowest - fastest) / fastest, as a fraction."""
        return (max(self.seconds) - min(self.seconds)) / min(self.seconds)

    @property
    def us_per_event(self) -> float:
        return 1e6 * min(self.seconds) / self.events

    @property
    def cpu_us_per_event(self) -> float:
        return 1e6 * min(self.cpu) / self.events

    def as_dict(self) -> dict[str, Any]:
        return {
            "events_per_second_best": round(self.best),
            "events_per_second_median": round(self.median),
            "spread": round(self.spread, 4),
            "us_per_event_best": round(self.us_per_event, 3),
            "cpu_us_per_event_best": round(self.cpu_us_per_event, 3),
            "seconds": [round(s, 4) for s in self.seconds],
            "cpu_seconds": [round(s, 4) for s in self.cpu],
        }


def _read_only(path: Path, skip: int = 0) -> int:
    n = 0
    with path.open("rb") as f:
        for _ in itertools.islice(f, skip, None):
            n += 1
    return n


def _decode_only(path: Path, skip: int = 0) -> int:
    n = 0
    dec = decode_event
    with path.open("rb") as f:
        for line in itertools.islice(f, skip, None):
            dec(line)
            n += 1
    return n


@dataclass
class Ingested:
    """What one ingest loop saw: events fed, statistics taken (summed over the batches),
    idle statistics among them, and the statistics changed by each of the last ``tail``
    events (taken one event at a time)."""

    events: int = 0
    taken: int = 0
    idle_hits: int = 0
    idle_sample: list[Any] = field(default_factory=list)
    tail_events: int = 0
    tail_touched: int = 0
    #: time in the cyclic collector; objects that survived to a freeze (what each collection
    #: walks until the next freeze), and the events fed until the last freeze
    gc_seconds: float = 0.0
    left_alive: int = 0
    events_frozen: int = 0


def _ingest(
    engine: Engine,
    path: Path,
    batch: int,
    limit: int = 0,
    *,
    idle_ids: set[int] | None = None,
    tail: int = 0,
    n_events: int = 0,
    freeze_every: float = 0.0,
    skip: int = 0,
) -> Ingested:
    """Decode and feed every line (or the first ``limit``); like the server, take the changed
    statistics every ``batch`` events (0: the engine does not collect changes).  With
    ``tail``, the last ``tail`` of the ``n_events`` events are taken one event at a time to
    count the statistics each event changes.  Statistics whose id is in ``idle_ids`` must
    never change: they are counted in ``idle_hits``.  With ``freeze_every`` (seconds), like
    the server's ``gc-freeze-interval``: when the changes are taken and that long has passed
    since the last time, a full collection of what is not frozen yet, then freeze it.  The
    first ``skip`` lines are left out (``--warm-up`` fed them before)."""
    res = Ingested()
    clock = time.perf_counter
    collecting_since = 0.0

    def on_gc(phase: str, info: dict[str, int]) -> None:
        nonlocal collecting_since
        if phase == "start":
            collecting_since = clock()
        else:
            res.gc_seconds += clock() - collecting_since

    gc.callbacks.append(on_gc)
    try:
        _feed_all(engine, path, batch, limit, res, idle_ids, tail, n_events, freeze_every, skip)
    finally:
        gc.callbacks.remove(on_gc)
    return res


def _feed_all(
    engine: Engine,
    path: Path,
    batch: int,
    limit: int,
    res: Ingested,
    idle_ids: set[int] | None,
    tail: int,
    n_events: int,
    freeze_every: float,
    skip: int,
) -> None:
    clock = time.perf_counter
    last_freeze = clock()
    feed, dec = engine.feed, decode_event
    with path.open("rb") as f:
        lines: Iterable[bytes] = itertools.islice(f, skip, skip + limit if limit else None)
        if batch <= 0:
            n = 0
            for line in lines:
                feed(dec(line))
                n += 1
            res.events = n
            return
        take = engine.take_changes

        def taken() -> int:
            nonlocal last_freeze
            changed = take()
            if freeze_every and clock() - last_freeze >= freeze_every:
                gc.collect()
                res.left_alive += len(gc.get_objects(generation=2))
                res.events_frozen = n
                gc.freeze()
                last_freeze = clock()
            if idle_ids:
                hits = [s for s in changed if s.id in idle_ids]
                if hits:
                    res.idle_hits += len(hits)
                    res.idle_sample.extend(hits[: 3 - len(res.idle_sample)])
            return len(changed)

        n = 0
        left = batch
        tail_from = max(0, n_events - tail) if tail and n_events else -1
        for line in lines:
            feed(dec(line))
            n += 1
            if n > tail_from >= 0:
                if n == tail_from + 1:
                    left = batch
                res.tail_events += 1
                res.tail_touched += taken()
                continue
            left -= 1
            if not left:
                res.taken += taken()
                left = batch
            if n == tail_from:
                res.taken += taken()
        res.taken += taken()
        res.events = n


@contextmanager
def _collector(gc_mode: str) -> Iterator[None]:
    """The collector as ``--gc`` says for a timed run: a full collection first (outside
    the timing), then everything frozen, the collector off, or left on."""
    gc.collect()
    if gc_mode == "freeze":
        gc.freeze()
    elif gc_mode == "off":
        gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _measure(series: Series, fn: Callable[[], Any], gc_mode: str = "on") -> Any:
    with _collector(gc_mode):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        t1, c1 = time.perf_counter(), time.process_time()
    series.seconds.append(t1 - t0)
    series.cpu.append(c1 - c0)
    return result


@dataclass
class Prepared:
    engine: Engine
    touched: list[Any]
    idle: list[Any]
    open_seconds: tuple[float, float]
    idle_touched: set[Any]
    idle_ids: set[int]


def _time_of_line(path: Path, index: int) -> str:
    with path.open("rb") as f:
        line = next(itertools.islice(f, index, None))
    return str(decode_event(line).time)


def _first_time(path: Path) -> float:
    return parse_time(_time_of_line(path, 0))


def _prepare(
    config: LoadedConfig,
    plan: Plan | None,
    t0: float,
    *,
    idle: bool,
    batch: int,
    path: Path | None = None,
    warm: int = 0,
    watched: float = 1.0,
) -> Prepared:
    """A fresh engine with the S statistics (and the K idle ones) open at ``t0``, fed the
    first ``warm`` events of ``path`` (untimed; their changes taken as in a timed run).
    When changes are taken (``batch``), a share ``watched`` of the S statistics, drawn
    with a fixed seed, is watched for changes as a server watches those with Changes-mode
    subscribers, and every idle one (to find any that an event touches)."""
    engine = Engine(config.directory, config.catalog, config.engine_options)
    tenant = engine.tenants[TENANT]
    tenant.begin(t0)
    tenant.settle()
    start = time.perf_counter()
    touched = [engine.open(r, at=t0) for c in plan.touched for r in c.requests()] if plan else []
    mid = time.perf_counter()
    idle_stats = (
        [engine.open(r, at=t0) for c in plan.idle for r in c.requests()] if plan and idle else []
    )
    end = time.perf_counter()
    if batch > 0:
        draw = random.Random(7).random
        for stat in touched:
            if watched >= 1.0 or draw() < watched:
                engine.watch_changes(stat)
        for stat in idle_stats:
            engine.watch_changes(stat)
    # an idle statistic that an event touches is found among the changed statistics
    idle_ids = {stat.id for stat in idle_stats}
    if warm and path is not None:
        _ingest(engine, path, batch, warm)
    return Prepared(engine, touched, idle_stats, (mid - start, end - mid), set(), idle_ids)


def _warnings(engine: Engine) -> dict[str, int]:
    found = getattr(engine.counters, "warnings", None)
    if isinstance(found, dict):
        return dict(found)
    merged: dict[str, int] = {}
    for tenant in engine.tenants.values():
        for k, v in tenant.warnings.items():
            merged[k] = merged.get(k, 0) + v
    return merged


def _check(name: str, prepared: Prepared, got: Ingested | None = None) -> None:
    engine = prepared.engine
    rejected = dict(engine.counters.rejected)
    if rejected:
        msg = f"{name}: events rejected: {rejected}"
        raise SystemExit(msg)
    warnings = _warnings(engine)
    if warnings:
        msg = f"{name}: events applied with warnings: {warnings}"
        raise SystemExit(msg)
    if got is not None and got.idle_hits:
        sample = [str(s) for s in got.idle_sample]
        msg = f"{name}: idle statistics changed {got.idle_hits} times, e.g. {sample}"
        raise SystemExit(msg)


def _values(engine: Engine, stats: list[Any], at: float) -> tuple[list[Any], float]:
    t0 = time.perf_counter()
    values = [engine.value(s, at) for s in stats]
    return values, time.perf_counter() - t0


def _memory(config: LoadedConfig, plan: Plan, t0: float) -> dict[str, float]:
    """tracemalloc bytes per open statistic (touched, idle), on an engine of its own."""
    engine = Engine(config.directory, config.catalog, config.engine_options)
    tenant = engine.tenants[TENANT]
    gc.collect()
    tracemalloc.start()
    m0 = tracemalloc.get_traced_memory()[0]
    tenant.begin(t0)
    tenant.settle()
    m1 = tracemalloc.get_traced_memory()[0]
    touched = [engine.open(r, at=t0) for c in plan.touched for r in c.requests()]
    m2 = tracemalloc.get_traced_memory()[0]
    idle = [engine.open(r, at=t0) for c in plan.idle for r in c.requests()]
    m3 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del touched, idle, engine, tenant
    return {
        "state_bytes": m1 - m0,
        "bytes_per_touched_statistic": (m2 - m1) / max(1, plan.s),
        "bytes_per_idle_statistic": (m3 - m2) / max(1, plan.k),
    }


def _profile(prepared: Prepared, path: Path, top: int, batch: int, events: int = 0) -> str:
    """cProfile of one (b) ingest of the first ``events`` (0: all) on ``prepared``."""
    profiler = cProfile.Profile()
    profiler.enable()
    _ingest(prepared.engine, path, batch, events)
    profiler.disable()
    out = io.StringIO()
    st = pstats.Stats(profiler, stream=out)
    st.sort_stats("tottime").print_stats(top)
    st.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _perf(
    prepared: Prepared,
    path: Path,
    top: int,
    batch: int,
    warm: int,
    n_events: int,
    freeze_every: float,
    gc_mode: str,
) -> str:
    """``perf record`` attached to this process during one (b) ingest on ``prepared``, fed
    the first ``warm`` events already (the warm-up and the opening left out), then ``perf
    report``'s top symbols and the shares of the collector, the dictionaries, the
    interpreter and the compiled engine."""
    # perf starts after the collector's full collection of the whole heap (seconds at
    # this size), which the timed runs leave out too
    with tempfile.TemporaryDirectory() as tmp, _collector(gc_mode):
        data = Path(tmp) / "perf.data"
        cmd = ["perf", "record", "-q", "-F", "999", "-p", str(os.getpid()), "-o", str(data)]
        recorder = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)  # attached
        start = time.perf_counter()
        _ingest(prepared.engine, path, batch, freeze_every=freeze_every, skip=warm)
        seconds = time.perf_counter() - start
        recorder.send_signal(signal.SIGINT)
        _, err = recorder.communicate()
        if recorder.returncode not in (0, -signal.SIGINT) or not data.exists():
            return f"perf record failed: {err.decode(errors='replace').strip()}"
        report = subprocess.run(
            ["perf", "report", "-i", str(data), "--no-children", "--sort", "symbol", "--stdio"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    rows: list[tuple[float, str]] = []
    for line in report.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0].endswith("%") and parts[1].startswith("["):
            rows.append((float(parts[0].rstrip("%")), parts[2]))
    groups = {
        "collector": ("gc_", "visit_", "_traverse", "subtract_refs", "move_unreachable"),
        "dict and set lookups": ("dict", "Dict", "unicodekeys", "set_", "lookup"),
        # compiled functions of the windows and of the tracks (bench.kernel_model models
        # them in C), then the rest of the compiled engine
        "windows (compiled)": ("windows___",),
        "tracks (compiled)": ("track___",),
        "rest of the compiled engine (CPyDef_)": ("CPyDef_",),
        "interpreter": ("_PyEval_EvalFrame",),
        "allocation": ("Malloc", "Free", "alloc", "dealloc"),
    }
    shares = dict.fromkeys(groups, 0.0)
    for pct, sym in rows:
        for name, marks in groups.items():
            if any(m in sym for m in marks):
                shares[name] += pct
                break
    out = [f"  {pct:6.2f}%  {sym}" for pct, sym in rows[:top]]
    out.append(
        "  by kind: "
        + ", ".join(f"{name} {pct:.1f}%" for name, pct in shares.items())
        + f" (of {sum(p for p, _ in rows):.1f}% sampled); (b) under perf: "
        f"{n_events / seconds:,.0f} events/s"
    )
    return "\n".join(out)


# ------------------------------------------------------------------------------ the run
def run(args: argparse.Namespace, out: Any = None) -> dict[str, Any]:
    """Run the benchmark described by the parsed arguments; print to ``out`` (stdout)."""
    say = printer(out)
    resolve_size(args)
    spec = spec_from_args(args)
    mach = machine()
    say("Stat Server -- engine ingest benchmark")
    say(machine_line(mach))

    cache = Path(args.cache_dir) / spec.cache_key()
    t = time.perf_counter()
    files = generate(spec, cache, reuse=not args.regenerate)
    took = time.perf_counter() - t
    meta = files.meta
    center = build_center(spec)
    how = (
        "reused"
        if files.reused
        else f"generated in {took:.1f} s ({meta['events_per_second']:,} events/s)"
    )
    say(
        f"center: {spec.agents:,} agents (+{spec.n_idle_agents:,} idle), "
        f"{len(center.active_groups):,} agent groups (+{len(center.idle_groups):,} idle), "
        f"{spec.queues:,} queues (+{spec.n_idle_queues:,} idle), "
        f"{len(center.dn_groups):,} queue groups (+{len(center.idle_dn_groups):,} idle)"
    )
    say(
        f"events: {spec.events:,} ({meta['events_bytes'] / 1e6:.1f} MB, time as "
        f"{spec.time_format}) in {files.events} [{how}]"
    )
    t = time.perf_counter()
    config = load_center(spec, center)
    config_seconds = time.perf_counter() - t
    say(
        f"config: built from Python data in {config_seconds:.2f} s (bench.generate.load_center: "
        "the loader's validation and building without YAML parsing)"
    )
    yaml_times: dict[str, float] = {}
    if args.yaml:
        yaml_times = _time_yaml(files.config, config)
        say(
            f"config from YAML ({files.config.stat().st_size / 1e6:.1f} MB): load_config "
            f"{yaml_times['load_config']:.1f} s (statserver.config.load_config, all included); "
            f"yaml.CSafeLoader alone {yaml_times['csafe_parse']:.1f} s; the same objects as "
            "the Python-built configuration"
        )

    plan = plan_statistics(center, args.stats_per_agent, args.idle_factor, args.statistics)
    mix = f"the mix of bench/mix.py for {args.statistics:,}" if args.statistics else "legacy mix"
    say(f"S = {plan.s:,} statistics on touched objects ({mix}): {plan.describe(plan.touched)}")
    if plan.k:
        say(f"K = {plan.k:,} statistics on idle objects: {plan.describe(plan.idle)}")
    t0 = _first_time(files.events)
    path = files.events
    warm = args.warm_up
    if not 0 <= warm < spec.events:
        msg = f"--warm-up {warm}: give fewer than the {spec.events:,} events of the file"
        raise SystemExit(msg)
    n_events = spec.events - warm
    if warm:
        say(
            f"warm-up: the first {warm:,} events (to {_time_of_line(path, warm - 1)} in the "
            f"file) fed to every engine before its timed run; the {n_events:,} after them timed"
        )
    tail = min(args.touch_sample, n_events // 2)

    read = Series("(0) read lines", n_events)
    decode = Series("(a) decode", n_events)
    bare = Series("(a') engine, no stats", n_events)
    base = Series("(b) engine, S stats", n_events)
    loaded = Series("(c) engine, S+K stats", n_events)
    opens: dict[str, list[float]] = {"S": [], "K": []}
    last: dict[str, list[Any]] = {}
    read_us = 0.0
    touched_per_event = 0.0
    #: per (b) run: seconds in the collector, objects left alive per event
    collector: list[tuple[float, float]] = []
    gc_mode, batch = args.gc, args.batch
    # what the server does (service/app.py ``_freezer``): collect and freeze every 0.2 s
    freeze_every = ServerOptions().gc_freeze_interval if gc_mode == "freeze" and batch > 0 else 0.0
    watched = args.watched
    collecting = (
        f"changed statistics taken every {batch} events, {watched:.0%} of the S statistics "
        "watched for changes"
        if batch > 0
        else "no change collection"
    )
    names = "read, decode, a', b, c" if plan.k else "read, decode, a', b"
    gc_how = f"freeze, then every {freeze_every} s" if freeze_every else gc_mode
    say(f"measuring: {args.repeat} x ({names}), interleaved; gc {gc_how}; {collecting}")
    for r in range(args.repeat):
        for series, fn in ((read, _read_only), (decode, _decode_only)):
            n = _measure(series, lambda fn=fn: fn(path, warm))
            if n != n_events:
                msg = f"{path}: {n} lines, expected {n_events}"
                raise SystemExit(msg)
        runs: list[tuple[Series, Plan | None, bool]] = [(bare, None, False), (base, plan, False)]
        if plan.k:
            runs.append((loaded, plan, True))
        for series, with_plan, idle in runs:
            prepared = _prepare(
                config, with_plan, t0, idle=idle, batch=batch, path=path, warm=warm, watched=watched
            )
            if with_plan is not None:
                opens["S"].append(prepared.open_seconds[0])
            if idle:
                opens["K"].append(prepared.open_seconds[1])
            # the touches are counted among the watched statistics: all of them, or none
            counted = tail if series is base and batch > 0 and watched >= 1.0 else 0
            got: Ingested = _measure(
                series,
                lambda p=prepared, c=counted: _ingest(
                    p.engine,
                    path,
                    batch,
                    idle_ids=p.idle_ids,
                    tail=c,
                    n_events=n_events,
                    freeze_every=freeze_every,
                    skip=warm,
                ),
                gc_mode,
            )
            _check(series.name, prepared, got)
            if counted:
                touched_per_event = got.tail_touched / max(1, got.tail_events)
            if series is base:
                collector.append((got.gc_seconds, got.left_alive / max(1, got.events_frozen)))
            if r == args.repeat - 1 and with_plan is not None:
                end = prepared.engine.tenants[TENANT].ts
                values, seconds = _values(prepared.engine, prepared.touched, end)
                last[series.name] = values
                read_us = 1e6 * seconds / max(1, len(values))
            del prepared, got
            gc.collect()
        line = (
            f"  run {r + 1}: read {read.seconds[-1]:.2f} s, decode {decode.seconds[-1]:.2f} s, "
            f"a' {bare.seconds[-1]:.2f} s, b {base.seconds[-1]:.2f} s"
        )
        say(line + (f", c {loaded.seconds[-1]:.2f} s" if plan.k else ""))
    if plan.k and last[base.name] != last[loaded.name]:
        msg = "the S statistics have different values with the idle statistics open"
        raise SystemExit(msg)
    memory = _memory(config, plan, t0) if args.memory else {}
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    say()
    say(
        f"{'':24}{'best ev/s':>12}{'median ev/s':>13}{'spread':>8}{'us/event':>10}{'cpu us/ev':>11}"
    )
    for s in (read, decode, bare, base, *((loaded,) if plan.k else ())):
        say(
            f"{s.name:24}{s.best:>12,.0f}{s.median:>13,.0f}{s.spread:>8.1%}"
            f"{s.us_per_event:>10.2f}{s.cpu_us_per_event:>11.2f}"
        )
    ratio_b = base.best / decode.best
    on_decode = base.us_per_event - decode.us_per_event
    for_stats = base.us_per_event - bare.us_per_event
    per_touch = for_stats / max(touched_per_event, 1e-9)
    say()
    say(
        f"engine / decode: {ratio_b:.4f} -- the engine with S = {plan.s:,} statistics ingests "
        f"{base.best:,.0f} events/s, {ratio_b:.2%} of the decode rate {decode.best:,.0f}/s "
        f"({on_decode:.1f} us per event on top of decoding: "
        f"{bare.us_per_event - decode.us_per_event:.1f} us of state and statuses, "
        f"{for_stats:.1f} us of statistics)"
    )
    if touched_per_event:
        say(
            f"statistics touched: {touched_per_event:.1f} of the {plan.s:,} per event on "
            f"average (distinct statistics changed, over the last {tail:,} events), "
            f"{per_touch:.2f} us per statistic touch"
        )
    elif watched < 1.0:
        say("statistics touched: counted only when every statistic is watched (--watched 1)")
    else:
        say("statistics touched: not counted (--touch-sample 0)")
    target = 50_000
    say(
        f"target: {target:,} events/s with the statistics open -> "
        f"{'met' if base.best >= target else 'NOT met'} ({base.best / target:.3f} of it); "
        + (
            f"at {per_touch:.2f} us per touch and {touched_per_event:.0f} touches per event "
            if touched_per_event
            else ""
        )
        + f"the statistics alone allow {1e6 / max(for_stats, 1e-9):,.0f} events/s"
    )
    gc_share = [sec / run for (sec, _), run in zip(collector, base.seconds, strict=True)]
    alive = [a for _, a in collector]
    found = (
        f"{min(alive):.1f}-{max(alive):.1f} objects left alive per event (found at the "
        "freezes: what each collection walks until the next freeze)"
        if freeze_every and min(alive) > 0
        else "no freeze during the runs"
    )
    say(f"collector (b): {min(gc_share):.1%}-{max(gc_share):.1%} of the time; {found}")
    ratio_cb = ratio_cb_median = ratio_cb_cpu = 0.0
    if plan.k:
        ratio_cb = loaded.best / base.best
        ratio_cb_median = loaded.median / base.median
        ratio_cb_cpu = base.cpu_us_per_event / loaded.cpu_us_per_event
        say(
            f"(c) / (b): {ratio_cb:.3f} best, {ratio_cb_median:.3f} median, {ratio_cb_cpu:.3f} "
            f"in CPU time -- with {plan.k:,} idle statistics open next to the {plan.s:,} "
            f"touched ones ({plan.k / max(1, plan.s):.1f} x)"
        )
    s_open = min(opens["S"])
    k_open = min(opens["K"]) if opens["K"] else 0.0
    say(
        f"opening: S in {s_open:.2f} s ({plan.s / max(s_open, 1e-9):,.0f}/s)"
        + (f", K in {k_open:.2f} s ({plan.k / max(k_open, 1e-9):,.0f}/s)" if plan.k else "")
        + f"; reading the S values after the run: {read_us:.1f} us per value"
    )
    if memory:
        say(
            f"memory (tracemalloc): {memory['bytes_per_touched_statistic']:,.0f} bytes per "
            f"touched statistic, {memory['bytes_per_idle_statistic']:,.0f} per idle statistic "
            f"(at opening); object state {memory['state_bytes'] / 1e6:.1f} MB"
        )
    say(f"peak RSS of this process: {peak_rss_mb:,.0f} MB")
    say(
        "checks: no event rejected, no warning"
        + (", no idle statistic touched, S values identical in (b) and (c)" if plan.k else "")
    )
    say(
        f"noise: spread = (slowest - fastest) / fastest over {args.repeat} runs; load average "
        f"{mach['load_average'][0]} at start, {os.getloadavg()[0]:.2f} now.  Other processes "
        "slow the wall-clock figures down (CPU time is steadier); compare ratios measured in "
        "one run, not absolute rates across runs or machines."
    )
    result = {
        "machine": mach,
        "spec": meta["spec"],
        "events": n_events,
        "warm_up_events": warm,
        "statistics": {"S": plan.s, "K": plan.k},
        "config_seconds": round(config_seconds, 3),
        "yaml_seconds": {k: round(v, 2) for k, v in yaml_times.items()},
        "read": read.as_dict(),
        "decode": decode.as_dict(),
        "engine_no_stats": bare.as_dict(),
        "engine_S": base.as_dict(),
        "engine_S_K": loaded.as_dict() if plan.k else {},
        "ratio_engine_decode": round(ratio_b, 5),
        "ratio_c_b_best": round(ratio_cb, 4),
        "ratio_c_b_median": round(ratio_cb_median, 4),
        "ratio_c_b_cpu": round(ratio_cb_cpu, 4),
        "touched_per_event": round(touched_per_event, 2),
        "us_per_touch": round(per_touch, 3),
        "collector_share": [round(x, 4) for x in gc_share],
        "left_alive_per_event": [round(x, 2) for x in alive],
        "open_seconds": {"S": round(s_open, 3), "K": round(k_open, 3)},
        "read_us_per_value": round(read_us, 2),
        "memory": memory,
        "peak_rss_mb": round(peak_rss_mb),
        "gc": gc_mode,
        "batch": batch,
        "watched": watched,
    }

    def fresh(warm_up: int = 0) -> Prepared:
        """One more engine like those of the (b) runs, for a profiler."""
        return _prepare(
            config, plan, t0, idle=False, batch=batch, path=path, warm=warm_up, watched=watched
        )

    if args.profile:
        say()
        say(f"cProfile of one (b) ingest, top {args.profile} (profiling slows it down ~2x):")
        say(_profile(fresh(), path, args.profile, batch, args.profile_events))
    if args.perf:
        say()
        say(
            f"perf (Linux sampling profiler, 999 Hz) of one more (b) ingest after the warm-up, "
            f"top {args.perf} symbols by own time: C functions, so it sees into the compiled "
            "build (CPyDef_<module>___<Class>___<method>), the collector and the interpreter"
        )
        if shutil.which("perf") is None:
            say("perf is not installed (Debian: apt-get install linux-perf)")
        else:
            perf = _perf(fresh(warm), path, args.perf, batch, warm, n_events, freeze_every, gc_mode)
            say(perf)
    write_json(args.json, result)
    if args.json:
        say(f"results written to {args.json}")
    return result


def _time_yaml(path: Path, built: Any) -> dict[str, float]:
    """Seconds to load the YAML file with the loader, and to parse it with libyaml."""
    import yaml

    t = time.perf_counter()
    loaded = load_config(path)
    t1 = time.perf_counter()
    text = path.read_text(encoding="utf-8")
    t2 = time.perf_counter()
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        yaml.load(text, Loader=loader)
    t3 = time.perf_counter()
    if loaded.directory != built.directory:
        msg = "the YAML configuration and the Python-built one differ"
        raise SystemExit(msg)
    return {"load_config": t1 - t, "csafe_parse": t3 - t2 if loader is not None else float("nan")}


def resolve_size(args: argparse.Namespace) -> None:
    """Fill the size options left unset from ``--smoke`` / ``--scale`` (bench/common.py)."""
    if getattr(args, "_resolved", False):
        return
    args._resolved = True
    size = SMOKE if args.smoke else FULL.scaled(args.scale)
    legacy = args.statistics == 0
    for name in ("agents", "groups", "queues", "events"):
        if getattr(args, name) is None:
            setattr(args, name, getattr(size, name))
    if args.statistics is None:
        args.statistics = size.statistics
    if args.idle_factor is None:
        args.idle_factor = 10.0 if legacy else 0.0
    if not args.idle_factor:
        for name in ("idle_agents", "idle_groups", "idle_queues"):
            if getattr(args, name) is None:
                setattr(args, name, 0)
    if args.repeat is None:
        args.repeat = 3 if args.smoke or args.scale < 0.5 or legacy else 2
    if args.memory is None:
        args.memory = args.statistics < 200_000  # bench.memory measures the full size


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.engine_ingest",
        description="Engine ingest rate with many open statistics, next to the decode floor.  "
        f"Default: the full size ({FULL.describe()}, {FULL.events:,} events).",
    )
    add_spec_arguments(p)
    for action in p._actions:  # the preset (--scale / --smoke) decides unless given
        if action.dest in ("agents", "groups", "queues", "events"):
            action.default = None
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    p.add_argument("--smoke", action="store_true", help="the tiny size CI runs")
    p.add_argument(
        "--statistics",
        type=int,
        default=None,
        help="statistics on the working objects, the mix of bench/mix.py (default: 1,000,000 "
        "x scale); 0: the legacy mix of --stats-per-agent",
    )
    p.add_argument(
        "--stats-per-agent",
        type=int,
        default=8,
        help=f"with --statistics 0: statistics per working agent (first N of the agent mix; "
        f"up to {len(variants(AGENT_MIX))})",
    )
    p.add_argument(
        "--idle-factor",
        type=float,
        default=None,
        help="K = idle-factor x S idle statistics on idle objects (default 0; 10 with "
        "--statistics 0)",
    )
    p.add_argument("--repeat", type=int, default=None, help="runs of each measurement (2-3)")
    p.add_argument(
        "--warm-up",
        type=int,
        default=0,
        metavar="N",
        help="feed the first N events of the file to every engine before its timed run, "
        "which takes the rest (steady state: Sliding rings full, the login ramp over); "
        "the read and decode floors are measured on the same lines (default 0)",
    )
    p.add_argument("--cache-dir", default=str(DEFAULT_CACHE), help="where generated files go")
    p.add_argument("--regenerate", action="store_true", help="do not reuse generated files")
    p.add_argument(
        "--yaml",
        action="store_true",
        help="also time loading the generated YAML configuration (~3 s at full size)",
    )
    p.add_argument(
        "--gc",
        choices=("on", "off", "freeze"),
        default="freeze",
        help="garbage collector during ingest: freeze (default, as a server runs: "
        "gc.freeze() after opening the statistics, then a full collection and a freeze "
        "every gc-freeze-interval, 0.2 s), on, or off",
    )
    p.add_argument(
        "--batch",
        type=int,
        default=100,
        help="take the changed statistics every N events, as the server does after each batch "
        "(0: the engine does not collect changes)",
    )
    p.add_argument(
        "--watched",
        type=float,
        default=1.0,
        help="share of the S statistics watched for changes, as a server watches those "
        "with Changes-mode subscribers (default 1: all of them, the worst case; drawn "
        "with a fixed seed); the touches per event are counted only at 1",
    )
    p.add_argument(
        "--touch-sample",
        type=int,
        default=20_000,
        help="last events of the (b) runs over which the statistics changed per event are "
        "counted (one event at a time)",
    )
    p.add_argument(
        "--memory",
        dest="memory",
        action="store_true",
        default=None,
        help="the tracemalloc pass (default below 200,000 statistics; bench.memory does more)",
    )
    p.add_argument("--no-memory", dest="memory", action="store_false")
    p.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile top N")
    p.add_argument(
        "--profile-events",
        type=int,
        default=0,
        help="events in the profiled ingest (default: all)",
    )
    p.add_argument(
        "--perf",
        type=int,
        default=0,
        metavar="N",
        help="perf top N symbols of one more (b) ingest after the warm-up (Linux perf)",
    )
    p.add_argument("--json", help="write the results to this JSON file")
    return p


def main(argv: list[str] | None = None, out: Any = None) -> int:
    args = parser().parse_args(argv)
    resolve_size(args)
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    run(args, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
