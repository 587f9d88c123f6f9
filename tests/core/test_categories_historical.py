"""Worked examples for the historical categories of docs/stat-types.md, computed by hand.

Every scenario starts at T0 (10:00:00 UTC); times are seconds after T0.  Profiles come from
tests/helpers.py: ``Default`` (reset at midnight, far away), ``Hourly`` (reset every hour:
the first reset is at 11:00 = 3600 s), ``Last10Min`` (Sliding 600:60), ``Last3`` (Selection
of 3), ``Login`` (SinceLogin).
"""

from __future__ import annotations

import pytest

from helpers import Scenario
from statserver.errors import RequestError

STATS = """
statTypes:
  # agent statuses
  ReadyTime: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: WaitForNextCall}
  NotReadyCount: {Objects: Agent, Category: TotalNumber, Subject: AgentStatus, MainMask: NotReadyForNextCall}
  NotReadyTime: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: NotReadyForNextCall}
  NotReadyAvg: {Objects: Agent, Category: AverageTime, Subject: AgentStatus, MainMask: NotReadyForNextCall}
  NotReadyMax: {Objects: Agent, Category: MaxTime, Subject: AgentStatus, MainMask: NotReadyForNextCall}
  NotReadyMin: {Objects: Agent, Category: MinTime, Subject: AgentStatus, MainMask: NotReadyForNextCall}
  NotReadyAdjTime: {Objects: Agent, Category: TotalAdjustedTime, Subject: AgentStatus, MainMask: NotReadyForNextCall}
  NotReadyAdjCount: {Objects: Agent, Category: TotalAdjustedNumber, Subject: AgentStatus, MainMask: NotReadyForNextCall}
  NotReadyPct: {Objects: Agent, Category: ElapsedTimePercentage, Subject: AgentStatus, MainMask: NotReadyForNextCall}
  TalkStatusCount: {Objects: Agent, Category: TotalNumber, Subject: AgentStatus, MainMask: CallInbound}
  TalkStatusTime: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: CallInbound}
  HoldStatusTime: {Objects: Agent, Category: TotalTime, Subject: AgentStatus, MainMask: CallOnHold}
  UnavailableStays:
    {Objects: Agent, Category: TotalContinuousNumber, Subject: AgentStatus,
     MainMask: "NotReadyForNextCall,AfterCallWork"}
  Occupancy:
    {Objects: Agent, Category: RelativeTimePercentage, Subject: AgentStatus,
     MainMask: "CallInbound,CallOutbound,CallInternal,CallConsult,CallOnHold,AfterCallWork",
     RelMask: "*,~LoggedOut,~NotMonitored,~NotReadyForNextCall"}
  CallsPerHour:
    {Objects: Agent, Category: AverageNumberPerRelativeHour, Subject: AgentStatus,
     MainMask: "CallInternal,CallInbound,CallOutbound,CallConsult,CallUnknown",
     RelMask: "*,~LoggedOut,~NotMonitored"}
  # agent actions
  TalkCount: {Objects: Agent, Category: TotalNumber, Subject: DNAction, MainMask: CallInbound}
  TalkTime: {Objects: Agent, Category: TotalTime, Subject: DNAction, MainMask: CallInbound}
  TalkAdjTime: {Objects: Agent, Category: TotalAdjustedTime, Subject: DNAction, MainMask: CallInbound}
  TalkAdjCount: {Objects: Agent, Category: TotalAdjustedNumber, Subject: DNAction, MainMask: CallInbound}
  TalkAvg: {Objects: Agent, Category: AverageTime, Subject: DNAction, MainMask: CallInbound}
  TalkMax: {Objects: Agent, Category: MaxTime, Subject: DNAction, MainMask: CallInbound}
  TalkMin: {Objects: Agent, Category: MinTime, Subject: DNAction, MainMask: CallInbound}
  CompletedTalk: {Objects: Agent, Category: TotalTime, Subject: DNAction, MainMask: CallInboundCompleted}
  Errors: {Objects: "RegularDN,Agent", Category: TotalNumberErrors, Subject: DNAction}
  # queues
  Entered: {Objects: Queue, Category: TotalNumber, Subject: DNAction, MainMask: CallEntered}
  EnteredPerSecond: {Objects: Queue, Category: TotalNumberPerSecond, Subject: DNAction, MainMask: CallEntered}
  Answered: {Objects: Queue, Category: TotalNumber, Subject: DNAction, MainMask: CallAnswered}
  AnsweredTime: {Objects: Queue, Category: TotalTime, Subject: DNAction, MainMask: CallAnswered}
  ASA: {Objects: Queue, Category: AverageTime, Subject: DNAction, MainMask: CallAnswered}
  AnsweredIn: {Objects: Queue, Category: TotalNumberInTimeRange, Subject: DNAction, MainMask: CallAnswered}
  AnsweredInPct: {Objects: Queue, Category: TotalNumberInTimeRangePercentage, Subject: DNAction, MainMask: CallAnswered}
  AnsweredInTime: {Objects: Queue, Category: TotalTimeInTimeRange, Subject: DNAction, MainMask: CallAnswered}
  AbandonRate: {Objects: Queue, Category: RelativeNumberPercentage, Subject: DNAction, MainMask: CallAbandoned, RelMask: CallEntered}
  AnsweredRate: {Objects: Queue, Category: RelativeNumberPercentage, Subject: DNAction, MainMask: CallAnswered, RelMask: CallEntered}
  DistributedRatio: {Objects: Queue, Category: RelativeNumber, Subject: DNAction, MainMask: CallDistributed, RelMask: CallEntered}
  ServiceLevel: {Objects: Queue, Category: ServiceFactor1, Subject: DNAction}
  WaitCount: {Objects: Queue, Category: TotalNumber, Subject: DNAction, MainMask: CallWait}
  WaitTime: {Objects: Queue, Category: TotalTime, Subject: DNAction, MainMask: CallWait}
  MaxWaiting: {Objects: Queue, Category: MaxNumber, Subject: DNAction, MainMask: CallWait}
  MinWaiting: {Objects: Queue, Category: MinNumber, Subject: DNAction, MainMask: CallWait}
  AvgWaiting: {Objects: Queue, Category: AverageOfCurrentNumber, Subject: DNAction, MainMask: CallWait}
  AvgWaitingTime: {Objects: Queue, Category: AverageOfCurrentTime, Subject: DNAction, MainMask: CallWait}
  BusyStays: {Objects: Queue, Category: TotalContinuousNumber, Subject: DNAction, MainMask: CallWait}
  BusyTime: {Objects: Queue, Category: TotalDistinctTime, Subject: DNAction, MainMask: CallWait}
"""


def login(sc: Scenario, t: float, dn: str, login_id: str, queue: str = "8000") -> None:
    sc.ev(t, "EventAgentLogin", thisDN=dn, agentID=login_id, thisQueue=queue)


def talk(
    sc: Scenario, dn: str, conn: str, ring: float, answer: float, release: float | None
) -> None:
    """An inbound call rings at ``dn``, is answered, and is released (unless None)."""
    sc.ev(ring, "EventRinging", thisDN=dn, connID=conn, callType="Inbound")
    sc.ev(answer, "EventEstablished", thisDN=dn, connID=conn, callType="Inbound")
    if release is not None:
        sc.ev(release, "EventReleased", thisDN=dn, connID=conn)


def through_queue(
    sc: Scenario, conn: str, queued: float, diverted: float, dn: str, answered: float
) -> None:
    """A call queued on 8000, diverted to ``dn`` where it rings, then answered."""
    sc.ev(queued, "EventQueued", thisDN="8000", connID=conn, callType="Inbound")
    sc.ev(diverted, "EventDiverted", thisDN="8000", connID=conn, otherDN=dn)
    sc.ev(diverted, "EventRinging", thisDN=dn, connID=conn, callType="Inbound", thisQueue="8000")
    sc.ev(answered, "EventEstablished", thisDN=dn, connID=conn, callType="Inbound")


# -- a queue's day: numbers, averages, ranges, ratios, service factor ---------------------------

QUEUE_STATS = (
    "Entered",
    "EnteredPerSecond",
    "Answered",
    "ASA",
    "AnsweredIn",
    "AnsweredInPct",
    "AnsweredInTime",
    "AbandonRate",
    "AnsweredRate",
    "DistributedRatio",
)


def queue_day(sc: Scenario) -> None:
    """Five calls on queue 8000:

    c1 queued 0, answered at 7001 at 12 (waited 12)
    c2 queued 20, answered at 7002 at 45 (waited 25)
    c3 queued 50, abandoned at 53 (after 3)
    c4 queued 60, abandoned at 90 (after 30)
    c5 queued 100, answered at 7003 at 120 (waited exactly 20)
    """
    login(sc, 0, "7001", "5001")
    login(sc, 0, "7002", "5002")
    login(sc, 0, "7003", "5003")
    through_queue(sc, "c1", 0, 8, "7001", 12)
    through_queue(sc, "c2", 20, 30, "7002", 45)
    sc.ev(50, "EventQueued", thisDN="8000", connID="c3", callType="Inbound")
    sc.ev(53, "EventAbandoned", thisDN="8000", connID="c3")
    sc.ev(60, "EventQueued", thisDN="8000", connID="c4", callType="Inbound")
    sc.ev(90, "EventAbandoned", thisDN="8000", connID="c4")
    through_queue(sc, "c5", 100, 105, "7003", 120)


def test_queue_totals_ranges_and_ratios() -> None:
    """TotalNumber, TotalNumberPerSecond, AverageTime (ASA), TotalNumberInTimeRange(+Pct),
    TotalTimeInTimeRange, RelativeNumberPercentage without and with a range, RelativeNumber."""
    sc = Scenario(STATS)
    stats = {name: sc.open("Queue", "8000@SW1", name, at=0) for name in QUEUE_STATS}
    in_range = {
        name: sc.open("Queue", "8000@SW1", name, at=0, time_range="SL20")
        for name in ("AnsweredIn", "AnsweredInPct", "AnsweredInTime", "AnsweredRate")
    }
    queue_day(sc)
    v = {name: sc.value(stat, 300) for name, stat in stats.items()}
    r = {name: sc.value(stat, 300) for name, stat in in_range.items()}
    assert v["Entered"] == 5
    assert v["EnteredPerSecond"] == pytest.approx(5 / 300)
    assert v["Answered"] == 3
    assert v["ASA"] == (12 + 25 + 20) // 3
    # SL20 is [0, 20): 12 is in, 25 and exactly 20 are out
    assert r["AnsweredIn"] == 1
    assert r["AnsweredInPct"] == pytest.approx(100 * 1 / 3)
    assert r["AnsweredInTime"] == 12
    # abandon rate: 2 abandoned of 5 entered (no range: every abandon counts)
    assert v["AbandonRate"] == pytest.approx(100 * 2 / 5)
    # answered of entered: 3 of 5 without a range, 1 of 5 answered within 20 s with SL20
    assert v["AnsweredRate"] == pytest.approx(100 * 3 / 5)
    assert r["AnsweredRate"] == pytest.approx(100 * 1 / 5)
    # distributed (c1, c2, c5) per entered
    assert v["DistributedRatio"] == pytest.approx(3 / 5)


def test_service_factor_with_and_without_short_abandons() -> None:
    """ServiceFactor1 = 100 x A<=TR / (A + Ab - Ab<TR2): answered within 20 s: c1 only;
    3 answered, 2 abandoned, one of them (3 s) within Short5."""
    sc = Scenario(STATS)
    plain = sc.open("Queue", "8000@SW1", "ServiceLevel", at=0, time_range="SL20")
    short = sc.open(
        "Queue", "8000@SW1", "ServiceLevel", at=0, time_range="SL20", time_range2="Short5"
    )
    queue_day(sc)
    assert sc.value(plain, 300) == pytest.approx(100 * 1 / (3 + 2))
    assert sc.value(short, 300) == pytest.approx(100 * 1 / (3 + 2 - 1))


def test_time_ranges_are_half_open_on_truncated_seconds() -> None:
    """Queued at 56.949 and answered 10.593 s later at 67.542: 67 - 56 = 11 s, so outside
    0-11 and inside 0-12; queued at 200.5, answered at 219.999: 219 - 200 = 19 s."""
    sc = Scenario(STATS)
    asa = sc.open("Queue", "8000@SW1", "ASA", at=0)
    upto11 = sc.open("Queue", "8000@SW1", "AnsweredIn", at=0, time_range="0-11")
    upto12 = sc.open("Queue", "8000@SW1", "AnsweredIn", at=0, time_range="0-12")
    sl20 = sc.open("Queue", "8000@SW1", "AnsweredIn", at=0, time_range="SL20")
    login(sc, 0, "7001", "5001")
    through_queue(sc, "c1", 56.949, 60, "7001", 67.542)
    assert sc.value(asa, 70) == 11
    assert (sc.value(upto11, 70), sc.value(upto12, 70)) == (0, 1)
    sc.ev(100, "EventReleased", thisDN="7001", connID="c1")
    through_queue(sc, "c2", 200.5, 210, "7001", 219.999)
    assert sc.value(sl20, 230) == 2  # 11 s and 19 s
    assert sc.value(asa, 230) == (11 + 19) // 2


# -- agent talk and not-ready: totals, averages, max/min, adjusted -------------------------------


def test_action_totals_average_max_min() -> None:
    """Talks of 70, 30 and 45 s completed, one in progress: actions count only when they
    complete (the call in progress is in none of the values)."""
    sc = Scenario(STATS)
    names = (
        "TalkCount",
        "TalkTime",
        "TalkAvg",
        "TalkMax",
        "TalkMin",
        "TalkAdjCount",
        "TalkAdjTime",
    )
    stats = {name: sc.open("Agent", "a1", name, at=0) for name in names}
    login(sc, 0, "7001", "5001")
    talk(sc, "7001", "c1", 5, 10, 80)
    talk(sc, "7001", "c2", 95, 100, 130)
    talk(sc, "7001", "c3", 195, 200, 245)
    talk(sc, "7001", "c4", 295, 300, None)  # 100 s at 400, in progress
    v = {name: sc.value(stat, 400) for name, stat in stats.items()}
    assert v == {
        "TalkCount": 3,
        "TalkTime": 70 + 30 + 45,
        "TalkAvg": (70 + 30 + 45) // 3,
        "TalkMax": 70,
        "TalkMin": 30,
        "TalkAdjCount": 3,
        "TalkAdjTime": 70 + 30 + 45,
    }


def test_action_total_number_at_start_option() -> None:
    """action-total-number-at: start counts a durable action when it starts (Q1 option)."""
    at_end = Scenario(STATS)
    at_start = Scenario(STATS, action_total_number_at="start")
    counts = []
    for sc in (at_end, at_start):
        count = sc.open("Agent", "a1", "TalkCount", at=0)
        login(sc, 0, "7001", "5001")
        talk(sc, "7001", "c1", 5, 10, None)
        counts.append(sc.value(count, 20))
    assert counts == [0, 1]


def test_status_totals_average_max_min_and_elapsed_percentage() -> None:
    """NotReady episodes of 100 s and 40 s, and one in progress for 150 s at 550: a status
    in progress counts in TotalNumber, TotalTime and MaxTime (not MinTime, not the
    adjusted values)."""
    sc = Scenario(STATS)
    names = (
        "NotReadyCount",
        "NotReadyTime",
        "NotReadyAvg",
        "NotReadyMax",
        "NotReadyMin",
        "NotReadyAdjCount",
        "NotReadyAdjTime",
        "NotReadyPct",
    )
    stats = {name: sc.open("Agent", "a1", name, at=0) for name in names}
    login(sc, 0, "7001", "5001")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    for start, end in ((100, 200), (300, 340), (400, None)):
        sc.ev(start, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
        if end is not None:
            sc.ev(end, "EventAgentReady", thisDN="7001")
    v = {name: sc.value(stat, 550) for name, stat in stats.items()}
    assert v["NotReadyCount"] == 3
    assert v["NotReadyTime"] == 100 + 40 + 150
    assert v["NotReadyAvg"] == (100 + 40 + 150) // 3
    assert v["NotReadyMax"] == 150
    assert v["NotReadyMin"] == 40
    assert v["NotReadyAdjCount"] == 2
    assert v["NotReadyAdjTime"] == 100 + 40
    assert v["NotReadyPct"] == pytest.approx(100 * (100 + 40 + 150) / 550)


def test_hold_splits_the_status_not_the_action() -> None:
    """A call talked 10-30, held 30-50, talked 50-80: the status subject sees two
    CallInbound episodes (20 + 30 s) and one CallOnHold (20 s); DNAction one CallInbound
    of 70 s."""
    sc = Scenario(STATS)
    names = ("TalkStatusCount", "TalkStatusTime", "HoldStatusTime", "TalkCount", "TalkTime")
    stats = {name: sc.open("Agent", "a1", name, at=0) for name in names}
    login(sc, 0, "7001", "5001")
    sc.ev(5, "EventRinging", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(10, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    sc.ev(30, "EventHeld", thisDN="7001", connID="c1")
    sc.ev(50, "EventRetrieved", thisDN="7001", connID="c1")
    sc.ev(80, "EventReleased", thisDN="7001", connID="c1")
    v = {name: sc.value(stat, 100) for name, stat in stats.items()}
    assert v == {
        "TalkStatusCount": 2,
        "TalkStatusTime": (30 - 10) + (80 - 50),
        "HoldStatusTime": 50 - 30,
        "TalkCount": 1,
        "TalkTime": 80 - 10,
    }


# -- projection ----------------------------------------------------------------------------------


def test_projection_status_counts_while_it_lasts_action_when_it_completes() -> None:
    """Ready (a status) counts while it lasts; the talk (an action) only once released."""
    sc = Scenario(STATS)
    ready = sc.open("Agent", "a1", "ReadyTime", at=0)
    talk_time = sc.open("Agent", "a1", "TalkTime", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(10, "EventAgentReady", thisDN="7001")
    assert sc.value(ready, 50) == 50 - 10
    talk(sc, "7001", "c1", 100, 110, None)
    assert sc.value(ready, 200) == 100 - 10  # ringing ended the ready status at 100
    assert sc.value(talk_time, 200) == 0  # talking since 110, not completed
    sc.ev(250, "EventReleased", thisDN="7001", connID="c1")
    assert sc.value(talk_time, 300) == 250 - 110
    assert sc.value(ready, 300) == (100 - 10) + (300 - 250)  # ready again after the call


def test_adjusted_time_is_credited_whole_where_it_ends() -> None:
    """Hourly: a talk 3500-3700 gives TotalTime 3700 - 3600 = 100 in the second hour, and
    TotalAdjustedTime the whole 200 s there; a NotReady 3000-4000 gives TotalAdjustedTime 0
    in the first hour and 1000 in the second."""
    sc = Scenario(STATS)
    talk_time = sc.open("Agent", "a2", "TalkTime", at=0, time_profile="Hourly")
    talk_adj = sc.open("Agent", "a2", "TalkAdjTime", at=0, time_profile="Hourly")
    nr_adj = sc.open("Agent", "a1", "NotReadyAdjTime", at=0, time_profile="Hourly")
    nr_adj_count = sc.open("Agent", "a1", "NotReadyAdjCount", at=0, time_profile="Hourly")
    login(sc, 0, "7001", "5001")
    login(sc, 0, "7002", "5002")
    sc.ev(3000, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    talk(sc, "7002", "c1", 3490, 3500, None)
    assert (sc.value(talk_time, 3599), sc.value(talk_adj, 3599)) == (0, 0)
    assert (sc.value(nr_adj, 3599), sc.value(nr_adj_count, 3599)) == (0, 0)
    sc.ev(3700, "EventReleased", thisDN="7002", connID="c1")
    assert sc.value(talk_time, 3800) == 3700 - 3600
    assert sc.value(talk_adj, 3800) == 3700 - 3500
    sc.ev(4000, "EventAgentReady", thisDN="7001")
    assert (sc.value(nr_adj, 4100), sc.value(nr_adj_count, 4100)) == (4000 - 3000, 1)


# -- statistic opened late -----------------------------------------------------------------------


def test_opened_late_clips_items_in_progress_for_historical_categories() -> None:
    """Opened at 600: a1 ready since 0 counts 600-660; a2's talk since 500 completes at 700
    and counts 700 - 600 = 100 in TotalTime, TotalAdjustedTime and MaxTime; the
    retrospective CallInboundCompleted carries its whole 200 s."""
    sc = Scenario(STATS)
    login(sc, 0, "7001", "5001")
    sc.ev(0, "EventAgentReady", thisDN="7001")
    login(sc, 0, "7002", "5002")
    talk(sc, "7002", "c1", 490, 500, None)
    ready = sc.open("Agent", "a1", "ReadyTime", at=600)
    talk_time = sc.open("Agent", "a2", "TalkTime", at=600)
    talk_adj = sc.open("Agent", "a2", "TalkAdjTime", at=600)
    talk_max = sc.open("Agent", "a2", "TalkMax", at=600)
    completed = sc.open("Agent", "a2", "CompletedTalk", at=600)
    assert sc.value(ready, 660) == 660 - 600
    sc.ev(700, "EventReleased", thisDN="7002", connID="c1")
    assert sc.value(talk_time, 710) == 700 - 600
    assert sc.value(talk_adj, 710) == 700 - 600
    assert sc.value(talk_max, 710) == 700 - 600
    assert sc.value(completed, 710) == 700 - 500


# -- Growing reset -------------------------------------------------------------------------------


def test_growing_reset_restarts_values() -> None:
    """Hourly: calls entered at 3000 and 3500 are gone at the 11:00 reset (3600); one
    entered at 3650 is the only one of the new hour."""
    sc = Scenario(STATS)
    entered = sc.open("Queue", "8000@SW1", "Entered", at=0, time_profile="Hourly")
    for t, conn in ((3000, "c1"), (3500, "c2")):
        sc.ev(t, "EventQueued", thisDN="8000", connID=conn, callType="Inbound")
    assert sc.value(entered, 3599) == 2
    assert sc.value(entered, 3600) == 0
    sc.ev(3650, "EventQueued", thisDN="8000", connID="c3", callType="Inbound")
    assert sc.value(entered, 3700) == 1


def test_growing_reset_status_spanning_the_reset() -> None:
    """A NotReady from 3000 to 4000 counts in both hours (the second by carry) with its
    time split at 3600: 599 s at 3599; 100 s at 3700; 400 s at 4100."""
    sc = Scenario(STATS)
    count = sc.open("Agent", "a1", "NotReadyCount", at=0, time_profile="Hourly")
    time = sc.open("Agent", "a1", "NotReadyTime", at=0, time_profile="Hourly")
    avg = sc.open("Agent", "a1", "NotReadyAvg", at=0, time_profile="Hourly")
    login(sc, 0, "7001", "5001")
    sc.ev(3000, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    assert (sc.value(count, 3599), sc.value(time, 3599)) == (1, 3599 - 3000)
    assert (sc.value(count, 3700), sc.value(time, 3700)) == (1, 3700 - 3600)
    assert sc.value(avg, 3700) == (3700 - 3600) // 1
    sc.ev(4000, "EventAgentReady", thisDN="7001")
    assert (sc.value(count, 4100), sc.value(time, 4100)) == (1, 4000 - 3600)


def test_growing_reset_action_spanning_the_reset() -> None:
    """A talk from 3500 to 3700 is in no value of the first hour and counts once, clipped
    to the reset (3700 - 3600 = 100 s), in the second."""
    sc = Scenario(STATS)
    count = sc.open("Agent", "a1", "TalkCount", at=0, time_profile="Hourly")
    time = sc.open("Agent", "a1", "TalkTime", at=0, time_profile="Hourly")
    login(sc, 0, "7001", "5001")
    talk(sc, "7001", "c1", 3490, 3500, 3700)
    assert (sc.value(count, 3800), sc.value(time, 3800)) == (1, 3700 - 3600)


def test_growing_reset_max_and_min_number() -> None:
    """MaxNumber / MinNumber of calls waiting restart at the reset from the number waiting
    then: c2 waits 3500-3620 across the reset, so the second hour starts at 1."""
    sc = Scenario(STATS)
    most = sc.open("Queue", "8000@SW1", "MaxWaiting", at=0, time_profile="Hourly")
    least = sc.open("Queue", "8000@SW1", "MinWaiting", at=0, time_profile="Hourly")
    sc.ev(3000, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    sc.ev(3100, "EventQueued", thisDN="8000", connID="c9", callType="Inbound")
    sc.ev(3200, "EventAbandoned", thisDN="8000", connID="c1")
    sc.ev(3300, "EventAbandoned", thisDN="8000", connID="c9")
    sc.ev(3500, "EventQueued", thisDN="8000", connID="c2", callType="Inbound")
    assert (sc.value(most, 3599), sc.value(least, 3599)) == (2, 0)
    assert (sc.value(most, 3610), sc.value(least, 3610)) == (1, 1)
    sc.ev(3620, "EventAbandoned", thisDN="8000", connID="c2")
    assert (sc.value(most, 3700), sc.value(least, 3700)) == (1, 0)


# -- Sliding, Selection, SinceLogin --------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        pytest.param(699, 2, id="699"),
        # at 719 the window is [660 - 600, 719] = [60, 719]: both calls in
        pytest.param(719, 2, id="719"),
        # at 720 it is [120, 720]: the call of 100 left after 620 s, the one of 150 stays
        pytest.param(720, 1, id="720"),
        pytest.param(779, 1, id="779"),
        # at 780 it is [180, 780]: the call of 150 left after 630 s
        pytest.param(780, 0, id="780"),
    ],
)
def test_sliding_window(t: int, expected: int) -> None:
    """Last10Min (600:60): calls entered at 100 and 150 stay between 600 and 660 s."""
    sc = Scenario(STATS)
    entered = sc.open("Queue", "8000@SW1", "Entered", at=0, time_profile="Last10Min")
    sc.ev(100, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    sc.ev(150, "EventQueued", thisDN="8000", connID="c2", callType="Inbound")
    assert sc.value(entered, t) == expected


def test_selection_last_three_completed() -> None:
    """Last3: only the last 3 completed talks (20, 30, 40 s) of 10, 20, 30, 40 s and one in
    progress."""
    sc = Scenario(STATS)
    names = ("TalkCount", "TalkTime", "TalkAvg", "TalkMax", "TalkMin")
    stats = {name: sc.open("Agent", "a1", name, at=0, time_profile="Last3") for name in names}
    login(sc, 0, "7001", "5001")
    for i, (start, length) in enumerate(((100, 10), (200, 20), (300, 30), (400, 40))):
        talk(sc, "7001", f"c{i}", start - 5, start, start + length)
    talk(sc, "7001", "c9", 595, 600, None)
    v = {name: sc.value(stat, 700) for name, stat in stats.items()}
    assert v == {
        "TalkCount": 3,
        "TalkTime": 20 + 30 + 40,
        "TalkAvg": (20 + 30 + 40) // 3,
        "TalkMax": 40,
        "TalkMin": 20,
    }


def test_selection_refuses_categories_that_need_an_interval_length() -> None:
    """TotalNumberPerSecond divides by the interval length, which Last3 does not have."""
    sc = Scenario(STATS)
    with pytest.raises(RequestError):
        sc.open("Queue", "8000@SW1", "EnteredPerSecond", at=0, time_profile="Last3")


def test_since_login_restarts_at_login() -> None:
    """Login: ready 10-200, logout at 200, login at 300, ready from 310: at 250 the first
    session's 190 s; at 400 only the second session's 90 s (Default: 190 + 90)."""
    sc = Scenario(STATS)
    session = sc.open("Agent", "a1", "ReadyTime", at=0, time_profile="Login")
    day = sc.open("Agent", "a1", "ReadyTime", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(10, "EventAgentReady", thisDN="7001")
    sc.ev(200, "EventAgentLogout", thisDN="7001")
    assert sc.value(session, 250) == 200 - 10
    login(sc, 300, "7001", "5001")
    sc.ev(310, "EventAgentReady", thisDN="7001")
    assert sc.value(session, 400) == 400 - 310
    assert sc.value(day, 400) == (200 - 10) + (400 - 310)


# -- filters -------------------------------------------------------------------------------------


def test_filter_cuts_a_status_into_segments() -> None:
    """NotReady with reason Break 100-200, Lunch 200-300, Break 300-400: the Break filter
    counts 2 entries and 100 + 100 s; without the filter it is one episode of 300 s."""
    sc = Scenario(STATS)
    brk_count = sc.open("Agent", "a1", "NotReadyCount", at=0, filter="Break")
    brk_time = sc.open("Agent", "a1", "NotReadyTime", at=0, filter="Break")
    all_count = sc.open("Agent", "a1", "NotReadyCount", at=0)
    all_time = sc.open("Agent", "a1", "NotReadyTime", at=0)
    login(sc, 0, "7001", "5001")
    for t, reason in ((100, "Break"), (200, "Lunch")):
        sc.ev(
            t,
            "EventAgentNotReady",
            thisDN="7001",
            workMode="AuxWork",
            reasons={"ReasonCode": reason},
        )
    assert (sc.value(brk_count, 250), sc.value(brk_time, 250)) == (1, 200 - 100)
    sc.ev(
        300,
        "EventAgentNotReady",
        thisDN="7001",
        workMode="AuxWork",
        reasons={"ReasonCode": "Break"},
    )
    assert (sc.value(brk_count, 350), sc.value(brk_time, 350)) == (2, (200 - 100) + (350 - 300))
    sc.ev(400, "EventAgentReady", thisDN="7001")
    assert (sc.value(brk_count, 500), sc.value(brk_time, 500)) == (2, (200 - 100) + (400 - 300))
    assert (sc.value(all_count, 500), sc.value(all_time, 500)) == (1, 400 - 100)


def test_filter_retrospective_action_passes_as_a_whole() -> None:
    """c1 gets Segment=Gold at 5 while waiting (queued 0, distributed 10, answered 15):
    CallWait under Gold counts only 10 - 5 = 5 s, but CallAnswered is tested once and
    counts its whole 15 s; c2 (Silver) is in neither."""
    sc = Scenario(STATS)
    gold_wait = sc.open("Queue", "8000@SW1", "WaitTime", at=0, filter="Gold")
    gold_wait_count = sc.open("Queue", "8000@SW1", "WaitCount", at=0, filter="Gold")
    all_wait = sc.open("Queue", "8000@SW1", "WaitTime", at=0)
    gold_answered = sc.open("Queue", "8000@SW1", "Answered", at=0, filter="Gold")
    gold_answered_time = sc.open("Queue", "8000@SW1", "AnsweredTime", at=0, filter="Gold")
    login(sc, 0, "7001", "5001")
    login(sc, 0, "7002", "5002")
    sc.ev(0, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    sc.ev(5, "EventAttachedDataChanged", thisDN="8000", connID="c1", userData={"Segment": "Gold"})
    sc.ev(10, "EventDiverted", thisDN="8000", connID="c1", otherDN="7001")
    sc.ev(
        10,
        "EventRinging",
        thisDN="7001",
        connID="c1",
        callType="Inbound",
        userData={"Segment": "Gold"},
    )
    sc.ev(15, "EventEstablished", thisDN="7001", connID="c1", callType="Inbound")
    silver = {"Segment": "Silver"}
    sc.ev(20, "EventQueued", thisDN="8000", connID="c2", callType="Inbound", userData=silver)
    sc.ev(25, "EventDiverted", thisDN="8000", connID="c2", otherDN="7002")
    sc.ev(25, "EventRinging", thisDN="7002", connID="c2", callType="Inbound", userData=silver)
    sc.ev(28, "EventEstablished", thisDN="7002", connID="c2", callType="Inbound")
    assert (sc.value(gold_wait, 60), sc.value(gold_wait_count, 60)) == (10 - 5, 1)
    assert sc.value(all_wait, 60) == (10 - 0) + (25 - 20)
    assert (sc.value(gold_answered, 60), sc.value(gold_answered_time, 60)) == (1, 15 - 0)


# -- relative categories for agents --------------------------------------------------------------


def test_occupancy_relative_time_percentage() -> None:
    """Occupancy at 200: talk 65-125 and ACW 125-155 (90 s) over 200 s available."""
    sc = Scenario(STATS)
    occupancy = sc.open("Agent", "a1", "Occupancy", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(0, "EventAgentReady", thisDN="7001")
    talk(sc, "7001", "c1", 60, 65, 125)
    sc.ev(125, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    sc.ev(155, "EventAgentReady", thisDN="7001")
    assert sc.value(occupancy, 200) == pytest.approx(100 * ((125 - 65) + (155 - 125)) / 200)


def test_calls_per_logged_in_hour() -> None:
    """AverageNumberPerRelativeHour: 3 calls in 1800 s logged in = 6 calls per hour."""
    sc = Scenario(STATS)
    per_hour = sc.open("Agent", "a1", "CallsPerHour", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(0, "EventAgentReady", thisDN="7001")
    talk(sc, "7001", "c1", 100, 105, 200)
    talk(sc, "7001", "c2", 500, 510, 600)
    talk(sc, "7001", "c3", 1000, 1010, 1100)
    sc.ev(1800, "EventAgentLogout", thisDN="7001")
    assert sc.value(per_hour, 2000) == pytest.approx(3600 * 3 / 1800)


# -- averages of current values, continuous stays, distinct time ---------------------------------


def overlapping_waits(sc: Scenario, after: float = -1, until: float = 1000) -> None:
    """Calls wait 10-70, 40-100 and 150-160 on queue 8000 (the events in ``(after, until]``)."""
    for t, event, conn in (
        (10, "EventQueued", "w1"),
        (40, "EventQueued", "w2"),
        (70, "EventAbandoned", "w1"),
        (100, "EventAbandoned", "w2"),
        (150, "EventQueued", "w3"),
        (160, "EventAbandoned", "w3"),
    ):
        if after < t <= until:
            sc.ev(t, event, thisDN="8000", connID=conn, callType="Inbound")


def test_max_min_and_average_of_current_number() -> None:
    """MaxNumber 2 (40-70), MinNumber 0; AverageOfCurrentNumber = (60 + 60 + 10) / 200."""
    sc = Scenario(STATS)
    most = sc.open("Queue", "8000@SW1", "MaxWaiting", at=0)
    least = sc.open("Queue", "8000@SW1", "MinWaiting", at=0)
    avg = sc.open("Queue", "8000@SW1", "AvgWaiting", at=0)
    overlapping_waits(sc)
    assert (sc.value(most, 200), sc.value(least, 200)) == (2, 0)
    assert sc.value(avg, 200) == pytest.approx((60 + 60 + 10) / 200)


def test_average_of_current_time() -> None:
    """CurrentTime of one wait grows linearly, so its integral over a wait of d seconds is
    d*d/2.  At 60 (both waiting): (50*50/2 + 20*20/2) / 60 = 24.17 -> 24; at 200:
    (60*60/2 + 60*60/2 + 10*10/2) / 200 = 18.25 -> 18."""
    sc = Scenario(STATS)
    avg = sc.open("Queue", "8000@SW1", "AvgWaitingTime", at=0)
    overlapping_waits(sc, until=60)
    assert sc.value(avg, 60) == int((50 * 50 / 2 + 20 * 20 / 2) / 60)
    overlapping_waits(sc, after=60)
    assert sc.value(avg, 200) == int((60 * 60 / 2 + 60 * 60 / 2 + 10 * 10 / 2) / 200)


def test_continuous_number_and_distinct_time_of_a_queue() -> None:
    """Waits 10-70 and 40-100 overlap into one busy period 10-100; 150-160 is another:
    TotalContinuousNumber 2, TotalDistinctTime 90 + 10 (overlap counted once)."""
    sc = Scenario(STATS)
    stays = sc.open("Queue", "8000@SW1", "BusyStays", at=0)
    busy = sc.open("Queue", "8000@SW1", "BusyTime", at=0)
    overlapping_waits(sc, until=120)
    assert sc.value(stays, 120) == 1
    assert sc.value(busy, 120) == 100 - 10
    overlapping_waits(sc, after=120)
    assert sc.value(stays, 200) == 2
    assert sc.value(busy, 200) == (100 - 10) + (160 - 150)


def test_continuous_number_of_unavailable_stays() -> None:
    """ACW 100-130 then NotReady 130-160 is one stay; NotReady 200-230 another."""
    sc = Scenario(STATS)
    stays = sc.open("Agent", "a1", "UnavailableStays", at=0)
    login(sc, 0, "7001", "5001")
    sc.ev(1, "EventAgentReady", thisDN="7001")
    sc.ev(100, "EventAgentNotReady", thisDN="7001", workMode="AfterCallWork")
    sc.ev(130, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    sc.ev(160, "EventAgentReady", thisDN="7001")
    sc.ev(200, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    sc.ev(230, "EventAgentReady", thisDN="7001")
    assert sc.value(stays, 300) == 2


# -- errors --------------------------------------------------------------------------------------


def test_total_number_errors() -> None:
    """Two rejected events name 7001 (EventHeld and EventEstablished without connID): 2
    InputError actions on the DN and on the agent logged in there; an event for a DN that is
    not configured is rejected without an error on any DN."""
    sc = Scenario(STATS)
    dn_errors = sc.open("RegularDN", "7001@SW1", "Errors", at=0)
    agent_errors = sc.open("Agent", "a1", "Errors", at=0)
    login(sc, 0, "7001", "5001")
    assert not sc.ev(10, "EventHeld", thisDN="7001")
    assert not sc.ev(20, "EventEstablished", thisDN="7001", callType="Inbound")
    assert not sc.ev(30, "EventRinging", thisDN="7999", connID="c1", callType="Inbound")
    assert sc.value(dn_errors, 40) == 2
    assert sc.value(agent_errors, 40) == 2


def test_sliding_window_status_time_leaves_step_by_step() -> None:
    """Last10Min: NotReady 100-200 is 100 s at 719 (window [60, 719]) and 200 - 120 = 80 s
    at 720 (window [120, 720]); a NotReady in progress since 300 counts only its part
    inside the window: at 1000, [400, 1000] -> 600 s."""
    sc = Scenario(STATS)
    time = sc.open("Agent", "a1", "NotReadyTime", at=0, time_profile="Last10Min")
    login(sc, 0, "7001", "5001")
    sc.ev(100, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    sc.ev(200, "EventAgentReady", thisDN="7001")
    assert sc.value(time, 719) == 200 - 100
    assert sc.value(time, 720) == 200 - 120
    sc.ev(800, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    # at 1000: step start 960, window [360, 1000]: nothing of 100-200, 800-1000 in progress
    assert sc.value(time, 1000) == 1000 - 800
    # at 1500: window [1500 - 600, 1500] = [900, 1500]: 600 s of the NotReady in progress
    assert sc.value(time, 1500) == 1500 - 900


def test_sliding_window_across_idle_steps() -> None:
    """Last10Min (600:60) with long idle gaps between calls: the steps in which nothing was
    open are empty steps, not missing ones.  Waits 100-130 and 400-460; nothing waits in
    130-400 nor after 460.

    * at 500 (window [480 - 600, 500] = [0, 500], clipped to the opening at 0): 2 entered,
      MaxNumber 1, MinNumber 0 (nothing waited at 0-100), wait time 30 + 60 = 90;
    * at 1000 (window [360, 1000]): the wait of 100 left, 400-460 stays: 1 entered, wait
      time 60, MaxNumber 1, MinNumber 0;
    * at 1500 (window [900, 1500]): nothing in it: 0 entered, MaxNumber 0, MinNumber 0;
    * a wait 1600-1610 after 1,100 idle seconds: at 1620, 1 entered, 10 s, MaxNumber 1."""
    sc = Scenario(STATS)
    entered = sc.open("Queue", "8000@SW1", "Entered", at=0, time_profile="Last10Min")
    most = sc.open("Queue", "8000@SW1", "MaxWaiting", at=0, time_profile="Last10Min")
    least = sc.open("Queue", "8000@SW1", "MinWaiting", at=0, time_profile="Last10Min")
    waited = sc.open("Queue", "8000@SW1", "WaitTime", at=0, time_profile="Last10Min")
    for start, end, conn in ((100, 130, "w1"), (400, 460, "w2")):
        sc.ev(start, "EventQueued", thisDN="8000", connID=conn, callType="Inbound")
        sc.ev(end, "EventAbandoned", thisDN="8000", connID=conn, callType="Inbound")
    read = lambda t: tuple(sc.value(s, t) for s in (entered, most, least, waited))  # noqa: E731
    assert read(500) == (2, 1, 0, 30 + 60)
    assert read(1000) == (1, 1, 0, 60)
    assert read(1500) == (0, 0, 0, 0)
    sc.ev(1600, "EventQueued", thisDN="8000", connID="w3", callType="Inbound")
    sc.ev(1610, "EventAbandoned", thisDN="8000", connID="w3", callType="Inbound")
    assert read(1620) == (1, 1, 0, 10)
    # a wait 2000-2400 stays open across six whole steps: at 2400 (window [1800, 2400]) 1
    # entered, MaxNumber 1, MinNumber 0 (1800-2000), 400 s waited; at 2700 (window
    # [2100, 2700]) the entry at 2000 has left, the wait still counts in MaxNumber (it was
    # open in 2100-2400) and MinNumber is 0 (nothing after 2400)
    sc.ev(2000, "EventQueued", thisDN="8000", connID="w4", callType="Inbound")
    assert read(2300)[:3] == (1, 1, 0)
    sc.ev(2400, "EventAbandoned", thisDN="8000", connID="w4", callType="Inbound")
    assert read(2400) == (1, 1, 0, 400)
    assert read(2700)[:3] == (0, 1, 0)


def test_group_totals_add_up_the_members() -> None:
    """Team ready time and ready episodes: a1 ready 10-100 (90 s), a2 ready 30-100 (70 s)."""
    extra = (
        "  TeamReadyTime: {Objects: GroupAgents, Category: TotalTime, Subject: AgentStatus,"
        " MainMask: WaitForNextCall}\n"
        "  TeamReadyCount: {Objects: GroupAgents, Category: TotalNumber, Subject: AgentStatus,"
        " MainMask: WaitForNextCall}\n"
    )
    sc = Scenario(STATS + extra)
    time = sc.open("GroupAgents", "Team", "TeamReadyTime", at=0)
    count = sc.open("GroupAgents", "Team", "TeamReadyCount", at=0)
    login(sc, 0, "7001", "5001")
    login(sc, 0, "7002", "5002")
    sc.ev(10, "EventAgentReady", thisDN="7001")
    sc.ev(30, "EventAgentReady", thisDN="7002")
    sc.ev(100, "EventAgentNotReady", thisDN="7001", workMode="AuxWork")
    sc.ev(100, "EventAgentNotReady", thisDN="7002", workMode="AuxWork")
    assert (sc.value(time, 200), sc.value(count, 200)) == ((100 - 10) + (100 - 30), 2)


def test_averages_of_current_values_across_a_reset() -> None:
    """Hourly: a call waits 3500-3700.  In the second hour at 3800 (elapsed 200 s): the
    number was 1 for 100 s -> 0.5; CurrentTime (real start, Q3) went from 100 to 200 s
    over 100 s -> (200*200 - 100*100) / 2 / 200 = 75."""
    sc = Scenario(STATS)
    avg_n = sc.open("Queue", "8000@SW1", "AvgWaiting", at=0, time_profile="Hourly")
    avg_t = sc.open("Queue", "8000@SW1", "AvgWaitingTime", at=0, time_profile="Hourly")
    sc.ev(3500, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    # first hour at 3599: 99 s with 1 call out of 3599; CurrentTime 0 -> 99
    assert sc.value(avg_n, 3599) == pytest.approx(99 / 3599)
    assert sc.value(avg_t, 3599) == int(99 * 99 / 2 / 3599)
    sc.ev(3700, "EventAbandoned", thisDN="8000", connID="c1")
    assert sc.value(avg_n, 3800) == pytest.approx(100 / 200)
    assert sc.value(avg_t, 3800) == (200 * 200 - 100 * 100) // 2 // 200


def test_average_of_current_time_opened_late() -> None:
    """Opened at 100 on a call waiting since 0: from 100 to 200 CurrentTime goes from 100
    to 200 s -> (200*200 - 100*100) / 2 / 100 = 150."""
    sc = Scenario(STATS)
    sc.ev(0, "EventQueued", thisDN="8000", connID="c1", callType="Inbound")
    avg_t = sc.open("Queue", "8000@SW1", "AvgWaitingTime", at=100)
    avg_n = sc.open("Queue", "8000@SW1", "AvgWaiting", at=100)
    assert sc.value(avg_t, 200) == (200 * 200 - 100 * 100) // 2 // 100
    assert sc.value(avg_n, 200) == pytest.approx(1.0)
