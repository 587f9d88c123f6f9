"""How a track keeps its open segments (core/stats/track.py): the item alone when the segment
started with the item, else ``(item, segment start, current start)``; lists of those three,
as snapshots from before kept them, read alike.  Expected values are worked out by hand in
each docstring."""

from __future__ import annotations

import pickle

from helpers import Scenario
from statserver.core.engine import Engine
from statserver.core.items import EMPTY_ATTRS, Item
from statserver.core.stats.profiles import GrowingProfile
from statserver.core.stats.track import Track
from statserver.core.stats.windows import GrowingWindow

STATS = """
statTypes:
  ReadyTime: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  LongestReady: {Objects: Agent, Category: MaxTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  ReadyFor: {Objects: Agent, Category: CurrentTime, Subject: AgentStatus, MainMask: WaitForNextCall}
"""


def _item(item_id: int, start: int, start_local: int | None = None) -> Item:
    local = start if start_local is None else start_local
    return Item(item_id, "WaitForNextCall", float(start), start, local, EMPTY_ATTRS, "TS1")


def test_a_segment_that_starts_with_its_item_is_kept_as_the_item() -> None:
    """Started at its own start: the item itself.  Joined at 130 (started at 100): the
    tuple, since the segment starts at 130 and current categories count from 100.  A local
    track compares with the item's local start (105): the source start does not match."""
    track = Track(("t",))
    a, b = _item(1, 100), _item(2, 100)
    track.start(a, 100)
    track.join(b, 130)
    assert track.open[a] is a
    assert track.open[b] == (b, 130, 100)
    assert list(track.entries()) == [(a, 100, 100), (b, 130, 100)]
    assert list(track.current_starts()) == [100, 100]
    assert track.segment_starts() == [100, 130]
    assert (track.oldest_segment(), track.oldest_current(), track.newest_current()) == (
        100,
        100,
        100,
    )

    local = Track(("l",), local=True)
    c = _item(3, 100, start_local=105)
    local.start(c, 105)
    assert local.open[c] is c
    d = _item(4, 100, start_local=105)
    local.start(d, 100)
    assert local.open[d][1:] == (100, 105)


def test_both_forms_give_the_window_the_same_segment() -> None:
    """A window that never resets, opened at 0.  Item 1 from 100 (kept alone), item 2
    joined at 130 (started at 100, kept as a tuple), both end at 160: projected time
    (160 - 100) + (160 - 130) = 90, two completed, the longer 60."""
    track = Track(("t",))
    window = GrowingWindow(GrowingProfile("Forever", ()), 0)
    track.windows = (window,)
    a, b = _item(1, 100), _item(2, 100)
    track.start(a, 100)
    track.join(b, 130)
    track.end(a, 160)
    track.end(b, 160)
    totals = window.totals(200, None)
    assert (totals.ptime, totals.done, totals.max_d) == (90, 2, 60)
    assert not track.open


def test_a_snapshot_with_list_entries_reads_alike() -> None:
    """Agent ready from 100 s after login, values read at +400: ReadyTime 300, LongestReady
    300 (in progress), ReadyFor 300; not ready at +500: ReadyTime 400, LongestReady 400.  The
    same when the entries of the restored state are lists, as older snapshots kept them."""
    runs = []
    for as_lists in (False, True):
        sc = Scenario(STATS)
        sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
        stats = [sc.open("Agent", "a1", name, 0) for name in ("ReadyTime", "LongestReady")]
        stats.append(sc.open("Agent", "a1", "ReadyFor", 0))
        sc.ev(100, "EventAgentReady", thisDN="7001")
        state = pickle.loads(pickle.dumps(sc.engine, protocol=5))
        restored = [state.statistic(s.id) for s in stats]
        tracks = {id(t): t for s in restored for t, _ in s.tracks()}
        if as_lists:
            converted = 0
            for track in tracks.values():
                for key, entry in list(track.open.items()):
                    assert isinstance(entry, Item)
                    start = entry.start_local if track.local else entry.start
                    track.open[key] = [entry, start, start]
                    converted += 1
            assert converted
        sc.engine = state
        before = [sc.value(s, 400) for s in restored]
        sc.ev(500, "EventAgentNotReady", thisDN="7001")
        runs.append((before, [sc.value(s, 600) for s in restored[:2]]))
    assert runs[0] == runs[1] == ([300, 300, 300], [400, 400])


def test_changes_are_collected_per_track_and_given_as_statistics() -> None:
    """The tenant's change set holds each changed track once; ``take_changes`` gives the
    watched statistics reading them.  ReadyTime, LongestReady and ReadyFor read one track
    (ready episodes): the ready event at 100 puts it in the set once for all three, and
    leaves NotReadyTime's track alone.  The not-ready event at 200 changes both tracks.  A
    statistic closed before the changes are taken is not given; one in the set itself (a
    snapshot of an earlier version) is given as it is."""
    sc = Scenario(STATS + "  NotReadyTime: {Objects: Agent, Category: TotalTime, "
                  "Subject: AgentStatus, MainMask: NotReadyForNextCall}\n")  # fmt: skip
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ready, longest, gone, not_ready = (
        sc.open("Agent", "a1", name, 0)
        for name in ("ReadyTime", "LongestReady", "ReadyFor", "NotReadyTime")
    )
    for stat in (ready, longest, gone, not_ready):
        sc.engine.watch_changes(stat)
    assert ready.main is longest.main is gone.main
    assert not_ready.main is not ready.main
    sc.engine.take_changes()
    dirty = sc.engine.tenants["Resources"].dirty
    sc.ev(100, "EventAgentReady", thisDN="7001")
    assert dirty == {ready.main}
    assert sc.engine.take_changes() == {ready, longest, gone}
    assert not dirty
    sc.ev(200, "EventAgentNotReady", thisDN="7001")
    assert dirty == {ready.main, not_ready.main}
    sc.engine.remove(gone)
    assert sc.engine.take_changes() == {ready, longest, not_ready}
    dirty.add(ready)
    assert sc.engine.take_changes() == {ready}


def test_only_watched_statistics_are_collected_and_unwatched_tracks_cost_no_entry() -> None:
    """Nobody watches: the ready event at 100 changes ReadyTime's track, but the change set
    stays empty and nothing is given.  The values are computed all the same: ready from 100
    to 150 is 50 s.  Watch ReadyTime: the not-ready event at 150 gives it, and not
    LongestReady, which reads the same track unwatched.  Watching twice is watching once;
    unwatched again, the ready event at 200 gives nothing, and after a new watch,
    removing the statistic drops it from its track's watched statistics."""
    sc = Scenario(STATS)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ready = sc.open("Agent", "a1", "ReadyTime", 0)
    longest = sc.open("Agent", "a1", "LongestReady", 0)
    dirty = sc.engine.tenants["Resources"].dirty
    sc.engine.take_changes()
    sc.ev(100, "EventAgentReady", thisDN="7001")
    assert not dirty
    assert sc.engine.take_changes() == set()
    sc.engine.watch_changes(ready)
    sc.engine.watch_changes(ready)
    assert ready.main.watched == (ready,)
    sc.ev(150, "EventAgentNotReady", thisDN="7001")
    assert dirty == {ready.main}
    assert sc.engine.take_changes() == {ready}
    assert sc.value(ready, 150) == 50
    assert sc.value(longest, 150) == 50
    sc.engine.unwatch_changes(ready)
    assert ready.main.watched == ()
    sc.ev(200, "EventAgentReady", thisDN="7001")
    assert sc.engine.take_changes() == set()
    sc.engine.watch_changes(ready)
    sc.engine.remove(ready)
    assert longest.main.watched == ()
    sc.engine.watch_changes(ready)  # no longer open: nothing to watch
    assert longest.main.watched == ()


def test_watch_all_watches_every_statistic_opened_and_a_restore_forgets_the_watchers() -> None:
    """An engine created with ``watch_all`` gives ReadyTime and LongestReady on the ready
    event without being asked.  Pickled and loaded (what a restart does), the engine keeps
    ``watch_all`` but its tracks forget who watched: the clients of the old process are
    gone, and those that come back watch again."""
    sc = Scenario(STATS)
    sc.engine = Engine(
        sc.config.directory, sc.config.catalog, sc.config.engine_options, watch_all=True
    )
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ready = sc.open("Agent", "a1", "ReadyTime", 0)
    longest = sc.open("Agent", "a1", "LongestReady", 0)
    sc.ev(100, "EventAgentReady", thisDN="7001")
    assert sc.engine.take_changes() == {ready, longest}
    again = pickle.loads(pickle.dumps(sc.engine))
    assert again.watch_all
    track = again.statistic(ready.id).main
    assert track.watched == ()
    assert len(track.listeners) == 2


def test_a_track_whose_readers_are_all_watched_keeps_one_tuple_for_both() -> None:
    """Watching every statistic of a track costs no second tuple: ``watched`` is then the
    ``listeners`` tuple itself.  Unwatching one gives it a tuple of its own again."""
    sc = Scenario(STATS)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    ready = sc.open("Agent", "a1", "ReadyTime", 0)
    longest = sc.open("Agent", "a1", "LongestReady", 0)
    track = ready.main
    sc.engine.watch_changes(longest)
    assert track.watched == (longest,)
    sc.engine.watch_changes(ready)
    assert track.watched is track.listeners
    sc.engine.unwatch_changes(longest)
    assert track.watched == (ready,)
