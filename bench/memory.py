"""Memory benchmark: bytes per open statistic beyond the process baseline, and where they go.

At the full size (10,000 agents, 500 agent groups, 200 queues, 1,000,000 statistics of the
mix of ``bench/mix.py``) it measures, each on an engine of its own:

1. **RSS** (``/proc/self/statm``, after ``gc.collect()``): the baseline is the process with
   the configuration loaded and the engine's object state built (every agent, place, DN and
   group), before any statistic is opened; then after opening the statistics, and after
   ``--events`` events of traffic (sliding windows fill their buckets, tracks hold items).
   Bytes per statistic = (RSS - baseline) / statistics.
2. **By object kind** (``gc.get_objects()`` before and after opening, grouped by type,
   ``sys.getsizeof`` each): how many objects of each type one statistic costs and their
   bytes.  Objects the collector does not track (strings, numbers, dicts of atoms) are not
   in this table; the next one has them.
3. **By allocation site** (``tracemalloc``, one frame, snapshots grouped by file and line):
   all the memory allocated while opening the statistics and then during the traffic,
   by source line, with the line's code.

The benchmark's own list of the statistics (8 bytes each) is counted in every figure and
noted.  The target of issue 6 is at most 300 bytes per open statistic.

Usage::

    python -m bench.memory                   # full size (~4 minutes)
    python -m bench.memory --scale 0.1       # 100,000 statistics
    python -m bench.memory --smoke           # tiny (CI)
"""

from __future__ import annotations

import argparse
import gc
import linecache
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import (
    DEFAULT_CACHE,
    add_size_arguments,
    build,
    machine,
    machine_line,
    parse_with_size,
    printer,
    rss_mb,
    write_json,
)
from bench.generate import TENANT, generate
from bench.mix import full_plan
from statserver.core.engine import Engine
from statserver.events import decode_event, parse_time

__all__ = ["main", "run"]

TARGET = 300  # bytes per open statistic (issue 6)


def _types() -> Counter[str]:
    """Bytes of the objects the garbage collector tracks, by type; and counts (``#type``)."""
    out: Counter[str] = Counter()
    for obj in gc.get_objects():
        name = type(obj).__qualname__
        out[name] += sys.getsizeof(obj)
        out["#" + name] += 1
    return out


def _engine(config: Any, t0: float) -> Engine:
    engine = Engine(config.directory, config.catalog, config.engine_options, watch_all=True)
    tenant = engine.tenants[TENANT]
    tenant.begin(t0)
    tenant.settle()
    return engine


def _feed(engine: Engine, path: Path, events: int) -> int:
    n = 0
    with path.open("rb") as f:
        for line in f:
            if n >= events:
                break
            engine.feed(decode_event(line))
            n += 1
            if n % 100 == 0:
                engine.take_changes()
    engine.take_changes()
    return n


def _site(stat: tracemalloc.StatisticDiff) -> str:
    frame = stat.traceback[0]
    path = frame.filename
    for marker in ("/statserver/", "/bench/"):
        if marker in path:
            path = path[path.index(marker) + 1 :]
            break
    else:
        path = Path(path).name
    code = linecache.getline(frame.filename, frame.lineno).strip()
    return f"{path}:{frame.lineno}  {code[:70]}"


def _kind(site: str) -> str:
    """A coarse object kind from the allocation site's file."""
    for needle, kind in (
        ("stats/statistic.py", "statistics (Statistic, StatisticKey)"),
        ("stats/windows.py", "windows and accumulators"),
        ("stats/track.py", "tracks (shared per object/mask/filter)"),
        ("core/opening.py", "opening (keys, definitions, listeners)"),
        ("core/feeds.py", "feed nodes"),
        ("core/engine.py", "engine pool index"),
        ("stats/", "other stats code"),
        ("core/", "engine object state"),
        ("bench/", "the benchmark's own lists"),
    ):
        if needle in site:
            return kind
    return "other (interpreter, library)"


def run(args: argparse.Namespace, out: Any = None) -> dict[str, Any]:
    say = printer(out)
    size = args.size
    mach = machine()
    say("Stat Server -- memory per open statistic")
    say(machine_line(mach))
    spec, center, config = build(size, events=args.events)
    files = generate(spec, Path(args.cache_dir) / spec.cache_key(), reuse=True)
    with files.events.open("rb") as f:
        t0 = parse_time(decode_event(f.readline()).time)
    plan = full_plan(center, size.statistics)
    n = plan.total
    say(f"center: {size.describe()}; the mix: {plan.describe()}")

    # 1. RSS
    gc.collect()
    rss0 = rss_mb()
    engine = _engine(config, t0)
    gc.collect()
    rss_base = rss_mb()
    t = time.perf_counter()
    stats = [engine.open(r, at=t0) for r in plan.requests()]
    open_seconds = time.perf_counter() - t
    gc.collect()
    rss_open = rss_mb()
    t = time.perf_counter()
    fed = _feed(engine, files.events, args.events)
    feed_seconds = time.perf_counter() - t
    gc.collect()
    rss_traffic = rss_mb()
    per_open = (rss_open - rss_base) * 1e6 / n
    per_traffic = (rss_traffic - rss_base) * 1e6 / n
    say(
        f"RSS: {rss0:,.0f} MB with the configuration, {rss_base:,.0f} MB with the engine's "
        f"object state (the baseline), {rss_open:,.0f} MB with {n:,} statistics open "
        f"({open_seconds:.1f} s), {rss_traffic:,.0f} MB after {fed:,} events "
        f"({feed_seconds:.1f} s)"
    )
    say(
        f"RSS per open statistic beyond the baseline: {per_open:,.0f} bytes at opening, "
        f"{per_traffic:,.0f} bytes after the traffic (target {TARGET}: "
        f"{'met' if per_traffic <= TARGET else 'NOT met'}, {per_traffic / TARGET:.1f} x)"
    )
    del stats, engine
    gc.collect()

    # 2. by object kind (types tracked by the garbage collector)
    engine = _engine(config, t0)
    gc.collect()
    before = _types()
    stats = [engine.open(r, at=t0) for r in plan.requests()]
    gc.collect()
    after = _types()
    diff = {k: after[k] - before.get(k, 0) for k in after}
    rows = sorted(
        ((k, diff[k], diff.get("#" + k, 0)) for k in diff if not k.startswith("#")),
        key=lambda r: -r[1],
    )
    tracked = sum(b for _, b, _ in rows if b > 0)
    say()
    say(f"by object type (gc-tracked objects created by opening; {tracked / n:,.0f} B/stat):")
    say(f"  {'type':34}{'objects/stat':>13}{'bytes/stat':>12}{'bytes each':>12}")
    types_table = []
    for name, b, count in rows[: args.top]:
        if b <= 0:
            break
        types_table.append({"type": name, "objects_per_stat": count / n, "bytes_per_stat": b / n})
        say(f"  {name:34}{count / n:>13.2f}{b / n:>12.1f}{b / max(1, count):>12.0f}")
    del stats, engine, before, after
    gc.collect()

    # 3. by allocation site (tracemalloc)
    engine = _engine(config, t0)
    gc.collect()
    tracemalloc.start(1)
    snap0 = tracemalloc.take_snapshot()
    m0 = tracemalloc.get_traced_memory()[0]
    stats = [engine.open(r, at=t0) for r in plan.requests()]
    gc.collect()
    m1 = tracemalloc.get_traced_memory()[0]
    snap1 = tracemalloc.take_snapshot()
    events = min(args.events, args.traced_events)
    _feed(engine, files.events, events)
    gc.collect()
    m2 = tracemalloc.get_traced_memory()[0]
    snap2 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    filters = [tracemalloc.Filter(False, tracemalloc.__file__)]
    opened = snap1.filter_traces(filters).compare_to(snap0.filter_traces(filters), "lineno")
    traffic = snap2.filter_traces(filters).compare_to(snap1.filter_traces(filters), "lineno")
    say()
    say(
        f"tracemalloc: {(m1 - m0) / n:,.0f} bytes per statistic allocated by opening, "
        f"{(m2 - m1) / n:,.0f} more per statistic during {events:,} events "
        f"({(m2 - m0) / n:,.0f} in all)"
    )
    kinds: Counter[str] = Counter()
    sites = []
    for label, table in (("opening", opened), ("traffic", traffic)):
        say(f"  top allocation sites, {label} (bytes per statistic):")
        for st in table[: args.top]:
            if st.size_diff <= 0:
                continue
            site = _site(st)
            sites.append({"phase": label, "site": site, "bytes_per_stat": st.size_diff / n})
            say(f"    {st.size_diff / n:>8.1f}  {st.count_diff / n:>6.2f} blocks  {site}")
        for st in table:
            kinds[_kind(_site(st))] += st.size_diff
    say("  by kind (file of the allocation site), opening + traffic, bytes per statistic:")
    for kind, b in kinds.most_common():
        if abs(b) / n >= 0.5:
            say(f"    {b / n:>8.1f}  {kind}")
    say("  (the benchmark's list of the statistics: 8 bytes per statistic, counted above)")
    say(f"load average now: {machine()['load_average']}")
    result = {
        "machine": mach,
        "statistics": n,
        "events": fed,
        "rss_mb": {
            "config": round(rss0, 1),
            "baseline": round(rss_base, 1),
            "open": round(rss_open, 1),
            "traffic": round(rss_traffic, 1),
        },
        "rss_bytes_per_stat_open": round(per_open, 1),
        "rss_bytes_per_stat_traffic": round(per_traffic, 1),
        "tracemalloc_bytes_per_stat_open": round((m1 - m0) / n, 1),
        "tracemalloc_bytes_per_stat_traffic": round((m2 - m1) / n, 1),
        "types": types_table,
        "sites": sites,
        "kinds": {k: round(v / n, 1) for k, v in kinds.most_common()},
        "open_seconds": round(open_seconds, 2),
    }
    del stats, engine
    return result


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n")[0])
    add_size_arguments(p)
    p.add_argument("--traced-events", type=int, default=20_000, help="traffic under tracemalloc")
    p.add_argument("--top", type=int, default=15, help="rows of each table")
    p.add_argument("--cache-dir", default=str(DEFAULT_CACHE))
    p.add_argument("--json", help="write the results to this JSON file")
    return p


def main(argv: Sequence[str] | None = None, out: Any = None) -> int:
    args = parse_with_size(parser(), argv)
    args.events = args.size.events
    result = run(args, out)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
