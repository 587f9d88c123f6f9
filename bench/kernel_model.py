"""A native kernel for tracks and windows, modelled: what their work in the ingest costs in C.

bench/README.md ("What limits each target") names a native kernel with columnar state as
the design change that would lift the ingest and memory targets.  This benchmark measures
that claim instead of estimating it, for the part of the statistics that every event
reaches: the tracks (``core/stats/track.py``: the open segments of each, the fan-out to
windows) and the windows (``core/stats/windows.py``: Growing and Sliding accumulators).

1. The engine of ``bench.engine_ingest`` opens the statistics of the mix, every one watched
   for changes, and is fed the event file (interpreted build: the tracks' and the windows'
   methods are wrapped), taking the changed statistics every 100 events.  Every call the
   feeds make to a track (start, join, end, leave, instant, update, flush; with what the
   track's media list and filter said of the item) and every call a track makes to a
   window is written to a trace.
2. The tracks' and windows' state before the first event, both traces, every window's
   totals and every track's open segments at the end, and how many changed statistics the
   engine gave, are written as arrays of 64-bit integers.
3. ``bench/kernel_model.c``, built with the system's C compiler, holds the same state in
   C: windows as structs in one array, a Sliding window's past steps in a second (32-bit
   counters), range counters in a third, tracks in a fourth, every track's open segments in
   one hash table, the changed tracks in a list turned into the changed statistics every
   100 events.  It replays the window calls alone (mode ``windows``), then the track calls
   (mode ``tracks``: tracks and windows), and checks every window's totals, every track's
   open segments and the number of changed statistics against the Python engine's: the run
   fails if one differs.  Each mode runs with the windows in the order of their tracks (as
   a kernel would allocate them) and in a random order (the worst case for the CPU
   caches), and reports its time per call, per event, and its bytes per statistic.
4. With ``--compare PYTHON`` (default: the compiled build in ``.venv-compiled``, when it is
   there), ``bench.engine_ingest`` runs once with it on the same center, file and
   statistics, and the model is set beside the compiled engine's time per event for the
   statistics ((b) - (a')): the ingest rate the engine would have with tracks and windows
   as fast as the model is printed against the target.

What it leaves out: the state machine (it stays in Python in this comparison), the feeds'
nodes that pick the tracks of an item's name, the evaluation of filters (the trace gives
their results), the call from Python into such a kernel, and the statistics' own records.
Only what the mix uses is modelled (no AverageOfCurrentTime integral, no custom
extractors, Growing profiles resetting every N minutes in UTC); anything else is refused.

    .venv/bin/python -m bench.kernel_model                # full size (~5 min)
    .venv/bin/python -m bench.kernel_model --smoke        # seconds
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

from bench.common import machine, machine_line, printer, write_json
from bench.engine_ingest import (
    _first_time,
    _prepare,
    plan_statistics,
    resolve_size,
    spec_from_args,
)
from bench.engine_ingest import parser as ingest_parser
from bench.generate import build_center, generate, load_center
from statserver.core.portable import COMPILED
from statserver.core.stats import windows as W
from statserver.core.stats.track import Track
from statserver.events import decode_event

__all__ = ["main", "run"]

SOURCE = Path(__file__).with_name("kernel_model.c")

OP_START, OP_END_DONE, OP_END_LEFT, OP_INSTANT = 0, 1, 2, 3
KIND_GROWING, KIND_SLIDING = 0, 1
T_START, T_JOIN, T_END, T_LEAVE, T_INSTANT, T_UPDATE, T_FLUSH, T_EVENT = 0, 1, 2, 3, 4, 5, 6, 15
F_MEDIA, F_PASSES, F_REASONS = 1, 2, 4
NONE = -(1 << 63)  # None in a track's busy_since / end_pending
#: Totals fields compared, in the order of the C program's ``Totals``
TOTALS = (
    "entries",
    "carry",
    "done",
    "ptime",
    "ctime",
    "atime",
    "max_d",
    "min_d",
    "max_n",
    "min_n",
    "elapsed",
)


class Unmodelled(SystemExit):
    """Something the C model does not cover (the mix changed?): the run stops, naming it."""


def _profile_row(window: W.Window) -> tuple[int, int, int]:
    """(kind, a, b) of the window's profile for the C program (see ``Profile`` there)."""
    if type(window) is W.SlidingWindow:
        p = window.profile
        return (KIND_SLIDING, p.step, p.window)
    if type(window) is W.GrowingWindow:
        p = window.profile
        minutes = p.minutes
        if not minutes:
            return (KIND_GROWING, 0, 0)
        gap = minutes[1] - minutes[0] if len(minutes) > 1 else 1440
        regular = minutes == tuple(range(0, 1440, gap)) and 1440 % gap == 0
        if regular and p.zone in ("UTC", ""):  # no repeated local times in UTC
            return (KIND_GROWING, gap * 60, 0)
        msg = f"Growing profile {p.name!r} does not reset at a fixed period in UTC: not modelled"
        raise Unmodelled(msg)
    msg = f"{type(window).__name__}: not modelled (Growing and Sliding windows only)"
    raise Unmodelled(msg)


def _tracks_and_windows(statistics: list[Any]) -> tuple[list[Track], list[W.Window]]:
    """Every track the statistics read, and every window of those tracks, a track's windows
    together (the order a kernel that allocates a track's windows side by side would
    have)."""
    tracks: dict[int, Track] = {}
    for stat in statistics:
        for track in stat.attached[0::2]:  # (track, subject, track, subject, ...)
            tracks.setdefault(id(track), track)
    found: list[W.Window] = []
    seen: set[int] = set()
    for track in tracks.values():
        for w in (*track.windows, *track.collapsed):
            if id(w) not in seen:
                seen.add(id(w))
                found.append(w)
    return list(tracks.values()), found


def _none(value: int | None) -> int:
    return NONE if value is None else value


def _track_table(
    tracks: list[Track], index: dict[int, int], stats: dict[int, int]
) -> tuple[array[int], array[int], array[int]]:
    """The rows of tracks.bin (see ``Track`` in kernel_model.c), the window indices and
    the indices of the watched statistics they point into."""
    rows, widx, sidx = array("q"), array("q"), array("q")
    for tr in tracks:
        w_off = len(widx)
        widx.extend(index[id(w)] for w in tr.windows)
        c_off = len(widx)
        widx.extend(index[id(w)] for w in tr.collapsed)
        s_off = len(sidx)
        sidx.extend(stats[id(stat)] for stat in tr.watched)
        rows.extend(
            (
                int(tr.local),
                int(tr.reason_restart),
                int(tr.pending is not None),
                int(tr.sink is not None and bool(tr.watched)),
                w_off,
                len(tr.windows),
                c_off,
                len(tr.collapsed),
                tr.sum_start,
                _none(tr.busy_since),
                tr.busy_seg,
                _none(tr.end_pending),
                tr.last_cur,
                tr.last_seg,
                len(tr.open),
                s_off,
                len(tr.watched),
            )
        )
    return rows, widx, sidx


def _table(windows: list[W.Window]) -> tuple[array[int], int]:
    """table.bin: header, profiles, range bounds sets, then one row per window."""
    rmax = max((len(w.range_bounds) for w in windows), default=0)
    profiles: dict[tuple[int, int, int], int] = {}
    sets: dict[tuple[int, ...], int] = {}
    rows = array("q")
    for w in windows:
        if w.cint_on or w.extractors or w.custom is not None or w.seen is not None:
            msg = "a window with an integral or extractors: not modelled"
            raise Unmodelled(msg)
        prof = profiles.setdefault(_profile_row(w), len(profiles))
        bounds = tuple(b for pair in w.range_bounds for b in pair)
        bounds += (0,) * (2 * rmax - len(bounds))
        sliding = type(w) is W.SlidingWindow
        if sliding and w.ring is not None:  # type: ignore[attr-defined]
            msg = "a Sliding window with past steps before the trace: not modelled"
            raise Unmodelled(msg)
        x1, x2 = (w.k, w.created_k) if sliding else (w.start, w.end)  # type: ignore[attr-defined]
        ranges = list(w.ranges or ())
        rows.extend(
            (
                prof,
                int(w.leave_max),
                len(w.range_bounds),
                sets.setdefault(bounds, len(sets)),
                w.entries,
                w.carry,
                w.done,
                w.ptime,
                w.ctime,
                w.atime,
                w.max_d,
                w.min_d,
                w.max_n,
                w.min_n,
                w.n,
                w.s1,
                w.opened,
                x1,
                x2,
                *ranges,
                *([0] * (2 * rmax - len(ranges))),
            )
        )
    out = array("q", (len(windows), len(profiles), rmax, len(sets)))
    for row in profiles:
        out.extend(row)
    for bounds in sets:
        out.extend(bounds)
    out.extend(rows)
    return out, rmax


def _traced(original: Any, out: array[int], encode: Any) -> Any:
    """``original`` (a method) that first appends ``encode(self, *args)`` to ``out``."""

    def call(obj: Any, *args: Any) -> Any:
        out.extend(encode(obj, *args))
        return original(obj, *args)

    return call


class _Recorder:
    """Wraps the tracks' and the windows' methods so that every call the feeds make to a
    track, and every call a track makes to a window, is appended to a trace."""

    def __init__(self, windows: dict[int, int], tracks: dict[int, int]) -> None:
        self.windows = windows
        self.tracks = tracks
        #: (window << 3 | op, t, a) per window call
        self.trace = array("q")
        #: (track << 4 | op, t, item, flags, start or duration) per track call
        self.track_trace = array("q")
        self.items: dict[int, int] = {}
        self.alive: list[Any] = []  # the items seen, kept so that no id() is reused
        self.saved: list[tuple[type, str, Any]] = []

    def item_index(self, item: Any) -> int:
        found = self.items.get(id(item))
        if found is None:
            found = self.items[id(item)] = len(self.alive)
            self.alive.append(item)
        return found

    def event(self) -> None:
        self.track_trace.extend((T_EVENT, 0, 0, 0, 0))

    def t_end(self) -> int | None:
        """The latest time a window was told of (None: no call)."""
        return max(self.trace[1::3]) if self.trace else None

    def __enter__(self) -> _Recorder:
        def win(w: Any, op: int) -> int:
            return self.windows[id(w)] << 3 | op

        def seg_end(w: Any, seg_start: int, t: int, completed: bool, *_: Any) -> Any:
            return (win(w, OP_END_DONE if completed else OP_END_LEFT), t, seg_start)

        window_calls = {
            "seg_start": lambda w, t, _real: (win(w, OP_START), t, 0),
            "seg_end": seg_end,
            "instant": lambda w, t, duration, _item: (win(w, OP_INSTANT), t, duration),
        }

        def checks(tr: Track, item: Any) -> int:
            """What the track's media list and filter say of the item now: the C model
            takes them as given (a native kernel would evaluate filters on its own)."""
            if not tr.accepts(item):
                return 0
            return F_MEDIA | (F_PASSES if tr._passes(item) else 0)

        def call(op: int, tr: Track, item: Any, t: int, flags: int, x: int) -> Any:
            return (self.tracks[id(tr)] << 4 | op, t, self.item_index(item), flags, x)

        def opening(op: int) -> Any:  # start, join: the item's start opens the segment
            return lambda tr, item, t: call(op, tr, item, t, checks(tr, item), tr._start_of(item))

        def closing(op: int) -> Any:  # end, leave
            return lambda tr, item, t: call(op, tr, item, t, 0, 0)

        def update(tr: Track, item: Any, t: int, reasons_changed: bool) -> Any:
            flags = checks(tr, item) | (F_REASONS if reasons_changed else 0)
            return call(T_UPDATE, tr, item, t, flags, tr._start_of(item))

        track_calls = {
            "start": opening(T_START),
            "join": opening(T_JOIN),
            "end": closing(T_END),
            "leave": closing(T_LEAVE),
            "instant": lambda tr, item, t, d: call(T_INSTANT, tr, item, t, checks(tr, item), d),
            "update": update,
            "flush": lambda tr: (self.tracks[id(tr)] << 4 | T_FLUSH, 0, 0, 0, 0),
        }
        wrapped = [(cls, window_calls, self.trace) for cls in (W._IntervalWindow, W.SlidingWindow)]
        wrapped.append((Track, track_calls, self.track_trace))
        for cls, calls, out in wrapped:
            for name, encode in calls.items():
                original = cls.__dict__[name]
                self.saved.append((cls, name, original))
                setattr(cls, name, _traced(original, out, encode))
        return self

    def __exit__(self, *exc: object) -> None:
        for cls, name, original in reversed(self.saved):
            setattr(cls, name, original)


def _expected(windows: list[W.Window], t_end: int, rmax: int) -> array[int]:
    out = array("q", (t_end,))
    for w in windows:
        tot = w.totals(t_end, None)
        out.extend(getattr(tot, name) for name in TOTALS)
        out.extend(tot.ranges)
        out.extend([0] * (2 * rmax - len(tot.ranges)))
    return out


def _build(work: Path) -> Path:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        msg = "no C compiler (cc or gcc, or $CC): bench.kernel_model builds kernel_model.c"
        raise SystemExit(msg)
    binary = work / "kernel_model"
    subprocess.run([cc, "-O2", "-o", str(binary), str(SOURCE)], check=True)
    return binary


def _same_size(args: argparse.Namespace) -> list[str]:
    """engine_ingest arguments for the center, the file and the statistics of this run."""
    out = []
    for name in (
        "agents",
        "groups",
        "queues",
        "dn_groups",
        "idle_agents",
        "idle_groups",
        "idle_queues",
        "events",
        "seed",
        "start",
        "time_format",
        "load",
        "statistics",
        "stats_per_agent",
        "cache_dir",
    ):
        value = getattr(args, name)
        if value is not None:
            out += [f"--{name.replace('_', '-')}", str(value)]
    return out


def _compiled_engine(python: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """bench.engine_ingest, once, with ``python`` (the compiled build) on the same center,
    file and statistics: its rates without statistics (a') and with them (b)."""
    path = work / "ingest.json"
    argv = [python, "-m", "bench.engine_ingest", *_same_size(args), "--idle-factor", "0"]
    argv += ["--repeat", "1", "--no-memory", "--json", str(path)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        msg = f"bench.engine_ingest with {python} failed: {proc.stderr.strip()[-2000:]}"
        raise SystemExit(msg)
    found: dict[str, Any] = json.loads(path.read_text())
    return found


def _run_c(binary: Path, work: Path, mode: str, layout: str, repeat: int) -> dict[str, Any]:
    proc = subprocess.run(
        [str(binary), str(work), mode, layout, str(repeat)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        msg = f"kernel_model {mode} {layout} failed: {proc.stderr.strip() or proc.stdout}"
        raise SystemExit(msg)
    found: dict[str, Any] = json.loads(proc.stdout)
    return found


def run(args: argparse.Namespace, out: Any = None) -> dict[str, Any]:
    say = printer(out)
    if COMPILED:
        msg = (
            "bench.kernel_model records the trace by wrapping the tracks' and the windows' "
            "methods: run it with the interpreted build (.venv/bin/python); --compare runs "
            "the compiled one"
        )
        raise SystemExit(msg)
    resolve_size(args)
    spec = spec_from_args(args)
    say("Stat Server -- a native kernel for tracks and windows, modelled (bench/kernel_model.c)")
    say(machine_line(machine()))
    files = generate(spec, Path(args.cache_dir) / spec.cache_key(), reuse=not args.regenerate)
    center = build_center(spec)
    config = load_center(spec, center)
    plan = plan_statistics(center, args.stats_per_agent, 0.0, args.statistics)
    t0 = _first_time(files.events)
    started = time.perf_counter()
    # every statistic watched, as bench.engine_ingest does by default: the tracks mark
    # themselves changed
    prepared = _prepare(config, plan, t0, idle=False, batch=100)
    tracks, windows = _tracks_and_windows(prepared.touched)
    w_index = {id(w): i for i, w in enumerate(windows)}
    t_index = {id(tr): i for i, tr in enumerate(tracks)}
    table, rmax = _table(windows)
    s_index = {id(stat): i for i, stat in enumerate(prepared.touched)}
    track_rows, widx, sidx = _track_table(tracks, w_index, s_index)
    opened = time.perf_counter() - started
    s = max(1, plan.s)
    say(
        f"S = {plan.s:,} statistics open in {opened:.0f} s (interpreted): {len(tracks):,} "
        f"tracks ({len(tracks) / s:.2f} per statistic), {len(windows):,} Growing and "
        f"Sliding windows ({len(windows) / s:.2f} per statistic)"
    )
    rec = _Recorder(w_index, t_index)
    # the segments already open (statuses of the objects at the start of the day)
    open0 = array("q")
    for i, tr in enumerate(tracks):
        for item, seg_start, cur_start in tr.entries():
            open0.extend((i, rec.item_index(item), seg_start, cur_start))
    n_events = 0
    started = time.perf_counter()
    taken = 0  # the statistics take_changes gives, every 100 events as the C model does
    with rec, files.events.open("rb") as f:
        feed, take = prepared.engine.feed, prepared.engine.take_changes
        for line in itertools.islice(f, args.events):
            feed(decode_event(line))
            rec.event()
            n_events += 1
            if n_events % 100 == 0:
                taken += len(take())
        taken += len(take())
    recorded = time.perf_counter() - started
    calls = len(rec.trace) // 3
    track_calls = len(rec.track_trace) // 5 - n_events
    t_end = rec.t_end()
    if t_end is None:
        t_end = int(t0)
    say(
        f"trace: {n_events:,} events fed in {recorded:.0f} s; per event "
        f"{track_calls / max(1, n_events):.1f} calls to tracks, "
        f"{calls / max(1, n_events):.1f} calls to windows"
    )
    expected = _expected(windows, t_end, rmax)
    track_expected = array("q")
    for tr in tracks:
        track_expected.extend(
            (len(tr.open), tr.sum_start, _none(tr.busy_since), _none(tr.end_pending))
        )
    header = array(
        "q",
        (len(tracks), len(widx), len(rec.track_trace) // 5, len(open0) // 4, len(sidx), plan.s),
    )
    with tempfile.TemporaryDirectory(prefix="kernel-model-") as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        for name, parts in (
            ("table", (table,)),
            ("trace", (rec.trace,)),
            ("expected", (expected,)),
            ("tracks", (header, track_rows, widx, sidx, open0, rec.track_trace)),
            ("tracks_expected", (track_expected,)),
        ):
            with (work / f"{name}.bin").open("wb") as fh:
                for data in parts:
                    data.tofile(fh)
        del prepared, tracks, windows, w_index, t_index, s_index, rec
        gc.collect()
        binary = _build(work)
        results: dict[str, Any] = {}
        for mode in ("windows", "tracks"):
            for layout in ("track", "shuffled"):
                results[f"{mode}/{layout}"] = _run_c(binary, work, mode, layout, args.repeat)
        for layout in ("track", "shuffled"):
            got = results[f"tracks/{layout}"]["statistics_taken"]
            if got != taken:
                msg = (
                    f"kernel_model tracks {layout}: {got:,} changed statistics taken, "
                    f"the Python engine's take_changes gave {taken:,}"
                )
                raise SystemExit(msg)
        compiled = _compiled_engine(args.compare, args, work) if args.compare else None
    say(
        "checks: every window's totals and every track's open segments at the end of the "
        f"trace, and the {taken:,} changed statistics taken every 100 events, equal the "
        f"Python engine's ({results['tracks/track']['windows']:,} windows, "
        f"{results['tracks/track']['tracks']:,} tracks; both modes, both layouts)"
    )
    say(f"{'C model':<20} {'best s':>8} {'median s':>9} {'ns/call':>8} {'us/event':>9}")
    for name, r in results.items():
        best = r["best_seconds"]
        n_calls = calls if name.startswith("windows") else track_calls
        r["ns_per_call"] = best / max(1, n_calls) * 1e9
        r["us_per_event"] = best / max(1, n_events) * 1e6
        say(
            f"{name:<20} {best:8.3f} {r['median_seconds']:9.3f} {r['ns_per_call']:8.1f} "
            f"{r['us_per_event']:9.2f}"
        )
    kernel = results["tracks/track"]
    per_stat = kernel["state_bytes"] / s
    at_opening = kernel["opening_bytes"] / s
    say(
        f"C state: {at_opening:,.0f} B per statistic before the first event, {per_stat:,.0f} B "
        f"after the trace ({kernel['state_bytes'] / 1e6:,.1f} MB: {kernel['window_bytes']} B "
        f"per window, {kernel['track_bytes']} B per track, {kernel['rings']:,} Sliding rings of "
        f"{kernel['slot_bytes']} B per step, the open segments' table at its size for "
        f"{kernel['open_segments']:,} segments open); tracks and windows only, not the "
        "statistics' own records or their index"
    )
    result: dict[str, Any] = {
        "statistics": plan.s,
        "events": n_events,
        "window_calls": calls,
        "track_calls": track_calls,
        "calls_per_event": calls / max(1, n_events),
        "track_calls_per_event": track_calls / max(1, n_events),
        "layouts": results,
        "c_bytes_per_statistic": per_stat,
        "c_bytes_per_statistic_at_opening": at_opening,
    }
    if compiled is not None:
        bare = compiled["engine_no_stats"]["us_per_event_best"]
        full = compiled["engine_S"]["us_per_event_best"]
        decode = compiled["decode"]["us_per_event_best"]
        native = kernel["us_per_event"]
        stats_us = full - bare
        with_native = bare + native
        say(
            f"compiled engine, same center and file ({args.compare}): {full:.1f} us per event "
            f"with the statistics, {bare:.1f} without (decoding {decode:.1f}): the statistics "
            f"{stats_us:.1f} us per event, {stats_us / native:.0f}x the C model's "
            f"{native:.1f} us for tracks and windows"
        )
        say(
            f"  with tracks and windows as fast as the model, the ingest would be at most "
            f"{1e6 / with_native:,.0f} events/s ({with_native:.1f} us per event: the state "
            f"machine and decoding {bare:.1f} us, i.e. {1e6 / bare:,.0f} events/s, are left); "
            "target 50,000"
        )
        result["compiled"] = {
            "python": args.compare,
            "us_per_event_with_statistics": full,
            "us_per_event_without": bare,
            "statistics_us_per_event": stats_us,
            "native_us_per_event": native,
            "bound_events_per_second": 1e6 / with_native,
        }
    if args.json:
        write_json(args.json, result)
    return result


def parser() -> argparse.ArgumentParser:
    p = ingest_parser()
    p.description = __doc__.split("\n\n")[0] if __doc__ else None
    p.set_defaults(repeat=None)
    default = Path(".venv-compiled/bin/python")
    p.add_argument(
        "--compare",
        metavar="PYTHON",
        default=str(default) if default.exists() else None,
        help="after the C runs, run bench.engine_ingest once with this Python (the compiled "
        "build; default .venv-compiled/bin/python when it exists) on the same center, file "
        "and statistics, and set the C model beside its statistics' time per event",
    )
    p.add_argument("--no-compare", dest="compare", action="store_const", const=None)
    p.add_argument(
        "--keep",
        metavar="DIR",
        help="write the table, the trace, the expected totals and the C program's build to "
        "DIR and keep them (the C replay again: DIR/kernel_model DIR tracks|windows "
        "track|shuffled REPEAT)",
    )
    return p


def main(argv: list[str] | None = None, out: Any = None) -> int:
    args = parser().parse_args(argv)
    if args.repeat is None:
        args.repeat = 5
    run(args, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
