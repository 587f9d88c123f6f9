"""The statistics engine: events in, statistic values out.  Pure: no I/O, time is given.

>>> engine = Engine(directory, catalog)                     # doctest: +SKIP
>>> engine.feed(record)                                     # T-Server / Interaction Server event
>>> stat = engine.open(StatisticRequest(...), at=t)         # a shared statistic
>>> engine.value(stat, at=t2)                               # its value at t2

Each tenant is computed by its own :class:`~statserver.core.tenant.TenantEngine` with its own
monotonic clock, so tenants can be split across processes (shards) without changing results.

Bad input never stops the engine.  Rules (``docs/event-link.md``):

* a record that cannot be applied (unknown source, unknown DN, missing attribute, ...) is
  rejected and counted by reason in :attr:`Engine.counters`; when it names a known DN, an
  ``InputError`` action is generated there (TotalNumberErrors counts them);
* a timestamp earlier than the tenant's clock is processed at the clock's time and counted
  as ``clock-went-back``;
* an internal error while applying a record is counted (``internal-error``) and the
  engine goes on.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mypy_extensions import mypyc_attr

from statserver.core import ixn, structures, tlib
from statserver.core.catalog import Catalog, CompiledFilter, parse_time_range
from statserver.core.items import Attrs, whole
from statserver.core.model import Directory, ObjectType, SourceKind
from statserver.core.native_init import install_inits
from statserver.core.opening import (
    ResolvedRequest,
    close_statistic,
    open_statistic,
    unwatch_changes,
    watch_changes,
)
from statserver.core.options import EngineOptions
from statserver.core.portable import Portable, set_dict_state
from statserver.core.state import DnState, MediationState
from statserver.core.stats.categories import Value
from statserver.core.stats.definition import StatDef, Subject, parse_stat_type
from statserver.core.stats.profiles import (
    DEFAULT_PROFILE,
    GrowingProfile,
    TimeProfile,
    parse_time_profile,
)
from statserver.core.stats.statistic import Statistic, StatOptions
from statserver.core.stats.track import Track
from statserver.core.stats.windows import GrowingWindow
from statserver.core.tenant import TenantEngine
from statserver.errors import ErrorCode, EventRejected, RequestError
from statserver.events.record import EventRecord, parse_time

__all__ = ["Engine", "EngineCounters", "IntervalEnded", "StatisticRequest"]


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class StatisticRequest:
    """What a client asks for (OpenStatistic / OpenStatisticEx / GetStatistic ...).

    ``stat_type`` names a configured stat type; ``inline`` gives one instead, with the
    Genesys keys (``Category``, ``MainMask``, ``RelMask``, ``Subject``, ``MediaType``, ...).
    ``inline_profile`` is ``(type, value)`` for an inline time profile (``("Sliding",
    "3600:60")``).  A time range may be a configured name or literal seconds ``"0-20"``.
    """

    tenant: str
    object_type: str
    object_id: str
    stat_type: str | None = None
    inline: Mapping[str, Any] | None = None
    time_profile: str | None = None
    inline_profile: tuple[str, str] | None = None
    time_range: str | None = None
    time_range2: str | None = None
    filter: str | None = None


@mypyc_attr(native_class=False)
@dataclass
class EngineCounters:
    received: int = 0
    applied: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    clock_went_back: int = 0
    #: events applied with something odd about them (``unknown-agent``, ``unknown-call``,
    #: ``implicit-login``, ...), by reason; shared with every tenant's ``warnings``
    warnings: dict[str, int] = field(default_factory=dict)

    def reject(self, reason: str) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class IntervalEnded:
    """A Growing interval of a watched statistic ended at ``boundary`` with ``value``."""

    statistic: Statistic
    boundary: int
    value: Value


class Engine(Portable):
    def __setstate__(self, state: Any) -> None:
        self.watch_all = False  # not in a snapshot written by 0.3.0
        # backup formats 4 and 5 (0.3.0, 0.3.1) held an index of the statistics by id
        set_dict_state(self, state, dropped=("_by_id",))
        # whoever watched changes before the restart is gone (a snapshot written by 0.3.0
        # has no ``watched`` at all): clients that come back subscribe again; a snapshot of
        # backup format 4 (0.3.0) keyed the open segments by item id
        for tenant in self.tenants.values():
            for node in tenant.hub.nodes.values():
                for track, _names, _refs in node.tracks.values():
                    track.watched = ()
                    track.key_by_item()

    def __init__(
        self,
        directory: Directory,
        catalog: Catalog | None = None,
        options: EngineOptions | None = None,
        *,
        watch_all: bool = False,
        collect_changes: bool = False,
    ) -> None:
        """``watch_all``: every statistic opened is watched for changes, as if given to
        :meth:`watch_changes` (scripts and tests; a server watches only what its clients
        ask to be told of).  ``collect_changes`` is its name in 0.3.0."""
        #: every statistic opened is watched for changes (:meth:`watch_changes`)
        self.watch_all = watch_all or collect_changes
        self.directory = directory
        self.catalog = catalog or Catalog()
        self.options = options or EngineOptions()
        self.stat_options = StatOptions(
            load_balance_aht=self.options.load_balance_aht,
            action_total_number_at=self.options.action_total_number_at,
            clip_current_to_open=self.options.clip_current_to_open,
        )
        self.counters = EngineCounters()
        self.last_internal_error: str | None = None
        self.tenants: dict[str, TenantEngine] = {
            name: TenantEngine(model, self.catalog, self.options)
            for name, model in directory.tenants.items()
        }
        for tenant in self.tenants.values():
            tenant.warnings = self.counters.warnings
        self._next_id = 0
        self._resets: list[tuple[int, int]] = []
        self._watched: dict[int, Statistic] = {}
        self._ended: list[IntervalEnded] = []
        # source -> [(tenant, switch)] for T-Servers; source -> tenants for Interaction Servers
        self._switches: dict[str, list[tuple[str, str]]] = {}
        self._index_switches()

    def _index_switches(self) -> None:
        self._switches = {}
        for tname, model in self.directory.tenants.items():
            for sw in model.switches.values():
                if sw.source:
                    self._switches.setdefault(sw.source, []).append((tname, sw.name))

    def reconfigure(
        self, directory: Directory, catalog: Catalog, options: EngineOptions | None = None
    ) -> None:
        """Apply a new configuration without resetting what did not change
        (:mod:`statserver.core.reconfigure`).  A tenant removed from the configuration keeps
        running while statistics use it."""
        from statserver.core.reconfigure import apply_model

        self.directory = directory
        self.catalog = catalog
        if options is not None:
            self.options = options
            self.stat_options = StatOptions(
                load_balance_aht=options.load_balance_aht,
                action_total_number_at=options.action_total_number_at,
                clip_current_to_open=options.clip_current_to_open,
            )
        for name, model in directory.tenants.items():
            tenant = self.tenants.get(name)
            if tenant is None:
                tenant = self.tenants[name] = TenantEngine(model, catalog, self.options)
                continue
            tenant.catalog = catalog
            tenant.options = self.options
            if tenant.started:
                apply_model(tenant, model)
                tenant.settle()
            else:
                tenant.model = model
        for name in [n for n in self.tenants if n not in directory.tenants]:
            if not self.tenants[name].statistics:
                del self.tenants[name]
        self._index_switches()

    # ------------------------------------------------------------------ events
    def feed(self, record: EventRecord, received_at: float | None = None) -> bool:
        """Apply one event; False when it was rejected (and counted)."""
        self.counters.received += 1
        try:
            t = parse_time(record.time)
        except ValueError:
            self.counters.reject("bad-time")
            return False
        source = self.directory.sources.get(record.source)
        if source is None:
            self.counters.reject("unknown-source")
            return False
        try:
            if source.kind is SourceKind.TSERVER:
                self._feed_tserver(record, t, received_at)
            else:
                self._feed_interaction(record, t, received_at, source.tenants)
        except EventRejected as exc:
            self.counters.reject(exc.reason)
            return False
        self.counters.applied += 1
        return True

    def _clock(self, tenant: TenantEngine, t: float, received_at: float | None) -> None:
        tl = t if received_at is None else received_at
        if not tenant.started:
            tenant.begin(t, tl)
            self._advance_resets(whole(t))
            return
        if t < tenant.ts:
            self.counters.clock_went_back += 1
            t = tenant.ts
        tl = max(tl, tenant.tl)
        self._advance_resets(whole(t))
        tenant.set_time(t, tl)

    @staticmethod
    def _link_time(tenant: TenantEngine, t: float, received_at: float | None) -> float:
        """Link state changes are stamped by the receiving side.  They are applied on the
        tenant's source clock (moved on by the wall time since its last event), never ahead
        of it: a source whose clock lags must not see its next events clamped."""
        if not tenant.started or received_at is None:
            return t
        return max(tenant.ts, min(t, tenant.ts + max(0.0, received_at - tenant.tl)))

    def _apply(self, tenant: TenantEngine, handler: Any, record: EventRecord, key: str) -> None:
        try:
            handler(tenant, record, key)
        except EventRejected:
            raise
        except Exception as exc:  # a bug must not stop the engine
            self.last_internal_error = f"{type(exc).__name__}: {exc} (event {record.event})"
            raise EventRejected("internal-error", self.last_internal_error) from exc
        finally:
            tenant.settle()

    def _feed_tserver(self, record: EventRecord, t: float, received_at: float | None) -> None:
        places = self._switches.get(record.source, [])
        if not places:
            raise EventRejected("unknown-source", f"source {record.source} reports no switch")
        if record.event in ("EventLinkConnected", "EventLinkDisconnected"):
            for tname, switch in places:
                tenant = self.tenants[tname]
                self._clock(tenant, self._link_time(tenant, t, received_at), received_at)
                if record.event == "EventLinkConnected":
                    tlib.link_connected(tenant, switch)
                else:
                    tlib.link_disconnected(tenant, switch)
                tenant.settle()
            return
        tname, switch = places[0]
        if len(places) > 1 and record.this_dn:
            for tn, sw in places:
                if self.tenants[tn].model.dns.get(f"{record.this_dn}@{sw}") is not None:
                    tname, switch = tn, sw
                    break
        tenant = self.tenants[tname]
        handler = tlib.TLIB_HANDLERS.get(record.event)
        if handler is None:
            raise EventRejected(
                "not-a-tserver-event", f"{record.event} is not a T-Server event we handle"
            )
        self._clock(tenant, t, received_at)
        try:
            self._apply(tenant, handler, record, switch)
        except EventRejected as exc:
            if exc.reason != "unknown-dn" and record.this_dn:
                target = tenant.dn_for(switch, record.this_dn)
                if target is not None:
                    if isinstance(target, DnState):
                        tlib.register(tenant, target)
                    tenant.instant(target, "InputError", Attrs(conn_id=record.conn_id))
                    tenant.settle()
            raise

    def _feed_interaction(
        self, record: EventRecord, t: float, received_at: float | None, tenants: Iterable[str]
    ) -> None:
        served = [name for name in tenants if name in self.tenants] or list(self.tenants)
        if record.event in ("EventLinkDisconnected", "EventLinkConnected"):
            for name in served:
                tenant = self.tenants[name]
                self._clock(tenant, self._link_time(tenant, t, received_at), received_at)
                if record.event == "EventLinkDisconnected":
                    ixn.drop_source(tenant, record.source)
                    tenant.ixn_down.add(record.source)
                else:
                    tenant.ixn_down.discard(record.source)
                tenant.settle()
            return
        name = self._ixn_tenant(record, served)
        tenant = self.tenants[name]
        handler = ixn.IXN_HANDLERS.get(record.event)
        if handler is None:
            raise EventRejected(
                "not-an-interaction-server-event",
                f"{record.event} is not an Interaction Server event we handle",
            )
        self._clock(tenant, t, received_at)
        self._apply(tenant, handler, record, record.source)

    def _ixn_tenant(self, record: EventRecord, served: list[str]) -> str:
        if record.tenant:
            if record.tenant not in served:
                raise EventRejected(
                    "unknown-tenant", f"tenant {record.tenant!r} is not served by {record.source}"
                )
            return record.tenant
        if len(served) == 1:
            return served[0]
        for name in served:
            tenant = self.tenants[name]
            if record.agent_id and tenant.model.agents.get(record.agent_id) is not None:
                return name
            if record.queue and record.queue in tenant.staging:
                return name
        raise EventRejected(
            "unknown-tenant",
            f"cannot tell the tenant of {record.event} from {record.source}; add 'tenant'",
        )

    # ------------------------------------------------------------------ statistics
    def _tenant(self, name: str) -> TenantEngine:
        tenant = self.tenants.get(name)
        if tenant is None:
            known = ", ".join(sorted(self.tenants)) or "none"
            raise RequestError(ErrorCode.UNKNOWN_TENANT, f"no tenant {name!r}; known: {known}")
        return tenant

    def resolve(self, req: StatisticRequest) -> ResolvedRequest:
        """Check a request against the catalog; raises :class:`RequestError`."""
        try:
            otype = ObjectType.parse(req.object_type)
        except ValueError as exc:
            raise RequestError(ErrorCode.UNKNOWN_OBJECT_TYPE, str(exc)) from None
        definition = self._definition(req, otype)
        profile = self._profile(req)
        cat = definition.category
        ranges: list[tuple[int, int]] = []
        if cat.ranges and (req.time_range or not cat.range_optional):
            ranges.append(
                self._range(req.time_range) if req.time_range else (self.catalog.default_range)
            )
            if cat.ranges == 2 and req.time_range2:
                ranges.append(self._range(req.time_range2))
        filt: CompiledFilter | None = None
        if req.filter:
            filt = self.catalog.filters.get(req.filter)
            if filt is None:
                known = ", ".join(sorted(self.catalog.filters)) or "none configured"
                raise RequestError(
                    ErrorCode.UNKNOWN_FILTER, f"no filter {req.filter!r}; known: {known}"
                )
        return ResolvedRequest(otype, req.object_id, definition, profile, tuple(ranges), filt)

    def _definition(self, req: StatisticRequest, otype: ObjectType) -> StatDef:
        if req.inline is not None:
            keys = dict(req.inline)
            keys.setdefault("Objects", otype.value)
            try:
                return parse_stat_type(req.stat_type or "<inline>", keys)
            except ValueError as exc:
                raise RequestError(ErrorCode.INVALID_DEFINITION, str(exc)) from None
        if not req.stat_type:
            raise RequestError(ErrorCode.MALFORMED_REQUEST, "the metric names no statisticType")
        found = self.catalog.stat_types.get(req.stat_type)
        if found is None:
            raise RequestError(
                ErrorCode.UNKNOWN_STAT_TYPE,
                f"no stat type {req.stat_type!r}; GetStatisticProfile lists the configured ones",
            )
        return found

    def _profile(self, req: StatisticRequest) -> TimeProfile:
        if req.inline_profile is not None:
            kind, value = req.inline_profile
            try:
                return parse_time_profile(f"{kind}:{value}", kind, value)
            except ValueError as exc:
                raise RequestError(ErrorCode.UNKNOWN_TIME_PROFILE, str(exc)) from None
        name = req.time_profile or DEFAULT_PROFILE
        found = self.catalog.profiles.get(name)
        if found is None:
            known = ", ".join(sorted(self.catalog.profiles))
            raise RequestError(
                ErrorCode.UNKNOWN_TIME_PROFILE, f"no time profile {name!r}; known: {known}"
            )
        return found

    def _range(self, name: str) -> tuple[int, int]:
        found = self.catalog.ranges.get(name)
        if found is not None:
            return found
        try:
            return parse_time_range(name)
        except ValueError:
            known = ", ".join(sorted(self.catalog.ranges)) or "none configured"
            raise RequestError(
                ErrorCode.UNKNOWN_TIME_RANGE,
                f"no time range {name!r} (known: {known}); a literal such as '0-20' also works",
            ) from None

    def open(
        self, req: StatisticRequest, at: float | None = None, *, private: bool = False
    ) -> Statistic:
        """Open (or find in the pool) the statistic; counting starts at ``at``.

        A ``private`` statistic is never shared with another request (replay queries: each
        is opened at its own time).  Opening before any event without ``at`` starts the
        tenant's clock at the Unix epoch: give ``at`` (or feed an event first).
        """
        tenant = self._tenant(req.tenant)
        resolved = self.resolve(req)
        if not tenant.started:
            t0 = at if at is not None else 0.0
            tenant.begin(t0, t0)
            tenant.settle()
        elif at is not None and at > tenant.ts:
            self._advance_resets(whole(at))
            tenant.set_time(at, max(at, tenant.tl))
        self._next_id += 1
        stat_id = self._next_id
        stat = open_statistic(
            tenant, resolved, stat_id, tenant.tsw, self.stat_options, private=private
        )
        if self.watch_all:
            watch_changes(stat)
        stat.refs += 1
        return stat

    def tenant_of(self, stat: Statistic) -> TenantEngine:
        return self.tenants[stat.tenant]

    def now_for(self, stat: Statistic, at: float | None = None) -> int:
        """The time a value is read at: never before the tenant's last event."""
        tenant = self.tenant_of(stat)
        floor = tenant.tlw if stat.local_time else tenant.tsw
        if at is None:
            return floor
        return max(whole(at), floor)

    def read_time(self, stat: Statistic, wall_now: float) -> float:
        """The time to read a statistic at, for a live server whose clock says ``wall_now``.

        Statistics measured with local times read at ``wall_now``.  Those measured with
        source times read at the tenant's source clock moved on by the wall time elapsed
        since its last event, so a source whose clock is off, or a file replayed faster than
        real time, still gives smoothly growing times.
        """
        tenant = self.tenant_of(stat)
        if stat.local_time or not tenant.started:
            return wall_now
        return tenant.ts + max(0.0, wall_now - tenant.tl)

    def target_states(self, stat: Statistic) -> dict[str, dict[str, Any]]:
        """CurrentTargetState: the routing targets under the statistic's object, by agent."""
        tenant = self.tenant_of(stat)
        return structures.target_states(tenant, ObjectType(stat.object_type), stat.object_id)

    def is_valid(self, stat: Statistic) -> bool:
        """False while the statistic cannot be computed reliably (Genesys StatisticInvalid).

        * a DN under the object is not monitored: its T-Server link is down, or came back and
          the DN is not registered again (sources that never report their link state, such
          as recorded files, are always considered up);
        * an Interaction Server of the tenant is disconnected and the statistic concerns
          non-voice media (a MediaType other than voice) or a staging area.
        """
        tenant = self.tenant_of(stat)
        otype = ObjectType(stat.object_type)
        if tenant.ixn_down:
            media = stat.definition.media
            if otype is ObjectType.STAGING_AREA or (media is not None and media - {"voice"}):
                return False
        links = tenant.link_state
        if not links:
            return True
        for carrier in tenant.carriers_of(otype, stat.object_id, Subject.DN_STATUS):
            if (
                isinstance(carrier, (DnState, MediationState))
                and not carrier.registered
                and carrier.info.switch in links
            ):
                return False
        return True

    def value(self, stat: Statistic, at: float | None = None) -> Value:
        """The value at ``at`` (default: the tenant's last event).  Reading changes nothing:
        the value of a later read, and what later events do, never depend on earlier reads
        (a live server reads ahead of its sources' clocks; Growing intervals of watched
        statistics end through :meth:`advance` and events)."""
        return stat.value(self.now_for(stat, at))

    def release(self, stat: Statistic) -> None:
        """A client no longer needs the statistic (it stays in the pool)."""
        stat.refs = max(0, stat.refs - 1)

    def remove(self, stat: Statistic) -> None:
        """Remove a statistic from the pool (no client uses it any more)."""
        if not self._is_open(stat):
            return
        self._watched.pop(stat.id, None)
        close_statistic(self.tenants[stat.tenant], stat)

    def _is_open(self, stat: Statistic) -> bool:
        tenant = self.tenants.get(stat.tenant)
        return tenant is not None and tenant.statistics.get(stat.key) is stat

    # The statistics are found through their tenants' pools (by key) only: an index by id
    # would cost ~70 bytes per statistic (its entry and, on the compiled build, an int
    # object for each key), a sixth of a statistic's memory (bench/README.md, eleventh
    # session).
    def statistics(self) -> list[Statistic]:
        """Every open statistic, tenant by tenant, each tenant's in the order they were
        opened (its pool's order)."""
        return [stat for t in self.tenants.values() for stat in t.statistics.values()]

    def statistic(self, stat_id: int) -> Statistic | None:
        """The open statistic with this id, if any: a walk over the pools (a caller that
        looks up many keeps its own index, as the journal's replay does)."""
        for tenant in self.tenants.values():
            for stat in tenant.statistics.values():
                if stat.id == stat_id:
                    return stat
        return None

    def statistic_count(self) -> int:
        """How many statistics are open (without listing them)."""
        return sum(len(t.statistics) for t in self.tenants.values())

    def watch_changes(self, stat: Statistic) -> None:
        """Give ``stat`` in :meth:`take_changes` whenever an event changes it (a client
        is told of its changes).  A statistic nobody watches is computed all the same,
        and collecting its changes costs nothing."""
        if self._is_open(stat):
            watch_changes(stat)

    def unwatch_changes(self, stat: Statistic) -> None:
        """Stop giving ``stat`` in :meth:`take_changes` (its last Changes-mode subscriber
        has gone); nothing else about it changes."""
        unwatch_changes(stat)

    def take_changes(self) -> set[Statistic]:
        """The watched statistics (:meth:`watch_changes`, or all with ``watch_all``) that
        events changed since the last call.  The tenants collect the changed tracks, once
        each, and they become statistics here, once per call: an event costs one set entry
        per track it changes that a watched statistic reads, not one per statistic, and
        nothing for the statistics nobody watches."""
        out: set[Statistic] = set()
        for tenant in self.tenants.values():
            dirty = tenant.dirty
            if dirty:
                for touched in dirty:
                    if isinstance(touched, Track):
                        out.update(touched.watched)
                    else:  # a statistic, in a snapshot written before tracks were collected
                        out.add(touched)
                dirty.clear()
        return out

    # ------------------------------------------------------------------ resets
    def watch_resets(self, stat: Statistic) -> bool:
        """Report the final value of each Growing interval of ``stat`` (Reset notification)."""
        window = stat.window or stat.rel_window
        if not isinstance(stat.profile, GrowingProfile) or not isinstance(window, GrowingWindow):
            return False
        if stat.id not in self._watched:
            self._watched[stat.id] = stat
            heapq.heappush(self._resets, (window.next_reset(), stat.id))
        return True

    def unwatch_resets(self, stat: Statistic) -> None:
        self._watched.pop(stat.id, None)

    def _advance_resets(self, now: int) -> list[IntervalEnded]:
        ended: list[IntervalEnded] = []
        heap = self._resets
        while heap and heap[0][0] <= now:
            boundary = heap[0][0]
            due: list[Statistic] = []
            while heap and heap[0][0] == boundary:
                stat = self._watched.get(heapq.heappop(heap)[1])
                if stat is not None:
                    due.append(stat)
            # every final value first: statistics opened together may share a window, which
            # must not move on before the last of them is read
            ended.extend(IntervalEnded(s, boundary, s.value_before(boundary)) for s in due)
            for stat in due:
                window = stat.window or stat.rel_window
                assert isinstance(window, GrowingWindow)
                window.advance(boundary)
                heapq.heappush(heap, (window.next_reset(), stat.id))
        self._ended.extend(ended)
        return ended

    def advance(self, now: float) -> list[IntervalEnded]:
        """Let the clock reach ``now``: returns the intervals that ended (watched stats)."""
        self._advance_resets(whole(now))
        ended, self._ended = self._ended, []
        return ended


install_inits(globals())
