"""Property-based tests of the engine over random valid traffic (``tests/trafficgen.py``).

The properties compare the engine with itself under changes that must not matter (when
values are read, when a statistic is opened, a second run), or check relations the
definitions of ``docs/stat-types.md`` imply (totals of a Growing interval never decrease; a
group's current number over a status mask is the sum over its members).  Regression tests
for the minimal examples Hypothesis found are at the end of the file.

Each property runs a few seconds by default; ``PROPERTY_SCALE=20 pytest
tests/core/test_properties.py`` multiplies the number of examples for a deeper search.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from helpers import BASE_CONFIG, T0, Scenario, make_config
from statserver.core.engine import Engine, StatisticRequest
from statserver.core.stats.statistic import Statistic
from trafficgen import AGENTS, Step, feed, traffic

# Two more time profiles: a Growing profile that resets every minute (so runs cross many
# resets) and a short Sliding window.
PROFILES = """\
  Min1: {type: Growing, value: "00:00+00:01"}
  Slide2m: {type: Sliding, value: "120:10"}
"""
BASE = BASE_CONFIG.replace("timeProfiles:\n", "timeProfiles:\n" + PROFILES)

AGENT_OBJ = "Agent,Place,GroupAgents,GroupPlaces,Tenant"
DN_OBJ = "Agent,Place,GroupAgents,GroupPlaces,RegularDN,Tenant"
Q_OBJ = "Queue,GroupQueues,Tenant"
BUSY = "CallInbound,CallOutbound,CallRinging,CallDialing,CallOnHold,AfterCallWork"
LOGGED = "*,~LoggedOut,~NotMonitored"
TALK = "CallInbound,CallOutbound"

# name: (Objects, Category, Subject, MainMask, RelMask or "", extra keys)
CURRENT: dict[str, tuple[str, str, str, str, str]] = {
    "CurReady": (AGENT_OBJ, "CurrentNumber", "AgentStatus", "WaitForNextCall", ""),
    "CurNotReady": (AGENT_OBJ, "CurrentNumber", "AgentStatus", "NotReadyForNextCall", ""),
    "CurBusy": (AGENT_OBJ, "CurrentNumber", "AgentStatus", BUSY, ""),
    "CurBusyTime": (AGENT_OBJ, "CurrentTime", "AgentStatus", BUSY, ""),
    "CurStatusMax": (AGENT_OBJ, "CurrentMaxTime", "AgentStatus", "*,~LoggedOut", ""),
    "CurStatusMin": (AGENT_OBJ, "CurrentMinTime", "AgentStatus", "*,~LoggedOut", ""),
    "CurStatusAvg": (AGENT_OBJ, "CurrentAverageTime", "AgentStatus", "*,~LoggedOut", ""),
    "CurReadyCont": ("Agent,Place", "CurrentContinuousTime", "AgentStatus", "WaitForNextCall", ""),
    "CurLoggedCont": ("Agent,Place", "CurrentContinuousTime", "AgentStatus", LOGGED, ""),
    "CurRelReady": (
        AGENT_OBJ,
        "CurrentRelativeNumberPercentage",
        "AgentStatus",
        "WaitForNextCall",
        LOGGED,
    ),
    "CurRelTime": (AGENT_OBJ, "CurrentRelativeTimePercentage", "AgentStatus", BUSY, LOGGED),
    "CurPlaceBusy": (
        "Place,GroupPlaces",
        "CurrentNumber",
        "PlaceStatus",
        "CallInbound,CallRinging,CallOnHold",
        "",
    ),
    "CurGroupReady": (
        "GroupAgents,GroupPlaces",
        "CurrentNumber",
        "GroupStatus",
        "WaitForNextCall,CallInbound",
        "",
    ),
    "CurDNStatus": (
        DN_OBJ,
        "CurrentNumber",
        "DNStatus",
        "CallRinging,CallInbound,CallOutbound,CallDialing",
        "",
    ),
    "CurDNStatusTime": (
        DN_OBJ,
        "CurrentTime",
        "DNStatus",
        "CallRinging,CallInbound,CallOnHold",
        "",
    ),
    "CurTalk": (DN_OBJ, "CurrentNumber", "DNAction", TALK, ""),
    "CurTalkTime": (DN_OBJ, "CurrentTime", "DNAction", TALK, ""),
    "CurTalkDistinct": (
        DN_OBJ,
        "CurrentDistinctNumber",
        "DNAction",
        "CallInbound,CallOnHold,CallRinging",
        "",
    ),
    "CurLoggedInAct": (DN_OBJ, "CurrentNumber", "DNAction", "LoggedIn", ""),
    "CurLoggedInActTime": (DN_OBJ, "CurrentMaxTime", "DNAction", "LoggedIn", ""),
    "CurNRAct": (DN_OBJ, "CurrentTime", "DNAction", "NotReadyForNextCall", ""),
    "CurTalkCont": (
        "Agent,Place,RegularDN",
        "CurrentContinuousTime",
        "DNAction",
        "CallRinging,CallInbound,CallOnHold",
        "",
    ),
    "CurWaiting": (Q_OBJ, "CurrentNumber", "DNAction", "CallWait", ""),
    "CurWaitMax": (Q_OBJ, "CurrentMaxTime", "DNAction", "CallWait", ""),
    "CurWaitMin": (Q_OBJ, "CurrentMinTime", "DNAction", "CallWait", ""),
    "CurWaitInRange": (Q_OBJ, "CurrentNumberInTimeRange", "DNAction", "CallWait", ""),
    "CurWaitInRangePct": (Q_OBJ, "CurrentNumberInTimeRangePercentage", "DNAction", "CallWait", ""),
    "CurWaitCont": ("Queue", "CurrentContinuousTime", "DNAction", "CallWait", ""),
    "CurQAgentsReady": ("Queue,GroupQueues", "CurrentNumber", "DNAction", "AgentReady", ""),
    "CurQAgentsLogin": ("Queue,GroupQueues", "CurrentNumber", "DNAction", "AgentLogin", ""),
    "CurQActive": ("Queue", "CurrentTime", "DNAction", "AgentActive", ""),
    "LoadBal1": ("Queue", "LoadBalance1", "DNAction", "CallWait", "AgentReady"),
    "CurState": (AGENT_OBJ, "CurrentState", "AgentStatus", "", ""),
    "CurStateReasons": (AGENT_OBJ, "CurrentStateReasons", "AgentStatus", "", ""),
    "CurStateDN": (
        "Agent,Place,GroupAgents,RegularDN,Queue,GroupQueues",
        "CurrentState",
        "DNStatus",
        "",
        "",
    ),
    "CurStateAct": (
        "Agent,Place,GroupPlaces,RegularDN,Queue,GroupQueues",
        "CurrentState",
        "DNAction",
        "",
        "",
    ),
    "CurStateGroup": ("GroupAgents,GroupPlaces", "CurrentState", "GroupStatus", "", ""),
    "CurTarget": ("Agent,GroupAgents,GroupPlaces", "CurrentTargetState", "AgentStatus", "", ""),
}
# Current categories whose value also depends on a historical window (not for "open late").
CURRENT_WITH_HISTORY: dict[str, tuple[str, str, str, str, str]] = {
    "EstimWait": ("Queue", "EstimWaitingTime", "DNAction", "CallWait", "CallDistributed"),
    "EstimToEnd": (
        "Queue",
        "EstimTimeToEndCurrentNumber",
        "DNAction",
        "CallWait",
        "CallDistributed",
    ),
}
HISTORICAL: dict[str, tuple[str, str, str, str, str]] = {
    "ReadyTime": (AGENT_OBJ, "TotalTime", "AgentStatus", "WaitForNextCall", ""),
    "ReadyNum": (AGENT_OBJ, "TotalNumber", "AgentStatus", "WaitForNextCall", ""),
    "ReadyAdjTime": (AGENT_OBJ, "TotalAdjustedTime", "AgentStatus", "WaitForNextCall", ""),
    "ReadyAdjNum": (AGENT_OBJ, "TotalAdjustedNumber", "AgentStatus", "WaitForNextCall", ""),
    "ReadyAvg": (AGENT_OBJ, "AverageTime", "AgentStatus", "WaitForNextCall", ""),
    "ReadyMax": (AGENT_OBJ, "MaxTime", "AgentStatus", "WaitForNextCall", ""),
    "ReadyMin": (AGENT_OBJ, "MinTime", "AgentStatus", "WaitForNextCall", ""),
    "NRTime": (AGENT_OBJ, "TotalTime", "AgentStatus", "NotReadyForNextCall", ""),
    "NRNum": (AGENT_OBJ, "TotalNumber", "AgentStatus", "NotReadyForNextCall", ""),
    "BusyMaxN": (AGENT_OBJ, "MaxNumber", "AgentStatus", BUSY, ""),
    "BusyMinN": (AGENT_OBJ, "MinNumber", "AgentStatus", BUSY, ""),
    "BusyAvgN": (AGENT_OBJ, "AverageOfCurrentNumber", "AgentStatus", BUSY, ""),
    "ReadyElapsedPct": (AGENT_OBJ, "ElapsedTimePercentage", "AgentStatus", "WaitForNextCall", ""),
    "Occupancy": (AGENT_OBJ, "RelativeTimePercentage", "AgentStatus", BUSY, LOGGED),
    "CallsPerHour": (AGENT_OBJ, "AverageNumberPerRelativeHour", "AgentStatus", TALK, LOGGED),
    "ReadyCont": (
        AGENT_OBJ,
        "TotalContinuousNumber",
        "AgentStatus",
        "WaitForNextCall,NotReadyForNextCall",
        "",
    ),
    "PlaceTalkTime": (
        "Place,GroupPlaces",
        "TotalTime",
        "PlaceStatus",
        "CallInbound,CallOnHold",
        "",
    ),
    "GroupReadyTime": (
        "GroupAgents,GroupPlaces",
        "TotalTime",
        "GroupStatus",
        "WaitForNextCall",
        "",
    ),
    "DNTalkTime": (DN_OBJ, "TotalTime", "DNStatus", "CallInbound,CallOutbound", ""),
    "DNTalkNum": (DN_OBJ, "TotalNumber", "DNStatus", "CallInbound,CallOutbound", ""),
    "TalkTime": (DN_OBJ, "TotalTime", "DNAction", TALK, ""),
    "TalkNum": (DN_OBJ, "TotalNumber", "DNAction", TALK, ""),
    "TalkAdjTime": (DN_OBJ, "TotalAdjustedTime", "DNAction", TALK, ""),
    "TalkAdjNum": (DN_OBJ, "TotalAdjustedNumber", "DNAction", TALK, ""),
    "TalkAvg": (DN_OBJ, "AverageTime", "DNAction", TALK, ""),
    "TalkMax": (DN_OBJ, "MaxTime", "DNAction", TALK, ""),
    "TalkMin": (DN_OBJ, "MinTime", "DNAction", TALK, ""),
    "TalkDistinct": (
        DN_OBJ,
        "TotalDistinctTime",
        "DNAction",
        "CallInbound,CallOutbound,CallOnHold",
        "",
    ),
    "NRActTime": (DN_OBJ, "TotalTime", "DNAction", "NotReadyForNextCall", ""),
    "NRActNum": (DN_OBJ, "TotalNumber", "DNAction", "NotReadyForNextCall", ""),
    "HoldTime": (DN_OBJ, "TotalTime", "DNAction", "CallOnHold", ""),
    "ACWTime": (DN_OBJ, "TotalTime", "DNAction", "ACWCompleted", ""),
    "ACWNum": (DN_OBJ, "TotalNumber", "DNAction", "ACWCompleted", ""),
    "InbDone": (DN_OBJ, "TotalTime", "DNAction", "CallInboundCompleted", ""),
    "RingMaxN": (DN_OBJ, "MaxNumber", "DNAction", "CallRinging", ""),
    "Answered": (
        "Agent,GroupAgents,Queue,GroupQueues,Tenant",
        "TotalNumber",
        "DNAction",
        "CallAnswered",
        "",
    ),
    "ASA": ("Agent,Queue,GroupQueues", "AverageTime", "DNAction", "CallAnswered", ""),
    "AnsInRange": ("Agent,Queue", "TotalNumberInTimeRange", "DNAction", "CallAnswered", ""),
    "AnsInRangePct": ("Queue", "TotalNumberInTimeRangePercentage", "DNAction", "CallAnswered", ""),
    "AnsTimeInRange": ("Queue", "TotalTimeInTimeRange", "DNAction", "CallAnswered", ""),
    "Abandoned": (Q_OBJ, "TotalNumber", "DNAction", "CallAbandoned", ""),
    "AbandonedRing": ("Agent,Queue", "TotalNumber", "DNAction", "CallAbandonedFromRinging", ""),
    "Entered": (Q_OBJ, "TotalNumber", "DNAction", "CallEntered", ""),
    "EnteredPerSec": ("Queue", "TotalNumberPerSecond", "DNAction", "CallEntered", ""),
    "Distributed": (Q_OBJ, "TotalTime", "DNAction", "CallDistributed", ""),
    "WaitTime": (Q_OBJ, "TotalTime", "DNAction", "CallWait", ""),
    "WaitMaxN": (Q_OBJ, "MaxNumber", "DNAction", "CallWait", ""),
    "WaitMinN": (Q_OBJ, "MinNumber", "DNAction", "CallWait", ""),
    "WaitAvgN": (Q_OBJ, "AverageOfCurrentNumber", "DNAction", "CallWait", ""),
    "WaitAvgT": (Q_OBJ, "AverageOfCurrentTime", "DNAction", "CallWait", ""),
    "AbandonRate": (Q_OBJ, "RelativeNumberPercentage", "DNAction", "CallAbandoned", "CallEntered"),
    "AbandonRatio": (Q_OBJ, "RelativeNumber", "DNAction", "CallAbandoned", "CallEntered"),
    "SL": ("Queue,GroupQueues", "ServiceFactor1", "DNAction", "CallAnswered", "CallAbandoned"),
}
EXTRA_KEYS = {
    "TalkCustom": "{Objects: Agent, Category: TotalCustomValue, Subject: DNAction, MainMask: CallInboundCompleted, Formula: 'duration'}",
    "TalkCustomMax": "{Objects: Agent, Category: MaxCustomValue, Subject: DNAction, MainMask: CallInboundCompleted, Formula: 'duration'}",
    "WaitCustom": "{Objects: Queue, Category: CurrentCustomValue, Subject: DNAction, MainMask: CallWait, Formula: 'duration'}",
    "AHT": "{Objects: 'Agent,GroupAgents', Category: Formula, Subject: DNAction, Expression: '(SUM(CallInboundCompleted; duration) + SUM(ACWCompleted; duration)) / COUNT(CallInboundCompleted)'}",
    "WaitNow": "{Objects: Queue, Category: Formula, Subject: DNAction, Expression: '@COUNT(CallWait; duration > 10)'}",
}
ALL_DEFS = {**CURRENT, **CURRENT_WITH_HISTORY, **HISTORICAL}


def _stat_yaml() -> str:
    lines = ["statTypes:"]
    for name, (objects, category, subject, main, rel) in ALL_DEFS.items():
        keys = [f"Objects: '{objects}'", f"Category: {category}", f"Subject: {subject}"]
        if main:
            keys.append(f"MainMask: '{main}'")
        if rel:
            keys.append(f"RelMask: '{rel}'")
        lines.append(f"  {name}: {{{', '.join(keys)}}}")
    lines.extend(f"  {name}: {text}" for name, text in EXTRA_KEYS.items())
    return "\n".join(lines) + "\n"


CONFIG = make_config(_stat_yaml(), BASE)

# One or two objects of each type: statistics are opened on every applicable one.
OBJECTS: dict[str, tuple[str, ...]] = {
    "Agent": ("a1", "a2"),
    "Place": ("P1",),
    "GroupAgents": ("Team", "OnSales", "Spanish"),
    "GroupPlaces": ("Floor",),
    "RegularDN": ("7001@SW1",),
    "Queue": ("8000@SW1",),
    "GroupQueues": ("Queues",),
    "Tenant": ("Resources",),
}
FILTERED = {"NRTime": "Break", "NRNum": "Break", "NRActTime": "Break", "CurNRAct": "Break",
            "WaitTime": "Gold", "CurWaiting": "Gold", "Answered": "Gold", "Entered": "Gold",
            "ReadyNum": "Break"}  # fmt: skip
RANGES = {"AnsInRange": "SL20", "AnsInRangePct": "Short5", "AnsTimeInRange": "SL20",
          "CurWaitInRange": "SL20", "CurWaitInRangePct": "Short5", "AbandonRate": "SL20"}  # fmt: skip
TIMED = {  # categories refused with a Selection profile (they need an interval length)
    "AverageOfCurrentNumber", "AverageOfCurrentTime", "ElapsedTimePercentage",
    "TotalNumberPerSecond", "EstimWaitingTime", "EstimTimeToEndCurrentNumber",
}  # fmt: skip


@dataclass(frozen=True)
class Req:
    object_type: str
    object_id: str
    stat_type: str
    profile: str | None = None
    time_range: str | None = None
    time_range2: str | None = None
    filter: str | None = None

    def request(self) -> StatisticRequest:
        return StatisticRequest(
            "Resources",
            self.object_type,
            self.object_id,
            self.stat_type,
            time_profile=self.profile,
            time_range=self.time_range,
            time_range2=self.time_range2,
            filter=self.filter,
        )


def _category(req: Req) -> str:
    return ALL_DEFS[req.stat_type][1] if req.stat_type in ALL_DEFS else ""


def _objects(name: str) -> list[tuple[str, str]]:
    objects = ALL_DEFS[name][0] if name in ALL_DEFS else ""
    if name in EXTRA_KEYS:
        objects = "Agent,GroupAgents" if name == "AHT" else ("Queue" if "Wait" in name else "Agent")
    return [(o, oid) for o in objects.split(",") for oid in OBJECTS[o]]


def _requests(
    names: Sequence[str], profiles: Sequence[str | None], more: Sequence[str] = ()
) -> list[Req]:
    """Every stat type on every applicable object with ``profiles``; ``more`` profiles on the
    first applicable object only."""
    out: list[Req] = []
    for name in names:
        category = ALL_DEFS[name][1] if name in ALL_DEFS else ""
        for i, (otype, oid) in enumerate(_objects(name)):
            for profile in [*profiles, *(more if i == 0 else ())]:
                if profile == "Last3" and category in TIMED:
                    continue
                if profile == "Login" and otype not in ("Agent", "Place"):
                    continue
                rng = RANGES.get(name)
                if name == "SL":
                    out.append(Req(otype, oid, name, profile, "SL20", "Short5"))
                    out.append(Req(otype, oid, name, profile, "SL20"))
                    continue
                out.append(Req(otype, oid, name, profile, rng))
                if name in FILTERED:
                    out.append(Req(otype, oid, name, profile, rng, filter=FILTERED[name]))
    return out


CURRENT_REQS = _requests([*CURRENT, "WaitCustom", "WaitNow"], [None])
HISTORY_REQS = _requests(
    [*HISTORICAL, *CURRENT_WITH_HISTORY, "TalkCustom", "TalkCustomMax", "AHT"],
    ["Default", "Min1"],
    ["Slide2m", "Last3", "Login"],
)
ALL_REQS = CURRENT_REQS + HISTORY_REQS
#: a statistic none of the properties reads, opened to start an engine at T0
CLOCK = Req("Queue", "8001@SW1", "CurWaiting")


# ------------------------------------------------------------------------------ driving
class Run:
    """One engine over the shared configuration, with the statistics of ``reqs`` opened."""

    def __init__(self, reqs: Sequence[Req] = (), at: float = 0.0) -> None:
        sc = Scenario.__new__(Scenario)
        sc.config = CONFIG
        sc.engine = Engine(CONFIG.directory, CONFIG.catalog, CONFIG.engine_options)
        sc.now = 0.0
        self.sc = sc
        self.engine = sc.engine
        self.stats: dict[Req, Statistic] = {}
        self.open(reqs, at)

    def open(self, reqs: Sequence[Req], at: float) -> None:
        for req in reqs:
            self.stats[req] = self.engine.open(req.request(), at=T0 + at)

    def feed(self, steps: Sequence[Step]) -> None:
        feed(self.sc, steps)

    def value(self, req: Req, t: float) -> Any:
        return self.engine.value(self.stats[req], T0 + t)

    def values(self, t: float, reqs: Sequence[Req] | None = None) -> dict[Req, Any]:
        return {r: self.value(r, t) for r in (self.stats if reqs is None else reqs)}


def test_every_request_opens() -> None:
    """The catalogue of the properties is valid: every statistic opens and has a value."""
    run = Run(ALL_REQS)
    assert len(run.stats) == len(ALL_REQS)
    assert all(v is not None or r.stat_type in ("AHT",) for r, v in run.values(0).items())


# ------------------------------------------------------------------------------ properties
# Each property runs a few seconds in the default suite; PROPERTY_SCALE=20 (say) multiplies
# the number of examples for a deeper search.
SCALE = float(os.environ.get("PROPERTY_SCALE", "1"))


def examples(n: int) -> settings:
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _end(steps: Sequence[Step]) -> float:
    return (steps[-1].t if steps else 0.0) + 37.5


def _between(steps: Sequence[Step], i: int, frac: int) -> float:
    """A time after step ``i`` and not after step ``i + 1`` (``frac`` percent of the gap);
    after the last step, not after :func:`_end`."""
    t = steps[i].t
    nxt = steps[i + 1].t if i + 1 < len(steps) else _end(steps)
    return t + (nxt - t) * frac / 100


def _watch_growing(run: Run) -> None:
    for stat in run.stats.values():
        run.engine.watch_resets(stat)


def _ended(run: Run, at: float) -> list[tuple[Any, int, Any]]:
    return [(e.statistic.key, e.boundary, e.value) for e in run.engine.advance(T0 + at)]


reads = st.lists(
    st.tuples(
        st.integers(0, 59), st.integers(0, 100), st.sampled_from(["read", "advance", "both"])
    ),
    max_size=25,
)


@examples(12)
@given(steps=traffic(max_size=50), plan=reads)
def test_reading_in_between_changes_nothing(
    steps: list[Step], plan: list[tuple[int, int, str]]
) -> None:
    """Property 1: reading values and advancing the clock at arbitrary times between events
    gives exactly the same final values (and the same ended Growing intervals) as feeding
    the events with no read at all, for every statistic of the catalogue."""
    quiet, busy = Run(ALL_REQS), Run(ALL_REQS)
    _watch_growing(quiet)
    _watch_growing(busy)
    pauses: dict[int, list[tuple[int, str]]] = {}
    for i, frac, kind in plan:
        if i < len(steps):
            pauses.setdefault(i, []).append((frac, kind))
    ended: list[tuple[Any, int, Any]] = []
    for i, step in enumerate(steps):
        busy.feed([step])
        for frac, kind in sorted(pauses.get(i, [])):
            at = _between(steps, i, frac)
            if kind in ("read", "both"):
                busy.values(at)
            if kind in ("advance", "both"):
                ended.extend(_ended(busy, at))
    quiet.feed(steps)
    end = _end(steps)
    ended.extend(_ended(busy, end))
    assert busy.values(end) == quiet.values(end)
    assert ended == _ended(quiet, end)


@examples(12)
@given(
    steps=traffic(max_size=50),
    picked=st.lists(st.sampled_from(HISTORY_REQS), min_size=1, max_size=4, unique=True),
)
def test_shared_windows_give_the_values_of_statistics_opened_alone(
    steps: list[Step], picked: list[Req]
) -> None:
    """Property 1b: every statistic of the catalogue opened at once (those on the same track,
    profile and spec then share one window, core/opening.py) has the same values and ends
    the same Growing intervals as the same statistic opened alone in an engine of its own."""
    together = Run(ALL_REQS)
    _watch_growing(together)
    end = _end(steps)
    together.feed(steps)
    shared = [e for e in _ended(together, end) if e[0] in {together.stats[r].key for r in picked}]
    for req in picked:
        alone = Run([CLOCK, req])
        alone.engine.watch_resets(alone.stats[req])
        alone.feed(steps)
        mine = [e for e in _ended(alone, end) if e[0] == alone.stats[req].key]
        assert alone.value(req, end) == together.value(req, end), req
        assert mine == [e for e in shared if e[0] == together.stats[req].key], req


@examples(60)
@given(steps=traffic(max_size=50), cut=st.integers(0, 50), frac=st.integers(0, 100))
def test_opening_late_gives_the_same_current_values(steps: list[Step], cut: int, frac: int) -> None:
    """Property 2: a current statistic opened after part of the events shows, from then on,
    the same value as one opened before them: what is in progress when a statistic is opened
    (found through the reverse lookup of carriers) is what propagation would have given it,
    for agents, places, groups (virtual ones included), queues and the tenant, with status and
    action subjects (docs/decisions.md Q3: current values use the real starts).

    Exception: CurrentContinuousTime opened late cannot see a stay in the mask that began with
    an item already ended (the engine keeps no history), so it may only be shorter; see
    ``test_continuous_time_opened_late_counts_from_entering_the_mask``."""
    early = Run(CURRENT_REQS)
    late = Run([CLOCK])  # the engine starts at T0 too, so initial statuses start at T0 in both
    cut = min(cut, len(steps))
    early.feed(steps[:cut])
    late.feed(steps[:cut])
    opened = _between(steps, cut - 1, frac) if cut else 0.0
    late.open(CURRENT_REQS, opened)
    _same_current(late.values(opened, CURRENT_REQS), early.values(opened))
    for i in range(cut, len(steps)):
        early.feed([steps[i]])
        late.feed([steps[i]])
        at = _between(steps, i, frac)
        _same_current(late.values(at, CURRENT_REQS), early.values(at))


def _same_current(late: dict[Req, Any], early: dict[Req, Any]) -> None:
    continuous = [r for r in late if _category(r) == "CurrentContinuousTime"]
    shorter = [r for r in continuous if late[r] > early[r]]
    assert not shorter, _diff(late, early, shorter)
    for r in continuous:
        late[r] = early[r]
    assert late == early, _diff(late, early)


def _diff(a: dict[Req, Any], b: dict[Req, Any], keys: Sequence[Req] | None = None) -> str:
    return "\n".join(f"{r}: {a[r]!r} != {b[r]!r}" for r in (keys or a) if a[r] != b[r])


MONOTONE = ("TotalNumber", "TotalTime", "TotalAdjustedNumber", "TotalAdjustedTime", "MaxTime")
MONOTONE_REQS = [
    r for r in HISTORY_REQS if _category(r) in MONOTONE and r.profile in ("Default", "Min1")
]


@examples(30)
@given(steps=traffic(max_size=50), fracs=st.lists(st.integers(0, 100), min_size=1, max_size=3))
def test_growing_totals_never_decrease(steps: list[Step], fracs: list[int]) -> None:
    """Property 3: within one interval of a Growing profile, TotalNumber, TotalTime,
    TotalAdjustedNumber, TotalAdjustedTime and MaxTime never decrease when read at increasing
    times (they only count what entered or completed, and statuses in progress with their
    elapsed time); a reset starts them again."""
    run = Run(MONOTONE_REQS)
    last: dict[Req, tuple[int, Any]] = {}
    for i, step in enumerate(steps):
        run.feed([step])
        for frac in sorted(fracs):
            at = _between(steps, i, frac)
            for req, stat in run.stats.items():
                value = run.value(req, at)
                start = stat.interval_start(run.engine.now_for(stat, T0 + at))
                before = last.get(req)
                if before is not None and before[0] == start:
                    assert value >= before[1], (req, at, before[1], value)
                last[req] = (start, value)


# Property 4: which agents are in which group, computed from the traffic (not the engine).
SPANISH = frozenset({"a1"})  # Skill("Spanish")>=5: a1 has 7, a2 3, a3 none
TEAM = frozenset({"a1", "a2", "a3"})
AGENT_MASKS = ("CurReady", "CurNotReady", "CurBusy", "CurTalk", "CurDNStatus", "CurLoggedInAct")
SUM_REQS = [
    *(Req("Agent", a, m) for a in sorted(TEAM) for m in AGENT_MASKS),
    *(Req("GroupAgents", g, m) for g in ("Team", "OnSales", "Spanish") for m in AGENT_MASKS),
    *(Req("Tenant", "Resources", m) for m in ("CurReady", "CurNotReady", "CurBusy", "CurTalk")),
    *(Req("Place", p, m) for p in ("P1", "P2", "P3") for m in ("CurPlaceBusy", "CurTalk")),
    *(Req("GroupPlaces", "Floor", m) for m in ("CurPlaceBusy", "CurTalk")),
    *(Req("Queue", q, "CurWaiting") for q in ("8000@SW1", "8001@SW1")),
    *(Req("Queue", q, "CurWaiting", filter="Gold") for q in ("8000@SW1", "8001@SW1")),
    Req("GroupQueues", "Queues", "CurWaiting"),
    Req("GroupQueues", "Queues", "CurWaiting", filter="Gold"),
]


def _on_queue_8000(steps: Sequence[Step]) -> set[str]:
    """Agents logged in to queue 8000 after ``steps`` (the members of OnSales)."""
    queues: dict[str, set[str]] = {}
    for step in steps:
        for ev in step.events:
            agent = AGENTS.get(ev.attrs.get("agentID", ""))
            if agent is None:
                continue
            queue = ev.attrs.get("thisQueue")
            if ev.event == "EventAgentLogin" and queue:
                queues.setdefault(agent, set()).add(queue)
            elif ev.event == "EventAgentLogout":
                if queue:
                    queues.get(agent, set()).discard(queue)
                else:
                    queues.pop(agent, None)
    return {a for a, qs in queues.items() if "8000" in qs}


@examples(150)
@given(steps=traffic(max_size=50))
def test_group_current_number_is_the_sum_over_members(steps: list[Step]) -> None:
    """Property 4: at every step, a group's CurrentNumber over an AgentStatus (or DNStatus,
    DNAction) mask is the sum of its members' Agent CurrentNumber with the same mask (Team,
    the static group; Spanish, a skill script; OnSales, members logged in to 8000); the
    tenant's is the sum over all agents; GroupPlaces/PlaceStatus sums its places; GroupQueues
    sums its queues' CallWait (with a filter too)."""
    run = Run(SUM_REQS)
    for i, step in enumerate(steps):
        run.feed([step])
        at = step.t
        v = run.values(at)
        groups = {"Team": TEAM, "Spanish": SPANISH, "OnSales": _on_queue_8000(steps[: i + 1])}
        for name, members in groups.items():
            for m in AGENT_MASKS:
                total = sum(v[Req("Agent", a, m)] for a in members)
                assert v[Req("GroupAgents", name, m)] == total, (name, m, step)
        for m in ("CurReady", "CurNotReady", "CurBusy", "CurTalk"):
            assert v[Req("Tenant", "Resources", m)] == sum(v[Req("Agent", a, m)] for a in TEAM), m
        for m in ("CurPlaceBusy", "CurTalk"):
            places = sum(v[Req("Place", p, m)] for p in ("P1", "P2", "P3"))
            assert v[Req("GroupPlaces", "Floor", m)] == places, m
        for f in (None, "Gold"):
            queues = sum(
                v[Req("Queue", q, "CurWaiting", filter=f)] for q in ("8000@SW1", "8001@SW1")
            )
            assert v[Req("GroupQueues", "Queues", "CurWaiting", filter=f)] == queues, f


@examples(15)
@given(steps=traffic(max_size=50), frac=st.integers(0, 100))
def test_replaying_the_same_events_gives_the_same_values(steps: list[Step], frac: int) -> None:
    """Property 5: two fresh engines fed the same events and read at the same times give
    identical values, CurrentState structures included (the engine is deterministic: no
    dependence on object identity, set order or wall-clock time)."""
    first, second = Run(ALL_REQS), Run(ALL_REQS)
    for i, step in enumerate(steps):
        first.feed([step])
        second.feed([step])
        at = _between(steps, i, frac)
        reqs = ALL_REQS if i % 8 == 7 or i == len(steps) - 1 else CURRENT_REQS
        a, b = first.values(at, reqs), second.values(at, reqs)
        assert a == b, _diff(a, b)
    assert first.engine.counters == second.engine.counters


# ------------------------------------------------------------------------------ regressions
# Minimal examples the properties found, with the values computed by hand.
REGRESSION_STATS = """
statTypes:
  PlaceReady: {Objects: "Place,GroupPlaces", Category: CurrentNumber, Subject: AgentStatus, MainMask: WaitForNextCall}
  PlaceReadyTime: {Objects: "Place,GroupPlaces", Category: CurrentTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  AnsIn: {Objects: Queue, Category: TotalNumberInTimeRange, Subject: DNAction, MainMask: CallAnswered}
  AnsInPct: {Objects: Queue, Category: TotalNumberInTimeRangePercentage, Subject: DNAction, MainMask: CallAnswered}
  SL: {Objects: Queue, Category: ServiceFactor1, Subject: DNAction, MainMask: CallAnswered, RelMask: CallAbandoned}
  ReadyMax: {Objects: GroupAgents, Category: MaxTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  ReadyTime: {Objects: GroupAgents, Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  ReadyAvg: {Objects: GroupAgents, Category: AverageTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  LoginTime: {Objects: Agent, Category: CurrentContinuousTime, Subject: AgentStatus, MainMask: "*,~LoggedOut,~NotMonitored"}
"""


def test_place_agent_status_opened_late_sees_the_status_in_progress() -> None:
    """Subject AgentStatus on a Place (or GroupPlaces) is the place status; a statistic opened
    while the place is already ready counts it (it showed 0 until the next status change)."""
    sc = Scenario(REGRESSION_STATS)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn")
    place = sc.open("Place", "P1", "PlaceReady", at=5)
    floor = sc.open("GroupPlaces", "Floor", "PlaceReady")
    ready_time = sc.open("Place", "P1", "PlaceReadyTime")
    assert sc.value(place) == 1  # P1 is ready since 0
    assert sc.value(floor) == 1  # one place of Floor is ready
    assert sc.value(ready_time, 30) == 30 - 0  # real start (decisions Q3), not the opening at 5


@pytest.mark.parametrize("stat", ["AnsIn", "AnsInPct", "SL"])
def test_selection_profile_time_range_before_anything_completed(stat: str) -> None:
    """With a Selection profile a time-range category is 0 while nothing has completed yet
    (it raised IndexError), then counts the last completions."""
    sc = Scenario(REGRESSION_STATS)
    s = sc.open("Queue", "8000@SW1", stat, time_profile="Last3", time_range="SL20")
    assert sc.value(s) == 0
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", workMode="ManualIn")
    sc.ev(10, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    sc.ev(15, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    sc.ev(15, "EventRinging", thisDN="7001", connID="c1", callType="Inbound", thisQueue="8000")
    sc.ev(18, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    # one answer after 18 - 10 = 8 s, inside 0-20: count 1, 100 % of answers, SL 100 * 1 / (1 + 0)
    assert sc.value(s, 30) == {"AnsIn": 1, "AnsInPct": 100.0, "SL": 100.0}[stat]


@pytest.mark.parametrize("profile", ["Default", "Last10Min"])
@pytest.mark.parametrize("leave", ["logout", "leave-queue"], ids=["logout", "leave-queue"])
def test_max_time_keeps_an_episode_that_left_the_group(profile: str, leave: str) -> None:
    """A status episode that leaves a (virtual) group without completing keeps, in MaxTime,
    the time it lasted in the group, as it counted while in progress and as TotalTime keeps
    it: MaxTime never decreases within an interval and is never below AverageTime."""
    sc = Scenario(REGRESSION_STATS)
    stats = {
        n: sc.open("GroupAgents", "OnSales", n, time_profile=profile)
        for n in ("ReadyMax", "ReadyTime", "ReadyAvg")
    }
    # a1 joins OnSales (logged in to 8000) ready at 0
    sc.ev(
        0, "EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8000", workMode="ManualIn"
    )
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001", thisQueue="8001")
    assert sc.value(stats["ReadyMax"], 30) == 30  # in progress for 30 s
    if leave == "logout":
        sc.ev(30, "EventAgentLogout", thisDN="7001", agentID="5001")
    else:  # still ready, but no longer logged in to 8000: leaves OnSales
        sc.ev(30, "EventAgentLogout", thisDN="7001", agentID="5001", thisQueue="8000")
    values = {n: sc.value(s, 60) for n, s in stats.items()}
    assert values == {"ReadyMax": 30 - 0, "ReadyTime": 30 - 0, "ReadyAvg": (30 - 0) // 1}


def test_continuous_time_opened_late_counts_from_entering_the_mask() -> None:
    """Current_Login_Time (CurrentContinuousTime over *,~LoggedOut,~NotMonitored) opened on a
    wallboard after the agent logged in and changed status shows the time since login."""
    sc = Scenario(REGRESSION_STATS)
    sc.ev(0, "EventAgentLogin", thisDN="7001", agentID="5001")
    sc.ev(10, "EventAgentReady", thisDN="7001")
    login_time = sc.open("Agent", "a1", "LoginTime", at=20)
    assert sc.value(login_time, 30) == 30 - 0  # logged in (OnHook, then ready) since 0
