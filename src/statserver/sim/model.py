"""The simulated contact center's state: agents, calls, queues, interactions, and the
ground truth the simulation keeps (what happened, in whole seconds, as Stat Server counts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from statserver.core.vocabulary import DN_SPT
from statserver.sim.center import AgentSpec, MediaQueueSpec, QueueSpec, SwitchSpec

__all__ = [
    "MODE_STATUS",
    "MODE_WORK",
    "PATIENCE_FACTORS",
    "RANK",
    "SEGMENTS",
    "STATUS_PRIORITY",
    "TALK_FACTORS",
    "Agent",
    "Channel",
    "Emitted",
    "Interaction",
    "Leg",
    "MediaQueue",
    "MediaTruth",
    "Queue",
    "QueueTruth",
    "Switch",
    "Tenant",
    "VoiceCall",
    "iso_time",
    "leg_state",
    "placed_attrs",
    "whole_seconds",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: Agent/DN status priority, ascending: the documented table (docs/actions.md, "Status
#: priority tables"), the same one the engine ranks statuses by
STATUS_PRIORITY: tuple[str, ...] = DN_SPT
RANK = {name: i for i, name in enumerate(STATUS_PRIORITY)}
MODE_STATUS = {
    "ready": "WaitForNextCall",
    "notready": "NotReadyForNextCall",
    "acw": "AfterCallWork",
}
MODE_WORK = {"ready": "ManualIn", "notready": "AuxWork", "acw": "AfterCallWork"}
SEGMENTS = (("Gold", 0.15), ("Silver", 0.35), ("Bronze", 0.5))
TALK_FACTORS = (1.0, 0.8, 1.3, 0.9, 1.15)
PATIENCE_FACTORS = (1.0, 1.25, 0.85, 1.1, 0.95)


def iso_time(ms: int) -> str:
    """``2026-11-25T10:00:12.250+00:00`` for a time in milliseconds since the Unix epoch."""
    return (_EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds")


def whole_seconds(ms: int) -> int:
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
                names.append(MODE_STATUS[self.mode])
            for leg in self.legs.values():
                if leg.phase == "ringing":
                    names.append("CallRinging")
                elif leg.phase == "dialing":
                    names.append("CallDialing")
                elif leg.held:
                    names.append("CallOnHold")
                else:
                    names.append(f"Call{leg.type}")
            voice = max(names, key=RANK.__getitem__)
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
                best = max(names, key=RANK.__getitem__)
                if media is None or RANK[best] > RANK[media]:
                    media = best
        if voice is None and media is None:
            return "LoggedOut"
        if media is None:
            assert voice is not None
            return voice
        if voice is None:
            return media
        if RANK[voice] > RANK["NotReadyForNextCall"] or RANK[media] <= RANK[voice]:
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


def placed_attrs(it: Interaction) -> dict[str, Any]:
    """The attributes of the ``EventPlacedInQueue`` that puts ``it`` in its queue (when it
    arrives, and again in a registration snapshot while it waits)."""
    mq = it.queue
    return {
        "interactionID": it.id,
        "queue": mq.spec.name,
        "mediaType": mq.spec.media,
        "interactionType": "Inbound",
        "userData": it.user_data,
    }


def leg_state(leg: Leg) -> str:
    if leg.phase == "ringing":
        return "Ringing"
    if leg.phase == "dialing":
        return "Dialing"
    return "Held" if leg.held else "Established"
