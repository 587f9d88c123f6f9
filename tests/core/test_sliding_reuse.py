"""A Sliding window keeps the step in progress in its own counters and, when the step ends,
copies them into the accumulator of the step that drops out of its ring (``StepAcc``,
core/stats/windows.py) instead of allocating one per step.

The values are checked against a model written from the definition of a Sliding window, not
from its ring: at ``now`` the window covers ``[W(now), now]`` with
``W(t) = max(opened, (t // step) * step - window)``, and

* ``entries``: segments that started at or after ``W(now)``;
* ``done``: completions (segment ends and instantaneous actions) at or after ``W(now)``;
* ``ptime``: the part of every segment, open ones up to ``now``, inside ``[W(now), now]``;
* ``ctime``: each completed duration clipped to the window *at its completion*,
  ``end - max(start, W(end))``, for completions at or after ``W(now)``;
* ``max_d``: the longest of those, and of the open segments' ``now - max(start, W(now))``;
* ``ranges``: per time range ``[lo, hi)`` the count and sum of the clipped durations in it;
* ``carry``: segments open at ``W(now)`` (an event at ``W(now)`` comes after it);
  ``max_n``/``min_n``: the most and fewest open then and after each event since.

The events come in random order of operations and gaps (longer than the window too, and
with segments open across many steps, so that shared filler accumulators and emptied steps
occur), with reads ahead of the next event's time in between (a read works on a copy that
shares the ring's accumulators, and must not reset them).
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from statserver.core.stats.profiles import SlidingProfile
from statserver.core.stats.windows import Acc, SlidingWindow, StepAcc, WindowSpec

RANGES = ((0, 5), (5, 30))


@dataclass
class Model:
    window: int
    step: int
    opened: int
    #: segment id -> start, for the open ones
    open: dict[int, int] = field(default_factory=dict)
    #: (start, end) of the closed ones, and whether each completed
    closed: list[tuple[int, int, bool]] = field(default_factory=list)
    #: (time, duration) of the instantaneous actions
    instants: list[tuple[int, int]] = field(default_factory=list)
    #: (time, segments open after it) of every event
    history: list[tuple[int, int]] = field(default_factory=list)

    def w(self, t: int) -> int:
        return max(self.opened, (t // self.step) * self.step - self.window)

    def totals(self, now: int) -> dict[str, object]:
        lo = self.w(now)
        entries = sum(1 for s in self.open.values() if s >= lo) + sum(
            1 for s, _, _ in self.closed if s >= lo
        )
        clipped = [e - max(s, self.w(e)) for s, e, c in self.closed if c and e >= lo]
        clipped += [d for t, d in self.instants if t >= lo]
        ptime = sum(max(0, min(e, now) - max(s, lo)) for s, e, _ in self.closed)
        ptime += sum(max(0, now - max(s, lo)) for s in self.open.values())
        longest = max([-1, *clipped, *(now - max(s, lo) for s in self.open.values())])
        carry = 0
        counts: list[int] = []
        for t, n in self.history:
            if t < lo:
                carry = n
            elif t <= now:
                counts.append(n)
        ranges: list[int] = []
        for r_lo, r_hi in RANGES:
            inside = [d for d in clipped if r_lo <= d < r_hi]
            ranges += [len(inside), sum(inside)]
        return {
            "entries": entries,
            "done": len(clipped),
            "ptime": ptime,
            "ctime": sum(clipped),
            "max_d": longest,
            "ranges": ranges,
            "carry": carry,
            "max_n": max([carry, *counts]),
            "min_n": min([carry, *counts]),
        }


def read(win: SlidingWindow, model: Model, now: int) -> dict[str, object]:
    oldest = min(model.open.values(), default=None)
    tot = win.totals(now, oldest)
    return {
        "entries": tot.entries,
        "done": tot.done,
        "ptime": tot.ptime,
        "ctime": tot.ctime,
        "max_d": tot.max_d,
        "ranges": tot.ranges,
        "carry": tot.carry,
        "max_n": tot.max_n,
        "min_n": tot.min_n,
    }


OPS = st.lists(
    st.tuples(
        st.sampled_from(["start", "end", "leave", "instant", "read"]),
        # gaps: mostly within a step, some across steps, some longer than the window
        st.one_of(st.integers(0, 3), st.integers(4, 40), st.integers(100, 400)),
        st.integers(0, 40),
    ),
    max_size=80,
)


def run(ops: list[tuple[str, int, int]], win: SlidingWindow, model: Model, t: int) -> int:
    next_id = max([*model.open, -1]) + 1
    for op, gap, value in ops:
        t += gap
        if op == "read":
            # a read ahead of the next event: the next event may come before it
            now = t + value
            assert read(win, model, now) == model.totals(now), (ops, now)
        elif op == "instant":
            win.instant(t, value, None)
            model.instants.append((t, value))
        elif op == "start" or not model.open:  # an end with nothing open starts one
            win.seg_start(t, t)
            model.open[next_id] = t
            next_id += 1
        else:
            sid = min(model.open, key=lambda k: (model.open[k], k))
            start = model.open.pop(sid)
            completed = op == "end"
            win.seg_end(start, t, completed, None, start)
            model.closed.append((start, t, completed))
        if op != "read":
            model.history.append((t, len(model.open)))
        assert read(win, model, t) == model.totals(t), (ops, t)
    return t


def slots(win: SlidingWindow) -> list[Acc | None]:
    """The ring's slots; a window has no ring until a step that is not empty ends, which
    reads as every slot ``None``."""
    return win.ring if win.ring is not None else [None] * win.profile.buckets


def fresh(window: int, step: int, opened: int) -> tuple[SlidingWindow, Model]:
    profile = SlidingProfile("S", window, step)
    win = SlidingWindow(profile, opened, (), WindowSpec(ranges=RANGES))
    return win, Model(window, step, opened)


PROFILES = st.sampled_from([(60, 10), (30, 10), (50, 5), (20, 20)])


@settings(max_examples=300, deadline=None)
@given(profile=PROFILES, opened=st.integers(0, 100), ops=OPS)
def test_values_follow_the_definition(
    profile: tuple[int, int], opened: int, ops: list[tuple[str, int, int]]
) -> None:
    win, model = fresh(*profile, opened)
    run(ops, win, model, opened)


@settings(max_examples=150, deadline=None)
@given(profile=PROFILES, first=OPS, then=OPS)
def test_a_restored_window_goes_on_as_the_original(
    profile: tuple[int, int], first: list[tuple[str, int, int]], then: list[tuple[str, int, int]]
) -> None:
    win, model = fresh(*profile, 0)
    t = run(first, win, model, 0)
    restored = pickle.loads(pickle.dumps(win))
    assert all(type(a) is type(b) for a, b in zip(slots(win), slots(restored), strict=True))
    model2 = copy.deepcopy(model)
    run(then, win, model, t)
    run(then, restored, model2, t)


@settings(max_examples=150, deadline=None)
@given(profile=PROFILES, first=OPS, then=OPS)
def test_a_ring_of_plain_accumulators_is_never_reset(
    profile: tuple[int, int], first: list[tuple[str, int, int]], then: list[tuple[str, int, int]]
) -> None:
    """Plain ``Acc`` in a ring (the fillers, shared between steps and windows) belong to no
    window: with every accumulator of the ring made plain, the window allocates for the
    steps it closes, never writes into one of them, and the values stay right."""
    win, model = fresh(*profile, 0)
    t = run(first, win, model, 0)
    for i, acc in enumerate(slots(win)):
        if isinstance(acc, StepAcc):
            assert win.ring is not None
            plain = Acc(0, 0, 0)
            plain._assign(acc)  # a plain Acc with the same counts
            win.ring[i] = plain
    # the ring holds complete steps only (the step in progress is the window's own)
    kept = {id(a): a for a in slots(win) if a is not None}
    before = {i: (a.entries, a.carry, a.done, a.ptime, a.ctime, a.max_n) for i, a in kept.items()}
    run(then, win, model, t)
    after = {i: (a.entries, a.carry, a.done, a.ptime, a.ctime, a.max_n) for i, a in kept.items()}
    assert after == before


def test_steps_reuse_the_accumulators_that_drop_out() -> None:
    """One segment event per step for three turns of a 60:10 window, whose ring holds the 6
    steps before the one in progress: the ring ends with the 6 accumulators it made in its
    first turn, overwritten and reused, and the values are right."""
    win, model = fresh(60, 10, 0)
    made: set[int] = set()
    t = -7
    for k in range(21):  # at 3, 13, 23, ...: a start, then an end, and so on
        t = run([("end" if model.open else "start", 10, 0)], win, model, t)
        if k < 7:  # the event of step k closes step k - 1
            made |= {id(a) for a in slots(win) if a is not None}
    ring = {id(a) for a in slots(win)}
    assert len(slots(win)) == len(ring) == 6
    assert ring == made
    assert all(type(a) is StepAcc for a in slots(win))


def test_an_event_within_a_step_reaches_the_window_alone() -> None:
    """The step in progress is the window's own counters: events within one step leave
    every accumulator of the ring as it was (same objects, same counts)."""
    win, model = fresh(60, 10, 0)
    t = run([("start", 3, 0), ("instant", 10, 7), ("start", 10, 0), ("end", 10, 0)], win, model, 0)
    assert t == 33

    def ring_state() -> list[object]:
        return [
            None if a is None else (id(a), a.entries, a.done, a.ptime, a.max_n) for a in slots(win)
        ]

    before = ring_state()
    entries = win.entries
    t = run([("start", 1, 0), ("instant", 1, 5), ("end", 1, 0), ("leave", 1, 0)], win, model, t)
    assert t // 10 == 3  # still in step 3
    assert ring_state() == before
    assert win.entries == entries + 1


def test_a_read_ahead_leaves_the_ring_alone() -> None:
    """A read far ahead rolls a copy through every slot; the window's own accumulators keep
    their counts and the next event (earlier than the read) finds them."""
    win, model = fresh(60, 10, 0)
    t = run([("instant", 1, 4), ("instant", 11, 4), ("instant", 11, 4)], win, model, 0)
    counts = [None if a is None else a.done for a in slots(win)]
    assert read(win, model, 500) == model.totals(500)
    assert [None if a is None else a.done for a in slots(win)] == counts
    t = run([("instant", 30 - t, 6)], win, model, t)  # at 30, before the read's 500
    assert read(win, model, 30)["done"] == 4


def test_a_window_has_no_ring_until_a_step_that_is_not_empty_ends() -> None:
    """Nothing open and nothing happening for many turns of the window: no ring, values of
    nothing.  The first step with an action allocates the ring when it ends (in the step
    after it), the slots of every other step empty, and the action stays in the window for
    the window's length: 60:10, an action at 75 (step 7) is read at 139 (the window starts
    at 130 // 10 * 10 - 60 = 70), not at 140 (it starts at 80)."""
    win, model = fresh(60, 10, 0)
    win.advance(500)
    assert win.ring is None
    assert read(win, model, 500) == model.totals(500)
    win, model = fresh(60, 10, 0)
    t = run([("instant", 75, 3)], win, model, 0)
    assert win.ring is None  # the step of the action is still in progress
    run([("instant", 5, 2)], win, model, t)  # at 80: step 7 ends
    assert win.ring is not None
    assert [a is not None for a in win.ring] == [False, True, False, False, False, False]
    assert read(win, model, 139) == model.totals(139)
    assert read(win, model, 139)["done"] == 2
    assert read(win, model, 140) == model.totals(140)
    assert read(win, model, 140)["done"] == 1
