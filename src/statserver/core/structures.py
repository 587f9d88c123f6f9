"""CurrentState, CurrentStateReasons and CurrentTargetState values.

These categories return structures, not numbers: a tree rooted at the requested object whose
nodes follow the propagation hierarchy (group → agents or places → DNs and media channels →
actions), down to the level of the statistic's subject (DNAction: actions; DNStatus: DN
statuses; AgentStatus/PlaceStatus: the object's own status; GroupStatus: the group status
and its members' statuses).  Every node carries ``status`` and ``startTime`` (Unix seconds).
CurrentStateReasons adds ``reasons`` to WaitForNextCall, NotReadyForNextCall and
AfterCallWork.  The MainMask, when given, limits which actions are listed.
"""

from __future__ import annotations

from typing import Any, Final

from statserver.core import status as status_rules
from statserver.core.items import Item
from statserver.core.model import ObjectType
from statserver.core.native_init import install_inits
from statserver.core.portable import Portable
from statserver.core.state import AgentState, DnState, GroupState, MediaChannel, MediationState
from statserver.core.stats.categories import Value
from statserver.core.stats.definition import StatDef, Subject
from statserver.core.tenant import TenantEngine

__all__ = ["builder", "target_states"]

_REASON_STATUSES: Final = frozenset({"WaitForNextCall", "NotReadyForNextCall", "AfterCallWork"})


class _Ctx(Portable):
    __slots__ = ("eng", "mask", "reasons", "subject")

    def __init__(self, eng: TenantEngine, d: StatDef) -> None:
        self.eng = eng
        self.subject = d.subject
        self.mask = d.main_mask or None
        self.reasons = d.category.name == "CurrentStateReasons"

    def status_node(self, item: Item, **fields: Any) -> dict[str, Any]:
        node: dict[str, Any] = dict(fields)
        node["status"] = item.name
        node["startTime"] = item.start
        if self.reasons and item.name in _REASON_STATUSES:
            node["reasons"] = _reasons(item)
        return node

    def actions(self, items: list[Item]) -> list[dict[str, Any]]:
        out = []
        for item in sorted(items, key=lambda i: (i.start, i.id)):
            if self.mask is not None and item.name not in self.mask:
                continue
            a: dict[str, Any] = {"action": item.name, "startTime": item.start}
            attrs = item.attrs
            if attrs.conn_id:
                a["connID"] = attrs.conn_id
            if attrs.media_type and attrs.media_type != "voice":
                a["mediaType"] = attrs.media_type
            for key, value in (
                ("callType", attrs.call_type),
                ("ani", attrs.ani),
                ("dnis", attrs.dnis),
                ("thisQueue", attrs.this_queue),
            ):
                if value:
                    a[key] = value
            if self.reasons and item.name in _REASON_STATUSES:
                a["reasons"] = _reasons(item)
            out.append(a)
        return out


def _reasons(item: Item) -> dict[str, Any]:
    reasons = dict(item.attrs.reasons)
    code = item.attrs.extensions.get("ReasonCode")
    if code is not None and "ReasonCode" not in reasons:
        reasons["ReasonCode"] = code
    return reasons


def _dn(ctx: _Ctx, dn: DnState | MediationState) -> dict[str, Any]:
    node = ctx.status_node(
        dn.status_item,
        type="DN",
        dn=dn.info.number,
        switch=dn.info.switch,
        dnType=dn.info.type,
    )
    if ctx.subject is Subject.DN_ACTION:
        node["actions"] = ctx.actions(list(dn.open.values()))
    return node


def _channel(ctx: _Ctx, ch: MediaChannel) -> dict[str, Any]:
    name, defining = status_rules.channel_status(ch)
    node: dict[str, Any] = {
        "type": "Media",
        "mediaType": ch.media,
        "source": ch.source,
        "status": name or "LoggedIn",
        "startTime": defining.start if defining is not None else 0,
    }
    if ctx.reasons and defining is not None and name in _REASON_STATUSES:
        node["reasons"] = _reasons(defining)
    if ctx.subject is Subject.DN_ACTION:
        node["actions"] = ctx.actions(list(ch.open.values()))
    return node


def _agent(ctx: _Ctx, agent: AgentState) -> dict[str, Any]:
    eng = ctx.eng
    login_id = ""
    for key in agent.login_dns:
        dn = eng.dns.get(key)
        if dn is not None and dn.login is not None:
            login_id = dn.login.login_id
            break
    places = eng.agent_places(agent)
    node = ctx.status_node(
        agent.status_item,
        type="Agent",
        agentId=agent.key,
        loginId=login_id,
        placeId=places[0] if places else None,
    )
    if ctx.subject in (Subject.DN_ACTION, Subject.DN_STATUS):
        node["dns"] = [_dn(ctx, d) for d in eng.agent_dns(agent) if d.agent == agent.key]
        node["media"] = [_channel(ctx, ch) for ch in agent.channels.values()]
    return node


def _place(ctx: _Ctx, name: str) -> dict[str, Any]:
    eng = ctx.eng
    place = eng.places[name]
    node = ctx.status_node(
        place.status_item,
        type="Place",
        placeId=name,
        agentId=place.agents[-1] if place.agents else None,
    )
    if ctx.subject in (Subject.DN_ACTION, Subject.DN_STATUS):
        node["dns"] = [_dn(ctx, eng.dns[k]) for k in place.info.dns if k in eng.dns]
        media: list[dict[str, Any]] = []
        for key in place.agents:
            media.extend(_channel(ctx, ch) for ch in eng.agents[key].channels.values())
        node["media"] = media
    return node


def _group(ctx: _Ctx, group: GroupState) -> dict[str, Any]:
    node = ctx.status_node(group.status_item, type=group.kind.value, groupId=group.key)
    if group.kind is ObjectType.GROUP_AGENTS:
        node["agents"] = [_agent(ctx, ctx.eng.agents[m]) for m in sorted(group.members)]
    else:
        node["places"] = [_place(ctx, m) for m in sorted(group.members)]
    return node


def _build(ctx: _Ctx, otype: ObjectType, oid: str) -> dict[str, Any]:
    eng = ctx.eng
    if otype is ObjectType.AGENT:
        return _agent(ctx, eng.agents[oid])
    if otype is ObjectType.PLACE:
        return _place(ctx, oid)
    if otype is ObjectType.GROUP_AGENTS:
        return _group(ctx, eng.agent_groups[oid])
    if otype is ObjectType.GROUP_PLACES:
        return _group(ctx, eng.place_groups[oid])
    if otype is ObjectType.REGULAR_DN:
        return _dn(ctx, eng.dns[oid])
    if otype in (ObjectType.QUEUE, ObjectType.ROUTE_POINT):
        return _dn(ctx, eng.mediation[oid])
    if otype is ObjectType.GROUP_QUEUES:
        members = eng.dn_groups[oid].info.members
        dns = [eng.dns.get(m) or eng.mediation.get(m) for m in members]
        return {
            "type": "GroupQueues",
            "groupId": oid,
            "dns": [_dn(ctx, d) for d in dns if d is not None],
        }
    if otype is ObjectType.STAGING_AREA:
        area = eng.staging_area(oid)
        return {"type": "StagingArea", "id": oid, "actions": ctx.actions(list(area.open.values()))}
    return {
        "type": "Tenant",
        "tenantId": oid,
        "agents": [_agent(ctx, a) for a in eng.agents.values()],
    }


def target_states(eng: TenantEngine, otype: ObjectType, oid: str) -> dict[str, dict[str, Any]]:
    """Routing targets under an object, by agent id: status and per-media capacity.

    Capacity entries follow the Genesys capacity vector ``[state current maximum available]``.
    """
    if otype is ObjectType.AGENT:
        agents = [eng.agents[oid]]
    elif otype is ObjectType.PLACE:
        agents = [eng.agents[a] for a in eng.places[oid].agents]
    elif otype is ObjectType.GROUP_AGENTS:
        agents = [eng.agents[a] for a in sorted(eng.agent_groups[oid].members)]
    elif otype is ObjectType.GROUP_PLACES:
        agents = [
            eng.agents[a]
            for p in sorted(eng.place_groups[oid].members)
            for a in eng.places[p].agents
        ]
    else:
        agents = list(eng.agents.values())
    out: dict[str, dict[str, Any]] = {}
    for agent in agents:
        vector = status_rules.capacity_vector(eng, agent)
        places = eng.agent_places(agent)
        out[agent.key] = {
            "agentId": agent.key,
            "placeId": places[0] if places else None,
            "status": agent.status,
            "startTime": agent.status_item.start,
            "capacity": [
                {
                    "mediaType": media,
                    "state": "Ready" if ready else "NotReady",
                    "current": cur,
                    "maximum": mx,
                    "available": free,
                }
                for media, (ready, cur, mx, free) in sorted(vector.items())
            ],
        }
    return out


class builder(Portable):
    """The value of a structured statistic (a callable object so that it can be pickled)."""

    __slots__ = ("d", "eng", "oid", "otype")

    def __init__(self, eng: TenantEngine, otype: ObjectType, oid: str, d: StatDef) -> None:
        self.eng, self.otype, self.oid, self.d = eng, otype, oid, d

    def __call__(self, now: int) -> Value:
        if self.d.category.name == "CurrentTargetState":
            return {"targets": list(target_states(self.eng, self.otype, self.oid).values())}
        return _build(_Ctx(self.eng, self.d), self.otype, self.oid)


install_inits(globals())
