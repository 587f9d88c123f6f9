"""The contact-center simulation: a pure discrete-event model.  No I/O, no clock of its own.

``Simulation(center, options)`` starts at ``options.start``; ``advance(t)`` runs it to the
time ``t`` (milliseconds since the Unix epoch) and returns the event records that happened
on the way, in time order, exactly as a T-Server or an Interaction Server reports them
(contracts.md §1, the call model of docs/actions.md).  The same seed, start and center give
the same records.

What it models (docs/simulator.md has the details and the numbers):

* inbound calls: Poisson arrivals following a time-of-day profile on each ACD queue;
  skills-based routing to the ready agent with the best skill who waited longest; ring time,
  ring-no-answer (the call is queued again, the agent made not ready with reason ``RONA``),
  callers who abandon when their patience runs out (in the queue or while it rings); talk
  with holds, consultations, transfers and conferences; after-call work;
* outbound calls from agents with the ``Outbound`` skill (answered or not);
* agents: logins over the first minutes, shifts of a few hours then a logout and a later
  login, breaks with reason codes, not-ready after login;
* chats and emails on the Interaction Servers: Poisson arrivals into an interaction queue,
  routing to ready agents below their capacity (several at once), invitation, acceptance
  or revocation, handling, end of processing; chats are abandoned by impatient customers.

Every duration is a whole number of milliseconds; the ground truth the simulation keeps
(:class:`QueueTruth`, :attr:`Agent.talk`, ...) is computed in whole seconds with the
milliseconds truncated from both timestamps, as Stat Server does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from statserver.sim.center import Center
from statserver.sim.media import MediaInteractions
from statserver.sim.model import (
    MODE_WORK,
    PATIENCE_FACTORS,
    STATUS_PRIORITY,
    TALK_FACTORS,
    Agent,
    Channel,
    Emitted,
    MediaQueue,
    MediaTruth,
    Queue,
    QueueTruth,
    Switch,
    Tenant,
    iso_time,
    leg_state,
    placed_attrs,
)
from statserver.sim.options import SimOptions

__all__ = [
    "STATUS_PRIORITY",
    "Agent",
    "Emitted",
    "MediaQueue",
    "MediaTruth",
    "Queue",
    "QueueTruth",
    "Simulation",
    "iso_time",
]


class Simulation(MediaInteractions):
    """The whole simulation: the agents' behaviour (:mod:`statserver.sim.agents`), voice
    calls (:mod:`statserver.sim.voice`) and chats and emails (:mod:`statserver.sim.media`)
    over the shared state and clock (:mod:`statserver.sim.base`)."""

    def __init__(self, center: Center, options: SimOptions | None = None) -> None:
        super().__init__(center, options)
        self._build()
        self._begin()

    # -- construction ------------------------------------------------------------------------
    def _availability(self) -> float:
        """Fraction of the time an agent is logged in and not on a break."""
        o = self.options
        session = (o.session_min + o.session_max) / 2
        off = (o.off_min + o.off_max) / 2
        total_w = sum(w for w, _, _ in o.breaks.values()) or 1.0
        brk = sum(w * (lo + hi) / 2 for w, lo, hi in o.breaks.values()) / total_w
        on_break = brk / (o.break_interval_mean + brk)
        return session / (session + off) * (1.0 - on_break)

    def _build(self) -> None:
        o = self.options
        avail = self._availability()
        handle = (o.ring_min + o.ring_max) / 2 + o.talk_mean + o.acw_probability * o.acw_mean
        for tname, tspec in self.center.tenants.items():
            agents: list[Agent] = []
            switches: list[Switch] = []
            for sw_spec in tspec.switches:
                sw = Switch(sw_spec)
                for a_spec in sw_spec.agents:
                    channels = {
                        m: Channel(m, tspec.media_queues[m].source, cap)
                        for m, cap in a_spec.media.items()
                    }
                    agent = Agent(a_spec, channels)
                    sw.agents.append(agent)
                    agents.append(agent)
                total = o.voice_load * len(sw.agents) * avail / handle
                weights = [
                    max(1, sum(1 for a in sw_spec.agents if a.login_queue == q.number))
                    for q in sw_spec.queues
                ]
                for q_spec, w in zip(sw_spec.queues, weights, strict=True):
                    i = q_spec.index % len(TALK_FACTORS)
                    sw.queues.append(
                        Queue(
                            q_spec,
                            sw,
                            total * w / sum(weights),
                            o.talk_mean * TALK_FACTORS[i],
                            o.patience_mean * PATIENCE_FACTORS[i],
                        )
                    )
                switches.append(sw)
            media: dict[str, MediaQueue] = {}
            for m, mq_spec in tspec.media_queues.items():
                served = [a for a in agents if m in a.channels]
                capacity = sum(a.channels[m].capacity for a in served)
                load, handle_m = (
                    (o.chat_load, o.chat_handle_mean)
                    if m == "chat"
                    else (o.email_load, o.email_handle_mean)
                )
                source = self.center.sources[mq_spec.source]
                media[m] = MediaQueue(
                    mq_spec,
                    load * capacity * avail / handle_m,
                    handle_m,
                    o.chat_patience_mean if m == "chat" else None,
                    served,
                    tag_tenant=len(source.tenants) > 1,
                )
            outbound = [a for a in agents if a.spec.outbound]
            self.tenants[tname] = Tenant(
                tname, switches, agents, media, outbound, o.outbound_rate / 3600.0 * len(outbound)
            )

    def _begin(self) -> None:
        o = self.options
        for tenant in self.tenants.values():
            for agent in tenant.agents:
                self._at(self.rng.uniform(0.0, o.login_ramp), self._login, agent)
            for sw in tenant.switches:
                for q in sw.queues:
                    self._next_arrival(q.rate, self._arrival, q)
            for mq in tenant.media.values():
                self._next_arrival(mq.rate, self._media_arrival, mq)
            self._next_arrival(tenant.outbound_rate, self._outbound, tenant)

    # -- what a link reports when a client connects --------------------------------------------
    def registration(self, source: str, number: str) -> list[Emitted]:
        """``EventRegistered`` for DN ``number`` of T-Server ``source``, with the DN's current
        state in ``extensions`` (docs/event-link.md, "The registration snapshot")."""
        out: list[Emitted] = []
        spec = self.center.sources.get(source)
        if spec is None:
            return out
        for tenant in self.tenants.values():
            for sw in tenant.switches:
                if sw.spec.name not in spec.switches or number not in sw.spec.dns:
                    continue
                out.append(Emitted(tenant.name, self._registered(source, sw, number)))
        return out

    def _registered(self, source: str, sw: Switch, number: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {"thisDN": number}
        queue = next((q for q in sw.queues if q.spec.number == number), None)
        agent = next((a for a in sw.agents if a.spec.dn == number), None)
        if queue is not None:
            attrs["extensions"] = {
                "calls": [{"connID": c.conn, "callType": "Inbound"} for c in queue.waiting]
            }
        elif agent is not None and agent.voice:
            ext: dict[str, Any] = {"agentID": agent.spec.login_id}
            if agent.mode is not None:
                ext["workMode"] = MODE_WORK[agent.mode]
            ext["calls"] = [
                {"connID": leg.conn, "callType": leg.type, "state": leg_state(leg)}
                for leg in agent.legs.values()
            ]
            attrs["thisQueue"] = agent.spec.login_queue
            if agent.mode == "notready" and agent.reason:
                attrs["reasons"] = {"ReasonCode": agent.reason}
            attrs["extensions"] = ext
        elif sw.spec.dns.get(number) not in ("ACDQueue", "RoutingPoint", "VirtualQueue"):
            attrs["extensions"] = {"agentID": None, "calls": []}
        return self._record(source, "EventRegistered", attrs)

    def reporting_snapshot(self, source: str, tenants: Iterable[str] = ()) -> list[Emitted]:
        """What an Interaction Server answers to ``StartPlaceAgentStateReportingAll``: the
        logged-in agents (media, mode, interactions in hand) and the waiting interactions."""
        spec = self.center.sources.get(source)
        if spec is None:
            return []
        wanted = set(tenants) or set(spec.tenants)
        out: list[Emitted] = []
        tag = len(spec.tenants) > 1
        for tenant in self.tenants.values():
            if tenant.name not in wanted or tenant.name not in spec.tenants:
                continue
            saved, self._out = self._out, []
            for a in tenant.agents:
                for ch in a.channels.values():
                    if ch.source != source or not ch.logged:
                        continue
                    attrs: dict[str, Any] = {
                        "place": a.spec.place,
                        "workMode": "ManualIn" if ch.ready else "AuxWork",
                    }
                    if not ch.ready and ch.reason:
                        attrs["reasons"] = {"ReasonCode": ch.reason}
                    self._ch(a, ch, "EventAgentLogin", **attrs)
                    for ixn, phase in ch.parties.items():
                        event = "EventAgentInvited" if phase == "delivering" else "EventPartyAdded"
                        self._ch(a, ch, event, interactionID=ixn, interactionType="Inbound")
            for mq in tenant.media.values():
                if mq.spec.source != source:
                    continue
                for it in mq.waiting:
                    self._i(tenant.name, source, tag, "EventPlacedInQueue", **placed_attrs(it))
            out.extend(self._out)
            self._out = saved
        return out

    # -- looking at the state -------------------------------------------------------------------
    def agents(self, tenant: str | None = None) -> list[Agent]:
        return [a for t in self.tenants.values() if tenant in (None, t.name) for a in t.agents]

    def agent(self, tenant: str, employee_id: str) -> Agent:
        return next(a for a in self.tenants[tenant].agents if a.id == employee_id)

    def queues(self, tenant: str | None = None) -> list[Queue]:
        return [
            q
            for t in self.tenants.values()
            if tenant in (None, t.name)
            for sw in t.switches
            for q in sw.queues
        ]

    def queue(self, tenant: str, number: str) -> Queue:
        return next(q for q in self.queues(tenant) if q.spec.number == number)

    def media_queue(self, tenant: str, media: str) -> MediaQueue:
        return self.tenants[tenant].media[media]

    def summary(self) -> dict[str, int]:
        """Numbers for a progress line."""
        agents = self.agents()
        statuses = Counter(a.status() for a in agents)
        waiting = [c for q in self.queues() for c in q.waiting]
        oldest = max((self.now - c.entered for c in waiting), default=0) // 1000
        media = [mq for t in self.tenants.values() for mq in t.media.values()]
        in_hand = Counter(
            ch.media
            for a in agents
            for ch in a.channels.values()
            for p in ch.parties.values()
            if p == "handling"
        )
        return {
            "agents": len(agents),
            "logged_in": sum(1 for s in statuses.elements() if s != "LoggedOut"),
            "ready": statuses["WaitForNextCall"],
            "not_ready": statuses["NotReadyForNextCall"],
            "acw": statuses["AfterCallWork"],
            "busy": sum(n for s, n in statuses.items() if s.startswith("Call")),
            "calls_waiting": len(waiting),
            "oldest_call": oldest,
            "chats_waiting": sum(len(mq.waiting) for mq in media if mq.spec.media == "chat"),
            "emails_waiting": sum(len(mq.waiting) for mq in media if mq.spec.media == "email"),
            "chats": in_hand["chat"],
            "emails": in_hand["email"],
        }
