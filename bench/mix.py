"""The documented mix of open statistics for the full-size benchmarks (1,000,000 statistics).

Every object of the generated center (``bench/generate.py``) can hold a list of distinct
statistics, its *variants*: the current statistics once, then every historical statistic
under each time profile (:data:`PROFILE_ORDER`).  For a total of N statistics, each class of
objects gets the same share ``N / capacity`` of its variants (every object its first
variants first), the agents taking what rounding leaves; so at 10,000 agents, 500 agent
groups and 200 queues, 1,000,000 statistics are ~94 per agent, ~93 per agent group, ~65 per
queue, ~64 per queue group and ~52 on the tenant:

============================  ========================================================
class                         variants (stat type [/ filter] [/ time range])
============================  ========================================================
agent (5 + 13 x 8 = 109)      current: AgentState (CurrentState), LoggedInTime
                              (CurrentContinuousTime), ReadyAgents, NotReadyAgents,
                              BusyAgents (CurrentNumber); historical, under each of the 8
                              profiles: ReadyTime, NotReadyTime, ACWTime, TalkTime,
                              HoldTime (TotalTime), CallsHandled (TotalNumber),
                              AverageHandleTime (AverageTime), Occupancy
                              (RelativeTimePercentage), MaxTalkTime (MaxTime),
                              NotReadyTime/Break, CallsHandled/Gold, TalkTime/Gold
                              (filters), ShortCalls/ShortCall (TotalNumberInTimeRange)
agent group (4 + 13 x 8)      current: ReadyAgents, NotReadyAgents, BusyAgents, AgentState
                              (CurrentState of the group); historical: as for agents
queue (3 + 9 x 8 = 75)        current: CallsWaiting, AgentsReadyOnQueue (CurrentNumber),
                              OldestCallWaiting (CurrentMaxTime); historical: CallsEntered,
                              CallsAnswered, CallsAbandoned (TotalNumber),
                              AverageSpeedOfAnswer (AverageTime), ServiceLevel
                              SL20/Short5 and SL30/Short5 (ServiceFactor1),
                              AnsweredInThreshold/SL20, AbandonedInThreshold/Short5
                              (TotalNumberInTimeRange), CallsAnswered/Gold
queue group (2 + 9 x 8)       CallsWaiting, OldestCallWaiting; historical as for queues
tenant (4 + 7 x 8 = 60)       CallsWaiting, ReadyAgents, NotReadyAgents, BusyAgents;
                              CallsEntered, CallsAnswered, CallsAbandoned, CallsHandled,
                              ShortCalls/ShortCall, AnsweredInThreshold/SL20,
                              AbandonedInThreshold/Short5
============================  ========================================================

The 8 time profiles (:data:`bench.generate.TIME_PROFILES`): Default (Growing, midnight),
Hourly, HalfHour, Quarter (Growing, reset every hour / 30 / 15 minutes), LastHour (Sliding
3600:60), Last15Min (900:60), Last5Min (300:10) and Last8Hours (28800:600).  Current
statistics are opened once (their time profile does not change them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from bench.generate import SWITCH, TENANT, Center
from statserver.core.engine import StatisticRequest

__all__ = [
    "AGENT_CURRENT",
    "AGENT_HISTORICAL",
    "PROFILE_ORDER",
    "MixPlan",
    "StatClass",
    "Variant",
    "full_plan",
]


@dataclass(frozen=True)
class Variant:
    """One statistic to open on an object: a stat type and its request parameters."""

    stat_type: str
    profile: str | None = None
    time_range: str | None = None
    time_range2: str | None = None
    filter: str | None = None

    def with_profile(self, profile: str) -> Variant:
        return Variant(self.stat_type, profile, self.time_range, self.time_range2, self.filter)

    def describe(self) -> str:
        parts = [self.stat_type]
        if self.filter:
            parts.append(f"/{self.filter}")
        if self.time_range:
            parts.append(f"/{self.time_range}")
        if self.time_range2:
            parts.append(f",{self.time_range2}")
        if self.profile:
            parts.append(f"@{self.profile}")
        return "".join(parts)


V = Variant
PROFILE_ORDER: tuple[str, ...] = (
    "Default",
    "Hourly",
    "HalfHour",
    "Quarter",
    "LastHour",
    "Last15Min",
    "Last5Min",
    "Last8Hours",
)

AGENT_CURRENT = (
    V("AgentState"),
    V("LoggedInTime"),
    V("ReadyAgents"),
    V("NotReadyAgents"),
    V("BusyAgents"),
)
AGENT_HISTORICAL = (
    V("ReadyTime"),
    V("NotReadyTime"),
    V("ACWTime"),
    V("TalkTime"),
    V("HoldTime"),
    V("CallsHandled"),
    V("AverageHandleTime"),
    V("Occupancy"),
    V("MaxTalkTime"),
    V("NotReadyTime", filter="Break"),
    V("CallsHandled", filter="Gold"),
    V("TalkTime", filter="Gold"),
    V("ShortCalls", time_range="ShortCall"),
)
GROUP_CURRENT = (V("ReadyAgents"), V("NotReadyAgents"), V("BusyAgents"), V("AgentState"))
QUEUE_CURRENT = (V("CallsWaiting"), V("AgentsReadyOnQueue"), V("OldestCallWaiting"))
QUEUE_HISTORICAL = (
    V("CallsEntered"),
    V("CallsAnswered"),
    V("CallsAbandoned"),
    V("AverageSpeedOfAnswer"),
    V("ServiceLevel", time_range="SL20", time_range2="Short5"),
    V("ServiceLevel", time_range="SL30", time_range2="Short5"),
    V("AnsweredInThreshold", time_range="SL20"),
    V("AbandonedInThreshold", time_range="Short5"),
    V("CallsAnswered", filter="Gold"),
)
DN_GROUP_CURRENT = (V("CallsWaiting"), V("OldestCallWaiting"))
TENANT_CURRENT = (V("CallsWaiting"), V("ReadyAgents"), V("NotReadyAgents"), V("BusyAgents"))
TENANT_HISTORICAL = (
    V("CallsEntered"),
    V("CallsAnswered"),
    V("CallsAbandoned"),
    V("CallsHandled"),
    V("ShortCalls", time_range="ShortCall"),
    V("AnsweredInThreshold", time_range="SL20"),
    V("AbandonedInThreshold", time_range="Short5"),
)


def expand(current: Sequence[Variant], historical: Sequence[Variant]) -> list[Variant]:
    """The current variants, then the historical ones under each profile in turn."""
    out = list(current)
    for profile in PROFILE_ORDER:
        out.extend(v if profile == "Default" else v.with_profile(profile) for v in historical)
    return out


@dataclass
class StatClass:
    """Statistics of one kind of object: ``count`` statistics over ``objects``."""

    name: str
    object_type: str
    objects: list[str]
    mix: list[Variant]
    count: int = 0

    @property
    def capacity(self) -> int:
        return len(self.objects) * len(self.mix)

    def pairs(self) -> Iterator[tuple[str, Variant]]:
        """``count`` (object, variant) pairs, spread evenly: every object gets the first
        variants first."""
        n = 0
        for v in self.mix:
            for oid in self.objects:
                if n >= self.count:
                    return
                n += 1
                yield oid, v

    def requests(self) -> Iterable[StatisticRequest]:
        for oid, v in self.pairs():
            yield StatisticRequest(
                TENANT,
                self.object_type,
                oid,
                v.stat_type,
                time_profile=v.profile,
                time_range=v.time_range,
                time_range2=v.time_range2,
                filter=v.filter,
            )


@dataclass
class MixPlan:
    classes: list[StatClass] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(c.count for c in self.classes)

    def requests(self) -> Iterator[StatisticRequest]:
        for c in self.classes:
            yield from c.requests()

    def describe(self) -> str:
        return ", ".join(
            f"{c.name} {c.count:,} ({c.count / max(1, len(c.objects)):.1f} on each of "
            f"{len(c.objects):,})"
            for c in self.classes
            if c.count
        )


def full_plan(center: Center, total: int) -> MixPlan:
    """``total`` distinct statistics over the working objects of ``center`` (the module's
    mix); raises SystemExit when the center cannot hold that many."""
    queues = [f"{q}@{SWITCH}" for q in center.queues]
    classes = [
        StatClass(
            "agent groups",
            "GroupAgents",
            center.active_groups,
            expand(GROUP_CURRENT, AGENT_HISTORICAL),
        ),
        StatClass("queues", "Queue", queues, expand(QUEUE_CURRENT, QUEUE_HISTORICAL)),
        StatClass(
            "queue groups",
            "GroupQueues",
            list(center.dn_groups),
            expand(DN_GROUP_CURRENT, QUEUE_HISTORICAL),
        ),
        StatClass("tenant", "Tenant", [TENANT], expand(TENANT_CURRENT, TENANT_HISTORICAL)),
        StatClass("agents", "Agent", center.agents, expand(AGENT_CURRENT, AGENT_HISTORICAL)),
    ]
    capacity = sum(c.capacity for c in classes)
    if total > capacity:
        msg = f"the center holds at most {capacity:,} distinct statistics of the mix, not {total:,}"
        raise SystemExit(msg)
    share = total / capacity
    left = total
    for c in classes[:-1]:
        c.count = min(left, round(share * c.capacity))
        left -= c.count
    classes[-1].count = left
    return MixPlan(classes)
