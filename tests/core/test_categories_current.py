"""Worked examples for the current categories of docs/stat-types.md, computed by hand.

Every scenario starts at T0 (10:00:00 UTC); times are seconds after T0.  Current
categories look only at what is in progress *now*: no interval, instantaneous actions
ignored, real starts (not the statistic's opening, decision Q3).
"""

from __future__ import annotations

import pytest

from helpers import T0, Scenario

STATS = """
statTypes:
  ReadyNow: {Objects: "Agent,GroupAgents", Category: CurrentNumber, Subject: AgentStatus, MainMask: WaitForNextCall}
  Waiting: {Objects: "Queue,GroupQueues", Category: CurrentNumber, Subject: DNAction, MainMask: CallWait}
  WaitTime: {Objects: Queue, Category: CurrentTime, Subject: DNAction, MainMask: CallWait}
  OldestWait: {Objects: Queue, Category: CurrentMaxTime, Subject: DNAction, MainMask: CallWait}
  NewestWait: {Objects: Queue, Category: CurrentMinTime, Subject: DNAction, MainMask: CallWait}
  AvgWait: {Objects: Queue, Category: CurrentAverageTime, Subject: DNAction, MainMask: CallWait}
  WaitInRange: {Objects: Queue, Category: CurrentNumberInTimeRange, Subject: DNAction, MainMask: CallWait}
  WaitInRangePct: {Objects: Queue, Category: CurrentNumberInTimeRangePercentage, Subject: DNAction, MainMask: CallWait}
  ReadyPct:
    {Objects: GroupAgents, Category: CurrentRelativeNumberPercentage, Subject: AgentStatus,
     MainMask: WaitForNextCall, RelMask: "*,~LoggedOut,~NotMonitored"}
  ReadyTimePct:
    {Objects: GroupAgents, Category: CurrentRelativeTimePercentage, Subject: AgentStatus,
     MainMask: WaitForNextCall, RelMask: "*,~LoggedOut,~NotMonitored"}
  ReadyCurTime: {Objects: "Agent,GroupAgents", Category: CurrentTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  ReadyTotal: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  LoggedInTime:
    {Objects: Agent, Category: CurrentContinuousTime, Subject: AgentStatus,
     MainMask: "*,~LoggedOut,~NotMonitored"}
  TimeInReady: {Objects: Agent, Category: CurrentContinuousTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  TimeUnavailable:
    {Objects: Agent, Category: CurrentContinuousTime, Subject: AgentStatus,
     MainMask: "NotReadyForNextCall,AfterCallWork"}
  BusyActions:
    {Objects: "Agent,GroupAgents", Category: CurrentNumber, Subject: DNAction,
     MainMask: "CallInbound,CallConsult,CallOnHold"}
  BusyAgents:
    {Objects: "Agent,GroupAgents", Category: CurrentNumber, Subject: AgentStatus,
     MainMask: "CallInbound,CallConsult,CallOnHold"}
  BusyCalls:
    {Objects: Agent, Category: CurrentDistinctNumber, Subject: DNAction,
     MainMask: "CallInbound,CallConsult,CallOnHold"}
  TalkingStatus: {Objects: Agent, Category: CurrentNumber, Subject: AgentStatus, MainMask: CallInbound}
  TalkingAction: {Objects: Agent, Category: CurrentNumber, Subject: DNAction, MainMask: CallInbound}
  HoldingStatus: {Objects: Agent, Category: CurrentNumber, Subject: AgentStatus, MainMask: CallOnHold}
  Answers: {Objects: Agent, Category: CurrentNumber, Subject: DNAction, MainMask: "CallAnswered,CallInbound"}
  TalkNow: {Objects: Agent, Category: CurrentTime, Subject: DNAction, MainMask: CallInbound}
  TalkTotal: {Objects: Agent, Category: TotalTime, Subject: DNAction, MainMask: CallInbound}
  AgentState: {Objects: "Agent,GroupAgents", Category: CurrentState, Subject: AgentStatus}
  AgentActions: {Objects: Agent, Category: CurrentState, Subject: DNAction, MainMask: CallInbound}
  AgentReasons: {Objects: Agent, Category: CurrentStateReasons, Subject: AgentStatus}
  Targets: {Objects: "Agent,GroupAgents", Category: CurrentTargetState, Subject: AgentStatus}
"""


def login(sc: Scenario, t: float, dn: str, login_id: str, queue: str = "8000") -> None:
    sc.ev(t, "EventAgentLogin", thisDN=dn, agentID=login_id, thisQueue=queue)


def queue_three_calls(sc: Scenario) -> None:
    """Calls c1, c2, c3 enter queue 8000 at 10, 25 and 40 s."""
    for t, conn in ((10, "c1"), (25, "c2"), (40, "c3")):
        sc.ev(t, "EventQueued", thisDN="8000", connID=conn, callType="Inbound")


# -- number and times of what is in progress -------------------------------------------------


def test_current_number_and_times_of_waiting_calls() -> None:
    """CurrentNumber, CurrentTime, CurrentMaxTime, CurrentMinTime, CurrentAverageTime of
    calls waiting in a queue, before and after the oldest one is distributed."""
    sc = Scenario(STATS)
    stats = {
        name: sc.open("Queue", "8000@SW1", name, at=0)
        for name in ("Waiting", "WaitTime", "OldestWait", "NewestWait", "AvgWait")
    }
    queue_three_calls(sc)

    def values(t: float) -> dict[str, object]:
        return {name: sc.value(stat, t) for name, stat in stats.items()}

    # at 60: waits 60-10 = 50, 60-25 = 35, 60-40 = 20
    assert values(60) == {
        "Waiting": 3,
        "WaitTime": 50 + 35 + 20,
        "OldestWait": 50,
        "NewestWait": 20,
        "AvgWait": (50 + 35 + 20) // 3,
    }
    sc.ev(70, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    # at 80: waits 80-25 = 55 and 80-40 = 40; the average 95/2 = 47.5 is truncated
    assert values(80) == {
        "Waiting": 2,
        "WaitTime": 55 + 40,
        "OldestWait": 55,
        "NewestWait": 40,
        "AvgWait": 47,
    }
    sc.ev(90, "EventAbandoned", thisDN="8000", connID="c2")
    sc.ev(95, "EventDiverted", thisDN="8000", connID="c3", otherDN="7002")
    # nothing waits: every value is 0
    assert values(100) == dict.fromkeys(stats, 0)


def test_current_categories_ignore_instantaneous_actions() -> None:
    """CallAnswered is retrospective: it is never 'in progress', so CurrentNumber only
    counts the durable CallInbound of the same mask."""
    sc = Scenario(STATS)
    answers = sc.open("Agent", "a1", "Answers", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(10, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(14, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    assert sc.value(answers, 20) == 1  # the CallInbound, not the CallAnswered at 14


@pytest.mark.parametrize(
    ("t", "in_range", "pct"),
    [
        # waits 49, 34, 19: only 19 is in [0, 20)
        pytest.param(59, 1, 100 * 1 / 3, id="19s-inside"),
        # waits 50, 35, 20: 20 is outside the half-open range [0, 20)
        pytest.param(60, 0, 0.0, id="20s-outside"),
        # waits 45, 30, 15
        pytest.param(55, 1, 100 * 1 / 3, id="15s-inside"),
        # waits 40, 25, 10: c3 only (25 and 40 are out)
        pytest.param(50, 1, 100 * 1 / 3, id="10s-inside"),
        # waits 30, 15, 0: c2 and c3
        pytest.param(40, 2, 100 * 2 / 3, id="two-inside"),
    ],
)
def test_current_number_in_time_range(t: int, in_range: int, pct: float) -> None:
    """CurrentNumberInTimeRange(+Percentage) with SL20 (0-20): half-open on elapsed time."""
    sc = Scenario(STATS)
    count = sc.open("Queue", "8000@SW1", "WaitInRange", at=0, time_range="SL20")
    share = sc.open("Queue", "8000@SW1", "WaitInRangePct", at=0, time_range="SL20")
    queue_three_calls(sc)
    assert sc.value(count, t) == in_range
    assert sc.value(share, t) == pytest.approx(pct)


def test_current_number_in_time_range_truncates_milliseconds() -> None:
    """A call queued at 40.949 has waited 60 - 40 = 20 s at 60.5: outside 0-20."""
    sc = Scenario(STATS)
    count = sc.open("Queue", "8000@SW1", "WaitInRange", at=0, time_range="SL20")
    sc.ev(40.949, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    sc.ev(59.999, "EventAttachedDataChanged", thisDN="8000", connID="c1", userData={"x": 1})
    assert sc.value(count, 59.999) == 1  # 59 - 40 = 19
    assert sc.value(count, 60.5) == 0  # 60 - 40 = 20


# -- relative current categories ---------------------------------------------------------------


def three_agents_logged_in(sc: Scenario) -> None:
    """a1 ready at 10, a2 ready at 30, a3 not ready at 5; all logged in at 0."""
    login(sc, 0, "7001", "5001")
    login(sc, 0, "7002", "5002")
    login(sc, 0, "7003", "5003")
    sc.ev(5, "EventAgentNotReady", thisDN="7003", workMode="AuxWork")
    sc.ev(10, "EventAgentReady", thisDN="7001")
    sc.ev(30, "EventAgentReady", thisDN="7002")


def test_current_relative_number_percentage() -> None:
    """CurrentRelativeNumberPercentage = 100 x ready agents / logged-in agents (Q9)."""
    sc = Scenario(STATS)
    pct = sc.open("GroupAgents", "Team", "ReadyPct", at=0)
    assert sc.value(pct, 0) == 0.0  # nobody logged in: the denominator is 0
    three_agents_logged_in(sc)
    assert sc.value(pct, 100) == pytest.approx(100 * 2 / 3)
    sc.ev(110, "EventAgentLogout", thisDN="7003")
    assert sc.value(pct, 120) == pytest.approx(100 * 2 / 2)


def test_current_relative_time_percentage() -> None:
    """CurrentRelativeTimePercentage = 100 x CurrentTime(Main) / CurrentTime(Rel): each side
    sums the elapsed time of the *current status episodes* in its mask."""
    sc = Scenario(STATS)
    pct = sc.open("GroupAgents", "Team", "ReadyTimePct", at=0)
    three_agents_logged_in(sc)
    # at 100: ready episodes a1 100-10 = 90, a2 100-30 = 70;
    # all episodes: the same two plus a3's NotReady since 5: 100-5 = 95
    assert sc.value(pct, 100) == pytest.approx(100 * (90 + 70) / (90 + 70 + 95))


# -- continuous time --------------------------------------------------------------------------


def test_current_continuous_time_survives_status_changes_inside_the_mask() -> None:
    """Logged-in time stays continuous across ready -> ringing -> talking -> ready; the time
    in ready restarts whenever the agent leaves ready; both are 0 outside the mask."""
    sc = Scenario(STATS)
    logged = sc.open("Agent", "a1", "LoggedInTime", at=0)
    in_ready = sc.open("Agent", "a1", "TimeInReady", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(10, "EventAgentReady", thisDN="7001")
    sc.ev(20, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    assert sc.value(logged, 22) == 22 - 0
    assert sc.value(in_ready, 22) == 0  # CallRinging ranks above WaitForNextCall
    sc.ev(25, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(60, "EventReleased", thisDN="7001", connID="c1")
    assert sc.value(logged, 100) == 100 - 0
    assert sc.value(in_ready, 100) == 100 - 60  # ready again since the release
    sc.ev(120, "EventAgentLogout", thisDN="7001")
    assert sc.value(logged, 130) == 0
    assert sc.value(in_ready, 130) == 0


def test_current_continuous_time_from_acw_into_not_ready() -> None:
    """ACW followed at once by NotReady is one continuous stay in {NotReady, ACW}."""
    sc = Scenario(STATS)
    unavailable = sc.open("Agent", "a1", "TimeUnavailable", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    sc.ev(100, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    sc.ev(130, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    assert sc.value(unavailable, 150) == 150 - 100
    sc.ev(160, "EventAgentReady", thisDN="7001")
    assert sc.value(unavailable, 170) == 0


# -- distinct interactions, groups, hold --------------------------------------------------------


def consult_scenario(sc: Scenario) -> None:
    """a1 answers c1, holds it at 30 and consults a2 (c2) from 31; a2 answers at 35."""
    login(sc, 0, "7001", "5001")
    login(sc, 0, "7002", "5002")
    sc.ev(10, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(12, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(30, "EventHeld", thisDN="7001", connID="c1")
    sc.ev(31, "EventDialing", thisDN="7001", connID="c2", callType="Consult")
    sc.ev(31, "EventRinging", thisDN="7002", connID="c2", callType="Consult")
    sc.ev(35, "EventEstablished", thisDN="7002", connID="c2", callType="Consult")
    sc.ev(35, "EventEstablished", thisDN="7001", connID="c2", callType="Consult")


def test_current_distinct_number_counts_interactions() -> None:
    """a1 has CallInbound(c1), CallOnHold(c1) and CallConsult(c2): 3 actions, 2 calls."""
    sc = Scenario(STATS)
    actions = sc.open("Agent", "a1", "BusyActions", at=0)
    calls = sc.open("Agent", "a1", "BusyCalls", at=0)
    consult_scenario(sc)
    assert sc.value(actions, 40) == 3
    assert sc.value(calls, 40) == 2


def test_group_current_number_counts_agents_or_actions() -> None:
    """GroupAgents + AgentStatus counts agents whose status is in the mask; + DNAction counts
    the actions of all members' DNs."""
    sc = Scenario(STATS)
    agents = sc.open("GroupAgents", "Team", "BusyAgents", at=0)
    actions = sc.open("GroupAgents", "Team", "BusyActions", at=0)
    consult_scenario(sc)
    # a1's status is CallConsult, a2's CallConsult: 2 agents
    assert sc.value(agents, 40) == 2
    # a1: CallInbound(c1) + CallOnHold(c1) + CallConsult(c2); a2: CallConsult(c2)
    assert sc.value(actions, 40) == 3 + 1


def test_group_ready_agents() -> None:
    """Agents ready now in a group: a1 and a2 ready, a3 not ready; a1's call takes it out."""
    sc = Scenario(STATS)
    ready = sc.open("GroupAgents", "Team", "ReadyNow", at=0)
    three_agents_logged_in(sc)
    assert sc.value(ready, 40) == 2
    sc.ev(50, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    assert sc.value(ready, 51) == 1


def test_hold_hides_the_talking_action_from_the_status() -> None:
    """While c1 is held, the agent's status is CallOnHold, not CallInbound, but the DN still
    has its CallInbound action."""
    sc = Scenario(STATS)
    status = sc.open("Agent", "a1", "TalkingStatus", at=0)
    action = sc.open("Agent", "a1", "TalkingAction", at=0)
    holding = sc.open("Agent", "a1", "HoldingStatus", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(10, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(12, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    assert (sc.value(status, 20), sc.value(action, 20), sc.value(holding, 20)) == (1, 1, 0)
    sc.ev(30, "EventHeld", thisDN="7001", connID="c1")
    assert (sc.value(status, 40), sc.value(action, 40), sc.value(holding, 40)) == (0, 1, 1)
    sc.ev(50, "EventRetrieved", thisDN="7001", connID="c1")
    assert (sc.value(status, 60), sc.value(action, 60), sc.value(holding, 60)) == (1, 1, 0)


# -- statistic opened late: current categories are not clipped (Q3) ----------------------------


def late_opening(sc: Scenario) -> tuple[object, object, object, object]:
    """a1 ready since 0; a2 talking since 500; statistics opened at 600."""
    login(sc, 0, "7001", "5001")
    sc.ev(0, "EventAgentReady", thisDN="7001")
    login(sc, 0, "7002", "5002")
    sc.ev(490, "EventRinging", thisDN="7002", connID="c1", callType="Inbound")
    sc.ev(500, "EventEstablished", thisDN="7002", connID="c1", callType="Inbound")
    return (
        sc.open("Agent", "a1", "ReadyCurTime", at=600),
        sc.open("Agent", "a1", "ReadyTotal", at=600),
        sc.open("Agent", "a2", "TalkNow", at=600),
        sc.open("Agent", "a1", "TimeInReady", at=600),
    )


def test_current_categories_use_the_real_start_when_opened_late() -> None:
    """Q3: an agent ready since 0, seen by a statistic opened at 600, has been ready for
    660 s at 660; the historical TotalTime only counts from the opening (660 - 600)."""
    sc = Scenario(STATS)
    cur, total, talk, continuous = late_opening(sc)
    assert sc.value(cur, 660) == 660 - 0
    assert sc.value(continuous, 660) == 660 - 0
    assert sc.value(total, 660) == 660 - 600
    assert sc.value(talk, 660) == 660 - 500


def test_clip_current_to_open_option() -> None:
    """With clip-current-to-open, current times also start at the opening (600)."""
    sc = Scenario(STATS, clip_current_to_open=True)
    cur, total, talk, continuous = late_opening(sc)
    assert sc.value(cur, 660) == 660 - 600
    assert sc.value(continuous, 660) == 660 - 600
    assert sc.value(total, 660) == 660 - 600
    assert sc.value(talk, 660) == 660 - 600
    # an episode that starts after the opening is not affected: ready again from 700
    sc.ev(690, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    sc.ev(700, "EventAgentReady", thisDN="7001")
    assert sc.value(cur, 730) == 730 - 700


# -- structures ----------------------------------------------------------------------------------


def test_current_state_agent_status() -> None:
    """CurrentState with AgentStatus: the agent node with its status and its start."""
    sc = Scenario(STATS)
    state = sc.open("Agent", "a1", "AgentState", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(5, "EventAgentReady", thisDN="7001")
    sc.ev(10, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(12, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    assert sc.value(state, 20) == {
        "type": "Agent",
        "agentId": "a1",
        "loginId": "5001",
        "placeId": "P1",
        "status": "CallInbound",
        "startTime": T0 + 12,
    }


def test_current_state_dn_actions() -> None:
    """CurrentState with DNAction lists the DN and its actions, limited to the MainMask."""
    sc = Scenario(STATS)
    state = sc.open("Agent", "a1", "AgentActions", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(5, "EventAgentReady", thisDN="7001")
    sc.ev(10, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(12, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    assert sc.value(state, 20) == {
        "type": "Agent",
        "agentId": "a1",
        "loginId": "5001",
        "placeId": "P1",
        "status": "CallInbound",
        "startTime": T0 + 12,
        "dns": [
            {
                "type": "DN",
                "dn": "7001",
                "switch": "SW1",
                "dnType": "Extension",
                "status": "CallInbound",
                "startTime": T0 + 12,
                # LoggedIn, OnHook and WaitForNextCall are in progress too, but not in the mask
                "actions": [
                    {
                        "action": "CallInbound",
                        "startTime": T0 + 12,
                        "connID": "c1",
                        "callType": "Inbound",
                    }
                ],
            }
        ],
        "media": [],
    }


def test_current_state_reasons() -> None:
    """CurrentStateReasons adds the reasons of NotReadyForNextCall; a new reason code in the
    same status changes the reasons, not the status start; CurrentState has no reasons."""
    sc = Scenario(STATS)
    reasons = sc.open("Agent", "a1", "AgentReasons", at=0)
    plain = sc.open("Agent", "a1", "AgentState", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(
        100,
        "EventAgentNotReady",
        thisDN="7001",
        workMode="AuxWork",
        reasons={"ReasonCode": "Break"},
    )
    base = {"type": "Agent", "agentId": "a1", "loginId": "5001", "placeId": "P1"}
    assert sc.value(reasons, 150) == {
        **base,
        "status": "NotReadyForNextCall",
        "startTime": T0 + 100,
        "reasons": {"ReasonCode": "Break"},
    }
    sc.ev(
        200,
        "EventAgentNotReady",
        thisDN="7001",
        workMode="AuxWork",
        reasons={"ReasonCode": "Lunch"},
    )
    assert sc.value(reasons, 250) == {
        **base,
        "status": "NotReadyForNextCall",
        "startTime": T0 + 100,
        "reasons": {"ReasonCode": "Lunch"},
    }
    assert sc.value(plain, 250) == {**base, "status": "NotReadyForNextCall", "startTime": T0 + 100}


def test_current_target_state() -> None:
    """CurrentTargetState: per agent the status and the voice capacity entry
    [state current maximum available]; a ringing call uses the only voice slot."""
    sc = Scenario(STATS)
    targets = sc.open("Agent", "a1", "Targets", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(10, "EventAgentReady", thisDN="7001")
    target = {"agentId": "a1", "placeId": "P1"}
    assert sc.value(targets, 20) == {
        "targets": [
            {
                **target,
                "status": "WaitForNextCall",
                "startTime": T0 + 10,
                "capacity": [
                    {
                        "mediaType": "voice",
                        "state": "Ready",
                        "current": 0,
                        "maximum": 1,
                        "available": 1,
                    }
                ],
            }
        ]
    }
    sc.ev(30, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    assert sc.value(targets, 31) == {
        "targets": [
            {
                **target,
                "status": "CallRinging",
                "startTime": T0 + 30,
                # still ready (Q8), but the one voice slot is taken: 1 - 1 = 0 available
                "capacity": [
                    {
                        "mediaType": "voice",
                        "state": "Ready",
                        "current": 1,
                        "maximum": 1,
                        "available": 0,
                    }
                ],
            }
        ]
    }


@pytest.mark.parametrize(
    ("restart", "expected"),
    [
        pytest.param(False, 250 - 100, id="status-start"),
        pytest.param(True, 250 - 200, id="reason-start"),
    ],
)
def test_reason_start_overrides_status_start(restart: bool, expected: int) -> None:
    """NotReady Break at 100, Lunch at 200: the current time at 250 counts from the status
    start, or from the reason change with ReasonStartOverridesStatusStart."""
    extra = (
        "  NotReadyNow: {Objects: Agent, Category: CurrentTime, Subject: AgentStatus,"
        " MainMask: NotReadyForNextCall,"
        f" ReasonStartOverridesStatusStart: {'yes' if restart else 'no'}}}\n"
    )
    sc = Scenario(STATS + extra)
    now = sc.open("Agent", "a1", "NotReadyNow", at=0)
    login(sc, 0, "7001", "5001")
    for t, code in ((100, "Break"), (200, "Lunch")):
        sc.ev(
            t, "EventAgentNotReady", thisDN="7001", workMode="AuxWork", reasons={"ReasonCode": code}
        )
    assert sc.value(now, 250) == expected
