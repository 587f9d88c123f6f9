"""The contact center a simulation runs, read from a Stat Server configuration.

The simulator needs no configuration of its own: it simulates the center the configuration
describes (docs/simulator.md, "What is simulated").

* **Voice.**  Each switch reported by a T-Server source is simulated.  Its ``ACDQueue`` DNs
  are the queues calls arrive at.  A queue whose ``name`` is the name of a skill some
  agents of the tenant have is served by those agents (skills-based routing: the highest
  skill level first, then the agent ready for the longest time); a queue without such a
  name is served by every agent of its switch.
* **Agents.**  An agent works at the place given by its ``place`` (or, when it has none, at
  the next place of its switch nobody claimed) on the place's first extension of the
  switch where it has a login id.  It logs in to the queue of its best skill
  (``thisQueue``).  Agents with the skill ``Outbound`` also place outbound calls.
* **Chat and email.**  The Interaction Server sources serving a tenant (in configuration
  order): chat on the first, email on the second (both on the same one when there is only
  one).  Agents with the skill ``Chat`` (``Email``) handle chats (emails), up to their
  ``capacity`` for the media (option ``default-capacity`` otherwise).  The interaction
  queues are named ``ChatInbound`` and ``EmailInbound``.

:func:`scale_agents` rewrites a configuration document for another number of agents per
tenant (``statserver demo --agents``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from statserver.config.load import LoadedConfig
from statserver.core.model import SourceKind

__all__ = [
    "CHAT_QUEUE",
    "EMAIL_QUEUE",
    "AgentSpec",
    "Center",
    "MediaQueueSpec",
    "QueueSpec",
    "SourceSpec",
    "SwitchSpec",
    "TenantSpec",
    "scale_agents",
]

CHAT_QUEUE = "ChatInbound"
EMAIL_QUEUE = "EmailInbound"
MEDIA_QUEUES = {"chat": CHAT_QUEUE, "email": EMAIL_QUEUE}
#: skill that makes an agent handle a media, by media
MEDIA_SKILLS = {"chat": "Chat", "email": "Email"}
OUTBOUND_SKILL = "Outbound"
_VOICE_SEAT_TYPES = frozenset({"Extension", "ACDPosition"})


@dataclass(frozen=True)
class SourceSpec:
    """A T-Server or Interaction Server link the simulator serves."""

    name: str
    kind: str  # "tserver" or "interaction"
    host: str | None
    port: int | None
    tenants: tuple[str, ...]
    switches: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueueSpec:
    tenant: str
    switch: str
    number: str
    #: the skill that serves the queue (None: every agent of the switch)
    skill: str | None
    index: int


@dataclass(frozen=True)
class MediaQueueSpec:
    tenant: str
    media: str
    name: str
    source: str


@dataclass(frozen=True)
class AgentSpec:
    tenant: str
    employee_id: str
    switch: str
    source: str
    login_id: str
    dn: str
    place: str
    skills: dict[str, int]
    #: queue number the agent logs in to (its best skill's queue)
    login_queue: str | None
    #: media other than voice the agent handles -> capacity
    media: dict[str, int]
    outbound: bool


@dataclass
class SwitchSpec:
    tenant: str
    name: str
    source: str
    queues: list[QueueSpec] = field(default_factory=list)
    agents: list[AgentSpec] = field(default_factory=list)
    #: every DN number of the switch -> its configuration type
    dns: dict[str, str] = field(default_factory=dict)


@dataclass
class TenantSpec:
    name: str
    switches: list[SwitchSpec] = field(default_factory=list)
    media_queues: dict[str, MediaQueueSpec] = field(default_factory=dict)

    @property
    def agents(self) -> list[AgentSpec]:
        return [a for sw in self.switches for a in sw.agents]

    @property
    def queues(self) -> list[QueueSpec]:
        return [q for sw in self.switches for q in sw.queues]


@dataclass
class Center:
    tenants: dict[str, TenantSpec]
    sources: dict[str, SourceSpec]

    @classmethod
    def from_config(cls, config: LoadedConfig) -> Center:
        return _build(config)

    def describe(self) -> str:
        agents = sum(len(t.agents) for t in self.tenants.values())
        queues = sum(len(t.queues) for t in self.tenants.values())
        return (
            f"{len(self.tenants)} tenants, {agents} agents, {queues} voice queues, "
            f"{len(self.sources)} links"
        )


def _build(config: LoadedConfig) -> Center:
    d = config.directory
    default_cap = dict(config.engine_options.default_capacity)
    names = {(str(c.number), str(c.switch)): c.name for c in config.raw.dns}
    sources: dict[str, SourceSpec] = {}
    for name, src in d.sources.items():
        cfg = config.sources.get(name)
        sources[name] = SourceSpec(
            name,
            src.kind.value,
            cfg.host if cfg is not None else None,
            cfg.port if cfg is not None else None,
            tuple(src.tenants or d.tenants),
            tuple(sw.name for sw in d.switches_of_source(name)),
        )
    tenants: dict[str, TenantSpec] = {}
    for tname, model in d.tenants.items():
        tenant = tenants[tname] = TenantSpec(tname)
        ixn_sources = [
            s
            for s in sources.values()
            if s.kind == SourceKind.INTERACTION.value and tname in s.tenants
        ]
        for i, media in enumerate(("chat", "email") if ixn_sources else ()):
            src_name = ixn_sources[min(i, len(ixn_sources) - 1)].name
            tenant.media_queues[media] = MediaQueueSpec(tname, media, MEDIA_QUEUES[media], src_name)
        skill_names = {s for a in model.agents.values() for s in a.skills}
        claimed = {a.place for a in model.agents.values() if a.place}
        free_places = [p for p in model.places if p not in claimed]
        for sw in model.switches.values():
            if not sw.source or sw.source not in sources:
                continue
            spec = SwitchSpec(tname, sw.name, sw.source)
            for dn in model.dns.values():
                if dn.switch != sw.name:
                    continue
                spec.dns[dn.number] = dn.type
                if dn.type == "ACDQueue" and dn.media_type == "voice":
                    label = names.get((dn.number, sw.name))
                    skill = label if label in skill_names else None
                    spec.queues.append(
                        QueueSpec(tname, sw.name, dn.number, skill, len(spec.queues))
                    )
            for agent in model.agents.values():
                login = agent.login_ids.get(sw.name)
                if login is None:
                    continue
                place = agent.place
                if place is None:
                    place = next((p for p in free_places if _seat(model, p, sw.name)), None)
                    if place is None:
                        continue
                    free_places.remove(place)
                seat = _seat(model, place, sw.name)
                if seat is None:
                    continue
                caps = {
                    m: int(agent.capacity.get(m, default_cap.get(m, 1)))
                    for m in tenant.media_queues
                    if agent.skills.get(MEDIA_SKILLS[m], 0) >= 1
                }
                spec.agents.append(
                    _agent_spec(
                        tname,
                        sw.name,
                        sw.source,
                        agent,
                        (login, seat, place),
                        spec.queues,
                        {m: c for m, c in caps.items() if c > 0},
                    )
                )
            tenant.switches.append(spec)
    return Center(tenants, sources)


def _seat(model: Any, place: str, switch: str) -> str | None:
    info = model.places.get(place)
    if info is None:
        return None
    for key in info.dns:
        dn = model.dns.get(key)
        if dn is not None and dn.switch == switch and dn.type in _VOICE_SEAT_TYPES:
            return str(dn.number)
    return None


def _agent_spec(
    tenant: str,
    switch: str,
    source: str,
    agent: Any,
    seating: tuple[str, str, str],
    queues: list[QueueSpec],
    media: dict[str, int],
) -> AgentSpec:
    login, seat, place = seating
    skilled = [q for q in queues if q.skill is not None and agent.skills.get(q.skill, 0) >= 1]
    if skilled:
        best = max(skilled, key=lambda q: (agent.skills[q.skill], -q.index))
        login_queue: str | None = best.number
    elif queues:
        login_queue = queues[0].number
    else:
        login_queue = None
    return AgentSpec(
        tenant=tenant,
        employee_id=agent.employee_id,
        switch=switch,
        source=source,
        login_id=login,
        dn=seat,
        place=place,
        skills=dict(agent.skills),
        login_queue=login_queue,
        media=media,
        outbound=agent.skills.get(OUTBOUND_SKILL, 0) >= 1,
    )


# ------------------------------------------------------------------------- scaling a document
_NUMBERED = re.compile(r"^(?P<prefix>.*?)(?P<digits>\d+)(?P<suffix>\D*)$")


def _nth(template: str, i: int) -> str:
    """``template`` with its last number moved on by ``i`` (``acme001`` → ``acme004``)."""
    m = _NUMBERED.match(template)
    if m is None:
        return f"{template}-{i + 1}" if i else template
    digits = m.group("digits")
    return f"{m.group('prefix')}{int(digits) + i:0{len(digits)}d}{m.group('suffix')}"


def scale_agents(doc: dict[str, Any], per_tenant: int) -> dict[str, Any]:
    """A copy of a configuration document with ``per_tenant`` agents in each tenant.

    The tenant's agents (in file order) are the templates: the i-th new agent copies the
    skills, capacity and listed groups of template ``i mod k``; its ids, login ids, place
    and extension number follow the first agent's, numbered on (``acme001``, ``acme002``,
    ...).  Each agent needs a ``place`` whose first DN is its extension.
    """
    if per_tenant < 1:
        msg = "the number of agents per tenant must be at least 1"
        raise ValueError(msg)
    out = copy.deepcopy(doc)
    agents: list[dict[str, Any]] = out.get("agents") or []
    places = {str(p["name"]): p for p in out.get("places") or []}
    dns: list[dict[str, Any]] = out.get("dns") or []
    switch_tenant = {str(s["name"]): str(s.get("tenant", "")) for s in out.get("switches") or []}
    single = len(out.get("tenants") or []) == 1
    only = str(out["tenants"][0]["name"]) if single else ""

    def tenant_of(agent: dict[str, Any]) -> str:
        if agent.get("tenant"):
            return str(agent["tenant"])
        if single:
            return only
        return next((switch_tenant[str(sw)] for sw in agent.get("loginIds") or {}), "")

    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for agent in agents:
        by_tenant.setdefault(tenant_of(agent), []).append(agent)
    groups = [g for g in out.get("agentGroups") or [] if g.get("agents")]
    place_groups = [g for g in out.get("placeGroups") or [] if g.get("places")]
    new_agents: list[dict[str, Any]] = []
    old_ids = {str(a["employeeId"]) for a in agents}
    old_places: set[str] = set()
    old_dns: set[str] = set()
    new_places: list[dict[str, Any]] = []
    new_dns: list[dict[str, Any]] = []
    renamed: dict[str, list[str]] = {}  # template id -> new ids
    renamed_places: dict[str, list[str]] = {}
    for templates in by_tenant.values():
        first = templates[0]
        if "place" not in first:
            msg = f"agent {first['employeeId']} has no place: cannot scale the agents"
            raise ValueError(msg)
        first_place = places[str(first["place"])]
        first_dn = str(first_place["dns"][0])
        number, _, switch = first_dn.partition("@")
        dn_template = next(
            d for d in dns if str(d["number"]) == number and str(d["switch"]) == switch
        )
        for t in templates:
            old_places.add(str(t["place"]))
            old_dns.update(str(x) for x in places[str(t["place"])]["dns"])
        for i in range(per_tenant):
            template = templates[i % len(templates)]
            agent = copy.deepcopy(template)
            agent["employeeId"] = _nth(str(first["employeeId"]), i)
            if first.get("userName"):
                agent["userName"] = _nth(str(first["userName"]), i)
            agent["loginIds"] = {
                sw: _nth(str(login), i) for sw, login in (first.get("loginIds") or {}).items()
            }
            place_name = _nth(str(first["place"]), i)
            dn_number = _nth(number, i)
            agent["place"] = place_name
            new_agents.append(agent)
            new_places.append({"name": place_name, "dns": [f"{dn_number}@{switch}"]})
            dn = dict(dn_template)
            dn["number"] = dn_number
            new_dns.append(dn)
            renamed.setdefault(str(template["employeeId"]), []).append(agent["employeeId"])
            renamed_places.setdefault(str(template["place"]), []).append(place_name)
    queue_numbers = {
        (str(d["number"]), str(d["switch"]))
        for d in dns
        if f"{d['number']}@{d['switch']}" not in old_dns
    }
    for dn in new_dns:
        if (str(dn["number"]), str(dn["switch"])) in queue_numbers:
            msg = f"extension {dn['number']}@{dn['switch']} would clash with another DN"
            raise ValueError(msg)
    out["agents"] = new_agents
    out["places"] = [p for p in out.get("places") or [] if str(p["name"]) not in old_places]
    out["places"].extend(new_places)
    out["dns"] = [d for d in dns if f"{d['number']}@{d['switch']}" not in old_dns] + new_dns
    for g in groups:
        g["agents"] = [n for m in g["agents"] if str(m) in old_ids for n in renamed.get(str(m), [])]
    for g in place_groups:
        g["places"] = [n for m in g["places"] for n in renamed_places.get(str(m), [])]
    out["agentGroups"] = [
        g for g in out.get("agentGroups") or [] if g.get("script") or g.get("agents")
    ]
    out["placeGroups"] = [g for g in out.get("placeGroups") or [] if g.get("places")]
    return out
