"""A seeded generator of a synthetic contact center: a configuration and a busy day of events.

The center (one tenant ``Resources``, one switch ``SW1`` reported by the T-Server ``TS1``):

* ``agents`` working agents, each with a place holding one extension, logged in on one
  ACD queue; they belong to three groups each: a *team* (blocks of ~25), a *skill group*
  and a *site*, plus a virtual group ``SpanishSpeakers`` (``Skill("Spanish")>=5``);
* ``queues`` ACD queues (the agents are spread round-robin over them) and ``dn_groups``
  groups of queues;
* *idle* objects that exist in the configuration but never appear in the events:
  ``idle_agents`` agents (with their places and extensions) in ``idle_groups`` groups of their
  own, and ``idle_queues`` queues in their own queue groups.  The benchmark opens statistics
  on them to show that what an event does not touch costs it nothing;
* a realistic set of stat types (:data:`STAT_TYPES`), time profiles, time ranges and a filter.

The day (JSON Lines, contracts.md §1), driven by a discrete-event simulation:

* agents log in over the first 30 minutes (login, not ready with reason ``Login``, ready),
  work a shift of 7.5–8.5 hours, log out after their last call and come back 30–60 minutes
  later;
* calls arrive as a Poisson process (ramping up over the first 30 minutes, ±15 % over a
  4-hour cycle) sized so that the agents are ~95 % busy: ``EventQueued`` on the queue; when
  an agent of the queue is ready, ``EventDiverted`` (queue) and ``EventRinging`` (agent) after
  0.05–0.5 s, ``EventEstablished`` after 2–8 s of ringing, for 15 % of the calls
  ``EventHeld``/``EventRetrieved``, ``EventReleased`` after ~3 minutes of talk, then after-call
  work (``EventAgentNotReady`` with ``workMode: AfterCallWork``) for 5–60 s and
  ``EventAgentReady``; after 3 % of the calls the agent takes a break (``EventAgentNotReady``,
  ``workMode: AuxWork``, ``reasons: {ReasonCode: Break|Coaching|Training|Lunch}``);
* a caller waiting longer than its patience (~90 s on average) abandons (``EventAbandoned``).

Every event is valid for the engine: nothing is rejected and no warning is counted.  Events
are produced in time order, in a streaming fashion (memory does not grow with the number of
events), at several hundred thousand events per second.

API::

    spec = CenterSpec(agents=1000, events=500_000, seed=1)
    files = generate(spec, "/tmp/center")        # config.yaml, events.jsonl, meta.json
    for line in iter_event_lines(spec): ...      # or stream the events yourself

CLI: ``python -m bench.generate --agents 1000 --events 500000 --out /tmp/center``.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import itertools
import json
import math
import os
import random
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "FILTERS",
    "GENERATOR_VERSION",
    "STAT_TYPES",
    "TIME_PROFILES",
    "TIME_RANGES",
    "Center",
    "CenterSpec",
    "GeneratedFiles",
    "config_data",
    "config_text",
    "generate",
    "iter_event_lines",
    "load_center",
    "load_data",
    "main",
]

#: Bumped whenever the output for a given spec changes (it is part of the cache key).
GENERATOR_VERSION = 2

TENANT = "Resources"
SWITCH = "SW1"
SOURCE = "TS1"

# ------------------------------------------------------------------------------ definitions
#: The stat types of the configuration (Genesys keys, contracts.md §2).
STAT_TYPES: dict[str, dict[str, str]] = {
    # agents and agent groups
    "AgentState": {
        "Objects": "Agent,GroupAgents",
        "Category": "CurrentState",
        "Subject": "AgentStatus",
        "MainMask": "*",
        "Description": "What the agent is doing now (structure)",
    },
    "ReadyAgents": {
        "Objects": "Agent,GroupAgents,Tenant",
        "Category": "CurrentNumber",
        "Subject": "AgentStatus",
        "MainMask": "WaitForNextCall",
        "Description": "Agents ready now",
    },
    "NotReadyAgents": {
        "Objects": "Agent,GroupAgents,Tenant",
        "Category": "CurrentNumber",
        "Subject": "AgentStatus",
        "MainMask": "NotReadyForNextCall,AfterCallWork",
        "Description": "Agents not ready or in after-call work now",
    },
    "BusyAgents": {
        "Objects": "Agent,GroupAgents,Tenant",
        "Category": "CurrentNumber",
        "Subject": "AgentStatus",
        "MainMask": "CallRinging,CallInbound,CallOnHold",
        "Description": "Agents with a call now",
    },
    "ReadyTime": {
        "Objects": "Agent,GroupAgents",
        "Category": "TotalTime",
        "Subject": "AgentStatus",
        "MainMask": "WaitForNextCall",
    },
    "NotReadyTime": {
        "Objects": "Agent,GroupAgents",
        "Category": "TotalTime",
        "Subject": "AgentStatus",
        "MainMask": "NotReadyForNextCall",
    },
    "ACWTime": {
        "Objects": "Agent,GroupAgents",
        "Category": "TotalTime",
        "Subject": "AgentStatus",
        "MainMask": "AfterCallWork",
    },
    "TalkTime": {
        "Objects": "Agent,GroupAgents",
        "Category": "TotalTime",
        "Subject": "DNAction",
        "MainMask": "CallInbound",
    },
    "HoldTime": {
        "Objects": "Agent,GroupAgents",
        "Category": "TotalTime",
        "Subject": "DNAction",
        "MainMask": "CallOnHold",
    },
    "CallsHandled": {
        "Objects": "Agent,GroupAgents,Tenant",
        "Category": "TotalNumber",
        "Subject": "DNAction",
        "MainMask": "CallInbound",
    },
    "AverageHandleTime": {
        "Objects": "Agent,GroupAgents",
        "Category": "AverageTime",
        "Subject": "DNAction",
        "MainMask": "CallInbound",
    },
    "LoggedInTime": {
        "Objects": "Agent",
        "Category": "CurrentContinuousTime",
        "Subject": "AgentStatus",
        "MainMask": "*,~LoggedOut,~NotMonitored",
    },
    "Occupancy": {
        "Objects": "Agent,GroupAgents",
        "Category": "RelativeTimePercentage",
        "Subject": "AgentStatus",
        "MainMask": "CallRinging,CallInbound,CallOnHold,AfterCallWork",
        "RelMask": "*,~LoggedOut,~NotMonitored,~NotReadyForNextCall",
    },
    # queues and queue groups
    "CallsWaiting": {
        "Objects": "Queue,GroupQueues,Tenant",
        "Category": "CurrentNumber",
        "Subject": "DNAction",
        "MainMask": "CallWait",
    },
    "OldestCallWaiting": {
        "Objects": "Queue,GroupQueues",
        "Category": "CurrentMaxTime",
        "Subject": "DNAction",
        "MainMask": "CallWait",
    },
    "CallsEntered": {
        "Objects": "Queue,GroupQueues,Tenant",
        "Category": "TotalNumber",
        "Subject": "DNAction",
        "MainMask": "CallEntered",
    },
    "CallsAnswered": {
        "Objects": "Queue,GroupQueues,Tenant",
        "Category": "TotalNumber",
        "Subject": "DNAction",
        "MainMask": "CallAnswered",
    },
    "CallsAbandoned": {
        "Objects": "Queue,GroupQueues,Tenant",
        "Category": "TotalNumber",
        "Subject": "DNAction",
        "MainMask": "CallAbandoned",
    },
    "AverageSpeedOfAnswer": {
        "Objects": "Queue,GroupQueues",
        "Category": "AverageTime",
        "Subject": "DNAction",
        "MainMask": "CallAnswered",
    },
    "ServiceLevel": {
        "Objects": "Queue,GroupQueues",
        "Category": "ServiceFactor1",
        "Subject": "DNAction",
        "MainMask": "CallAnswered",
        "RelMask": "CallAbandoned",
    },
    "AgentsReadyOnQueue": {
        "Objects": "Queue",
        "Category": "CurrentNumber",
        "Subject": "DNAction",
        "MainMask": "AgentReady",
    },
    # more of the same families (the 1,000,000-statistic mix of bench/mix.py uses them)
    "MaxTalkTime": {
        "Objects": "Agent,GroupAgents",
        "Category": "MaxTime",
        "Subject": "DNAction",
        "MainMask": "CallInbound",
    },
    "ShortCalls": {
        "Objects": "Agent,GroupAgents,Tenant",
        "Category": "TotalNumberInTimeRange",
        "Subject": "DNAction",
        "MainMask": "CallInbound",
        "Description": "Calls talked for a time in the range (time range: ShortCall)",
    },
    "AnsweredInThreshold": {
        "Objects": "Queue,GroupQueues,Tenant",
        "Category": "TotalNumberInTimeRange",
        "Subject": "DNAction",
        "MainMask": "CallAnswered",
    },
    "AbandonedInThreshold": {
        "Objects": "Queue,GroupQueues,Tenant",
        "Category": "TotalNumberInTimeRange",
        "Subject": "DNAction",
        "MainMask": "CallAbandoned",
    },
}

TIME_PROFILES: dict[str, tuple[str, str]] = {
    "Default": ("Growing", "00:00"),
    "Hourly": ("Growing", "00:00+01:00"),
    "HalfHour": ("Growing", "00:00+00:30"),
    "Last15Min": ("Sliding", "900:60"),
    "LastHour": ("Sliding", "3600:60"),
    "Quarter": ("Growing", "00:00+00:15"),
    "Last5Min": ("Sliding", "300:10"),
    "Last8Hours": ("Sliding", "28800:600"),
}

TIME_RANGES: dict[str, str] = {"SL20": "0-20", "Short5": "0-5", "SL30": "0-30", "ShortCall": "0-30"}

FILTERS: dict[str, str] = {
    "Break": 'PairExists("ReasonCode","Break")',
    "Gold": 'PairExists("Segment","Gold")',
}

BREAK_REASONS = (("Break", 0.60, 300, 900), ("Coaching", 0.15, 600, 1800))
BREAK_REASONS += (("Training", 0.10, 900, 2700), ("Lunch", 0.15, 1800, 3600))

# simulation parameters (seconds)
DIST_DELAY = (0.05, 0.5)  # queue -> agent
RING = (2.0, 8.0)
TALK_MEAN, TALK_MIN, TALK_MAX = 180.0, 10.0, 1800.0
HOLD_P = 0.15
ACW = (5.0, 60.0)
PATIENCE_MEAN, PATIENCE_MIN = 90.0, 5.0
BREAK_P = 0.03
LOGIN_SPREAD = 1800.0
READY_AFTER_LOGIN = (10.0, 120.0)
SHIFT = (7.5 * 3600, 8.5 * 3600)
OFF_SHIFT = (1800.0, 3600.0)
RAMP = 1800.0
WAVE_AMPLITUDE, WAVE_PERIOD = 0.15, 4 * 3600.0


# ------------------------------------------------------------------------------ the center
@dataclass(frozen=True)
class CenterSpec:
    """What to generate.  ``None`` sizes take the documented defaults."""

    agents: int = 1000
    groups: int = 50
    queues: int = 20
    dn_groups: int | None = None  # default: one per 10 queues
    idle_agents: int | None = None  # default: 2 x agents
    idle_groups: int | None = None  # default: groups
    idle_queues: int | None = None  # default: queues
    events: int = 500_000
    seed: int = 1
    start: str = "2026-11-25T07:00:00+00:00"
    time_format: str = "iso"  # "iso" (ISO-8601 with milliseconds) or "epoch" (a number)
    load: float = 0.95  # offered load relative to what the agents can handle

    def __post_init__(self) -> None:
        if self.agents < 1 or self.queues < 1 or self.groups < 1:
            msg = "agents, groups and queues must be at least 1"
            raise ValueError(msg)
        if self.time_format not in ("iso", "epoch"):
            msg = f"time_format {self.time_format!r}: expected 'iso' or 'epoch'"
            raise ValueError(msg)
        datetime.fromisoformat(self.start)

    @property
    def n_dn_groups(self) -> int:
        return self.dn_groups if self.dn_groups is not None else max(1, self.queues // 10)

    @property
    def n_idle_agents(self) -> int:
        return self.idle_agents if self.idle_agents is not None else 2 * self.agents

    @property
    def n_idle_groups(self) -> int:
        return self.idle_groups if self.idle_groups is not None else self.groups

    @property
    def n_idle_queues(self) -> int:
        return self.idle_queues if self.idle_queues is not None else self.queues

    def cache_key(self) -> str:
        text = json.dumps({"v": GENERATOR_VERSION, **asdict(self)}, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:16]


def _split_groups(n: int) -> tuple[int, int, int, bool]:
    """(teams, skills, sites, virtual) for ``n`` groups: ~4 % sites, ~20 % skills."""
    if n < 4:
        return max(1, n - 2), 1 if n >= 2 else 0, 1 if n >= 3 else 0, False
    sites = max(1, n // 25)
    skills = max(1, n // 5)
    return n - sites - skills - 1, skills, sites, True


@dataclass
class Center:
    """The objects of a center, by name.  Index ``i`` of the agent lists is agent ``i``."""

    agents: list[str]  # employee ids
    logins: list[str]
    extensions: list[str]  # DN numbers
    places: list[str]
    agent_queue: list[int]  # index into queues
    skills: list[dict[str, int]]
    queues: list[str]  # DN numbers
    groups: dict[str, list[str]]  # explicit agent groups -> employee ids
    virtual_groups: dict[str, str]  # name -> script
    dn_groups: dict[str, list[str]]  # name -> queue numbers
    idle_agents: list[str]
    idle_logins: list[str]
    idle_extensions: list[str]
    idle_places: list[str]
    idle_queues: list[str]
    idle_groups: dict[str, list[str]]
    idle_dn_groups: dict[str, list[str]]

    @property
    def active_groups(self) -> list[str]:
        return [*self.groups, *self.virtual_groups]


def _make_groups(
    prefix: str, agents: list[str], n_groups: int, rng: random.Random, skills: list[dict[str, int]]
) -> tuple[dict[str, list[str]], bool]:
    teams, n_skills, sites, virtual = _split_groups(n_groups)
    groups: dict[str, list[str]] = {}
    n = len(agents)
    if n == 0:
        return groups, False
    for t in range(teams):
        groups[f"{prefix}Team{t + 1:03d}"] = agents[t * n // teams : (t + 1) * n // teams]
    skill_members: list[list[str]] = [[] for _ in range(n_skills)]
    for i, emp in enumerate(agents):
        if n_skills:
            s = rng.randrange(n_skills)
            skill_members[s].append(emp)
            skills[i][f"{prefix}Skill{s + 1:03d}"] = rng.randint(1, 10)
    for s, members in enumerate(skill_members):
        groups[f"{prefix}Skill{s + 1:03d}"] = members
    for s in range(sites):
        groups[f"{prefix}Site{s + 1:02d}"] = agents[s * n // sites : (s + 1) * n // sites]
    return groups, virtual


def build_center(spec: CenterSpec) -> Center:
    """The objects of the center (deterministic for a spec)."""
    rng = random.Random(f"center-{spec.seed}")
    a, ia = spec.agents, spec.n_idle_agents
    agents = [f"a{i + 1:05d}" for i in range(a)]
    skills: list[dict[str, int]] = [{} for _ in range(a)]
    for s in skills:
        if rng.random() < 0.25:
            s["Spanish"] = rng.randint(1, 10)
    groups, virtual = _make_groups("", agents, spec.groups, rng, skills)
    idle_agents = [f"x{i + 1:05d}" for i in range(ia)]
    idle_skills: list[dict[str, int]] = [{} for _ in range(ia)]
    idle_groups, _ = _make_groups("Idle", idle_agents, spec.n_idle_groups, rng, idle_skills)
    queues = [str(80000 + j + 1) for j in range(spec.queues)]
    idle_queues = [str(90000 + j + 1) for j in range(spec.n_idle_queues)]

    def chunks(items: list[str], n: int, prefix: str) -> dict[str, list[str]]:
        n = max(1, min(n, len(items))) if items else 0
        return {
            f"{prefix}{k + 1:02d}": items[k * len(items) // n : (k + 1) * len(items) // n]
            for k in range(n)
        }

    center = Center(
        agents=agents,
        logins=[str(100000 + i + 1) for i in range(a)],
        extensions=[str(300000 + i + 1) for i in range(a)],
        places=[f"P{300000 + i + 1}" for i in range(a)],
        agent_queue=[i % spec.queues for i in range(a)],
        skills=skills,
        queues=queues,
        groups=groups,
        virtual_groups={"SpanishSpeakers": 'Skill("Spanish")>=5'} if virtual else {},
        dn_groups=chunks(queues, spec.n_dn_groups, "QueueGroup"),
        idle_agents=idle_agents,
        idle_logins=[str(200000 + i + 1) for i in range(ia)],
        idle_extensions=[str(400000 + i + 1) for i in range(ia)],
        idle_places=[f"P{400000 + i + 1}" for i in range(ia)],
        idle_queues=idle_queues,
        idle_groups=idle_groups,
        idle_dn_groups=chunks(idle_queues, max(1, spec.n_idle_queues // 10), "IdleQueueGroup"),
    )
    center.skills.extend(idle_skills)  # agents then idle agents
    return center


# ------------------------------------------------------------------------------ configuration
def _flow(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in mapping.items()) + "}"


def config_text(spec: CenterSpec, center: Center | None = None) -> str:
    """The YAML configuration of the center (contracts.md §2)."""
    c = center or build_center(spec)
    sw = SWITCH
    out: list[str] = [
        f"# Generated by bench/generate.py (version {GENERATOR_VERSION}): "
        + json.dumps(asdict(spec), sort_keys=True),
        "tenants:",
        f"  - name: {TENANT}",
        "switches:",
        f"  - {{name: {sw}, tenant: {TENANT}, source: {SOURCE}}}",
        "sources:",
        f"  - {{name: {SOURCE}, kind: tserver, tenants: [{TENANT}]}}",
        "dns:",
    ]
    out.extend(f'  - {{number: "{q}", switch: {sw}, type: ACDQueue}}' for q in c.queues)
    out.extend(f'  - {{number: "{q}", switch: {sw}, type: ACDQueue}}' for q in c.idle_queues)
    for ext in (*c.extensions, *c.idle_extensions):
        out.append(f'  - {{number: "{ext}", switch: {sw}, type: Extension}}')
    out.append("places:")
    for place, ext in zip(
        (*c.places, *c.idle_places), (*c.extensions, *c.idle_extensions), strict=True
    ):
        out.append(f'  - {{name: {place}, dns: ["{ext}@{sw}"]}}')
    out.append("agents:")
    all_agents = (*c.agents, *c.idle_agents)
    all_logins = (*c.logins, *c.idle_logins)
    for emp, login, skills in zip(all_agents, all_logins, c.skills, strict=True):
        sk = ", ".join(f"{k}: {v}" for k, v in skills.items())
        out.append(
            f'  - {{employeeId: {emp}, userName: agent.{emp}, loginIds: {{{sw}: "{login}"}}, '
            f"skills: {{{sk}}}}}"
        )
    out.append("agentGroups:")
    for name, members in (*c.groups.items(), *c.idle_groups.items()):
        out.append(f"  - {{name: {name}, agents: [{', '.join(members)}]}}")
    for name, script in c.virtual_groups.items():
        out.append(f"  - {{name: {name}, script: '{script}'}}")
    out.append("dnGroups:")
    for name, numbers in (*c.dn_groups.items(), *c.idle_dn_groups.items()):
        dns = ", ".join(f'"{n}@{sw}"' for n in numbers)
        out.append(f"  - {{name: {name}, dns: [{dns}]}}")
    out.append("statTypes:")
    out.extend(f"  {name}: {_flow(keys)}" for name, keys in STAT_TYPES.items())
    out.append("timeProfiles:")
    out.extend(
        f'  {name}: {{type: {kind}, value: "{value}"}}'
        for name, (kind, value) in TIME_PROFILES.items()
    )
    out.append("timeRanges:")
    out.extend(f'  {name}: "{value}"' for name, value in TIME_RANGES.items())
    out.append("filters:")
    out.extend(f"  {name}: '{text}'" for name, text in FILTERS.items())
    return "\n".join(out) + "\n"


def config_data(
    spec: CenterSpec, center: Center | None = None, *, source: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The configuration of :func:`config_text` as the data its YAML parses to.

    ``source`` replaces the source entry (e.g. to give the T-Server a host and a port).
    """
    c = center or build_center(spec)
    sw = SWITCH
    dns = [{"number": n, "switch": sw, "type": "ACDQueue"} for n in (*c.queues, *c.idle_queues)]
    dns += [
        {"number": n, "switch": sw, "type": "Extension"}
        for n in (*c.extensions, *c.idle_extensions)
    ]
    places = [
        {"name": p, "dns": [f"{e}@{sw}"]}
        for p, e in zip(
            (*c.places, *c.idle_places), (*c.extensions, *c.idle_extensions), strict=True
        )
    ]
    agents = [
        {
            "employeeId": emp,
            "userName": f"agent.{emp}",
            "loginIds": {sw: login},
            "skills": dict(skills),
        }
        for emp, login, skills in zip(
            (*c.agents, *c.idle_agents), (*c.logins, *c.idle_logins), c.skills, strict=True
        )
    ]
    groups: list[dict[str, Any]] = [
        {"name": name, "agents": list(members)}
        for name, members in (*c.groups.items(), *c.idle_groups.items())
    ]
    groups += [{"name": name, "script": script} for name, script in c.virtual_groups.items()]
    return {
        "tenants": [{"name": TENANT}],
        "switches": [{"name": sw, "tenant": TENANT, "source": SOURCE}],
        "sources": [source or {"name": SOURCE, "kind": "tserver", "tenants": [TENANT]}],
        "dns": dns,
        "places": places,
        "agents": agents,
        "agentGroups": groups,
        "dnGroups": [
            {"name": name, "dns": [f"{n}@{sw}" for n in numbers]}
            for name, numbers in (*c.dn_groups.items(), *c.idle_dn_groups.items())
        ],
        "statTypes": {name: dict(keys) for name, keys in STAT_TYPES.items()},
        "timeProfiles": {
            name: {"type": kind, "value": value} for name, (kind, value) in TIME_PROFILES.items()
        },
        "timeRanges": dict(TIME_RANGES),
        "filters": dict(FILTERS),
    }


def load_data(data: dict[str, Any], source: str = "<bench>") -> Any:
    """A :class:`statserver.config.LoadedConfig` from configuration data, without YAML.

    The same validation and building as :func:`statserver.config.load_config_text` after
    its YAML parsing (~2.4 s for a 10,000-agent file with libyaml): ``msgspec.convert`` to
    the file schema, then the loader's builder.  Error
    messages carry no line numbers.  Uses the loader's private builder: benchmark use only.
    """
    import msgspec

    from statserver.config import load as loader
    from statserver.config.schema import ConfigFile

    cfg = msgspec.convert(data, ConfigFile, str_keys=True)
    return loader._Builder(cfg, source, Path("."), loader._LineFinder(None)).build()


def load_center(spec: CenterSpec, center: Center | None = None, **kwargs: Any) -> Any:
    """The center's configuration loaded directly from Python data (see :func:`load_data`)."""
    return load_data(config_data(spec, center, **kwargs))


# ------------------------------------------------------------------------------ the day
# kinds of simulation steps, most frequent first
_ARRIVAL, _DIVERT, _ANSWER, _RELEASE, _ACW_END, _READY, _ABANDON = range(7)
_HOLD, _RETRIEVE, _LOGIN = range(7, 10)
_WAITING, _ASSIGNED, _GONE = range(3)
_SEGMENTS = ("Gold", "Gold", "Silver", "Silver", "Silver") + ("Bronze",) * 5


def _mean_cycle() -> float:
    """Mean seconds an agent spends per call, breaks included (to size the arrival rate)."""
    talk = TALK_MEAN + TALK_MIN
    per_call = sum(DIST_DELAY) / 2 + sum(RING) / 2 + talk + sum(ACW) / 2
    breaks = sum(p * (lo + hi) / 2 for _, p, lo, hi in BREAK_REASONS)
    return per_call + BREAK_P * breaks


def iter_event_batches(spec: CenterSpec, center: Center | None = None) -> Iterator[list[str]]:
    """The events of the day as lists of JSON lines (each ending with a newline), in time
    order, exactly ``spec.events`` lines in all."""
    c = center or build_center(spec)
    rng = random.Random(f"day-{spec.seed}")
    rand, uniform, expo = rng.random, rng.uniform, rng.expovariate
    start = datetime.fromisoformat(spec.start)
    start_s = int(start.timestamp())
    iso = spec.time_format == "iso"
    limit = spec.events
    src = SOURCE

    n_agents = spec.agents
    ext = c.extensions
    login = c.logins
    qnum = c.queues
    agent_q = c.agent_queue
    ready: list[deque[int]] = [deque() for _ in qnum]
    waiting: list[deque[list[Any]]] = [deque() for _ in qnum]
    shift_end = [0] * n_agents
    per_queue = [0] * len(qnum)
    for q in agent_q:
        per_queue[q] += 1
    staffed = [j for j, n in enumerate(per_queue) if n]
    cum = list(itertools.accumulate(per_queue[j] for j in staffed))
    total = cum[-1]
    rate = spec.load * n_agents / _mean_cycle()  # calls per second at full staffing
    peak = rate * (1 + WAVE_AMPLITUDE)
    dnis = [f"1800555{j:04d}" for j in range(len(qnum))]

    heap: list[tuple[int, int, int, Any]] = []
    seq = itertools.count()
    push, pop = heapq.heappush, heapq.heappop

    def ms(seconds: float) -> int:
        return int(seconds * 1000)

    for i in range(n_agents):
        push(heap, (ms(uniform(0, LOGIN_SPREAD)), next(seq), _LOGIN, i))
    push(heap, (ms(uniform(30, 90)), next(seq), _ARRIVAL, None))

    buf: list[str] = []
    emitted = 0
    cur_sec = -1
    prefix = ""
    cid = 0
    batch = 4096

    def assign(t: int, q: int, i: int) -> bool:
        """Agent ``i`` just became ready on queue ``q``: take the first call waiting."""
        w = waiting[q]
        while w:
            call = w.popleft()
            if call[3] == _WAITING:
                call[3] = _ASSIGNED
                call[2] = i
                push(heap, (t + ms(uniform(*DIST_DELAY)), next(seq), _DIVERT, call))
                return True
        return False

    while emitted + len(buf) < limit:
        t, _, kind, x = pop(heap)
        sec = t // 1000
        if sec != cur_sec:
            cur_sec = sec
            if iso:
                prefix = datetime.fromtimestamp(start_s + sec, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            else:
                prefix = str(start_s + sec)
        T = f'"{prefix}.{t % 1000:03d}+00:00"' if iso else f"{prefix}.{t % 1000:03d}"
        ts = '"time":' + T + ',"source":"' + src + '"'
        if kind == _ARRIVAL:
            push(heap, (t + ms(expo(peak)), next(seq), _ARRIVAL, None))
            s = t / 1000
            mult = (1 + WAVE_AMPLITUDE * math.sin(2 * math.pi * s / WAVE_PERIOD)) / (
                1 + WAVE_AMPLITUDE
            )
            if s < RAMP:
                mult *= s / RAMP
            if rand() >= mult:
                continue
            cid += 1
            q = staffed[_bisect(cum, rand() * total)]
            conn = f"{0x006A000000000000 + cid:016x}"
            ani = f"+1555{(cid * 7919) % 10_000_000:07d}"
            ud = (
                f'{{"Segment":"{_SEGMENTS[(cid * 31) % 10]}","CustomerID":"C{cid * 13 % 999_983}"}}'
            )
            call = [conn, q, -1, _WAITING, ani, ud]
            buf.append(
                f'{{"event":"EventQueued",{ts},"thisDN":"{qnum[q]}","connID":"{conn}","callType":"Inbound",'
                f'"otherDN":"{ani}","ani":"{ani}","dnis":"{dnis[q]}","userData":{ud}}}\n'
            )
            r = ready[q]
            if r:
                i = r.popleft()
                call[3] = _ASSIGNED
                call[2] = i
                push(heap, (t + ms(uniform(*DIST_DELAY)), next(seq), _DIVERT, call))
            else:
                waiting[q].append(call)
                patience = ms(PATIENCE_MIN + expo(1 / PATIENCE_MEAN))
                push(heap, (t + patience, next(seq), _ABANDON, call))
        elif kind == _DIVERT:
            conn, q, i, _, ani, ud = x
            e = ext[i]
            buf.append(
                f'{{"event":"EventDiverted",{ts},"thisDN":"{qnum[q]}","connID":"{conn}","callType":"Inbound",'
                f'"otherDN":"{e}"}}\n'
            )
            buf.append(
                f'{{"event":"EventRinging",{ts},"thisDN":"{e}","connID":"{conn}","callType":"Inbound",'
                f'"thisQueue":"{qnum[q]}","otherDN":"{ani}","ani":"{ani}","userData":{ud}}}\n'
            )
            push(heap, (t + ms(uniform(*RING)), next(seq), _ANSWER, x))
        elif kind == _ANSWER:
            conn, q, i = x[0], x[1], x[2]
            buf.append(
                f'{{"event":"EventEstablished",{ts},"thisDN":"{ext[i]}","connID":"{conn}","callType":"Inbound",'
                f'"thisQueue":"{qnum[q]}","otherDN":"{x[4]}"}}\n'
            )
            talk = ms(min(TALK_MAX, TALK_MIN + expo(1 / TALK_MEAN)))
            if rand() < HOLD_P:
                hs = t + int(talk * uniform(0.2, 0.6))
                push(heap, (hs, next(seq), _HOLD, x))
                push(heap, (hs + int(talk * uniform(0.1, 0.3)), next(seq), _RETRIEVE, x))
            push(heap, (t + talk, next(seq), _RELEASE, x))
        elif kind == _RELEASE:
            conn, q, i = x[0], x[1], x[2]
            e = ext[i]
            x[3] = _GONE
            buf.append(
                f'{{"event":"EventReleased",{ts},"thisDN":"{e}","connID":"{conn}","callType":"Inbound",'
                f'"otherDN":"{x[4]}"}}\n'
            )
            buf.append(
                f'{{"event":"EventAgentNotReady",{ts},"thisDN":"{e}","agentID":"{login[i]}",'
                f'"thisQueue":"{qnum[q]}","workMode":"AfterCallWork"}}\n'
            )
            push(heap, (t + ms(uniform(*ACW)), next(seq), _ACW_END, i))
        elif kind in (_ACW_END, _READY):
            i = x
            q = agent_q[i]
            if kind == _ACW_END:
                if t >= shift_end[i]:
                    buf.append(
                        f'{{"event":"EventAgentLogout",{ts},"thisDN":"{ext[i]}","agentID":"{login[i]}",'
                        f'"thisQueue":"{qnum[q]}"}}\n'
                    )
                    push(heap, (t + ms(uniform(*OFF_SHIFT)), next(seq), _LOGIN, i))
                    continue
                if rand() < BREAK_P:
                    reason, lo, hi = _break(rand())
                    buf.append(
                        f'{{"event":"EventAgentNotReady",{ts},"thisDN":"{ext[i]}","agentID":"{login[i]}",'
                        f'"thisQueue":"{qnum[q]}","workMode":"AuxWork",'
                        f'"reasons":{{"ReasonCode":"{reason}"}}}}\n'
                    )
                    push(heap, (t + ms(uniform(lo, hi)), next(seq), _READY, i))
                    continue
            buf.append(
                f'{{"event":"EventAgentReady",{ts},"thisDN":"{ext[i]}","agentID":"{login[i]}",'
                f'"thisQueue":"{qnum[q]}","workMode":"ManualIn"}}\n'
            )
            if not assign(t, q, i):
                ready[q].append(i)
        elif kind == _ABANDON:
            if x[3] != _WAITING:
                continue
            x[3] = _GONE
            buf.append(
                f'{{"event":"EventAbandoned",{ts},"thisDN":"{qnum[x[1]]}","connID":"{x[0]}",'
                f'"callType":"Inbound"}}\n'
            )
        elif kind in (_HOLD, _RETRIEVE):
            name = "Held" if kind == _HOLD else "Retrieved"
            buf.append(f'{{"event":"Event{name}",{ts},"thisDN":"{ext[x[2]]}","connID":"{x[0]}"}}\n')
        else:  # _LOGIN
            i = x
            q = agent_q[i]
            shift_end[i] = t + ms(uniform(*SHIFT))
            common = f'"thisDN":"{ext[i]}","agentID":"{login[i]}","thisQueue":"{qnum[q]}"'
            buf.append(f'{{"event":"EventAgentLogin",{ts},{common}}}\n')
            buf.append(
                f'{{"event":"EventAgentNotReady",{ts},{common},"workMode":"AuxWork",'
                f'"reasons":{{"ReasonCode":"Login"}}}}\n'
            )
            push(heap, (t + ms(uniform(*READY_AFTER_LOGIN)), next(seq), _READY, i))
        if len(buf) >= batch:
            emitted += len(buf)
            yield buf
            buf = []
    yield buf[: limit - emitted]


def _bisect(cum: list[int], value: float) -> int:
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > value:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _break(r: float) -> tuple[str, float, float]:
    acc = 0.0
    for reason, p, lo, hi in BREAK_REASONS:
        acc += p
        if r < acc:
            return reason, lo, hi
    reason, _, lo, hi = BREAK_REASONS[-1]
    return reason, lo, hi


def iter_event_lines(spec: CenterSpec, center: Center | None = None) -> Iterator[str]:
    """The events of the day, one JSON line (ending with a newline) at a time."""
    for batch in iter_event_batches(spec, center):
        yield from batch


# ------------------------------------------------------------------------------ files
@dataclass(frozen=True)
class GeneratedFiles:
    directory: Path
    config: Path
    events: Path
    meta: dict[str, Any]
    reused: bool = False


def generate(spec: CenterSpec, out_dir: str | Path, *, reuse: bool = False) -> GeneratedFiles:
    """Write ``config.yaml``, ``events.jsonl`` and ``meta.json`` into ``out_dir``.

    With ``reuse``, files already generated there for the same spec (and generator version)
    are kept.  Files are written under temporary names and renamed when complete.
    """
    d = Path(out_dir)
    d.mkdir(parents=True, exist_ok=True)
    config, events, meta_path = d / "config.yaml", d / "events.jsonl", d / "meta.json"
    key = spec.cache_key()
    if reuse and meta_path.exists() and config.exists() and events.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("key") == key:
            return GeneratedFiles(d, config, events, meta, reused=True)
    center = build_center(spec)
    t0 = time.perf_counter()
    _atomic_write(config, config_text(spec, center))
    t1 = time.perf_counter()
    tmp = events.with_name(events.name + f".tmp{os.getpid()}")
    size = 0
    with tmp.open("w", encoding="utf-8") as f:
        for batch in iter_event_batches(spec, center):
            f.writelines(batch)
        size = f.tell()
    tmp.replace(events)
    t2 = time.perf_counter()
    meta = {
        "key": key,
        "generator_version": GENERATOR_VERSION,
        "spec": asdict(spec),
        "events": spec.events,
        "events_bytes": size,
        "config_seconds": round(t1 - t0, 3),
        "events_seconds": round(t2 - t1, 3),
        "events_per_second": round(spec.events / (t2 - t1)) if t2 > t1 else None,
    }
    _atomic_write(meta_path, json.dumps(meta, indent=2) + "\n")
    return GeneratedFiles(d, config, events, meta)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


# ------------------------------------------------------------------------------ CLI
def add_spec_arguments(parser: argparse.ArgumentParser) -> None:
    d = CenterSpec()
    parser.add_argument("--agents", type=int, default=d.agents, help="working agents")
    parser.add_argument("--groups", type=int, default=d.groups, help="agent groups")
    parser.add_argument("--queues", type=int, default=d.queues, help="ACD queues")
    parser.add_argument("--dn-groups", type=int, default=None, help="queue groups (queues/10)")
    parser.add_argument("--idle-agents", type=int, default=None, help="idle agents (2 x agents)")
    parser.add_argument("--idle-groups", type=int, default=None, help="idle groups (= groups)")
    parser.add_argument("--idle-queues", type=int, default=None, help="idle queues (= queues)")
    parser.add_argument("--events", type=int, default=d.events, help="events to generate")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--start", default=d.start, help="ISO-8601 start of the day")
    parser.add_argument("--time-format", choices=("iso", "epoch"), default=d.time_format)
    parser.add_argument("--load", type=float, default=d.load, help="offered load (0.95)")


def spec_from_args(args: argparse.Namespace) -> CenterSpec:
    return CenterSpec(
        agents=args.agents,
        groups=args.groups,
        queues=args.queues,
        dn_groups=args.dn_groups,
        idle_agents=args.idle_agents,
        idle_groups=args.idle_groups,
        idle_queues=args.idle_queues,
        events=args.events,
        seed=args.seed,
        start=args.start,
        time_format=args.time_format,
        load=args.load,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n\n")[0]
    )
    add_spec_arguments(parser)
    parser.add_argument("--out", required=True, help="directory to write the files into")
    args = parser.parse_args(argv)
    spec = spec_from_args(args)
    files = generate(spec, args.out)
    m = files.meta
    print(f"config: {files.config} ({m['config_seconds']} s)")
    print(
        f"events: {files.events} ({spec.events:,} events, {m['events_bytes'] / 1e6:.1f} MB, "
        f"{m['events_seconds']} s, {m['events_per_second']:,} events/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
