"""Feeds: how items reach the statistics that need them.

A *carrier* is where items happen: a DN, an agent's media channel, a staging area, or (for
status episodes) an agent, place or group.  Each carrier knows the objects its items
propagate to (a DN's place, the agent logged in there, their groups, the tenant).  A *node*
is one (object, subject) that at least one statistic listens to; it indexes its tracks by
action or status name, so an item reaches only the tracks whose mask names it.

Per event the work is: for each touched carrier, for each existing node among its targets,
for each track indexed under the item's name.  Nothing scans all statistics.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from statserver.core.items import Item
from statserver.core.model import ObjectType
from statserver.core.native_init import install_inits
from statserver.core.portable import Portable
from statserver.core.stats.definition import Subject
from statserver.core.stats.track import Track

__all__ = ["Carrier", "Hub", "Node", "ObjectKey", "node_key"]

ObjectKey = tuple[ObjectType, str]
#: (object type, object id, subject); a tuple of any length to its type checker, so that
#: the node and the hub's dictionary hold one tuple object (see core/portable.py)
NodeKey = tuple[Any, ...]


def node_key(otype: ObjectType, oid: str, subject: Subject) -> NodeKey:
    """Normalised node key: a place's AgentStatus is the place status."""
    if subject is Subject.AGENT_STATUS and otype in (ObjectType.PLACE, ObjectType.GROUP_PLACES):
        subject = Subject.PLACE_STATUS
    return (otype, oid, subject)


class Node(Portable):
    """The tracks listening to one (object, subject)."""

    __slots__ = ("by_name", "key", "tracks")

    def __init__(self, key: NodeKey) -> None:
        self.key = key
        #: name -> the tracks whose mask names it; names with the same tracks share one
        #: tuple (a mask names several statuses or actions: one object, not one per name)
        self.by_name: dict[str, tuple[Track, ...]] = {}
        self.tracks: dict[tuple[Any, ...], tuple[Track, frozenset[str], int]] = {}

    def add(self, track: Track, names: frozenset[str]) -> None:
        known = self.tracks.get(track.key)
        if known is not None:
            self.tracks[track.key] = (known[0], known[1], known[2] + 1)
            return
        self.tracks[track.key] = (track, names, 1)
        for name in names:
            self._index(name, (*self.by_name.get(name, ()), track))

    def release(self, track_key: tuple[Any, ...]) -> bool:
        """Drop one reference to a track; True when the track is gone."""
        track, names, refs = self.tracks[track_key]
        if refs > 1:
            self.tracks[track_key] = (track, names, refs - 1)
            return False
        del self.tracks[track_key]
        for name in names:
            self._index(name, tuple(t for t in self.by_name[name] if t is not track))
        return True

    def _index(self, name: str, tracks: tuple[Track, ...]) -> None:
        if not tracks:
            del self.by_name[name]
            return
        for other in self.by_name.values():
            if other == tracks:
                tracks = other
                break
        self.by_name[name] = tracks

    def get(self, track_key: tuple[Any, ...]) -> Track | None:
        found = self.tracks.get(track_key)
        return None if found is None else found[0]

    def __bool__(self) -> bool:
        return bool(self.tracks)

    # -- dispatch: ``t`` is (source time, local time) in whole seconds --------------------
    def start(self, item: Item, ts: int, tl: int) -> None:
        for track in self.by_name.get(item.name, ()):
            track.start(item, tl if track.local else ts)

    def end(self, item: Item, ts: int, tl: int) -> None:
        for track in self.by_name.get(item.name, ()):
            track.end(item, tl if track.local else ts)

    def join(self, item: Item, ts: int, tl: int) -> None:
        for track in self.by_name.get(item.name, ()):
            track.join(item, tl if track.local else ts)

    def leave(self, item: Item, ts: int, tl: int) -> None:
        for track in self.by_name.get(item.name, ()):
            track.leave(item, tl if track.local else ts)

    def instant(self, item: Item, ts: int, tl: int, duration: int) -> None:
        for track in self.by_name.get(item.name, ()):
            track.instant(item, tl if track.local else ts, duration)

    def update(self, item: Item, ts: int, tl: int, reasons_changed: bool) -> None:
        for track in self.by_name.get(item.name, ()):
            track.update(item, tl if track.local else ts, reasons_changed)


class Hub(Portable):
    """All nodes of one tenant, the generation counter that invalidates carrier caches, and
    the sets of touched statistics and of tracks to flush at the end of an event."""

    __slots__ = ("generation", "nodes", "pending")

    def __init__(self) -> None:
        self.nodes: dict[NodeKey, Node] = {}
        self.generation = 0
        self.pending: set[Track] = set()

    def node(self, key: NodeKey) -> Node:
        node = self.nodes.get(key)
        if node is None:
            node = self.nodes[key] = Node(key)
            self.generation += 1
        return node

    def drop_if_empty(self, key: NodeKey) -> None:
        node = self.nodes.get(key)
        if node is not None and not node:
            del self.nodes[key]
            self.generation += 1

    def flush(self) -> None:
        if self.pending:
            # tracks keep a reference to this very set: empty it, never replace it
            pending = list(self.pending)
            self.pending.clear()
            for track in pending:
                track.flush()


class Carrier(Portable):
    """Something items happen on.  ``targets`` are the objects its items propagate to; the
    tenant engine keeps them up to date as logins and group memberships change."""

    __slots__ = ("_cache", "_cache_gen", "key", "targets")

    def __init__(self, key: str) -> None:
        self.key = key
        self.targets: list[ObjectKey] = []
        self._cache: dict[Subject, list[Node]] = {}
        self._cache_gen = -1

    def items_for(self, subject: Subject) -> Iterator[Item]:
        """The items in progress of ``subject`` on this carrier."""
        return iter(())

    def nodes(self, hub: Hub, subject: Subject) -> list[Node]:
        """The existing nodes this carrier's items of ``subject`` go to (cached)."""
        if self._cache_gen != hub.generation:
            self._cache.clear()
            self._cache_gen = hub.generation
        found = self._cache.get(subject)
        if found is None:
            nodes = hub.nodes
            found = []
            for otype, oid in self.targets:
                node = nodes.get(node_key(otype, oid, subject))
                if node is not None and node not in found:
                    found.append(node)
            self._cache[subject] = found
        return found

    def invalidate(self) -> None:
        self._cache_gen = -1


install_inits(globals())
