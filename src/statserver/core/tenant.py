"""The engine of one tenant: state, action primitives, propagation and statuses.

A tenant is the unit of sharding: everything here depends only on the tenant's own events
and clock, so tenants can be computed by separate processes.  Event handlers live in
:mod:`statserver.core.tlib` and :mod:`statserver.core.ixn`; statistic construction in
:mod:`statserver.core.opening`; CurrentState structures in :mod:`statserver.core.structures`.

Every change happens at the engine's current time (``ts``/``tl``: source and local exact
times; ``tsw``/``tlw`` the same in whole seconds).  Statuses are settled once at the end of
each event, so an event that ends one action and starts another never shows a transient
status.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from statserver.core import status as status_rules
from statserver.core.catalog import Catalog
from statserver.core.expr import compile_group_script
from statserver.core.feeds import Carrier, Hub, ObjectKey
from statserver.core.items import EMPTY_ATTRS, Attrs, Item, whole
from statserver.core.model import DnKind, ObjectType, TenantModel, dn_key
from statserver.core.native_init import install_inits
from statserver.core.options import EngineOptions
from statserver.core.portable import Portable, set_dict_state
from statserver.core.state import (
    AgentState,
    DnState,
    GroupState,
    MediaChannel,
    MediationState,
    PlaceState,
    StagingState,
    StatusCarrier,
    TenantCarrier,
)
from statserver.core.stats.definition import Subject
from statserver.core.vocabulary import DN_SPT

if TYPE_CHECKING:
    from statserver.core.stats.statistic import Statistic
    from statserver.core.stats.track import Track
    from statserver.core.stats.windows import SinceLoginWindow

__all__ = ["TenantEngine"]

_DA, _DS, _AS, _PS, _GS = (
    Subject.DN_ACTION,
    Subject.DN_STATUS,
    Subject.AGENT_STATUS,
    Subject.PLACE_STATUS,
    Subject.GROUP_STATUS,
)
_SPT_DN = frozenset(DN_SPT)


class _Counter(Portable):
    """Item ids (itertools.count does not pickle in every Python version)."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def take(self) -> int:
        self.n += 1
        return self.n


class TenantEngine(Portable):
    def __setstate__(self, state: Any) -> None:
        # before 0.3.2 (backup formats 4 and 5) the windows opened since the last event were
        # kept by key, always empty in a snapshot (emptied after every event)
        self.fresh_tracks: dict[Track, tuple[int, int]] = {}
        set_dict_state(self, state, dropped=("fresh_windows",))

    def __init__(self, model: TenantModel, catalog: Catalog, options: EngineOptions) -> None:
        self.name = model.name
        self.model = model
        self.catalog = catalog
        self.options = options
        self.hub = Hub()
        self.ids = _Counter()
        self.started = False
        self.ts = self.tl = 0.0
        self.tsw = self.tlw = 0
        #: tracks changed since the caller last took the changes (Engine.take_changes), one
        #: entry per track however many statistics listen to it and however many events
        #: changed it (a snapshot of an earlier version holds the statistics themselves);
        #: the set object is never replaced: tracks hold a reference to it
        self.dirty: set[Any] = set()
        self.tenant_carrier = TenantCarrier(model.name)
        self.tenant_carrier.targets = [(ObjectType.TENANT, model.name)]
        self.dns: dict[str, DnState] = {}
        self.mediation: dict[str, MediationState] = {}
        self.agents: dict[str, AgentState] = {}
        self.places: dict[str, PlaceState] = {}
        self.agent_groups: dict[str, GroupState] = {}
        self.place_groups: dict[str, GroupState] = {}
        self.dn_groups: dict[str, GroupState] = {}
        self.staging: dict[str, StagingState] = {}
        self.dn_groups_of: dict[str, set[str]] = {}
        self.login_index: dict[tuple[str, str], str] = {}
        #: per switch: connection id -> (mediation DN key, enter time) of distributed calls
        self.distributed: dict[tuple[str, str], tuple[str, float]] = {}
        #: interaction id -> when it was first seen; the staging area it waits in; the media
        #: channels of the agents it is delivered to or handled by
        self.interactions: dict[str, float] = {}
        self.ixn_area: dict[str, StagingState] = {}
        self.ixn_channels: dict[str, set[MediaChannel]] = {}
        self.since_login: dict[str, list[SinceLoginWindow]] = {}
        #: the tracks on which windows opened since the last event, with the lengths of
        #: their ``windows`` and ``collapsed`` before the first of them: a statistic opened
        #: at the same instant with the same track, profile and spec shares the window
        #: (``opening._window``); emptied by :meth:`settle`, after every event
        self.fresh_tracks = {}
        #: switch -> whether its T-Server link is up (only switches whose link was reported)
        self.link_state: dict[str, bool] = {}
        #: Interaction Servers whose link is down
        self.ixn_down: set[str] = set()
        self.warnings: dict[str, int] = {}
        self._dirty_dns: dict[str, DnState] = {}
        self._dirty_med: dict[str, MediationState] = {}
        self._dirty_agents: dict[str, AgentState] = {}
        self._dirty_places: dict[str, PlaceState] = {}
        self._dirty_groups: dict[str, GroupState] = {}
        self.statistics: dict[Any, Statistic] = {}
        self.switch_names = frozenset(model.switches)

    # ------------------------------------------------------------------ construction
    def begin(self, t: float, tl: float | None = None) -> None:
        """Create the state of every configured object at time ``t`` (first event or open)."""
        if self.started:
            return
        self.started = True
        self.set_time(t, t if tl is None else tl)
        model = self.model
        self.login_index = model.agent_by_login()
        place_of = model.place_of_dn()
        for info in model.dns.values():
            if info.kind is DnKind.MEDIATION:
                self.mediation[info.key] = MediationState(info, self._item("NotMonitored"))
            else:
                dn = DnState(info, self.name, self._item("NotMonitored"), place_of.get(info.key))
                dn.monitor_item = self._dn_raw_start(dn, "NotMonitored")
                self.dns[info.key] = dn
        for pinfo in model.places.values():
            self.places[pinfo.name] = PlaceState(pinfo, self._item("NotMonitored"))
        for ainfo in model.agents.values():
            self.agents[ainfo.employee_id] = AgentState(ainfo, self.name, self._item("LoggedOut"))
        for ginfo in model.agent_groups.values():
            script = compile_group_script(ginfo.script, self.switch_names) if ginfo.script else None
            self.agent_groups[ginfo.name] = GroupState(
                ginfo, ObjectType.GROUP_AGENTS, self._item("LoggedOut"), script
            )
        for ginfo in model.place_groups.values():
            self.place_groups[ginfo.name] = GroupState(
                ginfo, ObjectType.GROUP_PLACES, self._item("NotMonitored"), None
            )
        for ginfo in model.dn_groups.values():
            self.dn_groups[ginfo.name] = GroupState(
                ginfo, ObjectType.GROUP_QUEUES, self._item("NotMonitored"), None
            )
            for member in ginfo.members:
                self.dn_groups_of.setdefault(member, set()).add(ginfo.name)
        for group in self.place_groups.values():
            for member in group.info.members:
                if member in self.places:
                    group.members.add(member)
                    self.places[member].groups.add(group.key)
        for group in self.agent_groups.values():
            if group.script is None:
                for member in group.info.members:
                    if member in self.agents:
                        group.members.add(member)
                        self.agents[member].groups.add(group.key)
            else:
                for agent in self.agents.values():
                    if group.script.matches(status_rules.AgentFacts(self, agent)):
                        group.members.add(agent.key)
                        agent.groups.add(group.key)
        for group in (*self.agent_groups.values(), *self.place_groups.values()):
            group.targets = [(group.kind, group.key)]
            self._recount_group(group)
        for dn in self.dns.values():
            dn.targets = self._dn_targets(dn)
        for med in self.mediation.values():
            med.targets = self._mediation_targets(med)
        for agent in self.agents.values():
            agent.targets = self._agent_targets(agent)
            agent.capacity.targets = self._channel_targets(agent)
        for place in self.places.values():
            place.targets = self._place_targets(place)

    # ------------------------------------------------------------------ time and items
    def set_time(self, ts: float, tl: float) -> None:
        self.ts, self.tl = ts, tl
        self.tsw, self.tlw = whole(ts), whole(tl)

    def _item(self, name: str, attrs: Attrs = EMPTY_ATTRS, origin: str = "") -> Item:
        return Item(self.ids.take(), name, self.ts, self.tsw, self.tlw, attrs, origin)

    def duration_since(self, start_exact: float) -> int:
        """Whole seconds from ``start_exact`` to now (milliseconds truncated on both sides)."""
        return max(0, self.tsw - whole(start_exact))

    def warn(self, reason: str) -> None:
        self.warnings[reason] = self.warnings.get(reason, 0) + 1

    # ------------------------------------------------------------------ generic primitives
    def start(self, carrier: Carrier, store: dict[int, Item], name: str, attrs: Attrs) -> Item:
        """Start a durable action on a carrier (not a regular DN: see :meth:`dn_start`)."""
        item = self._item(name, attrs, carrier.key)
        store[item.id] = item
        ts, tl = self.tsw, self.tlw
        for node in carrier.nodes(self.hub, _DA):
            node.start(item, ts, tl)
        return item

    def end(self, carrier: Carrier, store: dict[int, Item], item: Item) -> None:
        if store.pop(item.id, None) is None:
            return
        ts, tl = self.tsw, self.tlw
        for node in carrier.nodes(self.hub, _DA):
            node.end(item, ts, tl)

    def instant(self, carrier: Carrier, name: str, attrs: Attrs, duration: int = 0) -> None:
        nodes = carrier.nodes(self.hub, _DA)
        if not nodes:
            return
        item = self._item(name, attrs, carrier.key)
        ts, tl = self.tsw, self.tlw
        for node in nodes:
            node.instant(item, ts, tl, duration)

    def update(self, carrier: Carrier, item: Item, attrs: Attrs) -> None:
        if item.attrs == attrs:
            return
        reasons_changed = item.attrs.reasons != attrs.reasons
        item.attrs = attrs
        ts, tl = self.tsw, self.tlw
        for node in carrier.nodes(self.hub, _DA):
            node.update(item, ts, tl, reasons_changed)

    # ------------------------------------------------------------------ regular DN primitives
    def _dn_raw_start(self, dn: DnState, name: str, attrs: Attrs = EMPTY_ATTRS) -> Item:
        item = self._item(name, attrs, dn.key)
        dn.open[item.id] = item
        if name in _SPT_DN:
            dn.by_name.setdefault(name, {})[item.id] = item
        return item

    def dn_start(self, dn: DnState, name: str, attrs: Attrs = EMPTY_ATTRS) -> Item:
        item = self._dn_raw_start(dn, name, attrs)
        ts, tl = self.tsw, self.tlw
        for node in dn.nodes(self.hub, _DA):
            node.start(item, ts, tl)
        if name in _SPT_DN:
            self._dirty_dns[dn.key] = dn
        return item

    def dn_end(self, dn: DnState, item: Item | None) -> None:
        if item is None or dn.open.pop(item.id, None) is None:
            return
        self.dn_hide(dn, item)
        ts, tl = self.tsw, self.tlw
        for node in dn.nodes(self.hub, _DA):
            node.end(item, ts, tl)

    def dn_hide(self, dn: DnState, item: Item) -> None:
        """Take an item out of status computation (a held call's talking action)."""
        same = dn.by_name.get(item.name)
        if same is not None and same.pop(item.id, None) is not None:
            if not same:
                del dn.by_name[item.name]
            self._dirty_dns[dn.key] = dn

    def dn_show(self, dn: DnState, item: Item) -> None:
        if item.id in dn.open and item.name in _SPT_DN:
            dn.by_name.setdefault(item.name, {})[item.id] = item
            self._dirty_dns[dn.key] = dn

    def dn_instant(self, dn: DnState, name: str, attrs: Attrs, duration: int = 0) -> None:
        self.instant(dn, name, attrs, duration)

    def dn_update(self, dn: DnState, item: Item | None, attrs: Attrs) -> None:
        if item is None or item.id not in dn.open:
            return
        self.update(dn, item, attrs)
        if item.name in _SPT_DN:
            self._dirty_dns[dn.key] = dn

    def mark_dn(self, dn: DnState) -> None:
        self._dirty_dns[dn.key] = dn

    def mark_place(self, place: PlaceState) -> None:
        self._dirty_places[place.key] = place

    def mark_group(self, group: GroupState) -> None:
        self._dirty_groups[group.key] = group

    def new_item(self, name: str, attrs: Attrs = EMPTY_ATTRS, origin: str = "") -> Item:
        """A status or action item stamped with the current time (not yet propagated)."""
        return self._item(name, attrs, origin)

    def refresh_targets(self) -> None:
        """Recompute every carrier's targets (after a configuration change)."""
        for group in (*self.agent_groups.values(), *self.place_groups.values()):
            group.targets = [(group.kind, group.key)]
            self._recount_group(group)
        for dn in self.dns.values():
            self.retarget(dn, self._dn_targets(dn), (_DA, _DS))
            self._dirty_dns[dn.key] = dn
        for med in self.mediation.values():
            self.retarget(med, self._mediation_targets(med), (_DA, _DS))
            self._dirty_med[med.key] = med
        for agent in self.agents.values():
            self.retarget_agent(agent)
            self._dirty_agents[agent.key] = agent
        for place in self.places.values():
            self.retarget(place, self._place_targets(place), (_PS,))
            self._dirty_places[place.key] = place

    def mark_agent(self, agent: AgentState) -> None:
        self._dirty_agents[agent.key] = agent

    def mark_mediation(self, med: MediationState) -> None:
        self._dirty_med[med.key] = med

    # ------------------------------------------------------------------ lookups
    def dn_for(self, switch: str, number: str | None) -> DnState | MediationState | None:
        if number is None:
            return None
        key = dn_key(number, switch)
        return self.dns.get(key) or self.mediation.get(key)

    def agent_by_login(self, switch: str, login_id: str | None) -> AgentState | None:
        if not login_id:
            return None
        emp = self.login_index.get((switch, login_id))
        if emp is None:
            # an employee id is accepted where a login id is expected
            return self.agents.get(login_id)
        return self.agents.get(emp)

    def agent_for_media(self, agent_id: str | None) -> AgentState | None:
        """Interaction Servers report the employee id; a login id or user name also works."""
        if not agent_id:
            return None
        found = self.agents.get(agent_id)
        if found is not None:
            return found
        for (_switch, login), emp in self.login_index.items():
            if login == agent_id:
                return self.agents.get(emp)
        for agent in self.agents.values():
            if agent.info.user_name == agent_id:
                return agent
        return None

    def staging_area(self, name: str) -> StagingState:
        area = self.staging.get(name)
        if area is None:
            area = self.staging[name] = StagingState(name, self.name)
            area.targets = [(ObjectType.STAGING_AREA, name), (ObjectType.TENANT, self.name)]
        return area

    # ------------------------------------------------------------------ targets
    def _dn_targets(self, dn: DnState) -> list[ObjectKey]:
        out: list[ObjectKey] = [(ObjectType.REGULAR_DN, dn.key)]
        if dn.place is not None and dn.place in self.places:
            out.append((ObjectType.PLACE, dn.place))
            out.extend((ObjectType.GROUP_PLACES, g) for g in self.places[dn.place].groups)
        if dn.agent is not None:
            agent = self.agents[dn.agent]
            out.append((ObjectType.AGENT, agent.key))
            out.extend((ObjectType.GROUP_AGENTS, g) for g in agent.groups)
        out.extend((ObjectType.GROUP_QUEUES, g) for g in self.dn_groups_of.get(dn.key, ()))
        out.append((ObjectType.TENANT, self.name))
        return out

    def _mediation_targets(self, med: MediationState) -> list[ObjectKey]:
        out: list[ObjectKey] = [(med.info.object_type, med.key)]
        out.extend((ObjectType.GROUP_QUEUES, g) for g in self.dn_groups_of.get(med.key, ()))
        out.append((ObjectType.TENANT, self.name))
        return out

    def _agent_targets(self, agent: AgentState) -> list[ObjectKey]:
        out: list[ObjectKey] = [(ObjectType.AGENT, agent.key)]
        out.extend((ObjectType.GROUP_AGENTS, g) for g in agent.groups)
        out.append((ObjectType.TENANT, self.name))
        return out

    def agent_places(self, agent: AgentState) -> list[str]:
        if agent.places:
            return agent.places
        if agent.media_place is not None and agent.media_place in self.places:
            return [agent.media_place]
        return []

    def _channel_targets(self, agent: AgentState) -> list[ObjectKey]:
        out = self._agent_targets(agent)
        out.pop()  # tenant goes last
        for place in self.agent_places(agent):
            out.append((ObjectType.PLACE, place))
            out.extend((ObjectType.GROUP_PLACES, g) for g in self.places[place].groups)
        out.append((ObjectType.TENANT, self.name))
        return out

    def _place_targets(self, place: PlaceState) -> list[ObjectKey]:
        return [(ObjectType.PLACE, place.key)] + [
            (ObjectType.GROUP_PLACES, g) for g in place.groups
        ]

    def retarget(
        self, carrier: Carrier, targets: list[ObjectKey], subjects: Iterable[Subject]
    ) -> None:
        """Give a carrier new targets; items in progress join and leave nodes accordingly."""
        subjects = tuple(subjects)
        old = {s: list(carrier.nodes(self.hub, s)) for s in subjects}
        carrier.targets = targets
        carrier.invalidate()
        ts, tl = self.tsw, self.tlw
        for s in subjects:
            new = carrier.nodes(self.hub, s)
            gone = [n for n in old[s] if n not in new]
            came = [n for n in new if n not in old[s]]
            if not gone and not came:
                continue
            items = list(carrier.items_for(s))
            for node in gone:
                for item in items:
                    node.leave(item, ts, tl)
            for node in came:
                for item in items:
                    node.join(item, ts, tl)

    def retarget_agent(self, agent: AgentState) -> None:
        """An agent's associations or groups changed: everything it carries follows."""
        agent.dns_cache = None
        self.retarget(agent, self._agent_targets(agent), (_AS,))
        channel_targets = self._channel_targets(agent)
        for ch in agent.channels.values():
            self.retarget(ch, list(channel_targets), (_DA,))
        self.retarget(agent.capacity, list(channel_targets), (_DA,))
        for dn in self.agent_dns(agent):
            self.retarget(dn, self._dn_targets(dn), (_DA, _DS))

    def agent_dns(self, agent: AgentState) -> list[DnState]:
        """The regular DNs whose actions are the agent's: those of its places and logins
        (kept until the agent's associations change: see :meth:`retarget_agent`)."""
        found = agent.dns_cache
        if found is None:
            keys: list[str] = []
            for place in agent.places:
                keys.extend(self.places[place].info.dns)
            keys.extend(k for k in agent.login_dns if k not in keys)
            found = agent.dns_cache = [self.dns[k] for k in keys if k in self.dns]
        return found

    # ------------------------------------------------------------------ reverse propagation
    def carriers_of(self, otype: ObjectType, oid: str, subject: Subject) -> list[Carrier]:
        """The carriers whose ``subject`` items reach (otype, oid): the reverse of targets."""
        out: list[Carrier] = []
        if subject in (_DA, _DS):
            self._dn_carriers(otype, oid, subject, out)
        elif subject is _AS:
            if otype is ObjectType.AGENT and oid in self.agents:
                out.append(self.agents[oid])
            elif otype is ObjectType.GROUP_AGENTS and oid in self.agent_groups:
                out.extend(self.agents[m] for m in sorted(self.agent_groups[oid].members))
            elif otype is ObjectType.TENANT:
                out.extend(self.agents.values())
            elif otype in (ObjectType.PLACE, ObjectType.GROUP_PLACES):
                return self.carriers_of(otype, oid, _PS)
        elif subject is _PS:
            if otype is ObjectType.PLACE and oid in self.places:
                out.append(self.places[oid])
            elif otype is ObjectType.GROUP_PLACES and oid in self.place_groups:
                out.extend(self.places[m] for m in sorted(self.place_groups[oid].members))
        elif subject is _GS:
            group = (
                self.agent_groups.get(oid)
                if otype is ObjectType.GROUP_AGENTS
                else (self.place_groups.get(oid))
            )
            if group is not None:
                out.append(group)
        return out

    def _dn_carriers(
        self, otype: ObjectType, oid: str, subject: Subject, out: list[Carrier]
    ) -> None:
        actions = subject is _DA
        if otype is ObjectType.AGENT:
            agent = self.agents.get(oid)
            if agent is None:
                return
            out.extend(d for d in self.agent_dns(agent) if d.agent == oid)
            if actions:
                out.extend(agent.channels.values())
                out.append(agent.capacity)
        elif otype is ObjectType.PLACE:
            place = self.places.get(oid)
            if place is None:
                return
            out.extend(self.dns[k] for k in place.info.dns if k in self.dns)
            if actions:
                for key in place.agents:
                    agent = self.agents[key]
                    if oid in self.agent_places(agent):
                        out.extend(agent.channels.values())
                        out.append(agent.capacity)
        elif otype in (ObjectType.GROUP_AGENTS, ObjectType.GROUP_PLACES):
            groups = self.agent_groups if otype is ObjectType.GROUP_AGENTS else self.place_groups
            group = groups.get(oid)
            if group is None:
                return
            member_type = (
                ObjectType.AGENT if otype is ObjectType.GROUP_AGENTS else (ObjectType.PLACE)
            )
            for member in sorted(group.members):
                self._dn_carriers(member_type, member, subject, out)
        elif otype is ObjectType.REGULAR_DN:
            if oid in self.dns:
                out.append(self.dns[oid])
        elif otype in (ObjectType.QUEUE, ObjectType.ROUTE_POINT):
            if oid in self.mediation:
                out.append(self.mediation[oid])
        elif otype is ObjectType.GROUP_QUEUES:
            group = self.dn_groups.get(oid)
            if group is not None:
                for member in group.info.members:
                    carrier = self.dns.get(member) or self.mediation.get(member)
                    if carrier is not None:
                        out.append(carrier)
        elif otype is ObjectType.TENANT:
            out.extend(self.dns.values())
            out.extend(self.mediation.values())
            if actions:
                for agent in self.agents.values():
                    out.extend(agent.channels.values())
                    out.append(agent.capacity)
                out.extend(self.staging.values())
                out.append(self.tenant_carrier)
        elif otype is ObjectType.STAGING_AREA and actions:
            out.append(self.staging_area(oid))

    # ------------------------------------------------------------------ associations
    def associate(self, agent: AgentState, dn: DnState) -> None:
        """The agent logged in on ``dn``: it becomes the agent of the DN's place."""
        was_logged_in = agent.logged_in
        if dn.key not in agent.login_dns:
            agent.login_dns.append(dn.key)
        changed: list[DnState] = []
        if dn.place is not None and dn.place in self.places:
            place = self.places[dn.place]
            if agent.key not in place.agents:
                if place.agents:
                    self.warn("several-agents-at-place")
                place.agents.append(agent.key)
                self._dirty_places[place.key] = place
            if dn.place not in agent.places:
                agent.places.append(dn.place)
            changed = [self.dns[k] for k in place.info.dns if k in self.dns]
        else:
            changed = [dn]
        for d in changed:
            if d.agent != agent.key:
                d.agent = agent.key
                self.retarget(d, self._dn_targets(d), (_DA, _DS))
        self.retarget_agent(agent)
        if not was_logged_in:
            self._logged_in(agent)
        self.mark_agent(agent)
        self.reevaluate_groups(agent)

    def dissociate(self, agent: AgentState, dn: DnState) -> None:
        """The agent logged out of ``dn``."""
        if dn.key in agent.login_dns:
            agent.login_dns.remove(dn.key)
        if dn.place is not None and dn.place in self.places:
            place = self.places[dn.place]
            still_here = any(
                self.dns[k].place == dn.place for k in agent.login_dns if k in self.dns
            )
            if not still_here:
                if agent.key in place.agents:
                    place.agents.remove(agent.key)
                    self._dirty_places[place.key] = place
                if dn.place in agent.places:
                    agent.places.remove(dn.place)
                successor = place.agents[-1] if place.agents else None
                for k in place.info.dns:
                    d = self.dns.get(k)
                    if d is not None and d.agent == agent.key:
                        d.agent = successor
                        self.retarget(d, self._dn_targets(d), (_DA, _DS))
        elif dn.agent == agent.key:
            dn.agent = None
            self.retarget(dn, self._dn_targets(dn), (_DA, _DS))
        self.retarget_agent(agent)
        self.mark_agent(agent)
        self.reevaluate_groups(agent)

    def _logged_in(self, agent: AgentState) -> None:
        agent.login_since = self.ts
        for window in self.since_login.get(agent.key, ()):
            window.restart(self.tsw)
        for place in self.agent_places(agent):
            for window in self.since_login.get("place:" + place, ()):
                window.restart(self.tsw)

    def media_login_changed(self, agent: AgentState, was_logged_in: bool) -> None:
        if agent.logged_in and not was_logged_in:
            self._logged_in(agent)
        self.retarget_agent(agent)
        self.mark_agent(agent)
        self.reevaluate_groups(agent)

    def reevaluate_groups(self, agent: AgentState) -> None:
        """Re-evaluate the virtual groups whose scripts depend on logins."""
        facts = status_rules.AgentFacts(self, agent)
        changed = False
        for g in self.agent_groups.values():
            if g.script is None or not (g.script.queues or g.script.switches):
                continue
            member = g.script.matches(facts)
            if member != (agent.key in g.members):
                changed = True
                self.set_membership(g, agent, member)
        if changed:
            self.retarget_agent(agent)

    def set_membership(self, group: GroupState, agent: AgentState, member: bool) -> None:
        status = agent.status
        if member:
            group.members.add(agent.key)
            agent.groups.add(group.key)
            group.counts[status] = group.counts.get(status, 0) + 1
        else:
            group.members.discard(agent.key)
            agent.groups.discard(group.key)
            group.counts[status] -= 1
        self._dirty_groups[group.key] = group

    def _recount_group(self, group: GroupState) -> None:
        counts: dict[str, int] = {}
        members = self.agents if group.kind is ObjectType.GROUP_AGENTS else self.places
        for key in group.members:
            member = members.get(key)
            if member is not None:
                counts[member.status] = counts.get(member.status, 0) + 1
        group.counts = counts
        self._dirty_groups[group.key] = group

    # ------------------------------------------------------------------ statuses
    def set_status(self, carrier: StatusCarrier, subject: Subject, name: str, attrs: Attrs) -> bool:
        """Make ``name`` the carrier's status; True when the status changed."""
        old: Item = carrier.status_item
        ts, tl = self.tsw, self.tlw
        if old.name == name:
            if old.attrs is not attrs and old.attrs != attrs:
                reasons_changed = old.attrs.reasons != attrs.reasons
                old.attrs = attrs
                for node in carrier.nodes(self.hub, subject):
                    node.update(old, ts, tl, reasons_changed)
                return False
            return False
        new = self._item(name, attrs, carrier.key)
        carrier.status_item = new
        carrier.history.append((old.name, old.start))
        for node in carrier.nodes(self.hub, subject):
            node.end(old, ts, tl)
            node.start(new, ts, tl)
        return True

    def settle(self) -> None:
        """Recompute the statuses touched by the event, bottom-up, then flush."""
        if self.fresh_tracks:
            self.fresh_tracks.clear()
        while self._dirty_dns or self._dirty_med:
            dns, self._dirty_dns = self._dirty_dns, {}
            for dn in dns.values():
                name, attrs = status_rules.dn_status(dn)
                self.set_status(dn, _DS, name, attrs)
                # calls and modes feed the agent's capacity even when the status stays
                if dn.agent is not None:
                    self._dirty_agents[dn.agent] = self.agents[dn.agent]
                if dn.place is not None and dn.place in self.places:
                    self._dirty_places[dn.place] = self.places[dn.place]
            meds, self._dirty_med = self._dirty_med, {}
            for med in meds.values():
                name = "Monitored" if med.registered else "NotMonitored"
                self.set_status(med, _DS, name, EMPTY_ATTRS)
        if self._dirty_agents:
            agents, self._dirty_agents = self._dirty_agents, {}
            for agent in agents.values():
                old = agent.status
                name, attrs, src = status_rules.agent_status(self, agent)
                agent.status_src = src
                if self.set_status(agent, _AS, name, attrs):
                    for g in agent.groups:
                        group = self.agent_groups[g]
                        group.counts[old] = group.counts.get(old, 0) - 1
                        group.counts[name] = group.counts.get(name, 0) + 1
                        self._dirty_groups[g] = group
                status_rules.update_capacity(self, agent)
                for place in self.agent_places(agent):
                    self._dirty_places[place] = self.places[place]
        if self._dirty_places:
            dirty_places, self._dirty_places = self._dirty_places, {}
            for pstate in dirty_places.values():
                old = pstate.status
                name, attrs = status_rules.place_status(self, pstate)
                if self.set_status(pstate, _PS, name, attrs):
                    for g in pstate.groups:
                        group = self.place_groups[g]
                        group.counts[old] = group.counts.get(old, 0) - 1
                        group.counts[name] = group.counts.get(name, 0) + 1
                        self._dirty_groups[g] = group
        if self._dirty_groups:
            groups, self._dirty_groups = self._dirty_groups, {}
            for group in groups.values():
                name = status_rules.group_status(group, self.options)
                self.set_status(group, _GS, name, EMPTY_ATTRS)
        self.hub.flush()


install_inits(globals())
