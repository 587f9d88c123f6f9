"""Tracks: the items of one feed that match a mask, a media list and a filter.

A track is shared by every statistic with the same (object, subject, mask, media, filter):
it keeps the matching items in progress (for current categories) and forwards *segments* to
the windows of historical statistics.  A segment is an item, or the part of it during which
the filter held: Genesys counts how many times a filter *became* true and only the time
during which it *was* true.

The *collapsed* view treats the track as busy while at least one segment is open; it gives
CurrentContinuousTime, TotalContinuousNumber and TotalDistinctTime.  A status that changes
from one masked status to another at the same instant keeps the track busy.

An open segment is kept as its item alone when it started with the item, as this track
measures time (source or local): the segment's start and the start current categories use
are then the item's own.  That is nearly every segment, and it saves an object per open
segment, which the cyclic collector would walk until the next freeze.  Otherwise (the item
joined the feed later, a filter turned true, a reason code restarted it) the entry is the
tuple ``(item, segment start, current start)``; snapshots from before this change hold lists
of the same three, which read alike.

Open segments are keyed by their item itself, not by its id: items are never equal to one
another but by identity, so a lookup hashes the pointer and stops at the first match.  An
int key is a new int object each time the compiled engine reads ``item.id`` (it keeps ints
unboxed), so every lookup compared it with the stored key's object by value, one more cache
miss (bench/README.md, tenth session).  Snapshots of backup format 4 keyed them by id: see
:meth:`Track.key_by_item`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from statserver.core.items import Attrs, Item
from statserver.core.native_init import install_inits
from statserver.core.portable import Portable

if TYPE_CHECKING:
    from statserver.core.stats.windows import Window

__all__ = ["FilterFn", "Track"]

FilterFn = Callable[[Attrs], bool]

#: an open segment: its item alone, or ``(item, segment start, current start)`` (see above)
Entry = Any


class Track(Portable):
    __slots__ = (
        "busy_seg",
        "busy_since",
        "collapsed",
        "end_pending",
        "filter",
        "key",
        "last_cur",
        "last_seg",
        "listeners",
        "local",
        "media",
        "open",
        "ordered_cur",
        "ordered_seg",
        "pending",
        "reason_restart",
        "sink",
        "sum_start",
        "watched",
        "windows",
    )

    def __init__(
        self,
        key: tuple[Any, ...],
        *,
        media: frozenset[str] | None = None,
        filter_fn: FilterFn | None = None,
        reason_restart: bool = False,
        pending: set[Track] | None = None,
        local: bool = False,
        sink: set[Any] | None = None,
    ) -> None:
        self.key = key
        #: where the track puts itself when it changes while a statistic reading it is
        #: watched (None: nowhere); the tenant's set, which ``Engine.take_changes`` turns
        #: into the watched statistics of the tracks in it
        self.sink = sink
        #: measure with local receipt times instead of source times (UseSourceTimeStamps=no)
        self.local = local
        self.media = media
        self.filter = filter_fn
        self.reason_restart = reason_restart
        #: item -> the item, or (item, segment start, start used by current categories)
        self.open: dict[Item, Entry] = {}
        self.sum_start = 0
        #: tuples (shared while empty): set when statistics open and close, read per event
        self.windows: tuple[Window, ...] = ()
        self.collapsed: tuple[Window, ...] = ()
        #: every statistic reading this track
        self.listeners: tuple[Any, ...] = ()
        #: those of them watched for changes (``Engine.watch_changes``: a Changes-mode
        #: subscriber); only these make a change cost a set entry
        self.watched: tuple[Any, ...] = ()
        self.busy_since: int | None = None
        self.busy_seg = 0
        self.end_pending: int | None = None
        self.pending = pending
        self.ordered_cur = True
        self.ordered_seg = True
        self.last_cur = -(1 << 62)
        self.last_seg = -(1 << 62)

    # -- feed interface ------------------------------------------------------------------------
    def accepts(self, item: Item) -> bool:
        return self.media is None or item.attrs.media_type in self.media

    def _start_of(self, item: Item) -> int:
        return item.start_local if self.local else item.start

    def _passes(self, item: Item) -> bool:
        return self.filter is None or self.filter(item.attrs)

    def start(self, item: Item, t: int) -> None:
        """A new item started at ``t``."""
        media = self.media
        if media is not None and item.attrs.media_type not in media:
            return
        f = self.filter
        if f is None or f(item.attrs):
            self._open(item, t, item.start_local if self.local else item.start)
        if self.sink is not None and self.watched:
            self.sink.add(self)

    def join(self, item: Item, t: int) -> None:
        """An item already in progress enters this feed at ``t`` (membership change)."""
        if not self.accepts(item) or item in self.open:
            return
        if self._passes(item):
            self._open(item, t, self._start_of(item))
        self._changed()

    def end(self, item: Item, t: int) -> None:
        """The item completed at ``t``."""
        entry = self.open.pop(item, None)
        if entry is not None:
            self._close(entry, t, completed=True)
            if self.sink is not None and self.watched:
                self.sink.add(self)

    def leave(self, item: Item, t: int) -> None:
        """The item leaves this feed at ``t`` without completing (membership change)."""
        entry = self.open.pop(item, None)
        if entry is not None:
            self._close(entry, t, completed=False)
            self._changed()

    def instant(self, item: Item, t: int, duration: int) -> None:
        """An instantaneous action happened; ``duration`` is what it reports (0 if momentary)."""
        media = self.media
        if media is not None and item.attrs.media_type not in media:
            return
        f = self.filter
        if f is not None and not f(item.attrs):
            return
        for w in self.windows:
            w.instant(t, duration, item)
        if self.sink is not None and self.watched:
            self.sink.add(self)

    def update(self, item: Item, t: int, reasons_changed: bool) -> None:
        """The item's attributes changed at ``t``: a filter may have turned true or false."""
        if not self.accepts(item):
            return
        entry = self.open.get(item)
        passes = self._passes(item)
        if entry is None:
            if passes:
                self._open(item, t, t if self.reason_restart else self._start_of(item))
        elif not passes or (reasons_changed and self.reason_restart):
            del self.open[item]
            self._close(entry, t, completed=True)
            if passes:  # a reason code restarted it
                self._open(item, t, t)
        else:
            return
        self._changed()

    # -- internals ---------------------------------------------------------------------------
    def _open(self, item: Item, t: int, cur_start: int) -> None:
        # a segment starts now; an item that started earlier (join, filter turning true)
        # keeps its real start for current categories only
        seg_start = t
        if not self.open:
            self.ordered_cur = self.ordered_seg = True
            if self.end_pending is not None and self.end_pending == t:
                self.end_pending = None  # continuous: the track stays busy
            else:
                self._flush_collapsed()
                self.busy_since = cur_start
                self.busy_seg = seg_start
                for w in self.collapsed:
                    w.seg_start(seg_start, cur_start)
        if seg_start == cur_start == self._start_of(item):
            self.open[item] = item
        else:
            self.open[item] = (item, seg_start, cur_start)
        self.sum_start += cur_start
        if cur_start < self.last_cur:
            self.ordered_cur = False
        self.last_cur = cur_start
        if seg_start < self.last_seg:
            self.ordered_seg = False
        self.last_seg = seg_start
        for w in self.windows:
            w.seg_start(seg_start, cur_start)

    def _close(self, entry: Entry, t: int, *, completed: bool) -> None:
        """The segment of ``entry``, already taken out of ``open``, ends at ``t``."""
        item, seg_start, cur_start = self._unpack(entry)
        self.sum_start -= cur_start
        for w in self.windows:
            w.seg_end(seg_start, t, completed, item, cur_start)
        if not self.open and self.busy_since is not None:
            self.end_pending = t
            if self.pending is not None:
                self.pending.add(self)
            else:
                self._flush_collapsed()

    def _flush_collapsed(self) -> None:
        t = self.end_pending
        if t is None or self.busy_since is None:
            return
        for w in self.collapsed:
            w.seg_end(self.busy_seg, t, True, None, self.busy_since)
        self.busy_since = None
        self.end_pending = None

    def flush(self) -> None:
        """End of an event: a busy period that ended during it ends for good."""
        if self.end_pending is not None and not self.open:
            self._flush_collapsed()

    def _changed(self) -> None:
        if self.sink is not None and self.watched:
            self.sink.add(self)

    def key_by_item(self) -> None:
        """Key the open segments by their item, in the same order, if they are keyed by the
        item's id (a snapshot of backup format 4: ``Engine.__setstate__`` calls this for
        every track it loads)."""
        if self.open and not isinstance(next(iter(self.open)), Item):
            self.open = {self._unpack(entry)[0]: entry for entry in self.open.values()}

    # -- queries for categories ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.open)

    def _unpack(self, entry: Entry) -> tuple[Item, int, int]:
        """(item, segment start, start used by current categories) of an open segment."""
        if isinstance(entry, Item):
            start = self._start_of(entry)
            return entry, start, start
        item, seg_start, cur_start = entry
        return item, int(seg_start), int(cur_start)

    def entries(self) -> Iterator[tuple[Item, int, int]]:
        """Every open segment as (item, segment start, start used by current categories)."""
        for entry in self.open.values():
            yield self._unpack(entry)

    def items(self) -> Iterator[Item]:
        for entry in self.open.values():
            yield self._unpack(entry)[0]

    def current_starts(self) -> Iterator[int]:
        for entry in self.open.values():
            yield self._unpack(entry)[2]

    def oldest_current(self) -> int | None:
        if not self.open:
            return None
        if self.ordered_cur:
            return self._unpack(next(iter(self.open.values())))[2]
        return min(self.current_starts())

    def newest_current(self) -> int | None:
        if not self.open:
            return None
        if self.ordered_cur:
            return self._unpack(next(reversed(self.open.values())))[2]
        return max(self.current_starts())

    def oldest_segment(self) -> int | None:
        if not self.open:
            return None
        if self.ordered_seg:
            return self._unpack(next(iter(self.open.values())))[1]
        return min(self.segment_starts())

    def busy_start(self) -> int | None:
        """Start of the current continuous busy period, or None when the track is idle."""
        if self.open:
            return self.busy_since
        return None

    def segment_starts(self) -> list[int]:
        return [self._unpack(e)[1] for e in self.open.values()]


install_inits(globals())
