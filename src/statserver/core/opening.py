"""Opening and closing statistics: from a resolved request to shared tracks and windows.

A statistic starts counting when it is opened: items already in progress join its tracks
at the opening time, and historical windows start there.  Statistics with the same object,
definition, profile, ranges and filter are one statistic (the persistent pool); tracks with
the same object, subject, mask, media, filter and time base are one track.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mypy_extensions import mypyc_attr

from statserver.core import structures
from statserver.core.catalog import CompiledFilter
from statserver.core.expr import compile_custom_value, compile_formula
from statserver.core.feeds import node_key
from statserver.core.model import ObjectType
from statserver.core.native_init import install_inits
from statserver.core.portable import Portable
from statserver.core.stats.definition import StatDef, Subject, expand_mask
from statserver.core.stats.profiles import (
    GrowingProfile,
    ProfileKind,
    SelectionProfile,
    SinceLoginProfile,
    SlidingProfile,
    TimeProfile,
)
from statserver.core.stats.statistic import (
    FormulaPart,
    Row,
    Statistic,
    StatKey,
    StatOptions,
)
from statserver.core.stats.track import Track
from statserver.core.stats.windows import (
    DEFAULT_SPEC,
    Extractor,
    GrowingWindow,
    SelectionWindow,
    SinceLoginWindow,
    SlidingWindow,
    Window,
    WindowSpec,
)
from statserver.core.tenant import TenantEngine
from statserver.core.vocabulary import ACTIONS, STATUS_NAMES
from statserver.errors import ErrorCode, RequestError

__all__ = [
    "ResolvedRequest",
    "close_statistic",
    "open_statistic",
    "unwatch_changes",
    "watch_changes",
]


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class ResolvedRequest:
    object_type: ObjectType
    object_id: str
    definition: StatDef
    profile: TimeProfile
    ranges: tuple[tuple[int, int], ...] = ()
    filter: CompiledFilter | None = None


class _CustomValue(Portable):
    """A CustomValue formula as an extractor of one number per item."""

    __slots__ = ("compiled", "distinct_by_conn_id")

    def __init__(self, text: str) -> None:
        self.compiled = compile_custom_value(text)
        self.distinct_by_conn_id = self.compiled.distinct_by_conn_id

    def value_of(self, item: Any, duration: int) -> float | None:
        v = self.compiled.value(Row(item, duration))
        if isinstance(v, bool):
            return float(v)
        if isinstance(v, (int, float)):
            return float(v)
        return None


def _window(
    eng: TenantEngine,
    track: Track,
    profile: TimeProfile,
    at: int,
    spec: WindowSpec | None,
    *,
    collapsed: bool = False,
) -> Window:
    """The window of a statistic on ``track``, attached to it.

    Two windows on the same track with the same time profile and spec, opened at the same
    instant with no event in between, would hold the same numbers for ever: the second
    statistic shares the first one's window (``users`` counts them), so an event updates it
    once.  Formula windows are never shared: their extractors belong to one statistic.

    The windows opened on a track since the last event are those after the first
    ``eng.fresh_tracks[track]`` of its tuple (its lengths when the first of them opened):
    nothing per window is kept to find them, where a dictionary keyed by (track, profile,
    time, spec) cost ~110 bytes per statistic opened until the next event (bench/README.md,
    eleventh session)."""
    counts = eng.fresh_tracks.get(track)
    if counts is None:
        eng.fresh_tracks[track] = (len(track.windows), len(track.collapsed))
    else:
        fresh = track.collapsed[counts[1] :] if collapsed else track.windows[counts[0] :]
        for window in fresh:
            # users 0: its statistics closed, it is detached
            if window.users > 0 and window.opened == at and _same(window, profile, spec):
                window.users += 1
                return window
    if collapsed:
        busy = track.busy_start()
        window = _make_window(profile, at, [] if busy is None else [busy])
        track.collapsed += (window,)
    else:
        window = _make_window(profile, at, list(track.current_starts()), spec)
        track.windows += (window,)
    return window


def _same(window: Window, profile: TimeProfile, spec: WindowSpec | None) -> bool:
    """Whether ``window`` is what :func:`_make_window` makes of ``profile`` and ``spec``
    (windows with extractors never are: they belong to one statistic)."""
    spec = spec or DEFAULT_SPEC
    if spec.extractors or window.extractors:
        return False
    if (
        window.range_bounds != spec.ranges
        or window.cint_on != spec.current_time_integral
        or window.leave_max != spec.leave_max
        or (window.seen is not None) != spec.distinct_custom
    ):
        return False
    if isinstance(window, (GrowingWindow, SlidingWindow)):
        return bool(window.profile == profile)
    if isinstance(window, SelectionWindow):
        # it keeps the count of its profile only (the name does not change what it holds)
        return isinstance(profile, SelectionProfile) and window.records.maxlen == profile.count
    return isinstance(window, SinceLoginWindow) and isinstance(profile, SinceLoginProfile)


def _make_window(
    profile: TimeProfile, opened: int, open_starts: list[int], spec: WindowSpec | None = None
) -> Window:
    if isinstance(profile, GrowingProfile):
        return GrowingWindow(profile, opened, open_starts, spec)
    if isinstance(profile, SlidingProfile):
        return SlidingWindow(profile, opened, open_starts, spec)
    if isinstance(profile, SelectionProfile):
        return SelectionWindow(profile, opened, open_starts, spec)
    return SinceLoginWindow(opened, open_starts, spec)


def _object_exists(eng: TenantEngine, otype: ObjectType, oid: str) -> bool:
    if otype is ObjectType.AGENT:
        return oid in eng.agents
    if otype is ObjectType.PLACE:
        return oid in eng.places
    if otype is ObjectType.GROUP_AGENTS:
        return oid in eng.agent_groups
    if otype is ObjectType.GROUP_PLACES:
        return oid in eng.place_groups
    if otype is ObjectType.GROUP_QUEUES:
        return oid in eng.dn_groups
    if otype is ObjectType.REGULAR_DN:
        return oid in eng.dns
    if otype in (ObjectType.QUEUE, ObjectType.ROUTE_POINT):
        med = eng.mediation.get(oid)
        return med is not None and med.info.object_type is otype
    if otype is ObjectType.TENANT:
        return oid == eng.name
    return otype is ObjectType.STAGING_AREA


_HAS_MEDIA = frozenset(
    {ObjectType.AGENT, ObjectType.PLACE, ObjectType.GROUP_AGENTS, ObjectType.GROUP_PLACES}
)


#: every action name, one set for every track that follows them all
_ALL_ACTIONS: frozenset[str] = frozenset(ACTIONS)


def _all_names(subject: Subject) -> frozenset[str]:
    return STATUS_NAMES if subject.is_status else _ALL_ACTIONS


def _track(
    eng: TenantEngine,
    otype: ObjectType,
    oid: str,
    subject: Subject,
    mask: frozenset[str],
    *,
    media: frozenset[str] | None,
    filt: CompiledFilter | None,
    reason_restart: bool,
    local: bool,
    at: int,
) -> Track:
    nkey = node_key(otype, oid, subject)
    subject = nkey[2]  # a place's AgentStatus is its PlaceStatus, for the items in progress too
    tkey = (mask, media, filt.name if filt else "", reason_restart, local)
    node = eng.hub.node(nkey)
    track = node.get(tkey)
    if track is None:
        track = Track(
            tkey,
            media=media,
            filter_fn=filt,
            reason_restart=reason_restart,
            pending=eng.hub.pending,
            local=local,
            sink=eng.dirty,
        )
        carriers = eng.carriers_of(otype, oid, subject)
        for carrier in carriers:
            for item in carrier.items_for(subject):
                if item.name in mask:
                    track.join(item, at)
        if subject.is_status and len(carriers) == 1 and track.busy_since is not None:
            # one object's status: it may have stayed in the mask through earlier statuses
            since = getattr(carriers[0], "stayed_since", None)
            found = since(mask) if since is not None and not local else None
            if found is not None:
                track.busy_since = min(track.busy_since, found)
    node.add(track, mask)
    return track


def open_statistic(
    eng: TenantEngine,
    req: ResolvedRequest,
    stat_id: int,
    at: int,
    options: StatOptions,
    *,
    private: bool = False,
) -> Statistic:
    """Open a statistic, or return the pooled one with the same key (unless ``private``)."""
    d = req.definition
    otype, oid = req.object_type, req.object_id
    if otype not in d.objects:
        allowed = ", ".join(sorted(o.value for o in d.objects))
        raise RequestError(
            ErrorCode.OBJECT_TYPE_NOT_ALLOWED,
            f"stat type {d.name!r} applies to {allowed}, not to {otype.value}",
        )
    if not _object_exists(eng, otype, oid):
        raise RequestError(
            ErrorCode.UNKNOWN_OBJECT,
            f"no {otype.value} {oid!r} in tenant {eng.name!r}"
            + (
                " (DNs are named number@switch)"
                if "@" not in oid
                and otype in (ObjectType.REGULAR_DN, ObjectType.QUEUE, ObjectType.ROUTE_POINT)
                else ""
            ),
        )
    profile = req.profile
    cat = d.category
    if profile.kind is ProfileKind.SELECTION and cat.timed:
        raise RequestError(
            ErrorCode.INVALID_DEFINITION,
            f"{cat.name} needs an interval length; a Selection profile has none",
        )
    if isinstance(profile, SinceLoginProfile) and otype not in (ObjectType.AGENT, ObjectType.PLACE):
        raise RequestError(
            ErrorCode.INVALID_DEFINITION,
            "a SinceLogin time profile applies to Agent and AgentPlace objects only",
        )
    key: StatKey = (
        otype.value,
        oid,
        d.definition_key,
        profile.name,
        req.ranges,
        req.filter.name if req.filter else "",
        stat_id if private else 0,
    )
    found = eng.statistics.get(key)
    if found is not None:
        return found

    use_source = d.use_source_timestamps
    if use_source is None:
        use_source = eng.options.use_source_timestamps
    local = not use_source
    common: dict[str, Any] = {"reason_restart": d.reason_restart, "local": local, "at": at}

    if cat.kind == "structured":
        names = _all_names(d.subject)
        main = _track(eng, otype, oid, d.subject, names, media=None, filt=None, **common)
    elif cat.kind == "formula":
        main = _track(
            eng, otype, oid, d.subject, frozenset(), media=d.media, filt=req.filter, **common
        )
    else:
        main = _track(
            eng, otype, oid, d.subject, d.main_mask, media=d.media, filt=req.filter, **common
        )
    stat = Statistic(
        stat_id,
        key,
        d,
        profile,
        main,
        opened_at=at,
        options=options,
        local_time=local,
        tenant=eng.name,
    )
    stat.attach(main, d.subject)
    ranges: tuple[tuple[int, int], ...] = req.ranges[:1] if cat.ranges else ()
    extractors: tuple[Extractor, ...] = ()
    distinct = False
    if cat.needs_formula:
        stat.custom = _CustomValue(d.formula or "")
        if cat.custom:
            extractors = (stat.custom.value_of,)
            distinct = stat.custom.distinct_by_conn_id
    spec = WindowSpec(
        ranges=ranges,
        extractors=extractors,
        distinct_custom=distinct,
        current_time_integral=cat.current_time_integral,
        leave_max=d.subject.is_status,
    )
    if cat.main_window:
        stat.window = _window(eng, main, profile, at, spec)
    elif cat.collapsed:
        stat.window = _window(eng, main, profile, at, None, collapsed=True)
    if cat.uses_rel and d.rel_mask:
        rel_subject = Subject.DN_ACTION if cat.rel_is_action else d.subject
        stat.rel = _track(
            eng, otype, oid, rel_subject, d.rel_mask, media=d.media, filt=None, **common
        )
        stat.attach(stat.rel, rel_subject)
        if cat.rel_window:
            rel_ranges = req.ranges[1:2] if cat.ranges == 2 else ()
            stat.rel_window = _window(eng, stat.rel, profile, at, WindowSpec(ranges=rel_ranges))
    if cat.kind == "formula":
        _open_formula(eng, stat, otype, oid, req, common)
    if cat.kind == "structured":
        stat.structure_fn = structures.builder(eng, otype, oid, d)
        if d.subject is not Subject.DN_ACTION and otype in _HAS_MEDIA:
            # the structure shows media channels too: be told when their actions change
            names = _all_names(Subject.DN_ACTION)
            touch = _track(
                eng, otype, oid, Subject.DN_ACTION, names, media=None, filt=None, **common
            )
            stat.attach(touch, Subject.DN_ACTION)
    _register_since_login(eng, stat, otype, oid)
    if main.listeners and main.listeners[0].attached == stat.attached:
        # the same tracks and subjects as a statistic already reading the main track (the
        # same stat type under another time profile, say): one tuple for both, which is
        # one object fewer per statistic to keep, walk and unpickle
        stat.attached = main.listeners[0].attached
    for track in _tracks(stat):
        track.listeners += (stat,)
    eng.statistics[key] = stat
    return stat


def _open_formula(
    eng: TenantEngine,
    stat: Statistic,
    otype: ObjectType,
    oid: str,
    req: ResolvedRequest,
    common: dict[str, Any],
) -> None:
    d = req.definition
    formula = compile_formula(d.expression or "")
    stat.formula = formula
    parts: list[FormulaPart] = []
    stat.formula_parts = parts
    for agg in formula.aggregates:
        try:
            mask = expand_mask(",".join(agg.actions), d.subject, d.media)
        except ValueError as exc:
            raise RequestError(ErrorCode.INVALID_DEFINITION, f"Expression: {exc}") from None
        track = _track(eng, otype, oid, d.subject, mask, media=d.media, filt=req.filter, **common)
        stat.attach(track, d.subject)
        part = FormulaPart(agg.current, agg.func, track, None, formula, agg.index)
        if not agg.current:
            extractor: Extractor = part.row_value
            part.window = _make_window(
                req.profile,
                stat.opened_at,
                list(track.current_starts()),
                WindowSpec(extractors=(extractor,)),
            )
            track.windows += (part.window,)
        parts.append(part)


def _since_login_key(otype: ObjectType, oid: str) -> str:
    return oid if otype is ObjectType.AGENT else "place:" + oid


def _register_since_login(eng: TenantEngine, stat: Statistic, otype: ObjectType, oid: str) -> None:
    if not isinstance(stat.profile, SinceLoginProfile):
        return
    windows = eng.since_login.setdefault(_since_login_key(otype, oid), [])
    for w in _windows(stat):
        if isinstance(w, SinceLoginWindow) and w not in windows:  # a shared window restarts once
            windows.append(w)


def watch_changes(stat: Statistic) -> None:
    """From now on, an event that changes a track ``stat`` reads puts ``stat`` among the
    changes (``Engine.take_changes``)."""
    for track in _tracks(stat):
        if not any(s is stat for s in track.watched):
            watched = (*track.watched, stat)
            # every reader watched (as in a script with ``watch_all``; the watched are
            # among the readers): one tuple for both
            same = len(watched) == len(track.listeners)
            track.watched = track.listeners if same else watched


def unwatch_changes(stat: Statistic) -> None:
    """The opposite of :func:`watch_changes`; the statistic is computed as before."""
    for track in _tracks(stat):
        track.watched = tuple(s for s in track.watched if s is not stat)


def _tracks(stat: Statistic) -> list[Track]:
    return list(stat.attached[0::2])


def _windows(stat: Statistic) -> list[Window]:
    out = [w for w in (stat.window, stat.rel_window) if w is not None]
    out.extend(p.window for p in stat.formula_parts if p.window is not None)
    return out


def _release(window: Window) -> bool:
    """One statistic less reads ``window``: True when it was the last one."""
    window.users -= 1
    return window.users <= 0


def close_statistic(eng: TenantEngine, stat: Statistic) -> None:
    """Remove a statistic from the pool and detach everything it used."""
    if eng.statistics.get(stat.key) is not stat:
        return
    del eng.statistics[stat.key]
    unwatch_changes(stat)
    windows = [w for w in _windows(stat) if _release(w)]
    for track in _tracks(stat):
        track.windows = tuple(w for w in track.windows if w not in windows)
        track.collapsed = tuple(w for w in track.collapsed if w not in windows)
        track.listeners = tuple(s for s in track.listeners if s is not stat)
    otype = ObjectType(stat.object_type)
    if any(isinstance(w, SinceLoginWindow) for w in windows):
        key = _since_login_key(otype, stat.object_id)
        kept = [w for w in eng.since_login.get(key, ()) if w not in windows]
        if kept:
            eng.since_login[key] = kept
        else:
            eng.since_login.pop(key, None)
    for track, subject in stat.tracks():
        nkey = node_key(otype, stat.object_id, subject)
        node = eng.hub.nodes.get(nkey)
        if node is not None and node.get(track.key) is track:
            node.release(track.key)
            eng.hub.drop_if_empty(nkey)
    eng.dirty.discard(stat)


install_inits(globals())
