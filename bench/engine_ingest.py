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
change, taken every ``--batch`` events.

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
import contextlib
import cProfile
import gc
import io
import itertools
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.generate import (
    SWITCH,
    TENANT,
    TIME_PROFILES,
    Center,
    add_spec_arguments,
    build_center,
    generate,
    spec_from_args,
)
from statserver.config import LoadedConfig, load_config
from statserver.core.engine import Engine, StatisticRequest
from statserver.events import decode_event, parse_time

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

DEFAULT_CACHE = Path("/tmp/statserver-bench")


# ------------------------------------------------------------------------------ the mix
@dataclass(frozen=True)
class Variant:
    """One statistic to open on an object: a stat type and its request parameters."""

    stat_type: str
    profile: str | None = None
    time_range: str | None = None
    time_range2: str | None = None
    filter: str | None = None

    def with_profile(self, profile: str) -> Variant:
        return Variant(self.stat_type, profile, self.time_range, self.time_range2, self.filter)


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
class StatClass:
    """Statistics of one kind of object: ``count`` statistics over ``objects``."""

    name: str
    object_type: str
    objects: list[str]
    mix: list[Variant]
    count: int = 0

    @property
    def capacity(self) -> int:
        return len(self.objects) * len(self.mix)

    def requests(self) -> Iterable[StatisticRequest]:
        """``count`` requests, spread evenly: every object gets the first variants first."""
        n = 0
        for v in self.mix:
            for oid in self.objects:
                if n >= self.count:
                    return
                n += 1
                yield StatisticRequest(
                    TENANT,
                    self.object_type,
                    oid,
                    v.stat_type,
                    time_profile=v.profile,
                    time_range=v.time_range,
                    time_range2=v.time_range2,
                    filter=v.filter,
                )


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


def plan_statistics(center: Center, stats_per_agent: int, idle_factor: float) -> Plan:
    """S statistics on the working objects, K = ``idle_factor`` x S on the idle ones."""
    agent_variants = variants(AGENT_MIX)
    if not 0 <= stats_per_agent <= len(agent_variants):
        msg = f"--stats-per-agent must be 0..{len(agent_variants)}"
        raise SystemExit(msg)
    touched = [
        StatClass("per agent", "Agent", center.agents, agent_variants[:stats_per_agent]),
        StatClass("per group", "GroupAgents", center.active_groups, list(GROUP_MIX)),
        StatClass("per queue", "Queue", _dns(center.queues), list(QUEUE_MIX)),
        StatClass("per queue group", "GroupQueues", list(center.dn_groups), list(DN_GROUP_MIX)),
        StatClass("on the tenant", "Tenant", [TENANT], list(TENANT_MIX)),
    ]
    for c in touched:
        c.count = c.capacity
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
    wanted = [round(idle_factor * c.count) for c in touched[:4]]
    wanted[0] += round(idle_factor * touched[4].count)
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


def _read_only(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        for _ in f:
            n += 1
    return n


def _decode_only(path: Path) -> int:
    n = 0
    dec = decode_event
    with path.open("rb") as f:
        for line in f:
            dec(line)
            n += 1
    return n


def _ingest(engine: Engine, path: Path, batch: int, limit: int = 0) -> tuple[int, int]:
    """Decode and feed every line (or the first ``limit``); like the server, take the changed
    statistics every ``batch`` events (0: the engine does not collect changes).  Returns
    (events, statistics taken in all)."""
    n = taken = 0
    feed, dec = engine.feed, decode_event
    with path.open("rb") as f:
        lines: Iterable[bytes] = itertools.islice(f, limit) if limit else f
        if batch <= 0:
            for line in lines:
                feed(dec(line))
                n += 1
            return n, 0
        take = engine.take_changes
        left = batch
        for line in lines:
            feed(dec(line))
            n += 1
            left -= 1
            if not left:
                taken += len(take())
                left = batch
        taken += len(take())
    return n, taken


def _measure(series: Series, fn: Callable[[], Any], gc_mode: str = "on") -> Any:
    gc.collect()
    if gc_mode == "freeze":
        gc.freeze()
    elif gc_mode == "off":
        gc.disable()
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        t1, c1 = time.perf_counter(), time.process_time()
    finally:
        gc.enable()
        gc.unfreeze()
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


def _first_time(path: Path) -> float:
    with path.open("rb") as f:
        return parse_time(decode_event(f.readline()).time)


def _prepare(
    config: LoadedConfig, plan: Plan | None, t0: float, *, idle: bool, collect: bool
) -> Prepared:
    """A fresh engine with the S statistics (and the K idle ones) open at ``t0``."""
    engine = Engine(
        config.directory, config.catalog, config.engine_options, collect_changes=collect
    )
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
    # an idle statistic that an event touches lands in this set (touched statistics keep the
    # engine's sink, so this costs nothing when nothing is touched)
    idle_touched: set[Any] = set()
    for stat in idle_stats:
        stat.dirty_sink = idle_touched
    return Prepared(engine, touched, idle_stats, (mid - start, end - mid), idle_touched)


def _warnings(engine: Engine) -> dict[str, int]:
    found = getattr(engine.counters, "warnings", None)
    if isinstance(found, dict):
        return dict(found)
    merged: dict[str, int] = {}
    for tenant in engine.tenants.values():
        for k, v in tenant.warnings.items():
            merged[k] = merged.get(k, 0) + v
    return merged


def _check(name: str, prepared: Prepared) -> None:
    engine = prepared.engine
    rejected = dict(engine.counters.rejected)
    if rejected:
        msg = f"{name}: events rejected: {rejected}"
        raise SystemExit(msg)
    warnings = _warnings(engine)
    if warnings:
        msg = f"{name}: events applied with warnings: {warnings}"
        raise SystemExit(msg)
    if prepared.idle_touched:
        sample = sorted(str(s) for s in prepared.idle_touched)[:3]
        msg = f"{name}: {len(prepared.idle_touched)} idle statistics touched, e.g. {sample}"
        raise SystemExit(msg)


def _values(engine: Engine, stats: list[Any], at: float) -> tuple[list[Any], float]:
    t0 = time.perf_counter()
    values = [engine.value(s, at) for s in stats]
    return values, time.perf_counter() - t0


def _touched_per_event(config: LoadedConfig, plan: Plan, t0: float, path: Path, n: int) -> float:
    """How many of the S statistics one event touches, on average (first ``n`` events)."""
    prepared = _prepare(config, plan, t0, idle=False, collect=True)
    events, taken = _ingest(prepared.engine, path, 1, n)
    return taken / max(1, events)


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


def _profile(config: LoadedConfig, plan: Plan, t0: float, path: Path, top: int, batch: int) -> str:
    prepared = _prepare(config, plan, t0, idle=False, collect=batch > 0)
    profiler = cProfile.Profile()
    profiler.enable()
    _ingest(prepared.engine, path, batch)
    profiler.disable()
    out = io.StringIO()
    st = pstats.Stats(profiler, stream=out)
    st.sort_stats("tottime").print_stats(top)
    st.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# ------------------------------------------------------------------------------ machine
def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 0
    revision = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        root = Path(__file__).resolve().parents[1]
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        revision = head + (" + uncommitted changes" if dirty else "")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "revision": revision or "unknown",
    }


# ------------------------------------------------------------------------------ the run
def run(args: argparse.Namespace, out: Any = None) -> dict[str, Any]:
    """Run the benchmark described by the parsed arguments; print to ``out`` (stdout)."""
    out = out or sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    spec = spec_from_args(args)
    mach = machine()
    say("Stat Server -- engine ingest benchmark")
    say(
        f"machine: {mach['cpu']}, {mach['cores']} cores ({mach['usable_cores']} usable), "
        f"{mach['python']}, {mach['platform']}"
    )
    say(f"code: {mach['revision']}; load average at start: {mach['load_average']}")

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
    config = load_config(files.config)
    say(f"config: loaded in {time.perf_counter() - t:.2f} s")

    plan = plan_statistics(center, args.stats_per_agent, args.idle_factor)
    say(f"S = {plan.s:,} statistics on touched objects: {plan.describe(plan.touched)}")
    say(f"K = {plan.k:,} statistics on idle objects: {plan.describe(plan.idle)}")
    t0 = _first_time(files.events)
    path = files.events
    n_events = spec.events

    read = Series("(0) read lines", n_events)
    decode = Series("(a) decode", n_events)
    bare = Series("(a') engine, no stats", n_events)
    base = Series("(b) engine, S stats", n_events)
    loaded = Series("(c) engine, S+K stats", n_events)
    opens: dict[str, list[float]] = {"S": [], "K": []}
    last: dict[str, list[Any]] = {}
    read_us = 0.0
    gc_mode, batch = args.gc, args.batch
    collecting = (
        f"changed statistics taken every {batch} events" if batch > 0 else "no change collection"
    )
    say(
        f"measuring: {args.repeat} x (read, decode, a', b, c), interleaved; gc {gc_mode}; "
        f"{collecting}"
    )
    for r in range(args.repeat):
        for series, fn in ((read, _read_only), (decode, _decode_only)):
            n = _measure(series, lambda fn=fn: fn(path))
            if n != n_events:
                msg = f"{path}: {n} lines, expected {n_events}"
                raise SystemExit(msg)
        runs: tuple[tuple[Series, Plan | None, bool], ...] = (
            (bare, None, False),
            (base, plan, False),
            (loaded, plan, True),
        )
        for series, with_plan, idle in runs:
            prepared = _prepare(config, with_plan, t0, idle=idle, collect=batch > 0)
            if with_plan is not None:
                opens["S"].append(prepared.open_seconds[0])
            if idle:
                opens["K"].append(prepared.open_seconds[1])
            _measure(series, lambda p=prepared: _ingest(p.engine, path, batch), gc_mode)
            _check(series.name, prepared)
            if r == args.repeat - 1 and with_plan is not None:
                end = prepared.engine.tenants[TENANT].ts
                values, seconds = _values(prepared.engine, prepared.touched, end)
                last[series.name] = values
                read_us = 1e6 * seconds / max(1, len(values))
            del prepared
        say(
            f"  run {r + 1}: read {read.seconds[-1]:.2f} s, decode {decode.seconds[-1]:.2f} s, "
            f"a' {bare.seconds[-1]:.2f} s, b {base.seconds[-1]:.2f} s, "
            f"c {loaded.seconds[-1]:.2f} s"
        )
    if last[base.name] != last[loaded.name]:
        msg = "the S statistics have different values with the idle statistics open"
        raise SystemExit(msg)
    sample = min(n_events, args.touch_sample)
    touched_per_event = _touched_per_event(config, plan, t0, path, sample)
    memory = _memory(config, plan, t0) if args.memory else {}
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    say()
    say(
        f"{'':24}{'best ev/s':>12}{'median ev/s':>13}{'spread':>8}{'us/event':>10}{'cpu us/ev':>11}"
    )
    for s in (read, decode, bare, base, loaded):
        say(
            f"{s.name:24}{s.best:>12,.0f}{s.median:>13,.0f}{s.spread:>8.1%}"
            f"{s.us_per_event:>10.2f}{s.cpu_us_per_event:>11.2f}"
        )
    ratio_b = base.best / decode.best
    ratio_cb = loaded.best / base.best
    ratio_cb_median = loaded.median / base.median
    ratio_cb_cpu = base.cpu_us_per_event / loaded.cpu_us_per_event
    on_decode = base.us_per_event - decode.us_per_event
    for_stats = base.us_per_event - bare.us_per_event
    say()
    say(
        f"engine / decode: {ratio_b:.3f} -- the engine with S statistics ingests at "
        f"{ratio_b:.1%} of the decode rate ({on_decode:.1f} us per event on top of decoding: "
        f"{bare.us_per_event - decode.us_per_event:.1f} us of state and statuses, "
        f"{for_stats:.1f} us of statistics)"
    )
    say(
        f"statistics touched: {touched_per_event:.1f} of the {plan.s:,} per event on average "
        f"(first {sample:,} events), {for_stats / max(touched_per_event, 1e-9):.2f} us each"
    )
    say(
        f"(c) / (b): {ratio_cb:.3f} best, {ratio_cb_median:.3f} median, {ratio_cb_cpu:.3f} in "
        f"CPU time -- with {plan.k:,} idle statistics open next to the {plan.s:,} touched ones "
        f"({plan.k / max(1, plan.s):.1f} x)"
    )
    s_open = min(opens["S"])
    k_open = min(opens["K"])
    say(
        f"opening: S in {s_open:.2f} s ({plan.s / max(s_open, 1e-9):,.0f}/s), "
        f"K in {k_open:.2f} s ({plan.k / max(k_open, 1e-9):,.0f}/s); reading the S values "
        f"after the run: {read_us:.1f} us per value"
    )
    if memory:
        say(
            f"memory (tracemalloc): {memory['bytes_per_touched_statistic']:,.0f} bytes per "
            f"touched statistic, {memory['bytes_per_idle_statistic']:,.0f} per idle statistic "
            f"(at opening); object state {memory['state_bytes'] / 1e6:.1f} MB"
        )
    say(f"peak RSS of this process: {peak_rss_mb:,.0f} MB")
    say(
        "checks: no event rejected, no warning, no idle statistic touched, S values identical "
        "in (b) and (c)"
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
        "statistics": {"S": plan.s, "K": plan.k},
        "read": read.as_dict(),
        "decode": decode.as_dict(),
        "engine_no_stats": bare.as_dict(),
        "engine_S": base.as_dict(),
        "engine_S_K": loaded.as_dict(),
        "ratio_engine_decode": round(ratio_b, 4),
        "ratio_c_b_best": round(ratio_cb, 4),
        "ratio_c_b_median": round(ratio_cb_median, 4),
        "ratio_c_b_cpu": round(ratio_cb_cpu, 4),
        "touched_per_event": round(touched_per_event, 2),
        "open_seconds": {"S": round(s_open, 3), "K": round(k_open, 3)},
        "read_us_per_value": round(read_us, 2),
        "memory": memory,
        "peak_rss_mb": round(peak_rss_mb),
        "gc": gc_mode,
        "batch": batch,
    }
    if args.profile:
        say()
        say(f"cProfile of one (b) ingest, top {args.profile} (profiling slows it down ~2x):")
        say(_profile(config, plan, t0, path, args.profile, batch))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        say(f"results written to {args.json}")
    return result


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench.engine_ingest",
        description="Engine ingest rate with many open statistics, next to the decode floor.",
    )
    add_spec_arguments(p)
    p.add_argument(
        "--stats-per-agent",
        type=int,
        default=8,
        help=f"statistics per working agent (first N of the agent mix; up to "
        f"{len(variants(AGENT_MIX))})",
    )
    p.add_argument(
        "--idle-factor", type=float, default=10.0, help="K = idle-factor x S idle statistics"
    )
    p.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    p.add_argument("--cache-dir", default=str(DEFAULT_CACHE), help="where generated files go")
    p.add_argument("--regenerate", action="store_true", help="do not reuse generated files")
    p.add_argument(
        "--gc",
        choices=("on", "off", "freeze"),
        default="on",
        help="garbage collector during ingest: on (default, as a server runs), off, or "
        "freeze (gc.freeze() after opening the statistics)",
    )
    p.add_argument(
        "--batch",
        type=int,
        default=100,
        help="take the changed statistics every N events, as the server does after each batch "
        "(0: the engine does not collect changes)",
    )
    p.add_argument(
        "--touch-sample",
        type=int,
        default=20_000,
        help="events over which the statistics touched per event are counted",
    )
    p.add_argument(
        "--no-memory", dest="memory", action="store_false", help="skip the tracemalloc pass"
    )
    p.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile top N")
    p.add_argument("--json", help="write the results to this JSON file")
    return p


def main(argv: list[str] | None = None, out: Any = None) -> int:
    args = parser().parse_args(argv)
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    run(args, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
