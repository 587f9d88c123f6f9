"""Interval accumulators: what a historical statistic remembers between two resets.

A *window* receives the segments of one track (an item, or the part of it during which a
filter held) as they start and end, and instantaneous actions as they happen, and answers
with :class:`Totals` for any time.  Everything is exact integer arithmetic in whole seconds.

Per accumulator (one interval of a Growing profile, one step of a Sliding profile):

``entries``   segments that started in the interval; ``carry`` those already open at its start
``done``      segments completed (and instantaneous actions) in the interval
``ptime``     projected time: the part of every segment inside the interval, counted while it
              lasts (the Genesys rule for statuses)
``ctime``     completion time: durations credited when a segment completes, clipped to the
              interval start (the Genesys rule for actions); retrospective durations whole
``atime``     adjusted time: whole durations credited at completion (TotalAdjustedTime)
``max_d``/``min_d``  longest / shortest completed duration (clipped like ``ctime``)
``max_n``/``min_n``  highest / lowest number of open segments during the interval
``ranges``    per time range ``[count, time]`` of completed durations inside it
``custom``    per extractor ``[count, sum, min, max]`` of the values taken at completion
``cint``      integral of CurrentTime over the interval (for AverageOfCurrentTime)

Open segments are summarised by their count ``n`` and the sum ``S`` of their *effective*
starts (``max(start, accumulator start)``), so rolling an interval is O(1) whatever the
number of open segments: the closing accumulator gets ``n*R - S`` and every effective start
becomes ``R``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypeVar

from mypy_extensions import mypyc_attr

from statserver.core.native_init import install_inits
from statserver.core.portable import Portable
from statserver.core.stats.profiles import GrowingProfile, SelectionProfile, SlidingProfile

__all__ = [
    "DEFAULT_SPEC",
    "Acc",
    "Extractor",
    "GrowingWindow",
    "SelectionWindow",
    "SinceLoginWindow",
    "SlidingWindow",
    "StepAcc",
    "Totals",
    "Window",
    "WindowSpec",
]

#: An extractor gives the value an item contributes at completion (None: no value).
Extractor = Callable[[Any, int], float | None]

_INF: Final = float("inf")


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class WindowSpec:
    """What a window keeps besides counts and times (see the module docstring)."""

    ranges: tuple[tuple[int, int], ...] = ()
    extractors: tuple[Extractor, ...] = ()
    distinct_custom: bool = False
    current_time_integral: bool = False
    #: status subjects: a segment that leaves without completing (membership change) keeps
    #: the time it lasted inside the interval in the longest duration
    leave_max: bool = False


#: the spec of a window with no ranges, extractors or integral
DEFAULT_SPEC: Final = WindowSpec()


class Acc(Portable):
    __slots__ = (
        "atime",
        "carry",
        "cint",
        "ctime",
        "custom",
        "done",
        "entries",
        "max_d",
        "max_n",
        "min_d",
        "min_n",
        "ptime",
        "ranges",
        "seen",
    )

    entries: int
    carry: int
    done: int
    ptime: int
    ctime: int
    atime: int
    cint: int
    max_d: int
    min_d: int
    max_n: int
    min_n: int

    def __init__(self, n_open: int, n_ranges: int, n_custom: int) -> None:
        self._zero(n_open)
        self.ranges: list[int] | None = [0] * (2 * n_ranges) if n_ranges else None
        self.custom: list[float] | None = [0.0, 0.0, _INF, -_INF] * n_custom if n_custom else None
        self.seen: set[str] | None = None

    # A snapshot holds an accumulator or a window as one tuple of its fields, in the order
    # below, for the interpreted and the compiled build alike: pickle then builds no
    # dictionary per object and sets no attribute by name (a million statistics hold
    # millions of them; see docs/operations.md, "Backups").  Changing the fields or their
    # order changes the backup format (``FORMAT`` in service/snapshot.py);
    # tests/core/test_portable.py checks that every field is in the tuple.
    # Each subclass appends its own fields to its base's tuple, calling the base by name
    # (``super()`` would make an object per call: ~15 % slower to load, interpreted).
    def __getstate__(self) -> Any:
        return (
            self.entries,
            self.carry,
            self.done,
            self.ptime,
            self.ctime,
            self.atime,
            self.cint,
            self.max_d,
            self.min_d,
            self.max_n,
            self.min_n,
            self.ranges,
            self.custom,
            self.seen,
        )

    def __setstate__(self, s: Any) -> None:
        self.entries = s[0]
        self.carry = s[1]
        self.done = s[2]
        self.ptime = s[3]
        self.ctime = s[4]
        self.atime = s[5]
        self.cint = s[6]
        self.max_d = s[7]
        self.min_d = s[8]
        self.max_n = s[9]
        self.min_n = s[10]
        self.ranges = s[11]
        self.custom = s[12]
        self.seen = s[13]

    def _zero(self, n_open: int) -> None:
        """The counters of an interval that starts with ``n_open`` segments open."""
        self.entries = 0
        self.carry = n_open
        self.done = 0
        self.ptime = 0
        self.ctime = 0
        self.atime = 0
        self.cint = 0
        self.max_d = -1
        self.min_d = -1
        self.max_n = n_open
        self.min_n = n_open

    def _assign(self, src: Acc) -> None:
        """Take the counters of ``src`` (of an accumulator: a window's own fields are not
        taken); its lists and set are copied, into this one's own when it has them of the
        same size."""
        ranges, custom, seen = self.ranges, self.custom, self.seen
        Acc.__setstate__(self, Acc.__getstate__(src))
        self.ranges = _refill(ranges, src.ranges)
        self.custom = _refill(custom, src.custom)
        if src.seen is None:
            self.seen = None
        elif seen is None:
            self.seen = set(src.seen)
        else:
            seen.clear()
            seen.update(src.seen)
            self.seen = seen

    def _own_lists(self) -> None:
        """Lists and a set of its own instead of those it shares with the object its state
        was copied from (a window rolled for a read resets them in place)."""
        if self.ranges is not None:
            self.ranges = list(self.ranges)
        if self.custom is not None:
            self.custom = list(self.custom)
        if self.seen is not None:
            self.seen = set(self.seen)

    def _is_empty(self) -> bool:
        """Nothing was open at any time and nothing happened: it reads as ``None`` in a
        Sliding ring (no segment open at the start or after any event, none started, none
        completed, no instantaneous action, no partial duration kept)."""
        return (
            self.carry == 0
            and self.max_n == 0
            and self.entries == 0
            and self.done == 0
            and self.max_d < 0
        )

    def reset(self, n_open: int) -> None:
        """Empty it for a new interval with ``n_open`` segments open, as ``__init__`` does,
        keeping its lists (a window resets its own counters when its interval or step
        ends)."""
        self._zero(n_open)
        if self.ranges is not None:
            self.ranges[:] = [0] * len(self.ranges)
        if self.custom is not None:
            self.custom[:] = [0.0, 0.0, _INF, -_INF] * (len(self.custom) // 4)
        if self.seen is not None:
            self.seen.clear()


_T = TypeVar("_T", int, float)


def _refill(mine: list[_T] | None, theirs: list[_T] | None) -> list[_T] | None:
    """A copy of ``theirs``: ``mine`` refilled when it has the same size (no allocation)."""
    if theirs is None:
        return None
    if mine is None or len(mine) != len(theirs):
        return list(theirs)
    mine[:] = theirs
    return mine


class StepAcc(Acc):
    """A past step of one Sliding window, held by no other step and no other window: when
    the step in progress ends, the window copies its counters into the ``StepAcc`` of the
    step that drops out of the ring instead of allocating one.  Fillers and the empty step
    are plain :class:`Acc`, shared and never modified, and a copy made for a read writes
    into accumulators of its own: the class is the mark, so it costs no memory and survives
    a restore."""

    __slots__ = ()


#: a step during which nothing was open and nothing happened (never modified)
_EMPTY_ACC: Final = Acc(0, 0, 0)

#: whole steps of Sliding windows during which ``n`` segments stayed open and nothing else
#: happened, by (n, projected time, ranges, extractors); shared and never modified (only the
#: accumulator of the current step ever changes)
_FILLERS: dict[tuple[int, int, int, int], Acc] = {}


def _filler(n: int, ptime: int, n_ranges: int, n_custom: int) -> Acc:
    key = (n, ptime, n_ranges, n_custom)
    acc = _FILLERS.get(key)
    if acc is None:
        acc = Acc(n, n_ranges, n_custom)
        acc.ptime = ptime
        if len(_FILLERS) < 4096:
            _FILLERS[key] = acc
    return acc


class Totals(Portable):
    """Aggregates of a window at one instant (open segments projected to that instant)."""

    __slots__ = (
        "atime",
        "carry",
        "cint",
        "ctime",
        "custom",
        "done",
        "elapsed",
        "entries",
        "max_d",
        "max_n",
        "min_d",
        "min_n",
        "ptime",
        "ranges",
    )

    def __init__(self) -> None:
        #: segments started in the interval, and those already open when it began
        self.entries = 0
        self.carry = 0
        self.done = 0
        self.ptime = 0
        self.ctime = 0
        self.atime = 0
        self.cint = 0
        self.max_d = -1
        self.min_d = -1
        self.max_n = 0
        self.min_n = 0
        self.elapsed = 0
        self.ranges: list[int] = []
        self.custom: list[float] = []


class Window(Acc):
    """Base of every window.  ``range_bounds`` are half-open ``(lo, hi)`` whole-second ranges.

    A window *is* the accumulator of its interval in progress (Growing, SinceLogin) or of its
    step in progress (Sliding): the counters every event updates are the window's own
    fields, so an event reaches one object per window, not a window and its accumulator
    (at a million statistics the heap is far larger than the CPU caches, and each object
    an event reaches is a likely cache miss).  Selection windows do not use them."""

    __slots__ = (
        "cint_on",
        "cs1",
        "custom_keys",
        "extractors",
        "leave_max",
        "n",
        "opened",
        "q",
        "range_bounds",
        "s1",
        "s2",
        "users",
    )

    #: False for Selection windows: they have no interval length.
    timed: ClassVar[bool] = True

    def __init__(
        self,
        opened: int,
        open_starts: Sequence[int] = (),
        spec: WindowSpec | None = None,
    ) -> None:
        """``open_starts`` are the real starts of the segments already open at ``opened``.

        ``leave_max`` (status subjects): a segment that leaves without completing (membership
        change) keeps the time it lasted inside the interval in the longest duration, as it
        did while in progress; it still does not count as completed."""
        spec = spec or DEFAULT_SPEC
        super().__init__(len(open_starts), len(spec.ranges), len(spec.extractors))
        if spec.distinct_custom:
            self.seen = set()
        #: statistics reading this window (identical windows are shared: ``opening.py``)
        self.users = 1
        ranges = spec.ranges
        extractors = spec.extractors
        distinct_custom = spec.distinct_custom
        current_time_integral = spec.current_time_integral
        leave_max = spec.leave_max
        self.opened = opened
        self.leave_max = leave_max
        self.n = len(open_starts)
        self.range_bounds = tuple(ranges)
        self.extractors = tuple(extractors)
        self.custom_keys = distinct_custom
        #: sum of the effective starts of the open segments
        self.s1 = self.n * opened
        # For AverageOfCurrentTime: sums of real starts r, of r*r, and of (eff - r)**2, so the
        # doubled integral of CurrentTime over an accumulator is kept exactly in integers.
        self.cint_on = current_time_integral
        self.cs1 = sum(open_starts) if current_time_integral else 0
        self.s2 = sum(r * r for r in open_starts) if current_time_integral else 0
        self.q = sum((opened - r) ** 2 for r in open_starts) if current_time_integral else 0

    def __getstate__(self) -> Any:
        """The accumulator's fields, then the window's own (26 in all)."""
        return (
            *Acc.__getstate__(self),
            self.cint_on,
            self.cs1,
            self.custom_keys,
            self.extractors,
            self.leave_max,
            self.n,
            self.opened,
            self.q,
            self.range_bounds,
            self.s1,
            self.s2,
            self.users,
        )

    def __setstate__(self, s: Any) -> None:
        Acc.__setstate__(self, s)
        self.cint_on = s[14]
        self.cs1 = s[15]
        self.custom_keys = s[16]
        self.extractors = s[17]
        self.leave_max = s[18]
        self.n = s[19]
        self.opened = s[20]
        self.q = s[21]
        self.range_bounds = s[22]
        self.s1 = s[23]
        self.s2 = s[24]
        self.users = s[25]

    def _cint_open(self, t: int) -> int:
        """Doubled integral of CurrentTime of the open segments from their effective start."""
        return self.n * t * t - 2 * t * self.cs1 + self.s2 - self.q

    def _cint_enter(self, t: int, real: int) -> None:
        self.cs1 += real
        self.s2 += real * real
        self.q += (t - real) ** 2

    def _cint_leave(self, acc: Acc, eff: int, t: int, real: int) -> None:
        acc.cint += (t - real) ** 2 - (eff - real) ** 2
        self.cs1 -= real
        self.s2 -= real * real
        self.q -= (eff - real) ** 2

    def _cint_roll(self, acc: Acc, boundary: int) -> None:
        whole = self.n * boundary * boundary - 2 * boundary * self.cs1 + self.s2
        acc.cint += whole - self.q
        self.q = whole

    def _copy_into(self, other: Window) -> None:
        """Make ``other`` (of this class) a copy of this window, lists included (a read works
        on a copy: see ``_IntervalWindow._at``)."""
        other.__setstate__(self.__getstate__())
        other._own_lists()

    # -- accumulator helpers ------------------------------------------------------------
    def _complete(self, acc: Acc, clipped: int, whole: int, item: Any) -> None:
        acc.done += 1
        acc.ctime += clipped
        acc.atime += whole
        if clipped > acc.max_d:
            acc.max_d = clipped
        if acc.min_d < 0 or clipped < acc.min_d:
            acc.min_d = clipped
        if acc.ranges is not None:
            for i, (lo, hi) in enumerate(self.range_bounds):
                if lo <= clipped < hi:
                    acc.ranges[2 * i] += 1
                    acc.ranges[2 * i + 1] += clipped
        if acc.custom is not None:
            self._custom(acc, item, whole)

    def _custom(self, acc: Acc, item: Any, duration: int) -> None:
        custom = acc.custom
        assert custom is not None
        if acc.seen is not None:
            key = getattr(getattr(item, "attrs", None), "conn_id", None)
            if key is not None:
                if key in acc.seen:
                    return
                acc.seen.add(key)
        for i, extract in enumerate(self.extractors):
            value = extract(item, duration)
            if value is None:
                continue
            base = 4 * i
            custom[base] += 1
            custom[base + 1] += value
            if value < custom[base + 2]:
                custom[base + 2] = value
            if value > custom[base + 3]:
                custom[base + 3] = value

    @staticmethod
    def _count(acc: Acc, n: int) -> None:
        if n > acc.max_n:
            acc.max_n = n
        if n < acc.min_n:
            acc.min_n = n

    # -- interface (implemented by subclasses) ----------------------------------------------
    def seg_start(self, t: int, real_start: int) -> None:
        raise NotImplementedError

    def seg_end(self, seg_start: int, t: int, completed: bool, item: Any, real_start: int) -> None:
        raise NotImplementedError

    def instant(self, t: int, duration: int, item: Any) -> None:
        raise NotImplementedError

    def totals(self, now: int, oldest: int | None, *, roll: bool = True) -> Totals:
        """Aggregates at ``now``; with ``roll=False`` an interval ending exactly at ``now`` is
        read as complete instead of being reset."""
        raise NotImplementedError

    def advance(self, t: int) -> None:
        """Roll the window forward to time ``t`` (resets, steps)."""

    def interval_start(self, now: int) -> int:
        raise NotImplementedError


def _merge_totals(tot: Totals, acc: Acc, first: bool) -> None:
    tot.entries += acc.entries
    tot.done += acc.done
    tot.ptime += acc.ptime
    tot.ctime += acc.ctime
    tot.atime += acc.atime
    tot.cint += acc.cint
    if acc.max_d > tot.max_d:
        tot.max_d = acc.max_d
    if acc.min_d >= 0 and (tot.min_d < 0 or acc.min_d < tot.min_d):
        tot.min_d = acc.min_d
    if first:
        tot.max_n, tot.min_n = acc.max_n, acc.min_n
    else:
        tot.max_n = max(tot.max_n, acc.max_n)
        tot.min_n = min(tot.min_n, acc.min_n)
    if acc.ranges is not None:
        if not tot.ranges:
            tot.ranges = list(acc.ranges)
        else:
            for i, v in enumerate(acc.ranges):
                tot.ranges[i] += v
    if acc.custom is not None:
        if not tot.custom:
            tot.custom = list(acc.custom)
        else:
            c = tot.custom
            for base in range(0, len(c), 4):
                c[base] += acc.custom[base]
                c[base + 1] += acc.custom[base + 1]
                c[base + 2] = min(c[base + 2], acc.custom[base + 2])
                c[base + 3] = max(c[base + 3], acc.custom[base + 3])


class _IntervalWindow(Window):
    """One accumulator per interval, the window's own counters (Growing, SinceLogin)."""

    __slots__ = ("end", "start")

    def __init__(
        self,
        opened: int,
        open_starts: Sequence[int],
        start: int,
        end: int,
        spec: WindowSpec | None = None,
    ) -> None:
        super().__init__(opened, open_starts, spec)
        self.start = start
        self.end = end

    def __getstate__(self) -> Any:
        return (*Window.__getstate__(self), self.start, self.end)

    def __setstate__(self, state: Any) -> None:
        Window.__setstate__(self, state)
        self.start = state[26]
        self.end = state[27]

    def _roll(self, boundary: int, next_end: int) -> None:
        self.ptime += self.n * boundary - self.s1
        if self.cint_on:
            self._cint_roll(self, boundary)
        self.start = boundary
        self.end = next_end
        self.s1 = self.n * boundary
        # every open segment now starts at the boundary for integral purposes; a read rolls
        # a copy (``_at``), so the counters are the finished interval's only here
        self.reset(self.n)

    # the hot path of every event: ``_count`` is written out in place
    def seg_start(self, t: int, real_start: int) -> None:
        if t >= self.end:
            self.advance(t)
        n = self.n = self.n + 1
        self.s1 += t
        if self.cint_on:
            self._cint_enter(t, real_start)
        self.entries += 1
        if n > self.max_n:
            self.max_n = n

    def seg_end(self, seg_start: int, t: int, completed: bool, item: Any, real_start: int) -> None:
        if t >= self.end:
            self.advance(t)
        start = self.start
        eff = seg_start if seg_start > start else start
        self.ptime += t - eff
        if self.cint_on:
            self._cint_leave(self, eff, t, real_start)
        self.s1 -= eff
        n = self.n = self.n - 1
        if completed:
            opened = self.opened
            self._complete(self, t - eff, t - (seg_start if seg_start > opened else opened), item)
        elif self.leave_max and t - eff > self.max_d:
            self.max_d = t - eff
        if n < self.min_n:
            self.min_n = n

    def instant(self, t: int, duration: int, item: Any) -> None:
        if t >= self.end:
            self.advance(t)
        self._complete(self, duration, duration, item)

    def _at(self, t: int) -> _IntervalWindow:
        """The window as at ``t`` without moving it: a read must not change what later
        events do (one may come with a time before the read's: a live server reads ahead
        of its sources' clocks)."""
        if t < self.end:
            return self
        other = self._clone()
        self._copy_into(other)
        other.advance(t)
        return other

    def _clone(self) -> _IntervalWindow:
        raise NotImplementedError

    def totals(self, now: int, oldest: int | None, *, roll: bool = True) -> Totals:
        w = self._at(now if roll else now - 1)
        tot = Totals()
        _merge_totals(tot, w, True)
        tot.carry = w.carry
        tot.ptime += w.n * now - w.s1
        if w.cint_on:
            tot.cint += w._cint_open(now)
        tot.elapsed = now - w.start
        if oldest is not None and w.n:
            d = now - (oldest if oldest > w.start else w.start)
            if d > tot.max_d:
                tot.max_d = d
        return tot

    def interval_start(self, now: int) -> int:
        return self._at(now).start


class GrowingWindow(_IntervalWindow):
    """A Growing profile: resets at the profile's reset times (none: ever growing)."""

    __slots__ = ("profile",)

    def __init__(
        self,
        profile: GrowingProfile,
        opened: int,
        open_starts: Sequence[int] = (),
        spec: WindowSpec | None = None,
    ) -> None:
        _, end = profile.interval(opened)
        super().__init__(opened, open_starts, opened, end, spec)
        self.profile = profile

    def __getstate__(self) -> Any:
        return (*_IntervalWindow.__getstate__(self), self.profile)

    def __setstate__(self, state: Any) -> None:
        _IntervalWindow.__setstate__(self, state)
        self.profile = state[28]

    def advance(self, t: int) -> None:
        while t >= self.end:
            boundary = self.end
            _, nxt = self.profile.interval(boundary)
            self._roll(boundary, nxt)

    def next_reset(self) -> int:
        return self.end

    def _clone(self) -> GrowingWindow:
        return GrowingWindow(self.profile, self.opened)


class SinceLoginWindow(_IntervalWindow):
    """A SinceLogin profile: the engine calls :meth:`restart` when the agent logs in."""

    __slots__ = ()

    _NEVER: Final = 1 << 62

    def __init__(
        self, opened: int, open_starts: Sequence[int] = (), spec: WindowSpec | None = None
    ) -> None:
        super().__init__(opened, open_starts, opened, self._NEVER, spec)

    def _clone(self) -> SinceLoginWindow:
        return SinceLoginWindow(self.opened)

    def restart(self, t: int) -> None:
        self._roll(t, self._NEVER)


def _fill(ring: list[Acc | None], lo: int, hi: int, value: Acc | None) -> None:
    """``ring[j % len(ring)] = value`` for ``lo <= j < hi`` (at most ``len(ring)`` steps):
    one or two slice assignments instead of a loop over the steps."""
    count = hi - lo
    if count <= 0:
        return
    size = len(ring)
    first = lo % size
    end = first + count
    if end <= size:
        ring[first:end] = [value] * count
    else:
        ring[first:] = [value] * (size - first)
        ring[: end - size] = [value] * (end - size)


class SlidingWindow(Window):
    """A Sliding profile: ``window/step`` full steps plus the step in progress.

    At time ``now`` the window covers ``[step_start(now) - window, now]``: an occurrence stays
    in it for at least ``window`` and less than ``window + step`` seconds.

    The window's own counters are the step in progress, ``k``; ``ring`` holds the
    ``window/step`` steps before it, step ``j`` in slot ``j % len(ring)``: a :class:`StepAcc`
    of the window's own, a shared filler (whole steps with the same segments open and
    nothing else happening) or ``None`` (nothing open, nothing happened).  The ring itself
    is ``None`` until a step that is not empty ends: most windows of a large pool are on
    objects where nothing happened yet, and their rings would be most of their memory
    (``profile.buckets`` slots each; bench/README.md, eleventh session).
    """

    __slots__ = ("created_k", "k", "profile", "ring")

    def __init__(
        self,
        profile: SlidingProfile,
        opened: int,
        open_starts: Sequence[int] = (),
        spec: WindowSpec | None = None,
    ) -> None:
        super().__init__(opened, open_starts, spec)
        self.profile = profile
        self.k = opened // profile.step
        self.created_k = self.k
        self.ring: list[Acc | None] | None = None

    def __getstate__(self) -> Any:
        return (*Window.__getstate__(self), self.created_k, self.k, self.profile, self.ring)

    def __setstate__(self, state: Any) -> None:
        Window.__setstate__(self, state)
        self.created_k = state[26]
        self.k = state[27]
        self.profile = state[28]
        self.ring = state[29]

    def _close_step(self, reuse: bool) -> None:
        """The step in progress is over: keep its counters in its slot of the ring, whose
        step drops out of the window now.  With ``reuse`` they go into the slot's
        :class:`StepAcc` when the window owns it, otherwise (a copy made for a read, whose
        ring shares the window's accumulators) into a new one.  Fewer objects made per
        event means less for the cyclic collector to walk until the next freeze
        (bench/README.md)."""
        ring = self.ring
        if self._is_empty():
            if ring is not None:
                ring[self.k % len(ring)] = None
            return
        if ring is None:
            ring = self.ring = [None] * self.profile.buckets
        i = self.k % len(ring)
        old = ring[i]
        if reuse and isinstance(old, StepAcc):
            old._assign(self)
        else:
            acc = StepAcc(0, 0, 0)
            acc._assign(self)
            ring[i] = acc

    def advance(self, t: int) -> None:
        self._advance(t, True)

    def _advance(self, t: int, reuse: bool) -> None:
        """``advance``; without ``reuse`` for a copy made for a read, whose ring shares its
        accumulators with the window's."""
        kk = t // self.profile.step
        if kk <= self.k:
            return
        step = self.profile.step
        # the ring's length; without a ring, the profile's (read from its fields: the
        # profile's ``buckets`` is a Python property, a call per step otherwise)
        ring = self.ring
        size = len(ring) if ring is not None else self.profile.window // step
        if kk - self.k > size:
            # the step in progress and every step in the ring drop out: start again from the
            # oldest step still needed, ``kk - size``, with the open segments carried; the
            # loop below closes it and writes every other slot
            self.k = kk - size
            boundary = self.k * step
            self.s1 = self.n * boundary
            if self.cint_on:
                self._cint_roll(Acc(0, 0, 0), boundary)
            self.reset(self.n)
        while self.k < kk:
            if self.n == 0:
                # nothing open: the skipped steps stay empty (``None`` reads as an empty
                # step, see ``totals``)
                self._close_step(reuse)
                if self.ring is not None:
                    _fill(self.ring, self.k + 1, kk, None)
                self.k = kk
                self.s1 = 0
                self.reset(0)
                return
            boundary = (self.k + 1) * step
            self.ptime += self.n * boundary - self.s1
            if self.cint_on:
                self._cint_roll(self, boundary)
            self.s1 = self.n * boundary
            self._close_step(reuse)
            self.k += 1
            if self.k < kk and not self.cint_on:
                # whole steps with the same segments open and nothing else happening: one
                # shared accumulator, never modified, stands for all of them
                whole = _filler(self.n, self.n * step, len(self.range_bounds), len(self.extractors))
                ring = self.ring
                if ring is None:
                    ring = self.ring = [None] * size
                _fill(ring, self.k, kk, whole)
                self.k = kk
                self.s1 = self.n * kk * step
            self.reset(self.n)

    def _window_start(self, t: int) -> int:
        start = (t // self.profile.step) * self.profile.step - self.profile.window
        return start if start > self.opened else self.opened

    # the hot path of every event: ``_count`` and ``_window_start`` written out
    def seg_start(self, t: int, real_start: int) -> None:
        if t // self.profile.step > self.k:
            self.advance(t)
        n = self.n = self.n + 1
        self.s1 += t
        if self.cint_on:
            self._cint_enter(t, real_start)
        self.entries += 1
        if n > self.max_n:
            self.max_n = n

    def seg_end(self, seg_start: int, t: int, completed: bool, item: Any, real_start: int) -> None:
        profile = self.profile
        step = profile.step
        k_t = t // step
        if k_t > self.k:
            self.advance(t)
        opened = self.opened
        eff = self.k * step
        if seg_start > eff:
            eff = seg_start
        if opened > eff:
            eff = opened
        self.ptime += t - eff
        if self.cint_on:
            self._cint_leave(self, eff, t, real_start)
        self.s1 -= eff
        n = self.n = self.n - 1
        if completed or self.leave_max:
            wstart = k_t * step - profile.window
            if opened > wstart:
                wstart = opened
            clipped_start = seg_start if seg_start > wstart else wstart
            if completed:
                whole_start = seg_start if seg_start > opened else opened
                self._complete(self, t - clipped_start, t - whole_start, item)
            elif t - clipped_start > self.max_d:
                self.max_d = t - clipped_start
        if n < self.min_n:
            self.min_n = n

    def instant(self, t: int, duration: int, item: Any) -> None:
        if t // self.profile.step > self.k:
            self.advance(t)
        self._complete(self, duration, duration, item)

    def _at(self, t: int) -> SlidingWindow:
        """The window as at ``t`` without moving it (see ``_IntervalWindow._at``)."""
        if t // self.profile.step <= self.k:
            return self
        other = SlidingWindow(self.profile, self.opened)
        self._copy_into(other)
        if self.ring is not None:
            other.ring = list(self.ring)  # its accumulators stay shared: see ``_advance``
        other._advance(t, False)
        return other

    def totals(self, now: int, oldest: int | None, *, roll: bool = True) -> Totals:
        w = self._at(now if roll else now - 1)
        tot = Totals()
        ring = w.ring
        size = len(ring) if ring is not None else w.profile.window // w.profile.step
        first_k = max(w.k - size, w.created_k)
        first = True
        for k in range(first_k, w.k):
            acc = None if ring is None else ring[k % size]
            if acc is None:
                # a step skipped while nothing was open (``advance``), or no ring yet
                acc = _EMPTY_ACC
            if first:
                tot.carry = acc.carry
            _merge_totals(tot, acc, first)
            first = False
        if first:
            tot.carry = w.carry
        _merge_totals(tot, w, first)  # the step in progress
        tot.ptime += w.n * now - w.s1
        if w.cint_on:
            tot.cint += w._cint_open(now)
        wstart = w._window_start(now)
        tot.elapsed = now - wstart
        if oldest is not None and w.n:
            d = now - (oldest if oldest > wstart else wstart)
            if d > tot.max_d:
                tot.max_d = d
        return tot

    def interval_start(self, now: int) -> int:
        return self._window_start(now)


class SelectionWindow(Window):
    """A Selection profile: the last N completed segments and instantaneous actions."""

    __slots__ = ("records",)
    timed = False

    def __init__(
        self,
        profile: SelectionProfile,
        opened: int,
        open_starts: Sequence[int] = (),
        spec: WindowSpec | None = None,
    ) -> None:
        super().__init__(opened, open_starts, spec)
        self.records: deque[Acc] = deque(maxlen=profile.count)

    def __getstate__(self) -> Any:
        return (*Window.__getstate__(self), self.records)

    def __setstate__(self, state: Any) -> None:
        Window.__setstate__(self, state)
        self.records = state[26]

    def _record(self, clipped: int, whole: int, item: Any) -> None:
        acc = Acc(0, len(self.range_bounds), len(self.extractors))
        self._complete(acc, clipped, whole, item)
        acc.ptime = clipped
        acc.entries = 1
        self.records.append(acc)

    def seg_start(self, t: int, real_start: int) -> None:
        self.n += 1

    def seg_end(self, seg_start: int, t: int, completed: bool, item: Any, real_start: int) -> None:
        self.n -= 1
        if completed:
            start = seg_start if seg_start > self.opened else self.opened
            self._record(t - start, t - start, item)

    def instant(self, t: int, duration: int, item: Any) -> None:
        self._record(duration, duration, item)

    def totals(self, now: int, oldest: int | None, *, roll: bool = True) -> Totals:
        tot = Totals()
        tot.ranges = [0] * (2 * len(self.range_bounds))  # no record yet: every range is empty
        for i, acc in enumerate(self.records):
            _merge_totals(tot, acc, i == 0)
        return tot

    def interval_start(self, now: int) -> int:
        return self.opened


install_inits(globals())
