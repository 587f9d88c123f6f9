"""Configuration changes at run time, without resetting what did not change.

Applied at the tenant's current time, then statuses are settled:

* stat types, time profiles, time ranges and filters are replaced; statistics already open
  keep the definition they were opened with, so nothing running is reset; new requests use
  the new definitions;
* agents added start LoggedOut; agents removed are logged out everywhere first; an agent's
  skills, login ids or capacity changed take effect at once (virtual groups re-evaluated);
* groups added, removed, or whose members or script changed: members join and leave with
  what they are doing at that moment (see docs/decisions.md, membership changes);
* places and DNs added start NotMonitored; removed ones end everything in progress on them.
"""

from __future__ import annotations

from statserver.core import status as status_rules
from statserver.core.expr import compile_group_script
from statserver.core.model import DnKind, GroupInfo, ObjectType, TenantModel
from statserver.core.state import AgentState, DnState, GroupState, MediationState, PlaceState
from statserver.core.tenant import TenantEngine

__all__ = ["apply_model"]


def apply_model(eng: TenantEngine, new: TenantModel) -> None:
    """Bring a started tenant engine to a new object model."""
    from statserver.core import ixn, tlib

    old = eng.model
    eng.model = new
    eng.switch_names = frozenset(new.switches)
    eng.login_index = new.agent_by_login()
    # -- removed agents: log them out everywhere first ------------------------------------
    for key in [k for k in eng.agents if k not in new.agents]:
        agent = eng.agents[key]
        for dn_key in list(agent.login_dns):
            dn = eng.dns.get(dn_key)
            if dn is not None and dn.login is not None:
                tlib.logout(eng, dn)
        for ch in list(agent.channels.values()):
            ixn.close_channel(eng, agent, ch)
        for g in list(agent.groups):
            group = eng.agent_groups.get(g)
            if group is not None:
                eng.set_membership(group, agent, False)
        for item in list(agent.capacity.open.values()):
            eng.end(agent.capacity, agent.capacity.open, item)
        del eng.agents[key]
    # -- removed DNs ------------------------------------------------------------------------
    for key in [k for k in eng.dns if k not in new.dns]:
        dn = eng.dns[key]
        for conn in list(dn.calls):
            tlib.drop_call(eng, dn, dn.calls.pop(conn))
        if dn.login is not None:
            tlib.logout(eng, dn)
        for item in list(dn.open.values()):
            eng.dn_end(dn, item)
        del eng.dns[key]
    for key in [k for k in eng.mediation if k not in new.dns]:
        med = eng.mediation[key]
        for item in list(med.open.values()):
            eng.end(med, med.open, item)
        del eng.mediation[key]
    # -- added DNs and places, changed places -------------------------------------------------
    place_of = new.place_of_dn()
    for info in new.dns.values():
        if info.key in eng.dns or info.key in eng.mediation:
            continue
        if info.kind is DnKind.MEDIATION:
            eng.mediation[info.key] = MediationState(info, eng.new_item("NotMonitored"))
        else:
            dn = DnState(info, eng.name, eng.new_item("NotMonitored"), place_of.get(info.key))
            dn.monitor_item = eng.dn_start(dn, "NotMonitored")
            eng.dns[info.key] = dn
    for name in [p for p in eng.places if p not in new.places]:
        gone = eng.places.pop(name)
        for agent_key in gone.agents:
            holder = eng.agents.get(agent_key)
            if holder is not None and name in holder.places:
                holder.places.remove(name)
            if holder is not None and holder.media_place == name:
                holder.media_place = None
    for pinfo in new.places.values():
        known = eng.places.get(pinfo.name)
        if known is None:
            eng.places[pinfo.name] = PlaceState(pinfo, eng.new_item("NotMonitored"))
        else:
            known.info = pinfo
        eng.mark_place(eng.places[pinfo.name])
    for dn in eng.dns.values():
        dn.place = place_of.get(dn.key)
    # -- agents added or changed --------------------------------------------------------------
    for ainfo in new.agents.values():
        existing = eng.agents.get(ainfo.employee_id)
        if existing is None:
            existing = AgentState(ainfo, eng.name, eng.new_item("LoggedOut"))
            eng.agents[ainfo.employee_id] = existing
        else:
            existing.info = ainfo
        eng.mark_agent(existing)
    # -- groups ---------------------------------------------------------------------------------
    _groups(eng, eng.agent_groups, old.agent_groups, new.agent_groups, ObjectType.GROUP_AGENTS)
    _groups(eng, eng.place_groups, old.place_groups, new.place_groups, ObjectType.GROUP_PLACES)
    for name in [g for g in eng.dn_groups if g not in new.dn_groups]:
        del eng.dn_groups[name]
    for ginfo in new.dn_groups.values():
        dn_group = eng.dn_groups.get(ginfo.name)
        if dn_group is None:
            eng.dn_groups[ginfo.name] = GroupState(
                ginfo, ObjectType.GROUP_QUEUES, eng.new_item("NotMonitored"), None
            )
        else:
            dn_group.info = ginfo
    eng.dn_groups_of = {}
    for ginfo in new.dn_groups.values():
        for member in ginfo.members:
            eng.dn_groups_of.setdefault(member, set()).add(ginfo.name)
    # -- every carrier gets its targets again (items join and leave nodes as needed) ----------
    eng.refresh_targets()


def _groups(
    eng: TenantEngine,
    live: dict[str, GroupState],
    old: dict[str, GroupInfo],
    new: dict[str, GroupInfo],
    kind: ObjectType,
) -> None:
    agents = kind is ObjectType.GROUP_AGENTS
    for name in [g for g in live if g not in new]:
        removed = live.pop(name)
        for member in list(removed.members):
            _leave(eng, removed, member, agents)
    for ginfo in new.values():
        group = live.get(ginfo.name)
        if group is None:
            group = GroupState(
                ginfo, kind, eng.new_item("LoggedOut" if agents else "NotMonitored"), None
            )
            group.targets = [(kind, ginfo.name)]
            live[ginfo.name] = group
        elif old.get(ginfo.name) == ginfo:
            if agents and group.script is not None:
                _evaluate(eng, group)
            continue
        group.info = ginfo
        if agents and ginfo.script:
            group.script = compile_group_script(ginfo.script, eng.switch_names)
            _evaluate(eng, group)
            continue
        group.script = None
        wanted = {m for m in ginfo.members if m in (eng.agents if agents else eng.places)}
        for member in list(group.members - wanted):
            _leave(eng, group, member, agents)
        for member in wanted - group.members:
            _join(eng, group, member, agents)


def _evaluate(eng: TenantEngine, group: GroupState) -> None:
    assert group.script is not None
    for agent in eng.agents.values():
        member = group.script.matches(status_rules.AgentFacts(eng, agent))
        if member != (agent.key in group.members):
            eng.set_membership(group, agent, member)


def _join(eng: TenantEngine, group: GroupState, member: str, agents: bool) -> None:
    if agents:
        eng.set_membership(group, eng.agents[member], True)
    else:
        place = eng.places[member]
        group.members.add(member)
        place.groups.add(group.key)
        group.counts[place.status] = group.counts.get(place.status, 0) + 1
        eng.mark_group(group)


def _leave(eng: TenantEngine, group: GroupState, member: str, agents: bool) -> None:
    if agents:
        agent = eng.agents.get(member)
        if agent is not None:
            eng.set_membership(group, agent, False)
        return
    place: PlaceState | None = eng.places.get(member)
    group.members.discard(member)
    if place is not None:
        place.groups.discard(group.key)
        group.counts[place.status] = group.counts.get(place.status, 0) - 1
    eng.mark_group(group)
