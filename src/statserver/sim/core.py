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

import heapq
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from statserver.sim.center import AgentSpec, Center, MediaQueueSpec, QueueSpec, SwitchSpec
from statserver.sim.options import SimOptions, profile_factor

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

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: Agent/DN status priority, ascending (docs/actions.md, "Status priority tables").
STATUS_PRIORITY: tuple[str, ...] = (
    "NotMonitored",
    "Monitored",
    "LoggedIn",
    "OnHook",
    "WaitForNextCall",
    "OffHook",
    "CallDialing",
    "CallRinging",
    "NotReadyForNextCall",
    "AfterCallWork",
    "CallOnHold",
    "CallUnknown",
    "CallConsult",
    "CallInternal",
    "CallOutbound",
    "CallInbound",
)
_RANK = {name: i for i, name in enumerate(STATUS_PRIORITY)}
_MODE_STATUS = {
    "ready": "WaitForNextCall",
    "notready": "NotReadyForNextCall",
    "acw": "AfterCallWork",
}
_MODE_WORK = {"ready": "ManualIn", "notready": "AuxWork", "acw": "AfterCallWork"}
_SEGMENTS = (("Gold", 0.15), ("Silver", 0.35), ("Bronze", 0.5))
_TALK_FACTORS = (1.0, 0.8, 1.3, 0.9, 1.15)
_PATIENCE_FACTORS = (1.0, 1.25, 0.85, 1.1, 0.95)


def iso_time(ms: int) -> str:
    """``2026-11-25T10:00:12.250+00:00`` for a time in milliseconds since the Unix epoch."""
    return (_EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds")


def _sec(ms: int) -> int:
    """Whole seconds of a time in milliseconds (truncated towards the past)."""
    return ms // 1000


class Emitted(NamedTuple):
    """An event record and the tenant it concerns."""

    tenant: str
    record: dict[str, Any]


# ----------------------------------------------------------------------------- ground truth
@dataclass
class QueueTruth:
    """What happened on a voice queue.  ``entered`` counts every EventQueued (a call queued
    again after a ring-no-answer is offered again)."""

    entered: int = 0
    distributed: int = 0
    answered: int = 0
    abandoned: int = 0
    abandoned_ringing: int = 0
    missed: int = 0
    #: whole seconds from queue entry to answer / to abandon, per call
    answer_waits: list[int] = field(default_factory=list)
    abandon_waits: list[int] = field(default_factory=list)


@dataclass
class MediaTruth:
    """What happened on an interaction queue (staging area)."""

    entered: int = 0
    distributed: int = 0
    abandoned: int = 0
    completed: int = 0
    revoked: int = 0


# ----------------------------------------------------------------------------------- state
@dataclass(eq=False)
class Leg:
    """A call at one agent's DN."""

    conn: str
    type: str
    phase: str  # "ringing", "dialing" or "established"
    held: bool = False
    since: int = 0  # start of the current call-type segment (when established)


@dataclass(eq=False)
class Channel:
    """An agent's media channel on an Interaction Server."""

    media: str
    source: str
    capacity: int
    logged: bool = False
    ready: bool = False
    reason: str | None = None
    leaving: bool = False
    last_assigned: int = 0
    #: interaction id -> "delivering" or "handling"
    parties: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class Agent:
    spec: AgentSpec
    channels: dict[str, Channel]
    shift: str = "off"  # "off", "on" or "leaving"
    session: int = 0
    voice: bool = False
    mode: str | None = None  # "ready", "notready" or "acw"
    reason: str | None = None
    on_break: bool = False
    pending: str | None = None  # "break" or "logout"
    legs: dict[str, Leg] = field(default_factory=dict)
    idle_since: int = 0
    token: int = 0
    break_token: int = 0
    #: ground truth: whole seconds of completed call-type actions, and their number
    talk: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    handled: Counter[str] = field(default_factory=Counter)
    #: ground truth: whole seconds of completed after-call work, and how many
    acw_time: int = 0
    acw_count: int = 0
    acw_since: int = 0

    @property
    def id(self) -> str:
        return self.spec.employee_id

    @property
    def available(self) -> bool:
        """Ready on voice with nothing going on: can be given a call."""
        return (
            self.voice
            and self.mode == "ready"
            and not self.legs
            and self.pending is None
            and self.shift == "on"
        )

    def status(self, multimedia: bool = True) -> str:
        """The agent status Stat Server reports (docs/actions.md priorities; the voice and
        media statuses combined as Genesys documents, see status.py)."""
        voice: str | None = None
        if self.voice:
            names = ["OnHook"]
            if self.mode is not None:
                names.append(_MODE_STATUS[self.mode])
            for leg in self.legs.values():
                if leg.phase == "ringing":
                    names.append("CallRinging")
                elif leg.phase == "dialing":
                    names.append("CallDialing")
                elif leg.held:
                    names.append("CallOnHold")
                else:
                    names.append(f"Call{leg.type}")
            voice = max(names, key=_RANK.__getitem__)
        media: str | None = None
        if multimedia:
            for ch in self.channels.values():
                if not ch.logged:
                    continue
                names = ["WaitForNextCall" if ch.ready else "NotReadyForNextCall"]
                names += [
                    "CallRinging" if p == "delivering" else "CallInbound"
                    for p in ch.parties.values()
                ]
                best = max(names, key=_RANK.__getitem__)
                if media is None or _RANK[best] > _RANK[media]:
                    media = best
        if voice is None and media is None:
            return "LoggedOut"
        if media is None:
            assert voice is not None
            return voice
        if voice is None:
            return media
        if _RANK[voice] > _RANK["NotReadyForNextCall"] or _RANK[media] <= _RANK[voice]:
            return voice
        return media


@dataclass(eq=False)
class VoiceCall:
    conn: str
    queue: Queue
    ani: str
    dnis: str
    user_data: dict[str, Any]
    deadline: int
    entered: int = 0
    state: str = "new"  # "waiting", "ringing", "talking" or "done"
    agent: Agent | None = None
    token: int = 0
    ending: str = "release"
    consult: tuple[Agent, str] | None = None
    member: Agent | None = None


@dataclass(eq=False)
class Queue:
    spec: QueueSpec
    switch: Switch
    rate: float  # calls per second at a profile factor of 1
    talk_mean: float
    patience_mean: float
    waiting: list[VoiceCall] = field(default_factory=list)
    truth: QueueTruth = field(default_factory=QueueTruth)

    def ringing(self) -> int:
        return sum(
            1
            for a in self.switch.agents
            for leg in a.legs.values()
            if leg.phase == "ringing"
            and leg.type == "Inbound"
            and self.switch.calls.get(leg.conn) is not None
            and self.switch.calls[leg.conn].queue is self
        )


@dataclass(eq=False)
class Switch:
    spec: SwitchSpec
    queues: list[Queue] = field(default_factory=list)
    agents: list[Agent] = field(default_factory=list)
    #: voice calls in progress by connection id
    calls: dict[str, VoiceCall] = field(default_factory=dict)


@dataclass(eq=False)
class Interaction:
    id: str
    queue: MediaQueue
    user_data: dict[str, Any]
    entered: int = 0
    state: str = "new"  # "waiting", "delivering", "handling" or "done"
    agent: Agent | None = None
    token: int = 0
    refused: set[str] = field(default_factory=set)


@dataclass(eq=False)
class MediaQueue:
    spec: MediaQueueSpec
    rate: float
    handle_mean: float
    patience_mean: float | None
    agents: list[Agent] = field(default_factory=list)
    waiting: list[Interaction] = field(default_factory=list)
    truth: MediaTruth = field(default_factory=MediaTruth)
    #: add the ``tenant`` key to this Interaction Server's events (it serves several)
    tag_tenant: bool = False


@dataclass(eq=False)
class Tenant:
    name: str
    switches: list[Switch]
    agents: list[Agent]
    media: dict[str, MediaQueue]
    outbound: list[Agent]
    outbound_rate: float


# ------------------------------------------------------------------------------ simulation
class Simulation:
    def __init__(self, center: Center, options: SimOptions | None = None) -> None:
        self.center = center
        self.options = opt = options or SimOptions()
        self.rng = random.Random(opt.seed)
        self.start = round(opt.start * 1000)
        self.now = self.start
        self.emitted = 0
        #: how often each notable thing happened ("transfer", "rona", "break:Lunch", ...)
        self.counts: Counter[str] = Counter()
        self._heap: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._seq = 0
        self._ids = 0
        self._out: list[Emitted] = []
        self._iso_ms = -1
        self._iso = ""
        self.tenants: dict[str, Tenant] = {}
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
                    i = q_spec.index % len(_TALK_FACTORS)
                    sw.queues.append(
                        Queue(
                            q_spec,
                            sw,
                            total * w / sum(weights),
                            o.talk_mean * _TALK_FACTORS[i],
                            o.patience_mean * _PATIENCE_FACTORS[i],
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

    # -- the clock ---------------------------------------------------------------------------
    def next_time(self) -> int | None:
        """When the next scheduled thing happens (ms), or None."""
        return self._heap[0][0] if self._heap else None

    def advance(self, until: int) -> list[Emitted]:
        """Run to ``until`` (ms since the epoch); the records of what happened, in order."""
        heap = self._heap
        while heap and heap[0][0] <= until:
            t, _, fn, args = heapq.heappop(heap)
            self.now = t
            fn(*args)
        self.now = max(self.now, until)
        out, self._out = self._out, []
        self.emitted += len(out)
        return out

    def _at(self, delay: float, fn: Callable[..., None], *args: Any) -> None:
        self._at_ms(self.now + max(0, round(delay * 1000)), fn, *args)

    def _at_ms(self, t: int, fn: Callable[..., None], *args: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, fn, args))

    def _next_arrival(self, rate: float, fn: Callable[..., None], arg: Any) -> None:
        """Schedule the next arrival of a Poisson process of ``rate`` per second (at a
        profile factor of 1) modulated by the time-of-day profile (thinning)."""
        if rate <= 0:
            return
        o = self.options
        peak = max(o.profile)
        t = self.now
        while True:
            t += max(1, int(self.rng.expovariate(rate * peak) * 1000))
            if self.rng.random() * peak <= profile_factor(o.profile, t / 1000.0, o.utc_offset):
                break
        self._at_ms(t, fn, arg)

    # -- random helpers ----------------------------------------------------------------------
    def _lognormal(self, mean: float, sigma: float = 0.5) -> float:
        mu = math.log(max(mean, 1e-3)) - sigma * sigma / 2
        return self.rng.lognormvariate(mu, sigma)

    def _uniform(self, lo: float, hi: float) -> float:
        return self.rng.uniform(lo, hi)

    def _new_id(self) -> str:
        self._ids += 1
        return f"{self._ids:016x}"

    def _phone(self) -> str:
        return f"+1555{self.rng.randrange(10**7):07d}"

    # -- emitting ----------------------------------------------------------------------------
    def _time(self) -> str:
        if self._iso_ms != self.now:
            self._iso_ms = self.now
            self._iso = iso_time(self.now)
        return self._iso

    def _record(self, source: str, event: str, attrs: dict[str, Any]) -> dict[str, Any]:
        rec: dict[str, Any] = {"event": event, "time": self._time(), "source": source}
        for key, value in attrs.items():
            if value is not None:
                rec[key] = value
        return rec

    def _t(self, a: Agent | Switch, event: str, **attrs: Any) -> None:
        """A T-Server event (the source of the agent's or the switch's T-Server)."""
        spec = a.spec
        self._out.append(Emitted(spec.tenant, self._record(spec.source, event, attrs)))

    def _i(self, tenant: str, source: str, tag: bool, event: str, **attrs: Any) -> None:
        """An Interaction Server event."""
        if tag:
            attrs["tenant"] = tenant
        self._out.append(Emitted(tenant, self._record(source, event, attrs)))

    def _ch(self, a: Agent, ch: Channel, event: str, **attrs: Any) -> None:
        mq = self.tenants[a.spec.tenant].media[ch.media]
        self._i(
            a.spec.tenant,
            ch.source,
            mq.tag_tenant,
            event,
            agentID=a.id,
            mediaType=ch.media,
            **attrs,
        )

    # -- agents ------------------------------------------------------------------------------
    def _login(self, a: Agent) -> None:
        if a.shift != "off":
            return
        o = self.options
        a.shift = "on"
        a.session += 1
        a.voice = True
        a.mode = "notready"
        a.reason = "Login"
        a.pending = None
        self._t(
            a,
            "EventAgentLogin",
            thisDN=a.spec.dn,
            agentID=a.spec.login_id,
            thisQueue=a.spec.login_queue,
            workMode="AuxWork",
            reasons={"ReasonCode": "Login"},
        )
        for ch in a.channels.values():
            ch.logged, ch.ready, ch.reason, ch.leaving = True, False, "Login", False
            self._ch(
                a,
                ch,
                "EventAgentLogin",
                place=a.spec.place,
                workMode="AuxWork",
                reasons={"ReasonCode": "Login"},
            )
        self.counts["login"] += 1
        self._at(self._uniform(o.session_min, o.session_max), self._shift_end, a, a.session)
        self._agent_timer(a, self._uniform(5.0, 60.0))

    def _agent_timer(self, a: Agent, delay: float) -> None:
        """Call :meth:`_after_work` after ``delay`` (login, ACW, RONA, break end)."""
        a.token += 1
        self._at(delay, self._agent_free, a, a.token)

    def _agent_free(self, a: Agent, token: int) -> None:
        if token != a.token or not a.voice:
            return
        if a.on_break:
            a.on_break = False
            self._schedule_break(a)
        self._after_work(a)

    def _after_work(self, a: Agent) -> None:
        """The agent's voice work is over: log out, take a break, or get ready."""
        if a.legs or not a.voice:
            return
        if a.pending == "logout" or a.shift == "leaving":
            self._logout(a)
            return
        if a.pending == "break":
            a.pending = None
            self._start_break(a)
            return
        if a.mode != "ready":
            self._set_ready(a)
        else:
            a.idle_since = self.now
        self._dispatch_voice(self._switch(a))

    def _switch(self, a: Agent) -> Switch:
        tenant = self.tenants[a.spec.tenant]
        return next(sw for sw in tenant.switches if sw.spec.name == a.spec.switch)

    def _mode_ends(self, a: Agent) -> None:
        """Book-keeping when the agent's work mode changes (after-call work completed)."""
        if a.mode == "acw":
            a.acw_time += _sec(self.now) - _sec(a.acw_since)
            a.acw_count += 1

    def _set_ready(self, a: Agent) -> None:
        first = a.mode == "notready" and a.reason == "Login"
        self._mode_ends(a)
        a.mode, a.reason = "ready", None
        a.idle_since = self.now
        self._t(
            a, "EventAgentReady", thisDN=a.spec.dn, agentID=a.spec.login_id, workMode="ManualIn"
        )
        tenant = self.tenants[a.spec.tenant]
        for ch in a.channels.values():
            if ch.logged and not ch.ready and not ch.leaving:
                ch.ready, ch.reason = True, None
                self._ch(a, ch, "EventReadyForMedia")
                self._dispatch_media(tenant.media[ch.media])
        if first:
            self._schedule_break(a)

    def _set_not_ready(self, a: Agent, reason: str, *, media: bool = True) -> None:
        self._mode_ends(a)
        a.mode, a.reason = "notready", reason
        self._t(
            a,
            "EventAgentNotReady",
            thisDN=a.spec.dn,
            agentID=a.spec.login_id,
            workMode="AuxWork",
            reasons={"ReasonCode": reason},
        )
        if media:
            self._media_not_ready(a, reason)

    def _media_not_ready(self, a: Agent, reason: str) -> None:
        for ch in a.channels.values():
            if ch.logged and ch.ready:
                ch.ready, ch.reason = False, reason
                self._ch(a, ch, "EventNotReadyForMedia", reasons={"ReasonCode": reason})

    def _schedule_break(self, a: Agent) -> None:
        a.break_token += 1
        self._at(
            self.rng.expovariate(1.0 / self.options.break_interval_mean),
            self._break_due,
            a,
            a.break_token,
        )

    def _break_due(self, a: Agent, token: int) -> None:
        if token != a.break_token or a.shift != "on":
            return
        if a.available:
            self._start_break(a)
        elif a.pending is None:
            a.pending = "break"

    def _start_break(self, a: Agent) -> None:
        breaks = self.options.breaks
        reasons = list(breaks)
        reason = self.rng.choices(reasons, weights=[breaks[r][0] for r in reasons])[0]
        _, lo, hi = breaks[reason]
        a.on_break = True
        self._set_not_ready(a, reason)
        self.counts[f"break:{reason}"] += 1
        self._agent_timer(a, self._uniform(lo, hi))

    def _shift_end(self, a: Agent, session: int) -> None:
        if session != a.session or a.shift != "on":
            return
        a.shift = "leaving"
        a.pending = "logout"
        self._media_not_ready(a, "EndOfShift")
        if a.voice and not a.legs and a.mode == "ready":
            self._logout(a)

    def _logout(self, a: Agent) -> None:
        self._t(
            a,
            "EventAgentLogout",
            thisDN=a.spec.dn,
            agentID=a.spec.login_id,
            thisQueue=a.spec.login_queue,
        )
        self._mode_ends(a)
        a.voice, a.mode, a.reason, a.pending, a.on_break = False, None, None, None, False
        a.token += 1
        a.break_token += 1
        a.shift = "leaving"
        self.counts["logout"] += 1
        self._media_not_ready(a, "EndOfShift")
        for ch in a.channels.values():
            if ch.logged:
                if ch.parties:
                    ch.leaving = True
                else:
                    self._logout_channel(a, ch)
        self._maybe_off(a)

    def _logout_channel(self, a: Agent, ch: Channel) -> None:
        self._ch(a, ch, "EventAgentLogout")
        ch.logged, ch.ready, ch.leaving, ch.reason = False, False, False, None

    def _maybe_off(self, a: Agent) -> None:
        if a.voice or any(ch.logged for ch in a.channels.values()) or a.shift == "off":
            return
        a.shift = "off"
        o = self.options
        self._at(self._uniform(o.off_min, o.off_max), self._login, a)

    # -- voice routing ------------------------------------------------------------------------
    def _dispatch_voice(self, sw: Switch) -> None:
        while True:
            queues = sorted(
                (q for q in sw.queues if q.waiting),
                key=lambda q: (q.waiting[0].entered, q.spec.index),
            )
            for q in queues:
                agent = self._pick_agent(sw, q)
                if agent is not None:
                    self._divert(q.waiting.pop(0), agent)
                    break
            else:
                return

    def _pick_agent(self, sw: Switch, q: Queue) -> Agent | None:
        skill = q.spec.skill
        best: Agent | None = None
        best_key: tuple[int, int] = (0, 0)
        for a in sw.agents:
            if not a.available:
                continue
            level = a.spec.skills.get(skill, 0) if skill is not None else 1
            if level < 1:
                continue
            key = (level, -a.idle_since)
            if best is None or key > best_key:
                best, best_key = a, key
        return best

    def _arrival(self, q: Queue) -> None:
        self._next_arrival(q.rate, self._arrival, q)
        segment = self.rng.choices([s for s, _ in _SEGMENTS], weights=[w for _, w in _SEGMENTS])[0]
        call = VoiceCall(
            self._new_id(),
            q,
            self._phone(),
            f"+1800555{int(q.spec.number) % 10000:04d}"
            if q.spec.number.isdigit()
            else q.spec.number,
            {"Segment": segment},
            deadline=self.now + max(1000, int(self.rng.expovariate(1.0 / q.patience_mean) * 1000)),
        )
        q.switch.calls[call.conn] = call
        self._queue(call)
        self._at_ms(call.deadline, self._patience, call)
        self._dispatch_voice(q.switch)

    def _queue(self, call: VoiceCall, *, front: bool = False) -> None:
        q = call.queue
        self._t(
            q.switch,
            "EventQueued",
            thisDN=q.spec.number,
            connID=call.conn,
            callType="Inbound",
            thisQueue=q.spec.number,
            otherDN=call.ani,
            ani=call.ani,
            dnis=call.dnis,
            userData=call.user_data,
        )
        q.truth.entered += 1
        call.state, call.entered, call.agent = "waiting", self.now, None
        call.token += 1
        if front:
            q.waiting.insert(0, call)
        else:
            q.waiting.append(call)

    def _divert(self, call: VoiceCall, a: Agent) -> None:
        q = call.queue
        o = self.options
        self._t(
            q.switch,
            "EventDiverted",
            thisDN=q.spec.number,
            connID=call.conn,
            callType="Inbound",
            otherDN=a.spec.dn,
            thisQueue=q.spec.number,
        )
        self._t(
            a,
            "EventRinging",
            thisDN=a.spec.dn,
            connID=call.conn,
            callType="Inbound",
            thisQueue=q.spec.number,
            otherDN=call.ani,
            ani=call.ani,
            dnis=call.dnis,
            userData=call.user_data,
        )
        q.truth.distributed += 1
        a.legs[call.conn] = Leg(call.conn, "Inbound", "ringing")
        call.state, call.agent = "ringing", a
        call.token += 1
        if self.rng.random() < o.rona_probability:
            self._at(o.rona_timeout, self._rona, call, call.token)
        else:
            self._at(self._uniform(o.ring_min, o.ring_max), self._answer, call, call.token)

    def _patience(self, call: VoiceCall) -> None:
        q = call.queue
        if call.state == "waiting":
            self._t(
                q.switch,
                "EventAbandoned",
                thisDN=q.spec.number,
                connID=call.conn,
                callType="Inbound",
            )
            q.waiting.remove(call)
            q.truth.abandoned += 1
            q.truth.abandon_waits.append(_sec(self.now) - _sec(call.entered))
            self._call_done(call)
            self.counts["abandon"] += 1
        elif call.state == "ringing" and call.agent is not None:
            a = call.agent
            self._t(a, "EventAbandoned", thisDN=a.spec.dn, connID=call.conn, callType="Inbound")
            a.legs.pop(call.conn)
            q.truth.abandoned_ringing += 1
            self._call_done(call)
            self.counts["abandon_ringing"] += 1
            self._after_work(a)

    def _call_done(self, call: VoiceCall) -> None:
        call.state = "done"
        call.token += 1
        call.queue.switch.calls.pop(call.conn, None)

    def _rona(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.state != "ringing" or call.agent is None:
            return
        a = call.agent
        q = call.queue
        self._t(
            a,
            "EventReleased",
            thisDN=a.spec.dn,
            connID=call.conn,
            callType="Inbound",
            thisQueue=q.spec.number,
        )
        a.legs.pop(call.conn)
        q.truth.missed += 1
        self.counts["rona"] += 1
        self._set_not_ready(a, "RONA", media=False)
        self._agent_timer(a, self._uniform(30.0, 90.0))
        self._queue(call, front=True)
        self._dispatch_voice(q.switch)

    def _answer(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.state != "ringing" or call.agent is None:
            return
        a = call.agent
        q = call.queue
        o = self.options
        self._t(
            a,
            "EventEstablished",
            thisDN=a.spec.dn,
            connID=call.conn,
            callType="Inbound",
            thisQueue=q.spec.number,
            otherDN=call.ani,
        )
        leg = a.legs[call.conn]
        leg.phase, leg.since = "established", self.now
        q.truth.answered += 1
        q.truth.answer_waits.append(_sec(self.now) - _sec(call.entered))
        call.state = "talking"
        call.token += 1
        tok = call.token
        total = max(5.0, self._lognormal(q.talk_mean))
        r = self.rng.random()
        if r < o.transfer_probability:
            call.ending = "transfer"
        elif r < o.transfer_probability + o.conference_probability:
            call.ending = "conference"
        elif r < o.transfer_probability + o.conference_probability + o.consult_probability:
            call.ending = "consult"
        else:
            call.ending = "release"
        if self.rng.random() < o.hold_probability:
            at = total * self._uniform(0.2, 0.6)
            hold = self._uniform(10.0, 60.0)
            total = max(total, at + hold + 5.0)
            self._at(at, self._hold, call, tok)
            if call.ending == "release" and self.rng.random() < o.abandon_on_hold_probability:
                self._at(at + hold, self._abandon_on_hold, call, tok)
                return
            self._at(at + hold, self._retrieve, call, tok)
        self._at(total, self._talk_end, call, tok)

    def _hold(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None:
            return
        a = call.agent
        self._t(a, "EventHeld", thisDN=a.spec.dn, connID=call.conn)
        a.legs[call.conn].held = True
        self.counts["hold"] += 1

    def _retrieve(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None:
            return
        a = call.agent
        self._t(a, "EventRetrieved", thisDN=a.spec.dn, connID=call.conn)
        a.legs[call.conn].held = False

    def _abandon_on_hold(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None:
            return
        a = call.agent
        self._t(a, "EventAbandoned", thisDN=a.spec.dn, connID=call.conn, callType="Inbound")
        self._close_leg(a, call.conn)
        self._call_done(call)
        self.counts["abandon_on_hold"] += 1
        self._work_done(a, acw=True)

    def _close_leg(self, a: Agent, conn: str) -> Leg:
        leg = a.legs.pop(conn)
        if leg.phase == "established":
            a.talk[leg.type] += _sec(self.now) - _sec(leg.since)
            a.calls[leg.type] += 1
        return leg

    def _retype(self, a: Agent, leg: Leg, conn: str, call_type: str) -> None:
        """The call at ``a`` becomes ``conn`` of ``call_type`` (EventPartyChanged)."""
        a.talk[leg.type] += _sec(self.now) - _sec(leg.since)
        a.calls[leg.type] += 1
        del a.legs[leg.conn]
        leg.conn, leg.type, leg.since, leg.held = conn, call_type, self.now, False
        a.legs[conn] = leg

    def _talk_end(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None:
            return
        if call.ending in ("transfer", "conference", "consult"):
            b = self._consult_target(call.agent)
            if b is not None:
                self._consult(call, b)
                return
        self._release(call)

    def _release(self, call: VoiceCall) -> None:
        a = call.agent
        assert a is not None
        self._t(
            a,
            "EventReleased",
            thisDN=a.spec.dn,
            connID=call.conn,
            callType="Inbound",
            thisQueue=call.queue.spec.number,
            otherDN=call.ani,
        )
        self._close_leg(a, call.conn)
        self._call_done(call)
        self._work_done(a, acw=True)

    def _work_done(self, a: Agent, *, acw: bool) -> None:
        """The agent's calls are over: after-call work, or the next thing."""
        if a.legs or not a.voice:
            return
        o = self.options
        if acw and a.mode == "ready" and self.rng.random() < o.acw_probability:
            a.mode, a.reason, a.acw_since = "acw", None, self.now
            self._t(
                a,
                "EventAgentNotReady",
                thisDN=a.spec.dn,
                agentID=a.spec.login_id,
                workMode="AfterCallWork",
            )
            self.counts["acw"] += 1
            self._agent_timer(a, max(2.0, self._lognormal(o.acw_mean)))
            return
        self._after_work(a)

    # -- consultations, transfers, conferences -------------------------------------------------
    def _consult_target(self, a: Agent) -> Agent | None:
        sw = self._switch(a)
        candidates = [b for b in sw.agents if b is not a and b.available]
        if not candidates:
            return None
        other = [b for b in candidates if b.spec.login_queue != a.spec.login_queue] or candidates
        return min(other, key=lambda b: b.idle_since)

    def _consult(self, call: VoiceCall, b: Agent) -> None:
        a = call.agent
        assert a is not None
        leg1 = a.legs[call.conn]
        if not leg1.held:
            self._t(a, "EventHeld", thisDN=a.spec.dn, connID=call.conn)
            leg1.held = True
        conn2 = self._new_id()
        self._t(
            a,
            "EventDialing",
            thisDN=a.spec.dn,
            connID=conn2,
            previousConnID=call.conn,
            callType="Consult",
            otherDN=b.spec.dn,
        )
        a.legs[conn2] = Leg(conn2, "Consult", "dialing")
        self._t(
            b, "EventRinging", thisDN=b.spec.dn, connID=conn2, callType="Consult", otherDN=a.spec.dn
        )
        b.legs[conn2] = Leg(conn2, "Consult", "ringing")
        call.consult = (b, conn2)
        call.token += 1
        self._at(self._uniform(2.0, 6.0), self._consult_answer, call, call.token)

    def _consult_answer(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None or call.consult is None:
            return
        a = call.agent
        b, conn2 = call.consult
        self._t(
            b,
            "EventEstablished",
            thisDN=b.spec.dn,
            connID=conn2,
            callType="Consult",
            otherDN=a.spec.dn,
        )
        self._t(
            a,
            "EventEstablished",
            thisDN=a.spec.dn,
            connID=conn2,
            callType="Consult",
            otherDN=b.spec.dn,
        )
        for agent in (a, b):
            leg = agent.legs[conn2]
            leg.phase, leg.since = "established", self.now
        self._at(self._uniform(15.0, 90.0), self._consult_end, call, token)

    def _consult_end(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None or call.consult is None:
            return
        a = call.agent
        b, conn2 = call.consult
        conn1 = call.conn
        call.consult = None
        call.token += 1
        if call.ending == "transfer":
            self._t(
                a,
                "EventReleased",
                thisDN=a.spec.dn,
                connID=conn2,
                callType="Consult",
                otherDN=b.spec.dn,
            )
            self._close_leg(a, conn2)
            self._t(
                a,
                "EventReleased",
                thisDN=a.spec.dn,
                connID=conn1,
                callType="Inbound",
                thisDNRole="TransferredBy",
                otherDN=call.ani,
            )
            self._close_leg(a, conn1)
            self._t(
                b,
                "EventPartyChanged",
                thisDN=b.spec.dn,
                connID=conn1,
                previousConnID=conn2,
                callType="Inbound",
                otherDN=call.ani,
                thirdPartyDN=a.spec.dn,
            )
            self._retype(b, b.legs[conn2], conn1, "Inbound")
            call.agent, call.ending = b, "release"
            self.counts["transfer"] += 1
            self._at(
                max(5.0, self._lognormal(call.queue.talk_mean * 0.6)),
                self._talk_end,
                call,
                call.token,
            )
            self._work_done(a, acw=True)
        elif call.ending == "conference":
            self._t(
                a,
                "EventReleased",
                thisDN=a.spec.dn,
                connID=conn2,
                callType="Consult",
                otherDN=b.spec.dn,
            )
            self._close_leg(a, conn2)
            self._t(a, "EventRetrieved", thisDN=a.spec.dn, connID=conn1)
            a.legs[conn1].held = False
            self._t(
                a,
                "EventPartyAdded",
                thisDN=a.spec.dn,
                connID=conn1,
                thisDNRole="AddedBy",
                otherDN=b.spec.dn,
            )
            self._t(
                b,
                "EventPartyChanged",
                thisDN=b.spec.dn,
                connID=conn1,
                previousConnID=conn2,
                callType="Inbound",
                thisDNRole="ConferenceMember",
                otherDN=a.spec.dn,
            )
            self._retype(b, b.legs[conn2], conn1, "Inbound")
            call.member, call.ending = b, "release"
            self.counts["conference"] += 1
            self._at(self._uniform(20.0, 120.0), self._conference_leave, call, call.token)
        else:
            self._t(
                b,
                "EventReleased",
                thisDN=b.spec.dn,
                connID=conn2,
                callType="Consult",
                otherDN=a.spec.dn,
            )
            self._close_leg(b, conn2)
            self._t(
                a,
                "EventReleased",
                thisDN=a.spec.dn,
                connID=conn2,
                callType="Consult",
                otherDN=b.spec.dn,
            )
            self._close_leg(a, conn2)
            self._t(a, "EventRetrieved", thisDN=a.spec.dn, connID=conn1)
            a.legs[conn1].held = False
            call.ending = "release"
            self.counts["consult"] += 1
            self._at(max(5.0, self._lognormal(45.0)), self._talk_end, call, call.token)
            self._work_done(b, acw=False)

    def _conference_leave(self, call: VoiceCall, token: int) -> None:
        if token != call.token or call.agent is None or call.member is None:
            return
        a, b = call.agent, call.member
        call.member = None
        self._t(
            b,
            "EventReleased",
            thisDN=b.spec.dn,
            connID=call.conn,
            callType="Inbound",
            otherDN=a.spec.dn,
        )
        self._close_leg(b, call.conn)
        self._t(a, "EventPartyDeleted", thisDN=a.spec.dn, connID=call.conn, otherDN=b.spec.dn)
        call.token += 1
        self._at(self._uniform(10.0, 90.0), self._talk_end, call, call.token)
        self._work_done(b, acw=True)

    # -- outbound ------------------------------------------------------------------------------
    def _outbound(self, tenant: Tenant) -> None:
        self._next_arrival(tenant.outbound_rate, self._outbound, tenant)
        candidates = [a for a in tenant.outbound if a.available]
        if not candidates:
            self.counts["outbound_skipped"] += 1
            return
        a = min(candidates, key=lambda x: x.idle_since)
        conn = self._new_id()
        number = self._phone()
        self._t(
            a,
            "EventDialing",
            thisDN=a.spec.dn,
            connID=conn,
            callType="Outbound",
            otherDN=number,
            userData={"Campaign": "Callbacks"},
        )
        a.legs[conn] = Leg(conn, "Outbound", "dialing")
        self.counts["outbound"] += 1
        self._at(self._uniform(5.0, 25.0), self._outbound_result, a, conn, number)

    def _outbound_result(self, a: Agent, conn: str, number: str) -> None:
        leg = a.legs.get(conn)
        if leg is None:
            return
        if self.rng.random() < self.options.outbound_answer_probability:
            self._t(
                a,
                "EventEstablished",
                thisDN=a.spec.dn,
                connID=conn,
                callType="Outbound",
                otherDN=number,
            )
            leg.phase, leg.since = "established", self.now
            self.counts["outbound_answered"] += 1
            self._at(
                max(5.0, self._lognormal(self.options.outbound_talk_mean)),
                self._outbound_end,
                a,
                conn,
                number,
            )
        else:
            self._t(
                a,
                "EventReleased",
                thisDN=a.spec.dn,
                connID=conn,
                callType="Outbound",
                otherDN=number,
            )
            a.legs.pop(conn)
            self._work_done(a, acw=False)

    def _outbound_end(self, a: Agent, conn: str, number: str) -> None:
        self._t(
            a, "EventReleased", thisDN=a.spec.dn, connID=conn, callType="Outbound", otherDN=number
        )
        self._close_leg(a, conn)
        self._work_done(a, acw=True)

    # -- chat and email ---------------------------------------------------------------------
    def _mi(self, mq: MediaQueue, event: str, **attrs: Any) -> None:
        self._i(mq.spec.tenant, mq.spec.source, mq.tag_tenant, event, **attrs)

    def _media_arrival(self, mq: MediaQueue) -> None:
        self._next_arrival(mq.rate, self._media_arrival, mq)
        segment = self.rng.choices([s for s, _ in _SEGMENTS], weights=[w for _, w in _SEGMENTS])[0]
        it = Interaction(self._new_id().upper(), mq, {"Segment": segment})
        self._place(it)
        if mq.patience_mean is not None:
            self._at(self.rng.expovariate(1.0 / mq.patience_mean), self._media_patience, it)
        self._dispatch_media(mq)

    def _place(self, it: Interaction, *, front: bool = False) -> None:
        mq = it.queue
        self._mi(
            mq,
            "EventPlacedInQueue",
            interactionID=it.id,
            queue=mq.spec.name,
            mediaType=mq.spec.media,
            interactionType="Inbound",
            userData=it.user_data,
        )
        mq.truth.entered += 1
        it.state, it.entered, it.agent = "waiting", self.now, None
        it.token += 1
        if front:
            mq.waiting.insert(0, it)
        else:
            mq.waiting.append(it)

    def _dispatch_media(self, mq: MediaQueue) -> None:
        while mq.waiting:
            it = mq.waiting[0]
            agent = self._pick_media_agent(mq, it)
            if agent is None:
                return
            mq.waiting.pop(0)
            self._invite(it, agent)

    def _pick_media_agent(self, mq: MediaQueue, it: Interaction) -> Agent | None:
        media = mq.spec.media
        best: Agent | None = None
        best_key: tuple[int, int] = (0, 0)
        for a in mq.agents:
            ch = a.channels[media]
            if not (ch.logged and ch.ready) or len(ch.parties) >= ch.capacity or a.id in it.refused:
                continue
            key = (len(ch.parties), ch.last_assigned)
            if best is None or key < best_key:
                best, best_key = a, key
        return best

    def _invite(self, it: Interaction, a: Agent) -> None:
        mq = it.queue
        o = self.options
        media = mq.spec.media
        ch = a.channels[media]
        self._mi(
            mq,
            "EventTakenFromQueue",
            interactionID=it.id,
            queue=mq.spec.name,
            partyType="Agent",
            agentID=a.id,
            mediaType=media,
        )
        self._ch(
            a,
            ch,
            "EventAgentInvited",
            interactionID=it.id,
            place=a.spec.place,
            interactionType="Inbound",
            userData=it.user_data,
        )
        ch.parties[it.id] = "delivering"
        ch.last_assigned = self.now
        it.state, it.agent = "delivering", a
        it.token += 1
        mq.truth.distributed += 1
        if self.rng.random() < o.revoke_probability:
            self._at(o.revoke_timeout, self._media_revoke, it, it.token)
        else:
            self._at(self._uniform(o.accept_min, o.accept_max), self._media_accept, it, it.token)

    def _media_accept(self, it: Interaction, token: int) -> None:
        if token != it.token or it.agent is None:
            return
        a = it.agent
        ch = a.channels[it.queue.spec.media]
        self._ch(a, ch, "EventPartyAdded", interactionID=it.id, interactionType="Inbound")
        ch.parties[it.id] = "handling"
        it.state = "handling"
        self._at(max(10.0, self._lognormal(it.queue.handle_mean)), self._media_done, it, token)

    def _media_done(self, it: Interaction, token: int) -> None:
        if token != it.token or it.agent is None:
            return
        a = it.agent
        mq = it.queue
        ch = a.channels[mq.spec.media]
        self._ch(a, ch, "EventPartyRemoved", interactionID=it.id)
        del ch.parties[it.id]
        self._mi(
            mq,
            "EventProcessingStopped",
            interactionID=it.id,
            queue=mq.spec.name,
            mediaType=mq.spec.media,
        )
        mq.truth.completed += 1
        a.handled[mq.spec.media] += 1
        it.state, it.agent = "done", None
        it.token += 1
        self._channel_free(a, ch)

    def _media_revoke(self, it: Interaction, token: int) -> None:
        if token != it.token or it.agent is None:
            return
        a = it.agent
        mq = it.queue
        ch = a.channels[mq.spec.media]
        self._ch(a, ch, "EventRevoked", interactionID=it.id)
        del ch.parties[it.id]
        it.refused.add(a.id)
        mq.truth.revoked += 1
        self.counts["revoked"] += 1
        self._place(it, front=True)
        self._channel_free(a, ch)

    def _media_patience(self, it: Interaction) -> None:
        if it.state != "waiting":
            return
        mq = it.queue
        self._mi(
            mq,
            "EventProcessingStopped",
            interactionID=it.id,
            queue=mq.spec.name,
            mediaType=mq.spec.media,
        )
        mq.waiting.remove(it)
        mq.truth.abandoned += 1
        self.counts[f"{mq.spec.media}_abandon"] += 1
        it.state = "done"
        it.token += 1

    def _channel_free(self, a: Agent, ch: Channel) -> None:
        if ch.leaving and not ch.parties:
            self._logout_channel(a, ch)
            self._maybe_off(a)
            return
        self._dispatch_media(self.tenants[a.spec.tenant].media[ch.media])

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
                ext["workMode"] = _MODE_WORK[agent.mode]
            ext["calls"] = [
                {"connID": leg.conn, "callType": leg.type, "state": _leg_state(leg)}
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
                    self._i(
                        tenant.name,
                        source,
                        tag,
                        "EventPlacedInQueue",
                        interactionID=it.id,
                        queue=mq.spec.name,
                        mediaType=mq.spec.media,
                        interactionType="Inbound",
                        userData=it.user_data,
                    )
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


def _leg_state(leg: Leg) -> str:
    if leg.phase == "ringing":
        return "Ringing"
    if leg.phase == "dialing":
        return "Dialing"
    return "Held" if leg.held else "Established"
